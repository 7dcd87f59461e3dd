// Throughput of TarWriter and TarExtractor over a dataset-shaped directory (~200 MB of
// 100-220 KB incompressible files, generated once under /tmp), compared in the same run with
// GNU tar doing the same work:
//   BM_TarWriter             TarWriter::read() into a discarding loop (SHA-256 included)
//   BM_GnuTarCreateDevNull   `tar cf - DIR > /dev/null` (GNU tar notices /dev/null and skips
//                            reading file contents, so this is a lower bound, not a peer)
//   BM_GnuTarCreatePipe      `tar cf - DIR | cat > /dev/null` (reads everything, like ours)
//   BM_TarWriterGzip         TarWriter with gzip (isa-l's igzip at its default, fast level)
//   BM_GnuTarGzip1Pipe       `tar cf - DIR | gzip -1 > /dev/null`, the fastest gzip of GNU's
//   BM_TarExtractor          TarExtractor fed the archive from memory in 8 MiB chunks
//   BM_GnuTarExtract         `tar xf ARCHIVE -C DIR`
// Bytes/s is of file data (input bytes for creation, archive bytes for extraction).
// Run: build-*/bench/tar_bench [--benchmark_repetitions=3]

#include <benchmark/benchmark.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "stage/tar_extractor.hpp"
#include "stage/tar_writer.hpp"

namespace {

namespace fs = std::filesystem;
using namespace awsdl::internal;

const fs::path kRoot = "/tmp/awsdl-tar-bench";
const fs::path kData = kRoot / "data";
const fs::path kArchive = kRoot / "data.tar";

// Generates the dataset once; a marker records that it is complete.
std::uint64_t dataset_bytes() {
  static const std::uint64_t total = [] {
    const fs::path marker = kRoot / ".complete";
    if (!fs::exists(marker)) {
      fs::remove_all(kData);
      std::mt19937_64 rng(20240601);
      std::uniform_int_distribution<std::size_t> size_dist(100 << 10, 220 << 10);
      std::vector<std::uint64_t> buf((220 << 10) / 8 + 1);
      std::uint64_t written = 0;
      for (int i = 0; written < (200u << 20); ++i) {
        const fs::path dir = kData / ("shard" + std::to_string(i % 16));
        fs::create_directories(dir);
        const std::size_t n = size_dist(rng);
        for (auto& w : buf) w = rng();
        std::ofstream out(dir / ("img" + std::to_string(i) + ".jpg"), std::ios::binary);
        out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(n));
        written += n;
      }
      std::ofstream(marker) << written;
    }
    std::uint64_t sum = 0;
    for (const auto& e : fs::recursive_directory_iterator(kData))
      if (e.is_regular_file()) sum += e.file_size();
    return sum;
  }();
  return total;
}

const std::string& archive_bytes() {
  static const std::string bytes = [] {
    auto w = TarWriter::open({kData});
    if (!w) std::abort();
    std::string out;
    std::vector<char> buf(8 << 20);
    for (;;) {
      auto n = w->read(buf.data(), buf.size());
      if (!n) std::abort();
      if (*n == 0) break;
      out.append(buf.data(), *n);
    }
    std::ofstream(kArchive, std::ios::binary).write(out.data(), static_cast<std::streamsize>(out.size()));
    return out;
  }();
  return bytes;
}

void shell(benchmark::State& state, const std::string& cmd) {
  if (std::system(cmd.c_str()) != 0) state.SkipWithError(("failed: " + cmd).c_str());
}

void tar_writer(benchmark::State& state, Compression compression) {
  const std::uint64_t total = dataset_bytes();
  std::vector<char> buf(8 << 20);
  TarWriterOptions options;
  options.compression = compression;
  for (auto _ : state) {
    auto w = TarWriter::open({kData}, options);
    if (!w) {
      state.SkipWithError(w.error().to_string().c_str());
      return;
    }
    std::uint64_t n_total = 0;
    for (;;) {
      auto n = w->read(buf.data(), buf.size());
      if (!n) {
        state.SkipWithError(n.error().to_string().c_str());
        return;
      }
      if (*n == 0) break;
      n_total += *n;
    }
    benchmark::DoNotOptimize(n_total);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(total * state.iterations()));
}

void BM_TarWriter(benchmark::State& state) { tar_writer(state, Compression::kNone); }
void BM_TarWriterGzip(benchmark::State& state) { tar_writer(state, Compression::kGzip); }

void BM_GnuTarGzip1Pipe(benchmark::State& state) {
  const std::uint64_t total = dataset_bytes();
  for (auto _ : state) shell(state, "tar cf - -C " + kRoot.string() + " data | gzip -1 > /dev/null");
  state.SetBytesProcessed(static_cast<std::int64_t>(total * state.iterations()));
}

void BM_GnuTarCreateDevNull(benchmark::State& state) {
  const std::uint64_t total = dataset_bytes();
  for (auto _ : state) shell(state, "tar cf - -C " + kRoot.string() + " data > /dev/null");
  state.SetBytesProcessed(static_cast<std::int64_t>(total * state.iterations()));
}

void BM_GnuTarCreatePipe(benchmark::State& state) {
  const std::uint64_t total = dataset_bytes();
  for (auto _ : state) shell(state, "tar cf - -C " + kRoot.string() + " data | cat > /dev/null");
  state.SetBytesProcessed(static_cast<std::int64_t>(total * state.iterations()));
}

void BM_TarExtractor(benchmark::State& state) {
  dataset_bytes();
  const std::string& bytes = archive_bytes();
  const fs::path out = kRoot / "out-ours";
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(out);
    fs::create_directories(out);
    state.ResumeTiming();
    auto x = TarExtractor::open(out);
    if (!x) {
      state.SkipWithError(x.error().to_string().c_str());
      return;
    }
    constexpr std::size_t kChunk = 8 << 20;
    for (std::size_t pos = 0; pos < bytes.size(); pos += kChunk) {
      if (auto s = x->write(std::string_view(bytes).substr(pos, kChunk)); !s) {
        state.SkipWithError(s.error().to_string().c_str());
        return;
      }
    }
    if (auto s = x->finish(); !s) {
      state.SkipWithError(s.error().to_string().c_str());
      return;
    }
  }
  fs::remove_all(out);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes.size() * state.iterations()));
}

void BM_GnuTarExtract(benchmark::State& state) {
  dataset_bytes();
  const std::string& bytes = archive_bytes();
  const fs::path out = kRoot / "out-gnu";
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(out);
    fs::create_directories(out);
    state.ResumeTiming();
    shell(state, "tar xf " + kArchive.string() + " -C " + out.string());
  }
  fs::remove_all(out);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes.size() * state.iterations()));
}

BENCHMARK(BM_TarWriter)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
BENCHMARK(BM_TarWriterGzip)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_GnuTarGzip1Pipe)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_GnuTarCreateDevNull)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
BENCHMARK(BM_GnuTarCreatePipe)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
BENCHMARK(BM_TarExtractor)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
BENCHMARK(BM_GnuTarExtract)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

}  // namespace

BENCHMARK_MAIN();
