// MadeBookingsReader: a list from the thread's cache, its replica (the primary when the replica cannot answer) or the
// primary.

#include "service/made_bookings_reader.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

namespace phonechat {

MadeBookingsReader::MadeBookingsReader(const std::vector<Store*>& replicas, std::size_t session_pool_size,
                                       std::chrono::milliseconds session_wait, std::size_t cache_bytes)
    : cache_(cache_bytes) {
  if (!replicas.empty()) {
    // Serving threads are spread over the replicas in turn.
    static std::atomic<std::size_t> next_replica{0};
    replica_ = replicas[next_replica++ % replicas.size()];
    if (session_pool_size != 0)
      replica_pool_ = std::make_unique<SessionPool>(*replica_, session_pool_size, session_wait);
  }
}

MadeBookingsReader::~MadeBookingsReader() = default;

void MadeBookingsReader::WritePage(StoreSession& primary, const std::optional<StoreVersion>& version,
                                   const MadeBookingsQuery& query, LocalDateTime now, BodyFormat format,
                                   std::string& out) {
  if (version && replica_ == nullptr) {
    cache_.Sync(*version, primary);
    cache_.WritePage(primary, query, now, format, out);
    return;
  }
  MadeBookingsAnswer answer;
  if (replica_ == nullptr) {
    answer = ListMadeBookings(primary, query, now);
  } else {
    try {
      answer = ReadReplica(query, now);
    } catch (const StoreUnavailable& unavailable) {
      // A replica that cannot answer must not fail the request while the primary can.
      spdlog::warn("read replica unavailable, reading from the primary: {}", unavailable.what());
      answer = ListMadeBookings(primary, query, now);
    }
  }
  out.reserve(out.size() + 256 + answer.rows.size() * 1280);
  WriteMadeBookings(out, answer.page, format);
}

MadeBookingsAnswer MadeBookingsReader::ReadReplica(const MadeBookingsQuery& query, LocalDateTime now) {
  if (replica_pool_) {
    SessionPool::Lease lease = replica_pool_->Borrow();
    try {
      return ListMadeBookings(*lease, query, now);
    } catch (const StoreUnavailable&) {
      // A session that failed is closed rather than lent again; the pool opens fresh ones as they are needed.
      lease.Discard();
      throw;
    }
  }
  try {
    if (!replica_session_) replica_session_ = replica_->OpenSession();
    return ListMadeBookings(*replica_session_, query, now);
  } catch (const StoreUnavailable&) {
    // The next request opens another.
    replica_session_.reset();
    throw;
  }
}

}  // namespace phonechat
