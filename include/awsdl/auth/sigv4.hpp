#pragma once
// AWS Signature Version 4. Pure functions of request, credentials, scope and time.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "awsdl/auth/credentials.hpp"
#include "awsdl/core/runtime.hpp"
#include "awsdl/http/message.hpp"

namespace awsdl::auth {

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kStreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";

/// Signing keys already derived (an HMAC chain per secret, day, region and service), kept so
/// that repeated signatures skip the derivation; keyed by a digest of the secret, never the
/// secret itself. Opaque and thread-safe. Each Config owns one, shared by its copies
/// (Config::signing_keys): nothing is cached process-wide.
class SigningKeyCache;
AWSDL_EXPORT std::shared_ptr<SigningKeyCache> make_signing_key_cache();

struct AWSDL_EXPORT SigningParams {
  std::string region;
  std::string service;  // signing name: "s3", "ec2", "sts", ...
  WallTime time;
  /// Non-S3 services encode the (already encoded) path again and normalise it; S3 does neither.
  bool double_uri_encode = true;
  bool normalize_path = true;
  /// Hex SHA-256 of the body, kUnsignedPayload or kStreamingPayload. Empty: hash the
  /// in-memory body.
  std::string payload_hash;
  /// Add the x-amz-content-sha256 header (S3 requires it).
  bool add_content_sha256_header = false;
  /// Where the signing key is looked up and kept (not owned: it must outlive the call); null:
  /// derived for this signature alone. The signature is the same either way.
  SigningKeyCache* key_cache = nullptr;
};

/// The intermediate products, for tests and debugging (the signature is a secret-derived
/// value: never log it).
struct AWSDL_EXPORT SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
  std::string authorization;  // the Authorization header value (header signing only)
  std::string signed_headers;
};

/// Adds X-Amz-Date, X-Amz-Security-Token (when there is a session token),
/// x-amz-content-sha256 (when asked) and Authorization to `request`.
AWSDL_EXPORT Result<SigningResult> sign_request(http::Request& request, const Credentials& credentials,
                                                const SigningParams& params);

/// Adds the X-Amz-* query parameters of a presigned URL to `request.query`
/// (expires: 1 s to 7 days) and returns the full URL.
AWSDL_EXPORT Result<std::string> presign(http::Request& request, const Credentials& credentials,
                                         const SigningParams& params, std::chrono::seconds expires,
                                         SigningResult* details = nullptr);

/// Signs the chunks of an S3 streaming upload (aws-chunked) one after another, starting
/// from the seed signature of the request that was signed with kStreamingPayload.
/// Move-only: a copy would fork the chain, and two signers would hand out the same "next"
/// signature for different chunks. A moved-from signer signs nothing (empty signatures)
/// until another is moved into it.
class AWSDL_EXPORT ChunkSigner {
 public:
  ChunkSigner(const Credentials& credentials, const SigningParams& params, std::string seed_signature);
  ~ChunkSigner();
  ChunkSigner(const ChunkSigner&) = delete;
  ChunkSigner& operator=(const ChunkSigner&) = delete;
  ChunkSigner(ChunkSigner&&) noexcept;
  ChunkSigner& operator=(ChunkSigner&&) noexcept;

  /// The signature of the next chunk (the last chunk is empty).
  std::string sign_chunk(std::string_view data);
  /// "<hex size>;chunk-signature=<sig>\r\n" + data + "\r\n".
  std::string frame_chunk(std::string_view data);
  /// Encoded length of a body of `payload` bytes cut into `chunk` byte chunks (for Content-Length).
  static std::uint64_t encoded_length(std::uint64_t payload, std::uint64_t chunk);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Lower-case hex SHA-256.
AWSDL_EXPORT std::string sha256_hex(std::string_view data);

/// RFC 3986 encoding as SigV4 wants it (unreserved kept; '/' kept unless encode_slash).
AWSDL_EXPORT std::string uri_encode(std::string_view s, bool encode_slash);

}  // namespace awsdl::auth
