// Where a serving thread reads a MadeBookings list from: its cache, the thread's read replica, or the primary.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/made_bookings_query.hpp"
#include "serialization/body_writer.hpp"
#include "service/made_bookings_cache.hpp"
#include "service/made_bookings_service.hpp"
#include "storage/session_pool.hpp"
#include "storage/store.hpp"

namespace phonechat {

// Answers one serving thread's list requests. While the primary reports versions and the thread has no replica,
// from the thread's MadeBookingsCache; otherwise from the store: the thread's replica when it has one, and the
// primary when the replica cannot answer. Not thread-safe: one per serving thread.
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

  // Appends the answer to `query` at `now` in `format` to `out`. `primary`: the request's session of the primary;
  // `version`: what it reported (StoreSession::Version) before the request read anything else. Throws
  // StoreUnavailable when the primary cannot answer; a replica that cannot answer only costs a warning.
  void WritePage(StoreSession& primary, const std::optional<StoreVersion>& version, const MadeBookingsQuery& query,
                 LocalDateTime now, BodyFormat format, std::string& out);

 private:
  // The answer read from the replica. Throws StoreUnavailable, having closed the session that failed.
  MadeBookingsAnswer ReadReplica(const MadeBookingsQuery& query, LocalDateTime now);

  Store* replica_ = nullptr;
  std::unique_ptr<StoreSession> replica_session_;  // without a pool: opened on first use, dropped when it fails
  std::unique_ptr<SessionPool> replica_pool_;      // with a pool
  MadeBookingsCache cache_;                        // used while the primary reports versions and there is no replica
};

}  // namespace phonechat
