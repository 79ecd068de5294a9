// Validation of a MadeBookings query string (docs/api.md, "Parameters" and "Group managers").

#include "api/made_bookings_request.hpp"

#include <charconv>
#include <string>

namespace phonechat {
namespace {

// The single value of a parameter, or nullopt when absent; a malformed or repeated one is recorded.
std::optional<std::string_view> SingleValue(const QueryParameters& parameters, std::string_view name,
                                            ModelState& errors) {
  const QueryParameter* parameter = parameters.Find(AsciiLower(name));
  if (parameter == nullptr) return std::nullopt;
  if (parameter->malformed) {
    errors.Add(name, std::string(name) + " is not valid percent-encoded text.");
    return std::nullopt;
  }
  if (parameter->values.size() > 1) {
    errors.Add(name, std::string(name) + " was given more than once.");
    return std::nullopt;
  }
  if (parameter->values.empty()) return std::nullopt;
  return parameter->values.front();
}

std::string OrderByRule() {
  std::string rule = "OrderBy must be one of: ";
  for (std::size_t i = 0; i < kBookingOrders.size(); ++i) {
    if (i > 0) rule += ", ";
    rule += kBookingOrders[i].name;
  }
  return rule + ".";
}

}  // namespace

std::optional<std::int64_t> ParseBoundedInteger(std::string_view text, std::int64_t min, std::int64_t max) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < min || value > max) return std::nullopt;
  return value;
}

std::optional<std::int32_t> RequiredIdParameter(const QueryParameters& parameters, std::string_view name,
                                                ModelState& errors) {
  const QueryParameter* given = parameters.Find(AsciiLower(name));
  if (auto text = SingleValue(parameters, name, errors)) {
    if (auto value = ParseBoundedInteger(*text, 1, kMaxId)) return static_cast<std::int32_t>(*value);
    errors.Add(name, std::string(name) + " must be an integer between 1 and 2147483647.");
  } else if (given == nullptr || (!given->malformed && given->values.empty())) {
    errors.Add(name, "The " + std::string(name) + " field is required.");
  }
  return std::nullopt;
}

Result<MadeBookingsRequest> ParseMadeBookingsRequest(const QueryParameters& parameters, bool group_route) {
  MadeBookingsRequest request;
  MadeBookingsQuery& query = request.query;
  ModelState errors;

  if (auto text = SingleValue(parameters, "StartDate", errors)) {
    query.created_from = ParseLocalDay(*text);
    if (!query.created_from)
      errors.Add("StartDate", "StartDate must be a real calendar date in the format yyyy-mm-dd.");
  }
  if (auto text = SingleValue(parameters, "OrderBy", errors)) {
    if (const auto order = BookingOrder::Find(AsciiLower(*text))) {
      query.order = *order;
    } else {
      errors.Add("OrderBy", OrderByRule());
    }
  }
  if (auto text = SingleValue(parameters, "BookingsPerPage", errors)) {
    if (auto value = ParseBoundedInteger(*text, 1, kMaxBookingsPerPage)) {
      query.bookings_per_page = static_cast<std::int32_t>(*value);
    } else {
      errors.Add("BookingsPerPage", "BookingsPerPage must be an integer between 1 and 100.");
    }
  }
  if (auto text = SingleValue(parameters, "PageNumber", errors)) {
    if (auto value = ParseBoundedInteger(*text, 1, kMaxId)) {
      query.page_number = static_cast<std::int32_t>(*value);
    } else {
      errors.Add("PageNumber", "PageNumber must be an integer between 1 and 2147483647.");
    }
  }
  if (group_route) request.member_user_id = RequiredIdParameter(parameters, "UserID", errors);

  if (!errors.Empty()) return std::move(errors).ToError();
  return request;
}

}  // namespace phonechat
