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

// A validated request for one page of a client's made bookings.
struct MadeBookingsQuery {
  UserId client_user_id = 0;
  std::optional<LocalDateTime> created_from;  // keep CreateDate >= this (a day's 00:00)
  BookingOrder order = BookingOrder::kDateDesc;
  std::int32_t bookings_per_page = kDefaultBookingsPerPage;
  std::int32_t page_number = 1;
};

// The nickname sort key: the bytes with ASCII A-Z folded to lower case (SQLite's NOCASE).
std::string FoldNickname(std::string_view nickname);

}  // namespace phonechat

namespace phonechat {

// One answered page: the totals and the bookings as the client sees them.
struct MadeBookingsPage {
  std::int64_t page_count = 0;
  std::int32_t page_number = 1;
  std::int64_t bookings_total = 0;
  std::int32_t bookings_per_page = kDefaultBookingsPerPage;
  std::vector<MadeBookingView> bookings;  // views point into storage owned by whoever built the page
};

}  // namespace phonechat
