#include "protocol/pagination.hpp"

#include <algorithm>
#include <functional>

namespace awsdl::internal {

namespace {
std::string pages_phrase(int n) { return std::to_string(n) + (n == 1 ? " page" : " pages"); }
}  // namespace

Error repeated_token_error(const std::string& what, int pages) {
  return Error::make(ErrorKind::kParse, "RepeatedNextToken",
                     what + ": the service handed out a next-page token it had already given (after " +
                         pages_phrase(pages) + "); the listing would never end, so it was stopped");
}

Error page_limit_error(const std::string& what, int pages) {
  return Error::make(ErrorKind::kParse, "PaginationLimitExceeded",
                     what + ": the service still named a next page after " + pages_phrase(pages) +
                         "; the listing was stopped rather than returned incomplete (raise Config::max_pages if "
                         "there really is that much to list)");
}

PageGuard::PageGuard(std::string what, int max_pages) : what_(std::move(what)), max_pages_(std::max(1, max_pages)) {}

Result<bool> PageGuard::next(const std::string& token) {
  ++pages_;
  if (token.empty()) return false;
  // The same token twice in a row is caught exactly; an older one by its hash.
  if (token == last_ || !seen_.insert(std::hash<std::string>{}(token)).second) return repeated_token_error(what_, pages_);
  if (pages_ >= max_pages_) return page_limit_error(what_, pages_);
  last_ = token;
  return true;
}

}  // namespace awsdl::internal
