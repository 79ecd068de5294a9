#pragma once

// The sandbox's demo data and its fixed identities (the demo client, manager, projects and password).

#include <string>

#include "domain/booking.hpp"
#include "domain/local_date_time.hpp"

namespace phonechat {

// The sandbox's fixed identities, printed when the sandbox starts.
inline constexpr UserId kDemoClientUserId = 2001;
inline constexpr UserId kDemoManagerUserId = 9001;
inline constexpr const char* kDemoClientId = "demo-app";
inline constexpr const char* kDemoApiKey = "demo-api-key";
inline constexpr const char* kDemoClientSecret = "demo-secret";
inline constexpr const char* kDemoClientNickname = "DemoClient";
inline constexpr const char* kDemoManagerNickname = "DemoManager";
// The candidates that walk the booking life cycle in the sandbox, each signing in with kDemoPassword: one with a
// PhoneChat number it shows (and DirectChat), one without a number, one with Skype only; each has a Pending booking
// of the demo client to accept.
inline constexpr UserId kDemoCandidateUserId = 1014;
inline constexpr UserId kDemoNoNumberCandidateUserId = 1015;
inline constexpr UserId kDemoSkypeCandidateUserId = 1016;
inline constexpr const char* kDemoCandidateNickname = "DemoCandidate";
// The credits the demo client starts with (a Credit record).
inline constexpr const char* kDemoClientCredits = "500";
// Every demo user's password: sandbox credentials, published in the banner and the README.
inline constexpr const char* kDemoPassword = "demo-password";
// The public project (no client secret: PKCE required) of the sandbox's demo page `/demo`; the server sets its
// redirect URIs to `<its own address>/demo/callback` when it starts.
inline constexpr const char* kSandboxDemoClientId = "sandbox-demo";
inline constexpr const char* kSandboxDemoApiKey = "sandbox-demo-api-key";

// The sandbox data set in the import format (docs/import-format.md): several clients and candidates (every
// candidate offering PhoneChat), a group with a manager, a demo project, the demo page's
// public project, the demo client's credits, a few hundred bookings covering every status, method and order edge,
// and Pending bookings for the life-cycle candidates to accept, with dates placed around `now` so that every
// read-time rule shows.
// Deterministic for a given `now`.
std::string DemoDataJsonLines(LocalDateTime now);

}  // namespace phonechat
