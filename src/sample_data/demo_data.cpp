// The sandbox's demo data: fixed users, groups and projects, hand-placed bookings for every status, method and
// order edge, and fixed-seed random ones, with dates placed around the time the sandbox starts.
#include "sample_data/demo_data.hpp"

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sample_data/split_mix64.hpp"

namespace phonechat {

namespace {

constexpr std::int64_t kSecond = 1000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;

// The random bookings' fixed seed: the demo data depends on `now` alone.
constexpr std::uint64_t kRandomBookingsSeed = 20180120;

struct DemoUser {
  UserId id;
  const char* nickname;
  const char* password;
  const char* phonechat_number;
  const char* skype_name;
  int positive;
  int neutral;
  int negative;
  int disputes;
};

// Candidates first: nicknames that tie when folded, one starting with `_` (between the upper- and lower-case
// letters in byte order), non-ASCII ones (after every ASCII letter), one full of markup, one of 20 characters.
constexpr std::array<DemoUser, 13> kCandidates{{
    {1001, "anna", nullptr, "+447700900101", nullptr, 12, 1, 0, 0},
    {1002, "Anna", nullptr, "+447700900102", "anna.two", 3, 0, 2, 1},
    {1003, "ANNA", nullptr, "+447700900103", nullptr, 0, 0, 0, 0},
    {1004, "_Shadow", nullptr, "+447700900104", "shadow.live", 40, 5, 3, 0},
    {1005, "Zoë", nullptr, "+447700900105", "zoe.skype", 8, 2, 0, 0},
    {1006, "<b>&Co</b>", nullptr, "+447700900106", "amp&co", 1, 1, 1, 1},
    {1007, "BookedUser", nullptr, "+447700900123", "booked.user", 7, 0, 1, 0},
    {1008, "zed", nullptr, "+447700900108", nullptr, 25, 0, 0, 2},
    {1009, "Émile", nullptr, "+447700900109", "emile", 5, 1, 0, 0},
    {1010, "Mia-Rose", nullptr, "+447700900110", "mia.rose", 99, 3, 4, 0},
    {1011, "mia_rose", nullptr, "+447700900111", nullptr, 2, 0, 0, 0},
    {1012, "TwentyCharacterNick1", nullptr, "+447700900112", "twenty", 0, 1, 0, 0},
    {1013, "Quote\"Slash\\", nullptr, "+447700900113", nullptr, 6, 0, 6, 3},
}};

// A candidate's PhoneChat settings; every demo candidate offers PhoneChat.
struct DemoSettings {
  const char* phonechat_ppm;  // nullptr: no price set
  bool show_phonechat_number;
  const char* direct_chat_ppm;  // nullptr: no DirectChat
  bool direct_chat_only;
};

// The settings of kCandidates, in the same order.
constexpr std::array<DemoSettings, kCandidates.size()> kCandidateSettings{{
    {"0.5", true, nullptr, false},
    {"0.75", false, nullptr, false},
    {nullptr, false, nullptr, false},
    {"1.2", true, "2", false},
    {"0.4", true, nullptr, false},
    {"0.3", false, nullptr, false},
    {"0.5", true, nullptr, false},
    {"2.5", false, "3.5", true},
    {"0.6", true, nullptr, false},
    {"0.45", true, nullptr, false},
    {"0.2", false, nullptr, false},
    {"0.35", true, nullptr, false},
    {"0.25", false, nullptr, false},
}};

// The life-cycle candidates, who sign in with the demo password (a password costs an Argon2id hash at every sandbox
// start, so only they have one): a shown PhoneChat number (and DirectChat), no number, Skype only.
constexpr std::array<DemoUser, 3> kLifecycleCandidates{{
    {kDemoCandidateUserId, kDemoCandidateNickname, kDemoPassword, "+447700900114", nullptr, 4, 0, 0, 0},
    {kDemoNoNumberCandidateUserId, "DemoNoNumber", kDemoPassword, nullptr, nullptr, 2, 1, 0, 0},
    {kDemoSkypeCandidateUserId, "DemoSkype", kDemoPassword, nullptr, "live:demo.skype", 9, 0, 1, 0},
}};
constexpr std::array<DemoSettings, kLifecycleCandidates.size()> kLifecycleSettings{{
    {"0.5", true, "1", false},
    {"0.4", false, nullptr, false},
    {"0.6", false, nullptr, false},
}};

constexpr std::array<DemoUser, 7> kOthers{{
    {kDemoClientUserId, kDemoClientNickname, kDemoPassword, nullptr, nullptr, 0, 0, 0, 0},
    {2002, "SecondClient", kDemoPassword, nullptr, nullptr, 0, 0, 0, 0},
    {2003, "ThirdClient", kDemoPassword, nullptr, nullptr, 0, 0, 0, 0},
    {2004, "FourthClient", nullptr, nullptr, nullptr, 0, 0, 0, 0},
    {2005, "NewClient", kDemoPassword, nullptr, nullptr, 0, 0, 0, 0},
    {kDemoManagerUserId, kDemoManagerNickname, kDemoPassword, nullptr, nullptr, 0, 0, 0, 0},
    {9002, "OtherManager", kDemoPassword, nullptr, nullptr, 0, 0, 0, 0},
}};

boost::json::value Text(const char* text) { return text == nullptr ? boost::json::value(nullptr) : text; }

boost::json::value Text(const std::optional<std::string>& text) {
  return text ? boost::json::value(*text) : boost::json::value(nullptr);
}

boost::json::value Date(std::int64_t millis) { return boost::json::value(FormatLocalDateTime(LocalDateTime{millis})); }

boost::json::value Date(const std::optional<std::int64_t>& millis) {
  return millis ? Date(*millis) : boost::json::value(nullptr);
}

// One booking of the demo set, in offsets and plain values; Complete() fills the dates its status implies.
struct DemoBooking {
  UserId client = kDemoClientUserId;
  UserId candidate = 1007;
  int duration = 15;
  std::string credits = "8";
  std::string status = "Pending";
  int method = 2;
  std::int64_t create = 0;
  std::int64_t accept_by = 0;
  std::int64_t session = 0;
  std::optional<std::int64_t> accepted;
  std::optional<std::int64_t> confirmed;
  std::optional<std::int64_t> cancelled;
  std::optional<std::string> cancelled_reason;
  std::optional<std::string> cancelled_by;
  std::optional<std::string> rejected_reason;
  std::optional<std::string> comments;
  bool deleted = false;
  bool no_last_updated = false;
};

class DemoWriter {
 public:
  explicit DemoWriter(LocalDateTime now) : now_(now.millis) {}

