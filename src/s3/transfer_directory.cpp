// Whole directories: small files go `concurrency` at a time (one request each); large
// files one after another, each with its own parallel parts, so memory stays bounded by
// concurrency × part_size either way.

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "awsdl/s3/transfer.hpp"
#include "s3/transfer_internal.hpp"

namespace awsdl::s3 {
namespace {

namespace fs = std::filesystem;

struct Item {
  std::string path;  // local
  std::string key;
  std::uint64_t size = 0;
};

// Runs `fn` over items: the small ones in a pool, then the large ones in order.
Status for_each_item(const TransferOptions& options, const std::vector<Item>& items,
                     const std::function<Status(const Item&)>& fn) {
  std::vector<const Item*> small, large;
  for (const auto& it : items) (it.size < options.multipart_threshold ? small : large).push_back(&it);
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::optional<Error> failure;
  auto worker = [&] {
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (failure || options.cancel.cancelled()) return;
      }
      std::size_t i = next.fetch_add(1);
      if (i >= small.size()) return;
      if (auto s = fn(*small[i]); !s) {
        std::lock_guard<std::mutex> lock(mu);
        if (!failure) failure = std::move(s).error();
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  int n = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(std::max(1, options.concurrency)), small.size()));
  for (int t = 0; t < n; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (failure) return *failure;
  for (const Item* it : large) {
    if (options.cancel.cancelled()) return Error::make(ErrorKind::kCancelled, "Cancelled", "transfer cancelled");
    AWSDL_TRY(fn(*it));
  }
  if (options.cancel.cancelled()) return Error::make(ErrorKind::kCancelled, "Cancelled", "transfer cancelled");
  return {};
}

std::string with_slash(std::string prefix) {
  if (!prefix.empty() && prefix.back() != '/') prefix.push_back('/');
  return prefix;
}

// The relative path a key maps to under the target directory, or why it cannot.
Result<fs::path> safe_relative(const std::string& key, const std::string& rest) {
  fs::path out;
  std::size_t start = 0;
  while (start <= rest.size()) {
    auto slash = rest.find('/', start);
    std::string part = rest.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == ".." || part == ".")
      return Error::invalid_argument("UnsafeKey", "the key '" + key + "' would leave the target directory");
    if (!part.empty()) out /= part;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (out.empty()) return Error::invalid_argument("UnsafeKey", "the key '" + key + "' names no file");
  return out;
}

}  // namespace

Result<DirectoryResult> TransferManager::upload_directory(const std::string& directory, const std::string& bucket,
                                                          const std::string& prefix) const {
  std::error_code ec;
  fs::path root(directory);
  if (!fs::is_directory(root, ec)) return Error::invalid_argument("NotADirectory", directory + " is not a directory");
  std::vector<Item> items;
  const std::string pre = with_slash(prefix);
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  if (ec) return internal::s3::io_error("list", directory, ec.value());
  for (std::size_t guard = 0; it != end && guard < 100'000'000; it.increment(ec), ++guard) {
    if (ec) return internal::s3::io_error("list", directory, ec.value());
    std::error_code e2;
    if (!it->is_regular_file(e2)) continue;  // follows links to files; links to directories are not entered
    Item item;
    item.path = it->path().string();
    item.key = pre + it->path().lexically_relative(root).generic_string();
    item.size = static_cast<std::uint64_t>(fs::file_size(it->path(), e2));
    if (e2) return internal::s3::io_error("stat", item.path, e2.value());
    items.push_back(std::move(item));
  }
  if (ec) return internal::s3::io_error("list", directory, ec.value());
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.key < b.key; });

  std::mutex mu;
  DirectoryResult out;
  AWSDL_TRY(for_each_item(options_, items, [&](const Item& item) -> Status {
    UploadRequest r;
    r.bucket = bucket;
    r.key = item.key;
    auto up = upload_file(item.path, r);
    if (!up) return std::move(up).error();
    std::lock_guard<std::mutex> lock(mu);
    ++out.files;
    out.bytes += up->size;
    out.keys.push_back(item.key);
    return {};
  }));
  std::sort(out.keys.begin(), out.keys.end());
  return out;
}

Result<DirectoryResult> TransferManager::download_directory(const std::string& bucket, const std::string& prefix,
                                                            const std::string& directory) const {
  CallOptions call;
  call.cancel = options_.cancel;
  call.deadline = options_.deadline;
  AWSDL_ASSIGN_OR_RETURN(auto objects, client_.list_all_objects(bucket, prefix, 10'000'000, call));
  fs::path root(directory);
  std::vector<Item> items;
  for (const auto& o : objects) {
    if (o.key.empty() || o.key.back() == '/') continue;  // "directory" markers
    std::string rest = o.key.substr(prefix.size());
    while (!rest.empty() && rest.front() == '/') rest.erase(0, 1);
    AWSDL_ASSIGN_OR_RETURN(fs::path rel, safe_relative(o.key, rest));
    items.push_back({(root / rel).string(), o.key, o.size});
  }
  std::mutex mu;
  DirectoryResult out;
  AWSDL_TRY(for_each_item(options_, items, [&](const Item& item) -> Status {
    std::error_code ec;
    fs::create_directories(fs::path(item.path).parent_path(), ec);
    if (ec) return internal::s3::io_error("create directory for", item.path, ec.value());
    auto down = download_file(bucket, item.key, item.path);
    if (!down) return std::move(down).error();
    std::lock_guard<std::mutex> lock(mu);
    ++out.files;
    out.bytes += down->size;
    out.keys.push_back(item.key);
    return {};
  }));
  std::sort(out.keys.begin(), out.keys.end());
  return out;
}

}  // namespace awsdl::s3
