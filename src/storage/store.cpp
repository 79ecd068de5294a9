// StoreSession's default CountAndPage: the count, then the page unless the offset is past the end; Store's default
// ExportRecords.

#include "storage/store.hpp"

#include <algorithm>
#include <stdexcept>

namespace phonechat {

CountedPage StoreSession::CountAndPage(const MadeBookingsQuery& query, std::int64_t offset, std::int32_t limit) {
  CountedPage counted;
  counted.total = CountMadeBookings(query.client_user_id, query.created_from, query.side);
  // Past the end there is nothing to read; short of it, no more than what is left (a backend may size its answer
  // by the limit).
  if (offset < counted.total) {
    const auto left = static_cast<std::int32_t>(std::min<std::int64_t>(limit, counted.total - offset));
    counted.rows = MadeBookingsPage(query, offset, left);
  }
  return counted;
}

void Store::ExportRecords(ExportSink& /*sink*/) {
  throw std::logic_error("Store::ExportRecords is not implemented by this store");
}

}  // namespace phonechat
