// Template generation for a 64-worker cluster (issue target: <= 1 ms per template).
#include <benchmark/benchmark.h>

#include "awsdl/cluster/template.hpp"

namespace {

awsdl::cluster::ClusterSpec spec64() {
  awsdl::cluster::ClusterSpec s{.name = "bench", .instance_type = "p4d.24xlarge", .workers = 64, .min_workers = 48,
                                .ssh_cidr = "203.0.113.0/24", .key_name = "team"};
  s.staging_bucket = "team-bucket";
  return s;
}

void BM_BuildTemplate64(benchmark::State& state) {
  auto spec = spec64();
  const awsdl::cluster::TemplateOptions options{.pretty = state.range(0) != 0};
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto t = awsdl::cluster::build_template(spec, options);
    if (!t) {
      state.SkipWithError(t.error().message.c_str());
      return;
    }
    bytes = t->size();
    benchmark::DoNotOptimize(t->body.data());
  }
  state.counters["template_bytes"] = static_cast<double>(bytes);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_BuildTemplate64)->Arg(0)->Arg(1)->ArgName("pretty")->Unit(benchmark::kMicrosecond);

void BM_ValidateSpec(benchmark::State& state) {
  auto spec = spec64();
  for (auto _ : state) benchmark::DoNotOptimize(awsdl::cluster::validate(spec).ok());
}
BENCHMARK(BM_ValidateSpec)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
