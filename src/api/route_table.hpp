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
  kOpenApiJson,
  kOpenApiYaml,
  kDocsPage,
  kDocsScript,
  kDocsStyle,
  kDocsBundle,
  kDocsRedirectPage,
  kDocsRedirectScript,
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
  std::string_view query;  // the query parameters the route reads, space-separated (docs/openapi.yaml describes each)
  std::string_view body;   // the members of its JSON body or the fields of its form, space-separated
};

// The query parameters of a list, and of its group variant.
inline constexpr std::string_view kListQuery = "StartDate OrderBy BookingsPerPage PageNumber";
inline constexpr std::string_view kGroupListQuery = "StartDate OrderBy BookingsPerPage PageNumber UserID";
inline constexpr std::string_view kAuthorizeQuery =
    "response_type client_id redirect_uri scope state code_challenge code_challenge_method";
inline constexpr std::string_view kLoginForm = "csrf action login password";

// A life-cycle route: bearer-authenticated with `scope`.
constexpr Route Lifecycle(std::string_view method, std::string_view path, LifecycleOperation operation, bool group,
                          std::string_view query, std::string_view body = {},
                          std::string_view scope = kPhoneChatBookingsScope) {
  return Route{method, path, RouteAuth::kBearer, scope, RouteAction::kLifecycle, operation, group, query, body};
}

// An open route (RouteAuth::kNone) with the parameters it reads.
constexpr Route Open(std::string_view method, std::string_view path, RouteAction action, std::string_view query = {},
                     std::string_view body = {}) {
  return Route{method, path, RouteAuth::kNone, {}, action, LifecycleOperation::kRequirements, false, query, body};
}

