#pragma once
// gzip compression with isa-l's igzip (several times zlib's speed at its fast levels; the
// output is plain gzip that gzip, zlib, libarchive, docker and registries read). Deterministic:
// the header carries mtime 0 and no name, so the same input always gives the same bytes, however
// it is cut into calls. Used by the registry pusher's layer bodies and by staged archives.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "awsdl/core/result.hpp"

namespace awsdl::internal {

class GzipEncoder {
 public:
  /// `level`: 0 (fastest) .. 9, on zlib's familiar scale, served by igzip's levels 0..3
  /// (0 -> 0, 1 -> 1, 2-5 -> 2, 6-9 -> 3). kInvalidArgument "InvalidGzipLevel" outside 0..9.
  static Result<GzipEncoder> make(int level);
  GzipEncoder(GzipEncoder&&) noexcept;
  GzipEncoder& operator=(GzipEncoder&&) noexcept;
  ~GzipEncoder();

  /// Compresses `in`; with `last`, also ends the stream (the trailer). Returns the compressed
  /// bytes this call produced (possibly none: igzip holds some back until later calls); the
  /// view is valid until the next call.
  Result<std::string_view> compress(std::string_view in, bool last);
  bool finished() const;

 private:
  struct Impl;
  explicit GzipEncoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace awsdl::internal