  void Line(const boost::json::object& record) {
    out_ += boost::json::serialize(record);
    out_ += '\n';
  }

  // A user; a candidate with `settings`, offering PhoneChat.
  void User(const DemoUser& user, const DemoSettings* settings = nullptr) {
    boost::json::object record{{"Kind", "User"},
                               {"UserID", user.id},
                               {"Nickname", user.nickname},
                               {"Password", Text(user.password)},
                               {"EmailAddress", nullptr},
                               {"PhoneChatNumber", Text(user.phonechat_number)},
                               {"SkypeName", Text(user.skype_name)},
                               {"Positive", user.positive},
                               {"Neutral", user.neutral},
                               {"Negative", user.negative},
                               {"Disputes", user.disputes}};
    if (settings != nullptr) {
      record["OffersPhoneChat"] = true;
      record["PhoneChatPPM"] = Text(settings->phonechat_ppm);
      record["ShowPhoneChatNumber"] = settings->show_phonechat_number;
      if (settings->direct_chat_ppm != nullptr) {
        record["OfferDirectChat"] = true;
        record["DirectChatPPM"] = settings->direct_chat_ppm;
        record["DirectChatOnly"] = settings->direct_chat_only;
      }
    }
    Line(record);
  }

  // Sets the dates `b.status` implies (never later than now), then writes the record with the next ID.
  void Booking(DemoBooking b) {
    const auto event = [&](std::int64_t wanted) { return std::clamp(wanted, b.create, std::max(b.create, now_)); };
    const bool was_accepted = b.status == "Accepted" || b.status == "Confirmed" || b.status == "Cancelled";
    if (was_accepted && !b.accepted) b.accepted = event(std::min(b.create + kHour, b.accept_by));
    if (b.status == "Confirmed" && !b.confirmed) b.confirmed = event(std::min(*b.accepted + 30 * kMinute, b.session));
    if (b.status == "Cancelled") {
      if (!b.cancelled) b.cancelled = event(*b.accepted + 2 * kHour);
      if (!b.cancelled_by) b.cancelled_by = "Client";
    }
    if (b.status == "Rejected" && !b.rejected_reason) b.rejected_reason = "Not available then";
    std::int64_t latest = b.create;
    for (const auto& date : {b.accepted, b.confirmed, b.cancelled}) {
      if (date) latest = std::max(latest, *date);
    }
    const auto last_updated = b.no_last_updated ? boost::json::value(nullptr) : Date(latest);
    const int id = ++last_booking_id_;
    Line({{"Kind", "Booking"},
          {"BookingID", id},
          {"ClientUserID", b.client},
          {"CandidateUserID", b.candidate},
          {"Duration", b.duration},
          {"Credits", b.credits},
          {"Status", b.status},
          {"Method", b.method},
          {"PhoneNumber", b.method == 1 ? boost::json::value("+44770090" + std::to_string(4000 + b.client))
                                        : boost::json::value(nullptr)},
          {"SkypeName",
           b.method == 3 ? boost::json::value("live:client" + std::to_string(b.client)) : boost::json::value(nullptr)},
          {"CreateDate", Date(b.create)},
          {"SessionDate", Date(b.session)},
          {"AcceptBy", Date(b.accept_by)},
          {"AcceptedDate", Date(b.accepted)},
          {"ConfirmedDate", Date(b.confirmed)},
          {"CancelledDate", Date(b.cancelled)},
          {"CancelledReason", Text(b.cancelled_reason)},
          {"CancelledBy", Text(b.cancelled_by)},
          {"RejectedReason", Text(b.rejected_reason)},
          {"LastUpdated", last_updated},
          {"Comments", Text(b.comments)},
          {"DeletedByClient", b.deleted}});
  }

