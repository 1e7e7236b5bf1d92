// smishctl: the analysts' command-line tool.
#include "smish/app/main.hpp"

int main(int argc, char** argv) { return smish::app::smishctl_main(argc, argv); }
