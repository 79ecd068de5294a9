// Fuzzes a MadeBookings request's query string: QueryParameters::Parse, then the binding of both the client's
// route and the group route (ParseMadeBookingsRequest). A bound request must hold only values its rules allow.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "api/made_bookings_request.hpp"
#include "api/query_parameters.hpp"
#include "split_input.hpp"

namespace {

void Bind(const phonechat::QueryParameters& parameters, bool group_route) {
  const auto bound = phonechat::ParseMadeBookingsRequest(parameters, group_route);
  if (bound) {
    // Only the group route names a member, and it always must.
    if (bound->member_user_id.has_value() != group_route) std::abort();
    if (bound->member_user_id && *bound->member_user_id <= 0) std::abort();
  } else if (bound.error().code != phonechat::ErrorCode::kInvalidRequest) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const phonechat::QueryParameters parameters = phonechat::QueryParameters::Parse(phonechat::fuzz::AsText(data, size));
  Bind(parameters, false);
  Bind(parameters, true);
  return 0;
}