  [[nodiscard]] std::int64_t Now() const { return now_; }
  [[nodiscard]] int LastBookingId() const { return last_booking_id_; }
  std::string Take() { return std::move(out_); }

 private:
  std::int64_t now_;
  int last_booking_id_ = 0;
  std::string out_;
};

// A booking for `candidate` created `create_ago` before now, with AcceptBy and SessionDate relative to now.
DemoBooking Booked(std::int64_t now, UserId candidate, std::string status, int method, std::int64_t create_ago,
                   std::int64_t accept_by_from_now, std::int64_t session_from_now) {
  DemoBooking b;
  b.candidate = candidate;
  b.status = std::move(status);
  b.method = method;
  b.create = now - create_ago;
  b.accept_by = now + accept_by_from_now;
  b.session = now + session_from_now;
  return b;
}

// The hand-placed bookings of the demo client: every status, method, read-time rule and order edge.
void ScenarioBookings(DemoWriter& out) {
  const std::int64_t now = out.Now();
  const std::int64_t today = now - ((now % kDay) + kDay) % kDay;  // this day's 00:00

  // Pending with AcceptBy ahead: "Waiting for BookedUser to accept the booking".
  out.Booking(Booked(now, 1007, "Pending", 2, 2 * kHour, kDay, 2 * kDay));
  // Pending whose AcceptBy has passed: shown as Rejected (not accepted in time).
  auto late = Booked(now, 1002, "Pending", 1, 3 * kDay, -kDay, kDay);
  late.comments = "Please call me on my mobile.";
  out.Booking(late);
  // Pending with AcceptBy exactly one minute ahead and no LastUpdated.
  auto soon = Booked(now, 1004, "Pending", 3, 30 * kMinute, kMinute, 3 * kHour);
  soon.no_last_updated = true;
  out.Booking(soon);
  // Accepted, session ahead: "You need to confirm the booking".
  out.Booking(Booked(now, 1005, "Accepted", 3, 2 * kDay, kDay, kDay + 2 * kHour));
  // Accepted, session past: no action.
  out.Booking(Booked(now, 1001, "Accepted", 2, 10 * kDay, -8 * kDay, -7 * kDay));
  // Confirmed, session ahead (method 2: the candidate's number shown).
  auto ahead = Booked(now, 1007, "Confirmed", 2, 4 * kDay, kDay, 3 * kDay);
  ahead.credits = "12.25";
  out.Booking(ahead);
  // Confirmed, session in progress (method 3: the candidate's Skype name shown).
  auto running = Booked(now, 1005, "Confirmed", 3, 3 * kDay, -kDay, -10 * kMinute);
  running.duration = 60;
  out.Booking(running);
  // Confirmed, session over: the published sample's shape.
  auto over = Booked(now, 1007, "Confirmed", 2, 6 * kDay, -5 * kDay - 21 * kHour, -5 * kDay);
  over.credits = "8.0000";
  over.create = now - 6 * kDay + 123;  // a CreateDate with milliseconds
  out.Booking(over);
  // Confirmed, method 1: the candidate calls, so no candidate number is shown.
  out.Booking(Booked(now, 1010, "Confirmed", 1, 8 * kDay, -7 * kDay, -6 * kDay));
  // Rejected by the candidate.
  auto rejected = Booked(now, 1008, "Rejected", 2, 5 * kDay, -4 * kDay, -3 * kDay);
  rejected.rejected_reason = "Fully booked that evening, sorry.";
  out.Booking(rejected);
  // Cancelled by each side.
  auto by_client = Booked(now, 1006, "Cancelled", 1, 9 * kDay, -8 * kDay, -7 * kDay);
  by_client.cancelled_by = "Client";
  by_client.cancelled_reason = "Something came up";
  out.Booking(by_client);
  auto by_candidate = Booked(now, 1009, "Cancelled", 3, 12 * kDay, -10 * kDay, -9 * kDay);
  by_candidate.cancelled_by = "Candidate";
  by_candidate.cancelled_reason = "Sorry, I am unwell.";
  out.Booking(by_candidate);
  // Deleted by the client: never listed.
  for (const auto* status : {"Confirmed", "Cancelled", "Pending"}) {
    auto deleted = Booked(now, 1003, status, 2, 15 * kDay, -14 * kDay, -13 * kDay);
    deleted.deleted = true;
    out.Booking(deleted);
  }
  // Equal CreateDates (ties broken by BookingID).
  for (const UserId candidate : {1001, 1002, 1003, 1004}) {
    auto tie = Booked(now, candidate, "Confirmed", 2, 20 * kDay, -19 * kDay, -18 * kDay);
    tie.create = today - 20 * kDay + 12 * kHour + 34 * kMinute + 56 * kSecond + 789;
    out.Booking(tie);
  }
  // CreateDates exactly at a day's 00:00 (StartDate keeps them), and one millisecond before.
  for (const std::int64_t day : {0, 1, 7, 30}) {
    auto midnight = Booked(now, 1012, day == 0 ? "Pending" : "Confirmed", 2, 0, 0, 0);
    midnight.create = today - day * kDay;
    midnight.accept_by = midnight.create + 12 * kHour;
    midnight.session = midnight.create + 20 * kHour;
    out.Booking(midnight);
    auto before = midnight;
    before.create -= 1;
    out.Booking(before);
  }
  // Credits with fractions, and the extreme durations.
  for (const auto* credits : {"0.0001", "1234.5678", "8.5", "0", "99999.9999"}) {
    auto b = Booked(now, 1010, "Confirmed", 2, 25 * kDay, -24 * kDay, -23 * kDay);
    b.credits = credits;
    out.Booking(b);
  }
  auto shortest = Booked(now, 1011, "Confirmed", 2, 26 * kDay, -25 * kDay, -24 * kDay);
  shortest.duration = 1;
  out.Booking(shortest);
  auto longest = Booked(now, 1011, "Confirmed", 3, kDay, kHour, 5 * kDay);
  longest.duration = 1440;
  out.Booking(longest);
  // Text that serializers must escape or drop: markup, a carriage return, a control character, an emoji.
  auto hostile = Booked(now, 1006, "Accepted", 2, 3 * kDay, kDay, 2 * kDay);
  hostile.comments = "Call me <b>after</b> 9pm & \"not\" before\r\nThanks ]]> \x01 \xF0\x9F\x99\x82";
  out.Booking(hostile);
  auto quoted = Booked(now, 1013, "Pending", 1, 4 * kHour, 2 * kDay, 3 * kDay);
  quoted.comments = std::string(1000, 'x');  // the longest comment allowed
  out.Booking(quoted);
}

// Bookings spread over the last year and the next two weeks, from a fixed-seed generator.
void RandomBookings(DemoWriter& out, SplitMix64& prng, UserId client, int count) {
  static constexpr std::array<const char*, 7> kStatuses{"Pending",   "Accepted",  "Rejected", "Confirmed",
                                                        "Confirmed", "Confirmed", "Cancelled"};
  static constexpr std::array<int, 8> kDurations{5, 10, 15, 15, 30, 45, 60, 120};
  static constexpr std::array<const char*, 6> kComments{
      nullptr, nullptr, "Please call after 9pm.", "First session <3", "Follow-up & questions", nullptr};
  const std::int64_t now = out.Now();
  for (int i = 0; i < count; ++i) {
    DemoBooking b;
    b.client = client;
    // The three "anna"s twice as often as the others, so that folded nicknames tie a lot.
    const auto pick = prng.Between(0, kCandidates.size() + 2);
    b.candidate = kCandidates[static_cast<std::size_t>(pick % static_cast<std::int64_t>(kCandidates.size()))].id;
    b.duration = prng.Pick(kDurations);
    const auto cents = prng.Between(100, 99999);
    b.credits = std::to_string(cents / 100) + "." + std::to_string(cents % 100 / 10) + std::to_string(cents % 10);
    b.status = prng.Pick(kStatuses);
    b.method = static_cast<int>(prng.Between(1, 3));
    b.create = now - prng.Between(kHour, 365 * kDay);
    if (prng.Between(0, 3) == 0) b.create -= b.create % kSecond;  // some without milliseconds
    b.session = b.create + prng.Between(1, std::int64_t{14} * 24 * 4) * 15 * kMinute;
    b.session -= b.session % (15 * kMinute);
    b.session = std::max(b.session, b.create);
    b.accept_by = std::max(b.create, b.session - prng.Between(1, 24) * kHour);
    if (b.status == "Cancelled") {
      b.cancelled_by = prng.Between(0, 1) == 0 ? "Client" : "Candidate";
      b.cancelled_reason = prng.Between(0, 2) == 0 ? std::nullopt : std::optional<std::string>("Something came up");
    }
    if (const auto* comment = prng.Pick(kComments)) b.comments = comment;
    b.deleted = (b.status == "Cancelled" || b.status == "Rejected") && prng.Between(0, 9) == 0;
    out.Booking(std::move(b));
  }
}

// Pending bookings of the demo client, one for each life-cycle candidate by a method they can be called with,
// decided a day ahead of a session two days ahead: a new user accepts, confirms and settles them.
void LifecycleBookings(DemoWriter& out) {
  const std::int64_t now = out.Now();
  const std::array<std::pair<UserId, int>, 3> bookings{
      {{kDemoCandidateUserId, 2}, {kDemoNoNumberCandidateUserId, 1}, {kDemoSkypeCandidateUserId, 3}}};
  for (const auto& [candidate, method] : bookings) {
    auto pending = Booked(now, candidate, "Pending", method, kHour, kDay, 2 * kDay);
    pending.credits = "10";
    pending.comments = "A booking to accept in the sandbox.";
    out.Booking(pending);
  }
}

}  // namespace

std::string DemoDataJsonLines(LocalDateTime now) {
  DemoWriter out(now);
  for (std::size_t i = 0; i < kCandidates.size(); ++i) out.User(kCandidates[i], &kCandidateSettings[i]);
  for (const auto& user : kOthers) out.User(user);
  for (std::size_t i = 0; i < kLifecycleCandidates.size(); ++i) {
    out.User(kLifecycleCandidates[i], &kLifecycleSettings[i]);
  }
  out.Line({{"Kind", "Credit"},
            {"UserID", kDemoClientUserId},
            {"Amount", kDemoClientCredits},
            {"Date", Date(now.millis - kHour)},
            {"Description", "Sandbox credits"}});
  out.Line({{"Kind", "Group"},
            {"GroupID", 1},
            {"Name", "Demo Agency"},
            {"ManagerUserID", kDemoManagerUserId},
            {"MemberUserIDs", boost::json::array{kDemoClientUserId, 2002, 2005}}});
  out.Line({{"Kind", "Group"},
            {"GroupID", 2},
            {"Name", "Other Agency"},
            {"ManagerUserID", 9002},
            {"MemberUserIDs", boost::json::array{2003}}});
  out.Line({{"Kind", "Project"},
            {"Name", "Demo app"},
            {"OwnerUserID", kDemoManagerUserId},
            {"ApiKey", kDemoApiKey},
            {"ClientID", kDemoClientId},
            {"ClientSecret", kDemoClientSecret},
            {"RedirectURIs", boost::json::array{"http://127.0.0.1:8765/cb"}},
            {"ImplicitGrant", false}});
  out.Line({{"Kind", "Project"},
            {"Name", "Sandbox demo page"},
            {"OwnerUserID", kDemoManagerUserId},
            {"ApiKey", kSandboxDemoApiKey},
            {"ClientID", kSandboxDemoClientId},
            {"RedirectURIs", boost::json::array{"http://127.0.0.1:8080/demo/callback"}},
            {"ImplicitGrant", false}});

  SplitMix64 prng(kRandomBookingsSeed);
  ScenarioBookings(out);
  RandomBookings(out, prng, kDemoClientUserId, 300 - out.LastBookingId());
  RandomBookings(out, prng, 2002, 25);
  RandomBookings(out, prng, 2003, 15);
  RandomBookings(out, prng, 2004, 10);
  LifecycleBookings(out);
  return out.Take();
}

}  // namespace phonechat
