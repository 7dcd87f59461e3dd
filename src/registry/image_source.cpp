#include "registry/image_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "util/crypto.hpp"
#include "util/json.hpp"
#include "util/posix_fd.hpp"

namespace awsdl::internal {
namespace {

constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
constexpr const char* kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";

Error bad(const std::string& path, const std::string& why) {
  return Error::make(ErrorKind::kParse, "BadImageSource", "'" + path + "': " + why);
}

// Blobs by name, from a tar index or a directory.
class Store {
 public:
  static Result<Store> open(const std::string& path) {
    Store s;
    s.path_ = path;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return errno_error(errno, "ImageSourceUnreadable", "cannot open image", path);
    if (S_ISDIR(st.st_mode)) {
      s.dir_ = true;
    } else {
      AWSDL_ASSIGN_OR_RETURN(s.members_, index_tar(path));
    }
    return s;
  }
  bool is_dir() const { return dir_; }
  bool has(const std::string& name) const {
    if (!dir_) return members_.count(name) > 0;
    struct stat st {};
    return ::stat((path_ + "/" + name).c_str(), &st) == 0 && S_ISREG(st.st_mode);
  }
  Result<BlobLocation> locate(const std::string& name) const {
    if (name.empty() || name.find("..") != std::string::npos || name[0] == '/')
      return bad(path_, "refusing blob path '" + name + "'");
    if (!dir_) {
      auto it = members_.find(name);
      if (it == members_.end()) return bad(path_, "no '" + name + "' in the archive");
      return BlobLocation{path_, it->second.offset, it->second.size};
    }
    std::string file = path_ + "/" + name;
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return bad(path_, "no file '" + name + "'");
    return BlobLocation{file, 0, static_cast<std::uint64_t>(st.st_size)};
  }
  Result<std::string> read(const std::string& name) const {
    AWSDL_ASSIGN_OR_RETURN(auto loc, locate(name));
    return read_small_blob(loc);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool dir_ = false;
  std::map<std::string, TarMember> members_;
};

std::string blob_path(const std::string& digest) { return "blobs/sha256/" + digest.substr(7); }

Result<ImageSource> open_docker_save(const Store& store) {
  const std::string& path = store.path();
  AWSDL_ASSIGN_OR_RETURN(auto text, store.read("manifest.json"));
  AWSDL_ASSIGN_OR_RETURN(auto doc, JsonDocument::parse(text, "docker-save manifest.json"));
  const auto& root = doc.root();
  if (!root.IsArray() || root.Size() == 0) return bad(path, "manifest.json holds no image");
  if (root.Size() > 1) return bad(path, "manifest.json holds several images; save one image per tarball");
  const auto& m = root[0];
  auto config_name = json_string(m, "Config");
  const auto* layers = json_array(m, "Layers");
  if (!config_name || !layers) return bad(path, "manifest.json lacks Config or Layers");

  ImageSource src;
  src.kind = ImageSource::Kind::kDockerSave;
  src.config.name = *config_name;
  AWSDL_ASSIGN_OR_RETURN(src.config.where, store.locate(*config_name));
  src.config.media_type = kDockerConfig;
  // The config's name is its digest: "<hex>.json" (classic) or "blobs/sha256/<hex>" (Docker 25+).
  std::string base = config_name->substr(config_name->rfind('/') + 1);
  if (base.size() > 5 && base.compare(base.size() - 5, 5, ".json") == 0) base.resize(base.size() - 5);
  if (is_sha256_digest("sha256:" + base)) src.config.expected_digest = "sha256:" + base;

  AWSDL_ASSIGN_OR_RETURN(auto config_text, read_small_blob(src.config.where));
  if (!src.config.expected_digest.empty() && "sha256:" + sha256_hex(config_text) != src.config.expected_digest)
    return Error::make(ErrorKind::kParse, "DigestMismatch",
                       "image config '" + *config_name + "' does not match its digest " + src.config.expected_digest);
  if (src.config.expected_digest.empty()) src.config.expected_digest = "sha256:" + sha256_hex(config_text);
  AWSDL_ASSIGN_OR_RETURN(auto config, JsonDocument::parse(config_text, "image config"));
  const auto* rootfs = json_object(config.root(), "rootfs");
  const auto* diff_ids = rootfs ? json_array(*rootfs, "diff_ids") : nullptr;
  if (!diff_ids || diff_ids->Size() != layers->Size())
    return bad(path, "the config's rootfs.diff_ids do not match the manifest's layers");

  for (rapidjson::SizeType i = 0; i < layers->Size(); ++i) {
    const auto& l = (*layers)[i];
    const auto& d = (*diff_ids)[i];
    if (!l.IsString() || !d.IsString()) return bad(path, "malformed layer list");
    SourceBlob b;
    b.name = l.GetString();
    AWSDL_ASSIGN_OR_RETURN(b.where, store.locate(b.name));
    b.media_type = kDockerLayerGzip;
    b.expected_digest = d.GetString();
    if (!is_sha256_digest(b.expected_digest)) return bad(path, "unsupported diff_id '" + b.expected_digest + "'");
    // A layer that is already gzip'ed goes as it is; its compressed digest is computed first.
    AWSDL_ASSIGN_OR_RETURN(auto head, read_small_blob(BlobLocation{b.where.file, b.where.offset, std::min<std::uint64_t>(2, b.where.size)}));
    if (head.size() == 2 && static_cast<unsigned char>(head[0]) == 0x1f && static_cast<unsigned char>(head[1]) == 0x8b) {
      b.expected_digest.clear();
    } else {
      b.gzip = true;
    }
    src.layers.push_back(std::move(b));
  }
  return src;
}

Result<ImageSource> open_oci(const Store& store, const std::string& ref_name) {
  const std::string& path = store.path();
  AWSDL_ASSIGN_OR_RETURN(auto layout_text, store.read("oci-layout"));
  AWSDL_ASSIGN_OR_RETURN(auto layout, JsonDocument::parse(layout_text, "oci-layout"));
  if (json_string_or(layout.root(), "imageLayoutVersion") != "1.0.0") return bad(path, "unsupported oci-layout version");
  AWSDL_ASSIGN_OR_RETURN(auto index_text, store.read("index.json"));
  AWSDL_ASSIGN_OR_RETURN(auto index, JsonDocument::parse(index_text, "index.json"));
  const auto* manifests = json_array(index.root(), "manifests");
  if (!manifests || manifests->Size() == 0) return bad(path, "index.json lists no manifest");
  const JsonValue* chosen = nullptr;
  for (const auto& d : manifests->GetArray()) {
    std::string name;
    if (const auto* ann = json_object(d, "annotations")) name = json_string_or(*ann, "org.opencontainers.image.ref.name");
    if (ref_name.empty() || name == ref_name) {
      if (chosen) return bad(path, ref_name.empty() ? "index.json lists several images; choose one by its ref name"
                                                    : "several images are named '" + ref_name + "'");
      chosen = &d;
    }
  }
  if (!chosen) return bad(path, "no image named '" + ref_name + "' in index.json");
  std::string digest = json_string_or(*chosen, "digest");
  std::string media = json_string_or(*chosen, "mediaType", kOciManifest);
  if (!is_sha256_digest(digest)) return bad(path, "unsupported manifest digest '" + digest + "'");
  if (media == kOciIndex || media == kDockerList)
    return bad(path, "the chosen entry is a multi-platform index; push one platform's manifest");

  ImageSource src;
  src.kind = ImageSource::Kind::kOci;
  AWSDL_ASSIGN_OR_RETURN(src.manifest, store.read(blob_path(digest)));
  if ("sha256:" + sha256_hex(src.manifest) != digest)
    return Error::make(ErrorKind::kParse, "DigestMismatch", "manifest blob " + digest + " does not match its digest");
  AWSDL_ASSIGN_OR_RETURN(auto manifest, JsonDocument::parse(src.manifest, "image manifest"));
  src.manifest_media_type = json_string_or(manifest.root(), "mediaType", media);

  auto descriptor = [&](const JsonValue& d, SourceBlob& b) -> Result<void> {
    b.expected_digest = json_string_or(d, "digest");
    b.media_type = json_string_or(d, "mediaType");
    if (!is_sha256_digest(b.expected_digest)) return bad(path, "unsupported blob digest '" + b.expected_digest + "'");
    b.name = blob_path(b.expected_digest);
    AWSDL_ASSIGN_OR_RETURN(b.where, store.locate(b.name));
    auto size = json_int(d, "size");
    if (!size || static_cast<std::uint64_t>(*size) != b.where.size)
      return Error::make(ErrorKind::kParse, "SizeMismatch", "blob " + b.expected_digest + " does not have the size the manifest gives");
    return {};
  };
  const auto* config = json_object(manifest.root(), "config");
  const auto* layers = json_array(manifest.root(), "layers");
  if (!config || !layers) return bad(path, "the manifest lacks config or layers");
  AWSDL_TRY(descriptor(*config, src.config));
  for (const auto& l : layers->GetArray()) {
    SourceBlob b;
    AWSDL_TRY(descriptor(l, b));
    src.layers.push_back(std::move(b));
  }
  return src;
}

}  // namespace

bool is_sha256_digest(const std::string& digest) {
  if (digest.size() != 71 || digest.compare(0, 7, "sha256:") != 0) return false;
  for (std::size_t i = 7; i < digest.size(); ++i) {
    char c = digest[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::string> read_small_blob(const BlobLocation& where, std::uint64_t limit) {
  if (where.size > limit) return bad(where.file, "a metadata blob is larger than " + std::to_string(limit) + " bytes");
  UniqueFd fd(::open(where.file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error(errno, "ImageSourceUnreadable", "cannot open", where.file);
  std::string out(where.size, '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t got = ::pread(fd.get(), out.data() + done, out.size() - done, static_cast<off_t>(where.offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return errno_error(errno, "ImageSourceUnreadable", "cannot read", where.file);
    if (got == 0) return bad(where.file, "unexpected end of file");
    done += static_cast<std::size_t>(got);
  }
  return out;
}

Result<ImageSource> open_image_source(const std::string& path, const std::string& oci_ref_name) {
  AWSDL_ASSIGN_OR_RETURN(auto store, Store::open(path));
  if (store.has("manifest.json") && oci_ref_name.empty()) return open_docker_save(store);
  if (store.has("oci-layout")) return open_oci(store, oci_ref_name);
  return bad(path, "neither a docker-save tarball (manifest.json) nor an OCI layout (oci-layout, index.json)");
}

}  // namespace awsdl::internal
