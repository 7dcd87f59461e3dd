#pragma once
// A gzip bomb staged as stage would leave an honest archive, for the tests that unstage it
// (locally and on a host): the archive and its sidecar manifest under one stage id, the
// manifest declaring only the small file in front of the zeros.

#include <cstddef>
#include <cstdint>
#include <string>

#include "awsdl/config.hpp"
#include "awsdl/core/result.hpp"
#include "awsdl/s3/client.hpp"
#include "awsdl/stage/stager.hpp"
#include "util/crypto.hpp"
#include "stage/manifest.hpp"
#include "util/crc64nvme.hpp"
#include "support/stage_test_support.hpp"

namespace awsdl::testing_support {

/// Puts s3://`bucket`/`key`: small.txt (100 bytes) then zeros.bin (`zeros` zero bytes) in a
/// gzip stream, with a manifest that declares 2 files of 100 bytes in all. The archive's
/// size, or the error of either put.
inline Result<std::uint64_t> put_gzip_bomb(const Config& config, const std::string& bucket, const std::string& key,
                                           std::size_t zeros) {
  const std::string bomb = Crafted(Crafted::Filter::kGzip)
                               .file("small.txt", std::string(100, 's'))
                               .file("zeros.bin", std::string(zeros, '\0'))
                               .bytes();
  const std::string stage_id = "00112233445566778899aabbccddeeff";
  s3::S3Client client(config);
  s3::PutObjectRequest put;
  put.bucket = bucket;
  put.key = key;
  put.body = bomb;
  put.attributes.metadata["awsdl-stage-id"] = stage_id;
  AWSDL_TRY(client.put_object(put));
  internal::Manifest m;
  m.file_count = 2;
  m.file_bytes = 100;
  m.archive_bytes = bomb.size();
  m.archive_crc64nvme = internal::crc64nvme_hex(internal::crc64nvme(bomb));
  m.archive_sha256 = internal::sha256_hex(bomb);
  m.compression = internal::Compression::kGzip;
  put.key = stage::manifest_key(key);
  put.body = internal::serialize_manifest(m);
  AWSDL_TRY(client.put_object(put));
  return bomb.size();
}

}  // namespace awsdl::testing_support
