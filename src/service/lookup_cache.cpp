// The lookup cache: found and not-found answers, kept exact by the store's version.

#include "service/lookup_cache.hpp"

#include <cassert>

namespace phonechat {
namespace {

// The cached answer for `key`, asking `lookup` on a miss; a full map starts again empty, so that a flood of
// unknown keys costs bounded memory.
template <typename Map, typename Lookup>
auto Remembered(Map& map, std::size_t max_entries, std::string_view key, Lookup lookup) {
  if (auto found = map.find(key); found != map.end()) return found->second;
  auto record = lookup();
  if (map.size() >= max_entries) map.clear();
  map.emplace(std::string(key), record);
  return record;
}

}  // namespace

LookupCache::LookupCache(std::size_t max_entries) : max_entries_(max_entries) {}

void LookupCache::Sync(std::int64_t credentials_version) {
  if (synced_ && credentials_version == version_) return;
  tokens_.clear();
  unknown_tokens_.clear();
  api_keys_.clear();
  version_ = credentials_version;
  synced_ = true;
}

std::optional<TokenRecord> CachingStoreSession::FindToken(std::string_view token_hash) {
  assert(cache_.synced_);
  if (auto found = cache_.tokens_.find(token_hash); found != cache_.tokens_.end()) return found->second;
  if (cache_.unknown_tokens_.contains(token_hash)) return std::nullopt;
  std::optional<TokenRecord> record = Inner().FindToken(token_hash);
  if (record) {
    if (cache_.tokens_.size() >= cache_.max_entries_) cache_.tokens_.clear();
    cache_.tokens_.emplace(std::string(token_hash), record);
  } else {
    if (cache_.unknown_tokens_.size() >= cache_.max_entries_) cache_.unknown_tokens_.clear();
    cache_.unknown_tokens_.emplace(token_hash);
  }
  return record;
}

std::optional<ProjectKeyRecord> CachingStoreSession::FindProjectByApiKey(std::string_view api_key) {
  assert(cache_.synced_);
  return Remembered(cache_.api_keys_, cache_.max_entries_, api_key,
                    [&] { return Inner().FindProjectByApiKey(api_key); });
}

std::optional<TokenRecord> StampKeepingSession::FindToken(std::string_view token_hash) {
  std::optional<TokenRecord> record = batcher_.Find(Inner(), token_hash);
  if (record && record->list_stamp) kept_.emplace(record->user_id, *record->list_stamp);
  return record;
}

std::optional<ListStamp> StampKeepingSession::ReadListStamp(UserId user_id) {
  if (kept_ && kept_->first == user_id) return kept_->second;
  return Inner().ReadListStamp(user_id);
}

}  // namespace phonechat
