// A serving thread's cache of its clients' bookings, each order an index and each booking written once per format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "domain/made_bookings_query.hpp"
#include "serialization/body_writer.hpp"
#include "storage/store.hpp"

namespace phonechat {

// One serving thread's copy of the bookings its clients list, with each order kept as an index and each booking
// written once per format, so that any page of any client costs about the same whatever its history and depth.
// Exact: every answer is byte for byte what WriteMadeBookings writes for ListMadeBookings on the store, as long
// as Sync is called with the store's bookings version before each use. Not thread-safe, and not reentrant: only
// stores whose calls never suspend the caller (SQLite, the one backend that reports a version) may fill it.
class MadeBookingsCache {
 public:
  // `budget_bytes`: about how much memory the cached clients may hold; the least recently listed go first (the
  // client being answered always stays, however large).
  explicit MadeBookingsCache(std::size_t budget_bytes);
  ~MadeBookingsCache();
  MadeBookingsCache(const MadeBookingsCache&) = delete;
  MadeBookingsCache& operator=(const MadeBookingsCache&) = delete;

  // Forgets every client when `bookings_version` (StoreVersion::bookings, read before the store is used for
  // this request) differs from the version the cache holds.
  void Sync(std::int64_t bookings_version);

  // Appends the answer to `query` at `now` in `format` to `out`, loading the client's bookings from `store` when
  // they are not cached.
  void WritePage(StoreSession& store, const MadeBookingsQuery& query, LocalDateTime now, BodyFormat format,
                 std::string& out);

  // About how many bytes the cached clients hold now.
  [[nodiscard]] std::size_t BytesHeld() const { return bytes_held_; }
  // How many clients are cached now.
  [[nodiscard]] std::size_t ClientsHeld() const { return clients_.size(); }

 private:
  struct Client;
  struct Entry {
    std::unique_ptr<Client> client;
    std::list<UserId>::iterator recency;
  };

  Client& Load(StoreSession& store, UserId client_user_id);
  void EvictBeyondBudget(UserId keep);

  std::size_t budget_bytes_;
  std::size_t bytes_held_ = 0;
  bool synced_ = false;
  std::int64_t version_ = 0;
  std::unordered_map<UserId, Entry> clients_;
  std::list<UserId> recency_;  // most recently listed first
};

}  // namespace phonechat
