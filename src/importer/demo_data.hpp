#pragma once

#include <string>

#include "domain/booking.hpp"
#include "domain/local_date_time.hpp"

namespace phonechat {

// The sandbox's fixed identities, printed when the sandbox starts.
inline constexpr UserId kDemoClientUserId = 2001;
inline constexpr UserId kDemoManagerUserId = 9001;
inline constexpr const char* kDemoClientId = "demo-app";
inline constexpr const char* kDemoApiKey = "demo-api-key";

// The sandbox data set in the import format (data-import.md): several clients and candidates, a group
// with a manager, a demo project, and a few hundred bookings covering every status, method and order edge,
// with dates placed around `now` so that every read-time rule shows. Deterministic for a given `now`.
std::string DemoDataJsonLines(LocalDateTime now);

}  // namespace phonechat
