// The route table: every route the server answers, with how it authenticates and the scope it needs. The router
// dispatches from it and `phonechat-api routes` prints it (the authorization matrix test is generated from that).
#pragma once

#include <array>
#include <string_view>

#include "api/lifecycle_routes.hpp"
#include "api/router.hpp"

namespace phonechat {

// What the router does with a matched route; kLifecycle routes say which operation in Route::operation.
enum class RouteAction {
  kMadeBookings,
  kGroupMadeBookings,
  kVerifyCredentials,
  kGetPermissions,
  kAuthorizeGet,
  kAuthorizePost,
  kToken,
  kRevoke,
  kMetadata,
  kGrantsGet,
  kGrantsPost,
  kLogout,
  kDemoPage,
  kDemoScript,
  kLifecycle,  // a route of the booking life cycle: `operation` says which
};

// How a route establishes who is asking.
enum class RouteAuth {
  kNone,    // the handler deals with it (login session, client credentials) or the route is public
  kBearer,  // the generic step: bearer token (and API key) -> Principal, then the route's scope
};

// One row of the table: method, path (matched ignoring ASCII case and one trailing `/`), authentication, the scope
// a bearer route needs (empty: any valid token), action. 404 and 405 with Allow are derived from the table.
struct Route {
  std::string_view method;
  std::string_view path;
  RouteAuth auth;
  std::string_view scope;
  RouteAction action;
  LifecycleOperation operation = LifecycleOperation::kRequirements;  // kLifecycle only
  bool group = false;  // the /v1/Groups/... variant, which acts for a member of a group the caller manages
};

// A life-cycle route: bearer-authenticated with `scope`.
constexpr Route Lifecycle(std::string_view method, std::string_view path, LifecycleOperation operation,
                          bool group = false, std::string_view scope = kPhoneChatBookingsScope) {
  return Route{method, path, RouteAuth::kBearer, scope, RouteAction::kLifecycle, operation, group};
}

// Every route, in the order the router tries them (docs/api.md, "Routes").
inline constexpr std::array kRoutes{
    Route{"GET", "/v1/PhoneChat/MadeBookings", RouteAuth::kBearer, kPhoneChatBookingsScope, RouteAction::kMadeBookings},
    Route{"GET", "/v1/Groups/PhoneChat/MadeBookings", RouteAuth::kBearer, kPhoneChatBookingsScope,
          RouteAction::kGroupMadeBookings, LifecycleOperation::kRequirements, true},
    Lifecycle("GET", "/v1/PhoneChat/GetUserBookingRequirements", LifecycleOperation::kRequirements),
    Lifecycle("POST", "/v1/PhoneChat/CreateBooking", LifecycleOperation::kCreateBooking),
    Lifecycle("GET", "/v1/PhoneChat/MadeBookingDetails", LifecycleOperation::kMadeBookingDetails),
    Lifecycle("GET", "/v1/Groups/PhoneChat/MadeBookingDetails", LifecycleOperation::kMadeBookingDetails, true),
    Lifecycle("POST", "/v1/PhoneChat/ConfirmMadeBooking", LifecycleOperation::kConfirmMadeBooking),
    Lifecycle("POST", "/v1/PhoneChat/CancelMadeBooking", LifecycleOperation::kCancelMadeBooking),
    Lifecycle("POST", "/v1/PhoneChat/RescheduleMadeBooking", LifecycleOperation::kRescheduleMadeBooking),
    Lifecycle("POST", "/v1/PhoneChat/DeleteMadeBookings", LifecycleOperation::kDeleteMadeBookings),
    Lifecycle("GET", "/v1/PhoneChat/ReceivedBookings", LifecycleOperation::kReceivedBookings),
    Lifecycle("GET", "/v1/Groups/PhoneChat/ReceivedBookings", LifecycleOperation::kReceivedBookings, true),
    Lifecycle("GET", "/v1/PhoneChat/ReceivedBookingDetails", LifecycleOperation::kReceivedBookingDetails),
    Lifecycle("GET", "/v1/Groups/PhoneChat/ReceivedBookingDetails", LifecycleOperation::kReceivedBookingDetails, true),
    Lifecycle("POST", "/v1/PhoneChat/AcceptReceivedBooking", LifecycleOperation::kAcceptReceivedBooking),
    Lifecycle("POST", "/v1/PhoneChat/RejectReceivedBooking", LifecycleOperation::kRejectReceivedBooking),
    Lifecycle("POST", "/v1/PhoneChat/CancelReceivedBooking", LifecycleOperation::kCancelReceivedBooking),
    Lifecycle("POST", "/v1/PhoneChat/ReInvite", LifecycleOperation::kReInvite),
    Lifecycle("POST", "/v1/PhoneChat/DeleteReceivedBooking", LifecycleOperation::kDeleteReceivedBookings),
    Lifecycle("POST", "/v1/PhoneChat/DeleteReceivedBookings", LifecycleOperation::kDeleteReceivedBookings),
    Lifecycle("GET", "/v1/PhoneChat/GetSettings", LifecycleOperation::kGetSettings),
    Lifecycle("GET", "/v1/Groups/PhoneChat/GetSettings", LifecycleOperation::kGetSettings, true),
    Lifecycle("POST", "/v1/PhoneChat/SaveSettings", LifecycleOperation::kSaveSettings),
    Lifecycle("POST", "/v1/Groups/PhoneChat/SaveSettings", LifecycleOperation::kSaveSettings, true),
    Lifecycle("GET", "/v1/CreditHistory/GetCurrentCreditBalance", LifecycleOperation::kCreditBalance, false,
              kCreditsHistoryScope),
    Route{"GET", "/v1/Account/VerifyCredentials", RouteAuth::kBearer, {}, RouteAction::kVerifyCredentials},
    Route{"GET", "/v1/Account/GetPermissions", RouteAuth::kBearer, {}, RouteAction::kGetPermissions},
    Route{"GET", "/OAuth/Authorize", RouteAuth::kNone, {}, RouteAction::kAuthorizeGet},
    Route{"POST", "/OAuth/Authorize", RouteAuth::kNone, {}, RouteAction::kAuthorizePost},
    Route{"POST", "/OAuth/token", RouteAuth::kNone, {}, RouteAction::kToken},
    Route{"POST", "/OAuth/revoke", RouteAuth::kNone, {}, RouteAction::kRevoke},
    Route{"GET", "/.well-known/oauth-authorization-server", RouteAuth::kNone, {}, RouteAction::kMetadata},
    Route{"GET", "/OAuth/Grants", RouteAuth::kNone, {}, RouteAction::kGrantsGet},
    Route{"POST", "/OAuth/Grants", RouteAuth::kNone, {}, RouteAction::kGrantsPost},
    Route{"POST", "/OAuth/Logout", RouteAuth::kNone, {}, RouteAction::kLogout},
    Route{"GET", "/demo", RouteAuth::kNone, {}, RouteAction::kDemoPage},
    Route{"GET", "/demo/callback", RouteAuth::kNone, {}, RouteAction::kDemoPage},
    Route{"GET", "/demo/app.js", RouteAuth::kNone, {}, RouteAction::kDemoScript},
};

}  // namespace phonechat
