// The orders a booking list can be asked for: one table of {name, key, direction}, and the value that names a row.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace phonechat {

// What a list is sorted by; BookingID always breaks ties, in the same direction.
enum class SortKey : std::uint8_t {
  kCreateDate,
  kNickname,  // the candidate's nickname folded by FoldNickname
  kSessionDate,
};

enum class SortDirection : std::uint8_t { kAscending, kDescending };

// One order: its API spelling (lower case) and what it sorts by.
struct BookingOrderSpec {
  std::string_view name;
  SortKey key;
  SortDirection direction;
};

// Every order, in the order the documentation lists them. A new order is a new row; a new key is also a new
// SortKey, which the compiler then asks for wherever keys are switched over.
inline constexpr std::array kBookingOrders{
    BookingOrderSpec{"date-desc", SortKey::kCreateDate, SortDirection::kDescending},
    BookingOrderSpec{"date-asc", SortKey::kCreateDate, SortDirection::kAscending},
    BookingOrderSpec{"nickname-asc", SortKey::kNickname, SortDirection::kAscending},
    BookingOrderSpec{"nickname-desc", SortKey::kNickname, SortDirection::kDescending},
    BookingOrderSpec{"sessiondate-asc", SortKey::kSessionDate, SortDirection::kAscending},
    BookingOrderSpec{"sessiondate-desc", SortKey::kSessionDate, SortDirection::kDescending},
};

// How many sort keys kBookingOrders uses: SortKey values are below it.
inline constexpr std::size_t kSortKeyCount = [] {
  std::size_t count = 0;
  for (const BookingOrderSpec& order : kBookingOrders) count = std::max(count, static_cast<std::size_t>(order.key) + 1);
  return count;
}();

// One row of kBookingOrders, held as its position.
class BookingOrder {
 public:
  // The row at `index` (< kBookingOrders.size()).
  static constexpr BookingOrder At(std::size_t index) { return BookingOrder(static_cast<std::uint8_t>(index)); }
  // The row named exactly `name` (lower case), if any.
  static constexpr std::optional<BookingOrder> Find(std::string_view name) {
    for (std::size_t i = 0; i < kBookingOrders.size(); ++i) {
      if (kBookingOrders[i].name == name) return At(i);
    }
    return std::nullopt;
  }

  // Its position in kBookingOrders.
  [[nodiscard]] constexpr std::size_t Index() const { return index_; }
  // Its row's name, key and direction.
  [[nodiscard]] constexpr std::string_view Name() const { return kBookingOrders[index_].name; }
  [[nodiscard]] constexpr SortKey Key() const { return kBookingOrders[index_].key; }
  [[nodiscard]] constexpr bool Descending() const {
    return kBookingOrders[index_].direction == SortDirection::kDescending;
  }

  // The same row.
  friend constexpr bool operator==(BookingOrder a, BookingOrder b) = default;

  // Rows the code names (the default, the caches' load order, tests); an order needs no constant to be served.
  static const BookingOrder kDateDesc;
  static const BookingOrder kDateAsc;
  static const BookingOrder kNicknameAsc;
  static const BookingOrder kNicknameDesc;
  static const BookingOrder kSessionDateAsc;
  static const BookingOrder kSessionDateDesc;

 private:
  constexpr explicit BookingOrder(std::uint8_t index) : index_(index) {}
  // The row named `name`; a name not in the table does not compile.
  static consteval BookingOrder Named(std::string_view name) {
    if (const auto found = Find(name)) return *found;
    throw "no such booking order";
  }

  std::uint8_t index_;
};

static_assert(kBookingOrders.size() <= 256, "BookingOrder holds its index in a byte");

inline constexpr BookingOrder BookingOrder::kDateDesc = Named("date-desc");
inline constexpr BookingOrder BookingOrder::kDateAsc = Named("date-asc");
inline constexpr BookingOrder BookingOrder::kNicknameAsc = Named("nickname-asc");
inline constexpr BookingOrder BookingOrder::kNicknameDesc = Named("nickname-desc");
inline constexpr BookingOrder BookingOrder::kSessionDateAsc = Named("sessiondate-asc");
inline constexpr BookingOrder BookingOrder::kSessionDateDesc = Named("sessiondate-desc");

namespace booking_order_detail {
template <std::size_t... kIndex>
constexpr auto NamesAndOrders(std::index_sequence<kIndex...> /*rows*/) {
  return std::array<std::pair<std::string_view, BookingOrder>, sizeof...(kIndex)>{
      {{kBookingOrders[kIndex].name, BookingOrder::At(kIndex)}...}};
}
}  // namespace booking_order_detail

// Every order beside its name, in table order (derived from kBookingOrders), for loops that need both.
inline constexpr auto kBookingOrderNames =
    booking_order_detail::NamesAndOrders(std::make_index_sequence<kBookingOrders.size()>());

}  // namespace phonechat
