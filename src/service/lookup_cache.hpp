// A serving thread's cache of token and API-key lookups, and the session wrapper that answers from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "service/token_lookup_batcher.hpp"
#include "storage/store.hpp"

namespace phonechat {

// One serving thread's memory of token and API-key lookups, found and not found, so that authenticating a
// request (or refusing an unknown token) costs no database read. Exact as long as Sync is called with the store's
// version before each request. Not thread-safe.
class LookupCache {
 public:
  // `max_entries`: how many lookups of each kind (tokens found, tokens not found, API keys) it keeps; a kind that is
  // full starts again empty.
  explicit LookupCache(std::size_t max_entries);

  // Forgets everything when `credentials_version` (StoreVersion::credentials) differs from the version it holds.
  void Sync(std::int64_t credentials_version);
  // How many lookups it holds now.
  [[nodiscard]] std::size_t Entries() const { return tokens_.size() + unknown_tokens_.size() + api_keys_.size(); }

 private:
  friend class CachingStoreSession;

  // Hashes std::string and std::string_view alike, so that a lookup by view builds no string.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  template <typename Record>
  using Map = std::unordered_map<std::string, std::optional<Record>, KeyHash, std::equal_to<>>;

  std::size_t max_entries_;
  bool synced_ = false;
  std::int64_t version_ = 0;
  // Found and not found apart, so that a flood of unknown tokens never pushes out the tokens in use.
  Map<TokenRecord> tokens_;
  std::unordered_set<std::string, KeyHash, std::equal_to<>> unknown_tokens_;
  Map<ProjectKeyRecord> api_keys_;
};

// A StoreSession that answers FindToken and FindProjectByApiKey from a LookupCache (asking `inner` on a miss) and
// passes every other call to `inner`. Lives for one request.
class CachingStoreSession final : public ForwardingStoreSession {
 public:
  // Both must outlive this object; `cache` must have been synced for this request.
  CachingStoreSession(StoreSession& inner, LookupCache& cache) : ForwardingStoreSession(inner), cache_(cache) {}

  std::optional<TokenRecord> FindToken(std::string_view token_hash) override;
  std::optional<ProjectKeyRecord> FindProjectByApiKey(std::string_view api_key) override;

 private:
  LookupCache& cache_;
};

// A StoreSession that looks tokens up through the serving thread's TokenLookupBatcher, keeps the list stamp its token
// lookup read (backends that stamp lists) and answers ReadListStamp for that token's user from it, so that a list
// request reads nothing else before its answer; every other call goes to `inner`. Lives for one request.
class StampKeepingSession final : public ForwardingStoreSession {
 public:
  // Both must outlive this object.
  StampKeepingSession(StoreSession& inner, TokenLookupBatcher& batcher)
      : ForwardingStoreSession(inner), batcher_(batcher) {}

  std::optional<TokenRecord> FindToken(std::string_view token_hash) override;
  std::optional<ListStamp> ReadListStamp(UserId user_id) override;

 private:
  TokenLookupBatcher& batcher_;
  std::optional<std::pair<UserId, ListStamp>> kept_;
};

}  // namespace phonechat
