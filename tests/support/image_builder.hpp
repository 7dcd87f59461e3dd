#pragma once
// Builds small container images on disk for registry tests and benches: layer tars of
// generated files (libarchive), a config whose rootfs.diff_ids name them, and either a
// docker-save tarball or an OCI layout directory.

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "util/crypto.hpp"

namespace awsdl::testsupport {

struct BuiltLayer {
  std::string tar;        // uncompressed layer tar bytes
  std::string diff_id;    // sha256:<hex> of tar
};

struct BuiltImage {
  std::vector<BuiltLayer> layers;
  std::string config;     // bytes
  std::string config_digest;
};

/// A tar of `files` generated files of `file_size` bytes each, content seeded by `seed`.
/// `compressible`: text-like content (as real layers are) rather than random bytes.
inline std::string make_layer_tar(int seed, int files, std::size_t file_size, bool compressible = true) {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(
      a, &out, nullptr,
      [](struct archive*, void* ud, const void* buf, size_t n) -> la_ssize_t {
        static_cast<std::string*>(ud)->append(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
  std::string data(file_size, '\0');
  for (int f = 0; f < files; ++f) {
    if (compressible) {
      static const char* words[] = {"tensor ", "gradient ", "epoch ", "batch ", "loss=0.", "\n", "weights ", "layer "};
      std::size_t i = 0;
      while (i < file_size) {
        const char* w = words[rng() % 8];
        for (; *w && i < file_size; ++w) data[i++] = *w;
        if (i < file_size && rng() % 4 == 0) data[i++] = static_cast<char>('0' + rng() % 10);
      }
    } else {
      for (std::size_t i = 0; i + 8 <= file_size; i += 8) {
        std::uint64_t v = rng();
        std::memcpy(&data[i], &v, 8);
      }
    }
    struct archive_entry* e = archive_entry_new();
    std::string name = "layer" + std::to_string(seed) + "/file" + std::to_string(f) + ".txt";
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(file_size));
    archive_entry_set_mtime(e, 1700000000, 0);
    archive_write_header(a, e);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

inline BuiltImage make_image(const std::vector<std::string>& layer_tars) {
  BuiltImage img;
  std::string diff_ids;
  for (const auto& t : layer_tars) {
    BuiltLayer l{t, "sha256:" + internal::sha256_hex(t)};
    if (!diff_ids.empty()) diff_ids += ",";
    diff_ids += "\"" + l.diff_id + "\"";
    img.layers.push_back(std::move(l));
  }
  img.config = R"({"architecture":"amd64","os":"linux","config":{"Cmd":["python3","train.py"]},)"
               R"("rootfs":{"type":"layers","diff_ids":[)" + diff_ids + "]}}";
  img.config_digest = "sha256:" + internal::sha256_hex(img.config);
  return img;
}

/// Writes a tar of (name, bytes) members to `path`.
inline void write_tar(const std::string& path, const std::vector<std::pair<std::string, const std::string*>>& members) {
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open_filename(a, path.c_str());
  for (const auto& [name, bytes] : members) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(bytes->size()));
    archive_write_header(a, e);
    // Large members go in pieces (archive_write_data takes at most SSIZE_MAX, and memory).
    for (std::size_t off = 0; off < bytes->size(); off += (1u << 24))
      archive_write_data(a, bytes->data() + off, std::min<std::size_t>(1u << 24, bytes->size() - off));
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

/// A `docker save` tarball (classic layout: <id>/layer.tar, <config hex>.json, manifest.json).
inline void write_docker_save(const BuiltImage& img, const std::string& path, const std::string& repo_tag) {
  std::vector<std::pair<std::string, const std::string*>> members;
  std::string layers_json;
  std::vector<std::string> names;
  for (const auto& l : img.layers) names.push_back(l.diff_id.substr(7) + "/layer.tar");
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) layers_json += ",";
    layers_json += "\"" + names[i] + "\"";
  }
  std::string config_name = img.config_digest.substr(7) + ".json";
  std::string manifest = "[{\"Config\":\"" + config_name + "\",\"RepoTags\":[\"" + repo_tag + "\"],\"Layers\":[" +
                         layers_json + "]}]";
  members.push_back({config_name, &img.config});
  for (std::size_t i = 0; i < names.size(); ++i) members.push_back({names[i], &img.layers[i].tar});
  members.push_back({"manifest.json", &manifest});
  write_tar(path, members);
}

inline std::string gzip_bytes(const std::string& in) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

inline std::string gunzip_bytes(const std::string& in) {
  z_stream z{};
  inflateInit2(&z, 15 + 16);
  std::string out;
  char buf[1 << 16];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    if (rc == Z_BUF_ERROR) break;
  }
  inflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string("<gunzip failed>");
}

/// An OCI image layout directory with gzip'ed layers; returns the manifest's digest.
inline std::string write_oci_layout(const BuiltImage& img, const std::string& dir, const std::string& ref_name) {
  namespace fs = std::filesystem;
  fs::create_directories(dir + "/blobs/sha256");
  auto put = [&](const std::string& bytes) {
    std::string hex = internal::sha256_hex(bytes);
    std::ofstream(dir + "/blobs/sha256/" + hex, std::ios::binary) << bytes;
    return "sha256:" + hex;
  };
  std::string layers;
  for (const auto& l : img.layers) {
    std::string gz = gzip_bytes(l.tar);
    std::string d = put(gz);
    if (!layers.empty()) layers += ",";
    layers += R"({"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":)" + std::to_string(gz.size()) +
              R"(,"digest":")" + d + "\"}";
  }
  std::string cd = put(img.config);
  std::string manifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                         R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":)" +
                         std::to_string(img.config.size()) + R"(,"digest":")" + cd + R"("},"layers":[)" + layers + "]}";
  std::string md = put(manifest);
  std::ofstream(dir + "/oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
  std::ofstream(dir + "/index.json") << R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":)"
                                     << manifest.size() << R"(,"digest":")" << md
                                     << R"(","annotations":{"org.opencontainers.image.ref.name":")" << ref_name << "\"}}]}";
  return md;
}

}  // namespace awsdl::testsupport