// Every route, in the order the router tries them (docs/api.md, "Routes").
inline constexpr std::array kRoutes{
    Route{"GET", "/v1/PhoneChat/MadeBookings", RouteAuth::kBearer, kPhoneChatBookingsScope, RouteAction::kMadeBookings,
          LifecycleOperation::kRequirements, false, kListQuery, {}},
    Route{"GET", "/v1/Groups/PhoneChat/MadeBookings", RouteAuth::kBearer, kPhoneChatBookingsScope,
          RouteAction::kGroupMadeBookings, LifecycleOperation::kRequirements, true, kGroupListQuery, {}},
    Lifecycle("GET", "/v1/PhoneChat/GetUserBookingRequirements", LifecycleOperation::kRequirements, false, "BookUserID"),
    Lifecycle("POST", "/v1/PhoneChat/CreateBooking", LifecycleOperation::kCreateBooking, false, {},
              "BookUserID SessionDate Duration Method PhoneNumber SkypeName Credits AcceptBy Comments"),
    Lifecycle("GET", "/v1/PhoneChat/MadeBookingDetails", LifecycleOperation::kMadeBookingDetails, false, "BookingID"),
    Lifecycle("GET", "/v1/Groups/PhoneChat/MadeBookingDetails", LifecycleOperation::kMadeBookingDetails, true,
              "BookingID UserID"),
    Lifecycle("POST", "/v1/PhoneChat/ConfirmMadeBooking", LifecycleOperation::kConfirmMadeBooking, false, {},
              "BookingID"),
    Lifecycle("POST", "/v1/PhoneChat/CancelMadeBooking", LifecycleOperation::kCancelMadeBooking, false, {},
              "BookingID Reason"),
    Lifecycle("POST", "/v1/PhoneChat/RescheduleMadeBooking", LifecycleOperation::kRescheduleMadeBooking, false, {},
              "BookingID"),
    Lifecycle("POST", "/v1/PhoneChat/DeleteMadeBookings", LifecycleOperation::kDeleteMadeBookings, false, {},
              "BookingIDs"),
    Lifecycle("GET", "/v1/PhoneChat/ReceivedBookings", LifecycleOperation::kReceivedBookings, false, kListQuery),
    Lifecycle("GET", "/v1/Groups/PhoneChat/ReceivedBookings", LifecycleOperation::kReceivedBookings, true,
              kGroupListQuery),
    Lifecycle("GET", "/v1/PhoneChat/ReceivedBookingDetails", LifecycleOperation::kReceivedBookingDetails, false,
              "BookingID"),
    Lifecycle("GET", "/v1/Groups/PhoneChat/ReceivedBookingDetails", LifecycleOperation::kReceivedBookingDetails, true,
              "BookingID UserID"),
    Lifecycle("POST", "/v1/PhoneChat/AcceptReceivedBooking", LifecycleOperation::kAcceptReceivedBooking, false, {},
              "BookingID Credits"),
    Lifecycle("POST", "/v1/PhoneChat/RejectReceivedBooking", LifecycleOperation::kRejectReceivedBooking, false, {},
              "BookingID Reason"),
    Lifecycle("POST", "/v1/PhoneChat/CancelReceivedBooking", LifecycleOperation::kCancelReceivedBooking, false, {},
              "BookingID Reason"),
    Lifecycle("POST", "/v1/PhoneChat/ReInvite", LifecycleOperation::kReInvite, false, {}, "BookingID Reason"),
    Lifecycle("POST", "/v1/PhoneChat/DeleteReceivedBooking", LifecycleOperation::kDeleteReceivedBookings, false, {},
              "BookingIDs"),
    Lifecycle("POST", "/v1/PhoneChat/DeleteReceivedBookings", LifecycleOperation::kDeleteReceivedBookings, false, {},
              "BookingIDs"),
    Lifecycle("GET", "/v1/PhoneChat/GetSettings", LifecycleOperation::kGetSettings, false, {}),
    Lifecycle("GET", "/v1/Groups/PhoneChat/GetSettings", LifecycleOperation::kGetSettings, true, "UserID"),
    Lifecycle("POST", "/v1/PhoneChat/SaveSettings", LifecycleOperation::kSaveSettings, false, {},
              "OfferDirectChat DirectChat PhoneChatNumber PhoneChatPPM"),
    Lifecycle("POST", "/v1/Groups/PhoneChat/SaveSettings", LifecycleOperation::kSaveSettings, true, {},
              "UserID OfferDirectChat DirectChat PhoneChatNumber PhoneChatPPM"),
    Lifecycle("GET", "/v1/CreditHistory/GetCurrentCreditBalance", LifecycleOperation::kCreditBalance, false, {}, {},
              kCreditsHistoryScope),
    Route{"GET", "/v1/Account/VerifyCredentials", RouteAuth::kBearer, {}, RouteAction::kVerifyCredentials,
          LifecycleOperation::kRequirements, false, {}, {}},
    Route{"GET", "/v1/Account/GetPermissions", RouteAuth::kBearer, {}, RouteAction::kGetPermissions,
          LifecycleOperation::kRequirements, false, {}, {}},
    Open("GET", "/OAuth/Authorize", RouteAction::kAuthorizeGet, kAuthorizeQuery),
    Open("POST", "/OAuth/Authorize", RouteAction::kAuthorizePost, kAuthorizeQuery, kLoginForm),
    Open("POST", "/OAuth/token", RouteAction::kToken, {},
         "grant_type code redirect_uri code_verifier refresh_token client_id client_secret"),
    Open("POST", "/OAuth/revoke", RouteAction::kRevoke, {}, "token token_type_hint client_id client_secret"),
    Open("GET", "/.well-known/oauth-authorization-server", RouteAction::kMetadata),
    Open("GET", "/OAuth/Grants", RouteAction::kGrantsGet),
    Open("POST", "/OAuth/Grants", RouteAction::kGrantsPost, {}, "csrf action login password project_id"),
    Open("POST", "/OAuth/Logout", RouteAction::kLogout, {}, "csrf"),
    Open("GET", "/demo", RouteAction::kDemoPage),
    Open("GET", "/demo/callback", RouteAction::kDemoPage),
    Open("GET", "/demo/app.js", RouteAction::kDemoScript),
    Open("GET", "/openapi.json", RouteAction::kOpenApiJson),
    Open("GET", "/openapi.yaml", RouteAction::kOpenApiYaml),
    Open("GET", "/docs", RouteAction::kDocsPage),
    Open("GET", "/docs/docs.js", RouteAction::kDocsScript),
    Open("GET", "/docs/swagger-ui.css", RouteAction::kDocsStyle),
    Open("GET", "/docs/swagger-ui-bundle.js", RouteAction::kDocsBundle),
    Open("GET", "/docs/oauth2-redirect.html", RouteAction::kDocsRedirectPage),
    Open("GET", "/docs/oauth2-redirect.js", RouteAction::kDocsRedirectScript),
};

}  // namespace phonechat
