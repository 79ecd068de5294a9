// MadeBookingsReader: a list from the thread's cache, loaded from its replica when the replica has replayed the list's
// last change, else from the primary.

#include "service/made_bookings_reader.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

namespace phonechat {

std::string_view ListSourceName(ListSource source) {
  switch (source) {
    case ListSource::kCache:
      return "cache";
    case ListSource::kReplica:
      return "replica";
    case ListSource::kPrimary:
      break;
  }
  return "primary";
}

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

ListSource MadeBookingsReader::WritePage(StoreSession& primary, const std::optional<StoreVersion>& version,
                                         const std::optional<ListStamp>& stamp, const MadeBookingsQuery& query,
                                         LocalDateTime now, BodyFormat format, std::string& out) {
  if (stamp) {
    bool loaded = false;
    if (replica_ != nullptr && !cache_.Holds(query.client_user_id, *stamp) &&
        WriteFromReplica(*stamp, query, now, format, out, loaded)) {
      return loaded ? ListSource::kReplica : ListSource::kCache;
    }
    return cache_.WritePage(primary, query, now, format, out, stamp) ? ListSource::kPrimary : ListSource::kCache;
  }
  if (version) {
    // The version covers the primary only: a replica may be behind it, so the lists are the primary's.
    cache_.Sync(*version, primary);
    return cache_.WritePage(primary, query, now, format, out) ? ListSource::kPrimary : ListSource::kCache;
  }
  const MadeBookingsAnswer answer = ListMadeBookings(primary, query, now);
  out.reserve(out.size() + 256 + answer.rows.size() * 1280);
  WriteMadeBookings(out, answer.page, format);
  return ListSource::kPrimary;
}

bool MadeBookingsReader::WriteFromReplica(const ListStamp& stamp, const MadeBookingsQuery& query, LocalDateTime now,
                                          BodyFormat format, std::string& out, bool& loaded) {
  const auto from = [&](StoreSession& replica) {
    // The stamp is read before the list: what the replica then lists is at least as new as the primary's stamp.
    if (replica.ReadListStamp(query.client_user_id) != stamp) return false;
    loaded = cache_.WritePage(replica, query, now, format, out, stamp);
    return true;
  };
  try {
    if (replica_pool_) {
      SessionPool::Lease lease = replica_pool_->Borrow();
      try {
        return from(*lease);
      } catch (const StoreUnavailable&) {
        // A session that failed is closed rather than lent again; the pool opens fresh ones as they are needed.
        lease.Discard();
        throw;
      }
    }
    try {
      if (!replica_session_) replica_session_ = replica_->OpenSession();
      return from(*replica_session_);
    } catch (const StoreUnavailable&) {
      // The next request opens another.
      replica_session_.reset();
      throw;
    }
  } catch (const StoreUnavailable& unavailable) {
    // A replica that cannot answer must not fail the request while the primary can.
    spdlog::warn("read replica unavailable, reading from the primary: {}", unavailable.what());
    return false;
  }
}

}  // namespace phonechat
