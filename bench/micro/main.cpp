#include <benchmark/benchmark.h>

#include "benchmarks.hpp"

int main(int argc, char** argv) {
  phonechat::micro::RegisterParseBenchmarks();
  phonechat::micro::RegisterHandlerBenchmarks();
  phonechat::micro::RegisterComponentBenchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
