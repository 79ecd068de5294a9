// Where a serving thread reads a MadeBookings list from: its cache, the thread's read replica, or the primary.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/made_bookings_query.hpp"
#include "serialization/body_writer.hpp"
#include "service/made_bookings_cache.hpp"
#include "service/made_bookings_service.hpp"
#include "storage/session_pool.hpp"
#include "storage/store.hpp"

namespace phonechat {

// Where one answer's bookings came from.
enum class ListSource : std::uint8_t {
  kCache,    // the thread's MadeBookingsCache: no database read
  kReplica,  // loaded from the thread's read replica
  kPrimary,  // read from the primary
};

// The name of `source` in the access log: "cache", "replica" or "primary".
std::string_view ListSourceName(ListSource source);

// Answers one serving thread's list requests from the thread's MadeBookingsCache where the primary reports versions
// (without a replica) or stamps lists; a list not cached under its current stamp is loaded from the thread's replica
// when the replica has replayed the list's last change (its stamp there is the primary's), else from the primary.
// A backend that does neither is read from the primary every time. Not thread-safe: one per serving thread.
class MadeBookingsReader {
 public:
  // Takes one of `replicas` (none: the lists are read from the primary), serving threads taking them in turn.
  // With `session_pool_size` (0: none) the replica's sessions are pooled as SessionPool(size, `session_wait`);
  // without, the reader keeps one, opened on first use. `cache_bytes`: the MadeBookingsCache budget.
  MadeBookingsReader(const std::vector<Store*>& replicas, std::size_t session_pool_size,
                     std::chrono::milliseconds session_wait, std::size_t cache_bytes);
  ~MadeBookingsReader();
  MadeBookingsReader(const MadeBookingsReader&) = delete;
  MadeBookingsReader& operator=(const MadeBookingsReader&) = delete;

  // Appends the answer to `query` at `now` in `format` to `out`, and says where its bookings came from.
  // `primary`: the request's session of the primary; `version`: what it reported (StoreSession::Version) before the
  // request read anything else; `stamp`: the client's list stamp read from the primary at the request's start.
  // Throws StoreUnavailable when the primary cannot answer; a replica that cannot answer only costs a warning.
  ListSource WritePage(StoreSession& primary, const std::optional<StoreVersion>& version,
                       const std::optional<ListStamp>& stamp, const MadeBookingsQuery& query, LocalDateTime now,
                       BodyFormat format, std::string& out);
  // About how many bytes the thread's list cache holds.
  [[nodiscard]] std::size_t CacheBytes() const { return cache_.BytesHeld(); }

 private:
  // Writes the page from the cache, loading from the replica when its stamp of the client is `stamp`; false when
  // it is not (nothing written). A replica that fails costs a warning and false.
  bool WriteFromReplica(const ListStamp& stamp, const MadeBookingsQuery& query, LocalDateTime now, BodyFormat format,
                        std::string& out, bool& loaded);

  Store* replica_ = nullptr;
  std::unique_ptr<StoreSession> replica_session_;  // without a pool: opened on first use, dropped when it fails
  std::unique_ptr<SessionPool> replica_pool_;      // with a pool
  MadeBookingsCache cache_;
};

}  // namespace phonechat
