// Bearer-token and API-key authentication into a Principal, and the scope check of a route.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "domain/principal.hpp"
#include "storage/store.hpp"

namespace phonechat {

// What a request presents to prove who it acts for.
struct Credentials {
  std::optional<std::string_view> authorization;  // the Authorization header, if sent
  std::vector<std::string_view> api_keys;         // every non-empty API key sent (header and query)
  bool api_key_malformed = false;                 // an API key was sent that could not be decoded
};

// Longest token accepted before any lookup; longer ones are refused as invalid without touching the store.
inline constexpr std::size_t kMaxTokenLength = 512;

// Authenticates a bearer token (and the API key, when one is sent) at `now_unix` seconds.
// Errors: kUnauthenticated (token_presented says whether a token was sent), kBadApiKey.
Result<Principal> Authenticate(StoreSession& store, const Credentials& credentials, std::int64_t now_unix);

// Succeeds when `principal` holds `scope`; otherwise kInsufficientScope naming it.
Result<void> RequireScope(const Principal& principal, std::string_view scope);

}  // namespace phonechat
