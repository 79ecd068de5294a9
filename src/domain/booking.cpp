// The API names of booking statuses and of who cancelled, both ways.

#include "domain/booking.hpp"

#include <array>
#include <utility>

namespace phonechat {
namespace {

constexpr std::array<std::pair<BookingStatus, std::string_view>, 5> kStatusNames{{
    {BookingStatus::kPending, "Pending"},
    {BookingStatus::kAccepted, "Accepted"},
    {BookingStatus::kRejected, "Rejected"},
    {BookingStatus::kConfirmed, "Confirmed"},
    {BookingStatus::kCancelled, "Cancelled"},
}};

constexpr std::array<std::pair<CancelledBy, std::string_view>, 2> kCancelledByNames{{
    {CancelledBy::kClient, "Client"},
    {CancelledBy::kCandidate, "Candidate"},
}};

constexpr std::array<std::pair<RejectionKind, std::string_view>, 3> kRejectionKindNames{{
    {RejectionKind::kCandidate, "Candidate"},
    {RejectionKind::kLapsed, "Lapsed"},
    {RejectionKind::kReInvited, "ReInvited"},
}};

template <typename Enum, std::size_t N>
constexpr std::string_view NameOf(const std::array<std::pair<Enum, std::string_view>, N>& names, Enum value) {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) return name;
  }
  return {};
}

template <typename Enum, std::size_t N>
constexpr std::optional<Enum> ValueNamed(const std::array<std::pair<Enum, std::string_view>, N>& names,
                                         std::string_view name) {
  for (const auto& [value, candidate] : names) {
    if (candidate == name) return value;
  }
  return std::nullopt;
}

}  // namespace

std::string_view StatusName(BookingStatus status) { return NameOf(kStatusNames, status); }

std::optional<BookingStatus> ParseStatus(std::string_view name) { return ValueNamed(kStatusNames, name); }

std::string_view CancelledByName(CancelledBy who) { return NameOf(kCancelledByNames, who); }

std::optional<CancelledBy> ParseCancelledBy(std::string_view name) { return ValueNamed(kCancelledByNames, name); }

std::string_view RejectionKindName(RejectionKind kind) { return NameOf(kRejectionKindNames, kind); }

std::optional<RejectionKind> ParseRejectionKind(std::string_view name) { return ValueNamed(kRejectionKindNames, name); }

}  // namespace phonechat
