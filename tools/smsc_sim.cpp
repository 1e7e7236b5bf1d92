// smsc-sim: the SMPP 3.4 SMSC simulator executable (everything is in smish_sim; see --help).
#include <cstdio>
#include <exception>

#include "smish/sim/simulator.hpp"

int main(int argc, char** argv) {
  try {
    return smish::sim::run_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smsc-sim: fatal: %s\n", e.what());
    return 2;
  }
}
