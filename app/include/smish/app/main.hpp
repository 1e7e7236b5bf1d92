// Entry points of the executables; tools/*.cpp are one-line mains that call these.
#pragma once

namespace smish::app {

/// smishd: the gateway daemon. Exit 0 after a clean stop, 2 on a configuration or start-up error.
int smishd_main(int argc, char** argv);

/// smishctl: the analysts' CLI. Exit 0 found/done, 1 not found, 2 usage or configuration error.
int smishctl_main(int argc, char** argv);

}  // namespace smish::app
