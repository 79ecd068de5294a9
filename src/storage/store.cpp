// StoreSession's default CountAndPage: the count, then the page unless the offset is past the end.

#include "storage/store.hpp"

namespace phonechat {

CountedPage StoreSession::CountAndPage(const MadeBookingsQuery& query, std::int64_t offset, std::int32_t limit) {
  CountedPage counted;
  counted.total = CountMadeBookings(query.client_user_id, query.created_from, query.side);
  // Past the end there is nothing to read.
  if (offset < counted.total) counted.rows = MadeBookingsPage(query, offset, limit);
  return counted;
}

}  // namespace phonechat
