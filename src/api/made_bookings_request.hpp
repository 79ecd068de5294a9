// The parameters of a MadeBookings request, parsed and validated into one request or one error naming every fault.
#pragma once

#include <optional>

#include "api/query_parameters.hpp"
#include "core/error.hpp"
#include "core/result.hpp"
#include "domain/made_bookings_query.hpp"

namespace phonechat {

// The validated parameters of a MadeBookings request; `member_user_id` only on the group route.
struct MadeBookingsRequest {
  MadeBookingsQuery query;  // client_user_id is left 0: the caller fills in whose list it is
  std::optional<UserId> member_user_id;
};

// Validates StartDate, OrderBy, BookingsPerPage, PageNumber (and the required UserID when `group_route`)
// per docs/api.md, "Parameters" and "Group managers"; every violation is reported at once in one kInvalidRequest error.
Result<MadeBookingsRequest> ParseMadeBookingsRequest(const QueryParameters& parameters, bool group_route);

// The required identifier parameter `name` (1..2147483647); records what is wrong in `errors` and returns nullopt.
std::optional<std::int32_t> RequiredIdParameter(const QueryParameters& parameters, std::string_view name,
                                                ModelState& errors);

// A plain decimal integer in [min, max] (digits only: no sign, space, exponent or hex), else nullopt.
std::optional<std::int64_t> ParseBoundedInteger(std::string_view text, std::int64_t min, std::int64_t max);

}  // namespace phonechat
