#pragma once
// A large buffer of anonymous pages, not zero-filled by the program: the kernel maps each page
// when it is first written, in 2 MiB pages where transparent huge pages are allowed
// (madvise), so a 16 MiB transfer part costs 8 page faults instead of 4096 and no memset.
// For buffers that are filled by read() or memcpy before they are read.

#include <sys/mman.h>

#include <cstddef>
#include <new>
#include <utility>

namespace awsdl::internal {

class PageBuffer {
 public:
  PageBuffer() = default;
  explicit PageBuffer(std::size_t size) { allocate(size); }
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;
  PageBuffer(PageBuffer&& o) noexcept : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  PageBuffer& operator=(PageBuffer&& o) noexcept {
    if (this != &o) {
      release();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  ~PageBuffer() { release(); }

  /// At least `size` bytes; the contents are kept only when no new mapping is needed.
  /// Throws std::bad_alloc when the kernel refuses the mapping.
  void reserve(std::size_t size) {
    if (size <= size_) return;
    release();
    allocate(size);
  }

  char* data() { return static_cast<char*>(data_); }
  const char* data() const { return static_cast<const char*>(data_); }
  std::size_t size() const { return size_; }

 private:
  void allocate(std::size_t size) {
    if (size == 0) return;
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    (void)::madvise(p, size, MADV_HUGEPAGE);  // advice only: refused or unsupported is fine
#endif
    data_ = p;
    size_ = size;
  }
  void release() {
    if (data_) ::munmap(data_, size_);
    data_ = nullptr;
    size_ = 0;
  }

  void* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace awsdl::internal
