#pragma once
// Idempotency tokens (ClientToken, ClientRequestToken): random version-4 UUIDs, made once per
// call so that every retry of that call carries the same one.

#include <string>

namespace awsdl::internal {

std::string new_idempotency_token();

}  // namespace awsdl::internal
