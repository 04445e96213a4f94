// repairer: repairs a log, for the repair tests that kill a repair.
//
//   repairer PATH
//
// Exits 0 when it repaired the log, 1 when there was nothing to repair, 2
// on bad arguments, 3 with the error on standard error otherwise.

#include <cstdio>

#include "timecontrol/storage/repair.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: repairer PATH\n");
    return 2;
  }
  auto report = tc::repair_log(argv[1]);
  if (!report) {
    std::fprintf(stderr, "repairer: %s\n", tc::render(report.error()).c_str());
    return 3;
  }
  return report->repaired ? 0 : 1;
}
