// smishd: the SMS scam-report gateway daemon.
#include "smish/app/main.hpp"

int main(int argc, char** argv) { return smish::app::smishd_main(argc, argv); }
