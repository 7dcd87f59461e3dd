#pragma once
// The one guard every listing loop uses: a next-page token the service already handed out
// (the loop would never end) or a listing longer than the page limit (Config::max_pages) is
// an error naming the operation, never a list cut short without a word.
//
//   internal::PageGuard pages("CloudFormation DescribeStacks", client.config().max_pages);
//   std::string token;
//   for (;;) {
//     ... one call with `token`, items appended ...
//     token = <the answer's NextToken>;
//     AWSDL_ASSIGN_OR_RETURN(bool more, pages.next(token));
//     if (!more) return out;
//   }

#include <cstddef>
#include <string>
#include <unordered_set>

#include "awsdl/core/result.hpp"

namespace awsdl::internal {

/// The errors PageGuard returns, for loops that cannot use it as it is (a paginator driven
/// by its caller). `pages`: how many pages were read.
Error repeated_token_error(const std::string& what, int pages);
Error page_limit_error(const std::string& what, int pages);

class PageGuard {
 public:
  /// `what`: "<service> <operation>", for the error. `max_pages` < 1 counts as 1.
  PageGuard(std::string what, int max_pages);

  /// Call after each page with the token it returned ("" on the last page): true when there
  /// is another page to fetch with it, false when the listing is complete. kParse
  /// "RepeatedNextToken" when the token was handed out before; kParse
  /// "PaginationLimitExceeded" when max_pages pages were read and the service still names
  /// another one. Neither is retryable.
  Result<bool> next(const std::string& token);

  /// Pages seen so far.
  int pages() const { return pages_; }

 private:
  std::string what_;
  int max_pages_;
  int pages_ = 0;
  // Hashes, not the tokens: a hostile service's tokens can be large.
  std::unordered_set<std::size_t> seen_;
  std::string last_;
};

}  // namespace awsdl::internal
