#pragma once

// The booking life cycle's routes (docs/lifecycle.md): each parses its query or body, calls the
// service inside one life-cycle transaction where it writes, and renders the answer.

#include <optional>
#include <string_view>

#include "api/content_negotiation.hpp"
#include "api/query_parameters.hpp"
#include "domain/local_date_time.hpp"
#include "domain/principal.hpp"
#include "http/server.hpp"
#include "storage/lifecycle_runner.hpp"
#include "storage/store.hpp"

namespace phonechat {

// The operations behind the life-cycle routes; a group variant is the same operation with `group` set.
enum class LifecycleOperation {
  kRequirements,
  kCreateBooking,
  kMadeBookingDetails,
  kConfirmMadeBooking,
  kCancelMadeBooking,
  kRescheduleMadeBooking,
  kDeleteMadeBookings,
  kReceivedBookings,
  kReceivedBookingDetails,
  kAcceptReceivedBooking,
  kRejectReceivedBooking,
  kCancelReceivedBooking,
  kReInvite,
  kDeleteReceivedBookings,
  kGetSettings,
  kSaveSettings,
  kCreditBalance,
};

// One authenticated, authorised request to a life-cycle route.
struct LifecycleCall {
  LifecycleOperation operation = LifecycleOperation::kRequirements;
  bool group = false;      // the /v1/Groups/... variant
  std::string_view route;  // the route's path as in the route table (audit log, Idempotency-Key scope)
  const http::Request* request = nullptr;
  const QueryParameters* parameters = nullptr;
  const Principal* principal = nullptr;
  StoreSession* session = nullptr;  // the primary's session: reads, group checks
  LifecycleRunner* runner = nullptr;  // the primary's life-cycle transactions
  const ServiceZone* zone = nullptr;
  LocalDateTime now;  // read once per request, before validation
  NegotiatedFormat format;
  std::optional<UserId>* acting_as = nullptr;  // set to the member a group request acts for (access log)
};

// Answers `call`. Throws what storage throws (StoreUnavailable); every expected failure is rendered.
http::Response HandleLifecycle(const LifecycleCall& call);

}  // namespace phonechat
