// A serving thread's cache of its clients' bookings, each order an index and each booking written once per format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "domain/made_bookings_query.hpp"
#include "serialization/body_writer.hpp"
#include "storage/store.hpp"

namespace phonechat {

// One serving thread's copy of the bookings its clients list, with each order kept as an index and each booking
// written once per format, so that any page of any client costs about the same whatever its history and depth.
// Exact: every answer is byte for byte what WriteMadeBookings writes for ListMadeBookings on the store, as long
// as each use either follows a Sync with the store's version (a backend that reports versions) or passes the
// client's list stamp read before it (a backend that stamps lists). Not thread-safe. A load may suspend the caller
// in its store calls: the cache is touched only before and after them, so other requests of the thread may use it
// meanwhile.
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
  // they are not cached, or (with a `stamp`, read before this call) cached under another stamp; true when it loaded.
  bool WritePage(StoreSession& store, const MadeBookingsQuery& query, LocalDateTime now, BodyFormat format,
                 std::string& out, const std::optional<ListStamp>& stamp = std::nullopt);

  // True when the client's bookings are cached under `stamp`: WritePage with it would read nothing.
  [[nodiscard]] bool Holds(UserId client_user_id, const ListStamp& stamp) const;

  // About how many bytes the cached clients hold now.
  [[nodiscard]] std::size_t BytesHeld() const { return bytes_held_; }
  // How many clients are cached now.
  [[nodiscard]] std::size_t ClientsHeld() const { return clients_.size(); }

 private:
  struct Client;
  struct Entry {
    std::unique_ptr<Client> client;
    std::list<UserId>::iterator recency;
    std::optional<ListStamp> stamp;  // what the client's list stamp was before the load (stamping backends)
  };

  Client& Load(StoreSession& store, UserId client_user_id, const std::optional<ListStamp>& stamp);
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
