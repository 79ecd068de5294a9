// A validated MadeBookings query, one answered page, and the nickname folding every order and backend shares.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "domain/booking.hpp"
#include "domain/booking_order.hpp"

namespace phonechat {

inline constexpr std::int32_t kDefaultBookingsPerPage = 50;
inline constexpr std::int32_t kMaxBookingsPerPage = 100;

// A validated request for one page of a user's bookings on one side: made as client (MadeBookings) or received as
// candidate (ReceivedBookings), with the same filter, orders and paging. On the received side `nickname` orders
// by the client's nickname.
struct MadeBookingsQuery {
  UserId client_user_id = 0;  // the list's owner: the client (made side) or the candidate (received side)
  std::optional<LocalDateTime> created_from;  // keep CreateDate >= this (a day's 00:00)
  BookingOrder order = BookingOrder::kDateDesc;
  std::int32_t bookings_per_page = kDefaultBookingsPerPage;
  std::int32_t page_number = 1;
  BookingSide side = BookingSide::kMade;
};

// The nickname sort key: the bytes with ASCII A-Z folded to lower case (SQLite's NOCASE).
std::string FoldNickname(std::string_view nickname);

}  // namespace phonechat

namespace phonechat {

// One answered page of either side: the totals and the bookings as that side sees them.
template <typename View>
struct BookingsPage {
  std::int64_t page_count = 0;
  std::int32_t page_number = 1;
  std::int64_t bookings_total = 0;
  std::int32_t bookings_per_page = kDefaultBookingsPerPage;
  std::vector<View> bookings;  // views point into storage owned by whoever built the page
};
using MadeBookingsPage = BookingsPage<MadeBookingView>;
using ReceivedBookingsPage = BookingsPage<ReceivedBookingView>;

}  // namespace phonechat
