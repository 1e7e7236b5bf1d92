// smishctl in-process with stdout captured, for the app tests that drive the CLI.
#pragma once

#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "smish/app/main.hpp"

namespace smish::test {

/// Runs smishctl_main with `args` (without the program name): its exit code and stdout.
inline std::pair<int, std::string> run_smishctl(std::vector<std::string> args) {
  args.insert(args.begin(), "smishctl");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream out;
  auto* old = std::cout.rdbuf(out.rdbuf());
  const int rc = app::smishctl_main(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(old);
  return {rc, out.str()};
}

}  // namespace smish::test
