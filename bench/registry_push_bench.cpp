// A small command-line driver for bench/registry_push_compare.sh (not a Google Benchmark
// program: a push is one long operation, timed from outside next to skopeo's).
//
//   registry_push_bench generate OUT.tar LAYERS MIB_TOTAL
//   registry_push_bench push SOURCE HOST:PORT REPO TAG USER   (password on stdin; plain HTTP on loopback)

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "awsdl/registry/push.hpp"
#include "util/crypto.hpp"

namespace {

struct HashingFile {
  FILE* f;
  awsdl::internal::Sha256 hash;
};

// A layer of text-like files (compresses about 3:1, as code and data layers do).
std::string write_layer(const std::string& path, int seed, std::uint64_t bytes) {
  HashingFile out{std::fopen(path.c_str(), "wb"), {}};
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(
      a, &out, nullptr,
      [](struct archive*, void* ud, const void* buf, size_t n) -> la_ssize_t {
        auto* h = static_cast<HashingFile*>(ud);
        h->hash.update(buf, n);
        return static_cast<la_ssize_t>(std::fwrite(buf, 1, n, h->f));
      },
      nullptr);
  std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
  const std::size_t file_size = 8u << 20;
  std::string data(file_size, '\0');
  static const char* words[] = {"tensor ", "gradient ", "epoch ", "batch ", "loss=0.", "\n", "weights ", "layer "};
  for (std::uint64_t written = 0, f = 0; written < bytes; written += file_size, ++f) {
    std::size_t i = 0;
    while (i < file_size) {
      std::uint64_t r = rng();
      const char* w = words[r & 7];
      for (; *w && i < file_size; ++w) data[i++] = *w;
      for (int k = 0; k < 3 && i < file_size; ++k) data[i++] = static_cast<char>('0' + ((r >> (8 + 4 * k)) % 10));
    }
    struct archive_entry* e = archive_entry_new();
    std::string name = "data" + std::to_string(seed) + "/part" + std::to_string(f) + ".txt";
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(file_size));
    archive_write_header(a, e);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  std::fclose(out.f);
  return "sha256:" + out.hash.finish_hex();
}

void add_file_member(struct archive* a, const std::string& name, const std::string& file) {
  int fd = ::open(file.c_str(), O_RDONLY);
  off_t size = ::lseek(fd, 0, SEEK_END);
  ::lseek(fd, 0, SEEK_SET);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, size);
  archive_write_header(a, e);
  std::vector<char> buf(1 << 20);
  ssize_t n;
  while ((n = ::read(fd, buf.data(), buf.size())) > 0) archive_write_data(a, buf.data(), static_cast<size_t>(n));
  archive_entry_free(e);
  ::close(fd);
}

void add_bytes_member(struct archive* a, const std::string& name, const std::string& bytes) {
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, static_cast<la_int64_t>(bytes.size()));
  archive_write_header(a, e);
  archive_write_data(a, bytes.data(), bytes.size());
  archive_entry_free(e);
}

int generate(const std::string& out, int layers, std::uint64_t mib) {
  std::vector<std::string> files, diff_ids;
  for (int i = 0; i < layers; ++i) {
    files.push_back(out + ".layer" + std::to_string(i));
    diff_ids.push_back(write_layer(files.back(), i + 1, (mib << 20) / static_cast<std::uint64_t>(layers)));
  }
  std::string ids;
  for (const auto& d : diff_ids) ids += (ids.empty() ? "\"" : ",\"") + d + "\"";
  std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[)" + ids + "]}}";
  std::string config_name = awsdl::internal::sha256_hex(config) + ".json";
  std::string manifest = "[{\"Config\":\"" + config_name + "\",\"RepoTags\":[\"bench:v1\"],\"Layers\":[";
  for (int i = 0; i < layers; ++i) manifest += (i ? ",\"" : "\"") + diff_ids[i].substr(7) + "/layer.tar\"";
  manifest += "]}]";
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open_filename(a, out.c_str());
  add_bytes_member(a, config_name, config);
  for (int i = 0; i < layers; ++i) add_file_member(a, diff_ids[i].substr(7) + "/layer.tar", files[i]);
  add_bytes_member(a, "manifest.json", manifest);
  archive_write_close(a);
  archive_write_free(a);
  for (const auto& f : files) std::remove(f.c_str());
  return 0;
}

int push(const std::string& source, const std::string& host, const std::string& repo, const std::string& tag,
         const std::string& user) {
  std::string password;
  std::getline(std::cin, password);
  awsdl::registry::PushOptions o;
  o.registry = host;
  o.repository = repo;
  o.tag = tag;
  o.insecure = true;
  o.credentials = awsdl::registry::RegistryCredentials{user, password};
  auto start = std::chrono::steady_clock::now();
  auto r = awsdl::registry::push_image(source, o);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!r) {
    std::cerr << "push failed: " << r.error().to_string() << "\n";
    return 1;
  }
  std::printf("pushed %s in %.2f s: %zu blobs uploaded (%.1f MiB), %zu skipped, manifest %s\n", r->reference.c_str(),
              secs, r->blobs_uploaded, static_cast<double>(r->bytes_uploaded) / (1 << 20), r->blobs_skipped,
              r->manifest_digest.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 4 && args[0] == "generate") return generate(args[1], std::stoi(args[2]), std::stoull(args[3]));
  if (args.size() == 6 && args[0] == "push") return push(args[1], args[2], args[3], args[4], args[5]);
  std::cerr << "usage: registry_push_bench generate OUT.tar LAYERS MIB | push SOURCE HOST:PORT REPO TAG USER\n";
  return 2;
}
