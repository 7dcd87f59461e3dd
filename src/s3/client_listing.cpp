// ListObjectsV2 and its paginator.

#include "awsdl/s3/client.hpp"
#include "protocol/pagination.hpp"
#include "s3/responses.hpp"
#include "s3/s3_internal.hpp"

namespace awsdl::s3 {

using internal::RestRequest;
using internal::s3::s3_operation;

Result<ListObjectsPage> S3Client::list_objects_v2(const ListObjectsRequest& request, const CallOptions& options) const {
  if (request.bucket.empty()) return Error::invalid_argument("MissingParameter", "Bucket must not be empty");
  if (request.max_keys < 1 || request.max_keys > 1000)
    return Error::invalid_argument("InvalidParameterValue",
                                   "max_keys must be 1 to 1000, not " + std::to_string(request.max_keys));
  // encoding-type=url, as the SDKs ask: keys may hold characters XML 1.0 cannot carry.
  RestRequest r("GET", "/?list-type=2");
  r.query("encoding-type", "url");
  r.optional_query("prefix", request.prefix);
  r.optional_query("delimiter", request.delimiter);
  r.optional_query("start-after", request.start_after);
  r.optional_query("continuation-token", request.continuation_token);
  if (request.max_keys != 1000) r.query("max-keys", std::to_string(request.max_keys));
  AWSDL_ASSIGN_OR_RETURN(http::Response resp,
                         client_->call_rest(r, s3_operation("ListObjectsV2", request.bucket, options)));
  return internal::s3::parse_list_objects_v2(resp.body);
}

ObjectPaginator S3Client::list_objects_pages(ListObjectsRequest request, CallOptions options) const {
  return ObjectPaginator(*this, std::move(request), std::move(options));
}

Result<std::vector<ObjectSummary>> S3Client::list_all_objects(const std::string& bucket, const std::string& prefix,
                                                              std::size_t limit, const CallOptions& options) const {
  ListObjectsRequest request;
  request.bucket = bucket;
  request.prefix = prefix;
  auto pages = list_objects_pages(request, options);
  std::vector<ObjectSummary> out;
  while (pages.has_more()) {
    AWSDL_ASSIGN_OR_RETURN(ListObjectsPage page, pages.next());
    for (auto& o : page.objects) {
      if (out.size() >= limit)
        return Error::invalid_argument("TooManyObjects", "more than " + std::to_string(limit) + " objects under s3://" +
                                                             bucket + "/" + prefix);
      out.push_back(std::move(o));
    }
  }
  return out;
}

ObjectPaginator::ObjectPaginator(S3Client client, ListObjectsRequest request, CallOptions options)
    : client_(std::move(client)), request_(std::move(request)), options_(std::move(options)) {}

Result<ListObjectsPage> ObjectPaginator::next() {
  if (done_) return Error::invalid_argument("NoMorePages", "ListObjectsV2: no more pages");
  auto page = client_.list_objects_v2(request_, options_);
  if (!page) {
    done_ = true;
    return page;
  }
  ++pages_;
  if (!page->is_truncated) {
    done_ = true;
    return page;
  }
  // The token just used handed back again would page forever; so would a listing without
  // end: errors, not a list silently cut short.
  if (page->next_continuation_token == request_.continuation_token) {
    done_ = true;
    return internal::repeated_token_error("S3 ListObjectsV2", pages_);
  }
  if (pages_ >= std::max(1, client_.config().max_pages)) {
    done_ = true;
    return internal::page_limit_error("S3 ListObjectsV2", pages_);
  }
  request_.continuation_token = page->next_continuation_token;
  request_.start_after.clear();
  return page;
}

}  // namespace awsdl::s3
