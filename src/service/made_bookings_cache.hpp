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
// as Sync is called with the store's version before each use. Not thread-safe, and not reentrant: only
// stores whose calls never suspend the caller (SQLite, the one backend that reports a version) may fill it.
class MadeBookingsCache {
 public:
  // `budget_bytes`: about how much memory the cached clients may hold; the least recently listed go first (the
  // client being answered always stays, however large).
  explicit MadeBookingsCache(std::size_t budget_bytes);
  ~MadeBookingsCache();
  MadeBookingsCache(const MadeBookingsCache&) = delete;
  MadeBookingsCache& operator=(const MadeBookingsCache&) = delete;

  // Brings the cache to `version` (read before `store` is used for this request): forgets the clients whose
  // lists the list-change log says changed since the version it holds, or every client when an import changed
  // the lists or the log no longer reaches back that far.
  void Sync(const StoreVersion& version, StoreSession& store);

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
  void Forget(UserId client_user_id);
  void ForgetAll();

  std::size_t budget_bytes_;
  std::size_t bytes_held_ = 0;
  bool synced_ = false;
  StoreVersion version_;
  std::unordered_map<UserId, Entry> clients_;
  std::list<UserId> recency_;  // most recently listed first
};

}  // namespace phonechat
