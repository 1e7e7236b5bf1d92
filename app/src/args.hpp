// A small command-line reader shared by smishd and smishctl: --flag, --key value, --key=value.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace smish::app {

/// Parsed arguments. `valued` names the options that take a value; `repeatable` may occur more
/// than once (collected in order). Anything not starting with "--" is positional.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> options;
  std::set<std::string> flags;
  std::string error;  ///< non-empty when the command line is malformed

  bool has(const std::string& flag) const { return flags.count(flag) > 0; }
  std::optional<std::string> get(const std::string& key) const {
    auto it = options.find(key);
    if (it == options.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
  }
  std::vector<std::string> all(const std::string& key) const {
    auto it = options.find(key);
    return it == options.end() ? std::vector<std::string>{} : it->second;
  }
};

inline Args parse_args(int argc, char** argv, int start, const std::set<std::string>& valued,
                       const std::set<std::string>& known_flags) {
  Args a;
  for (int i = start; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      a.positional.push_back(arg);
      continue;
    }
    std::string key = arg.substr(2), value;
    bool has_value = false;
    if (auto eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
      has_value = true;
    }
    if (valued.count(key)) {
      if (!has_value) {
        if (i + 1 >= argc) {
          a.error = "--" + key + " needs a value";
          return a;
        }
        value = argv[++i];
      }
      a.options[key].push_back(value);
    } else if (known_flags.count(key) && !has_value) {
      a.flags.insert(key);
    } else {
      a.error = "unknown option --" + key;
      return a;
    }
  }
  return a;
}

}  // namespace smish::app
