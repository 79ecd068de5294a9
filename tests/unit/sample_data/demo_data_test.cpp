// The sandbox's demo data (sample_data/demo_data.hpp): it imports cleanly at any time of day, its identities work,
// and its bookings cover every case.
#include "sample_data/demo_data.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "importer/importer.hpp"
#include "importer_test_support.hpp"

namespace phonechat::testing {
namespace {

constexpr std::int64_t kDay = 86'400'000;

LocalDateTime DemoNow() { return *ParseLocalDateTime("2024-03-15T14:30:45.123"); }

// The demo data imported once into a temporary database shared by the tests below.
struct ImportedDemo {
  ImportedDemo() : counts(db.Import(DemoDataJsonLines(DemoNow()))) {}
  TempStore db;
  ImportCounts counts;
};

ImportedDemo& Demo() {
  static ImportedDemo demo;
  return demo;
}

TEST(DemoData, ImportsCleanlyIntoAFreshDatabase) {
  EXPECT_EQ(Demo().counts.users, 23);
  EXPECT_EQ(Demo().counts.groups, 2);
  EXPECT_EQ(Demo().counts.projects, 2);
  EXPECT_EQ(Demo().counts.bookings, 353);
  EXPECT_EQ(Demo().counts.credits, 1);
}

TEST(DemoData, IsTheSameForTheSameNowAndMovesWithNow) {
  EXPECT_EQ(DemoDataJsonLines(DemoNow()), DemoDataJsonLines(DemoNow()));
  EXPECT_NE(DemoDataJsonLines(DemoNow()), DemoDataJsonLines(LocalDateTime{DemoNow().millis + kDay}));
}

TEST(DemoData, ImportsCleanlyAtAnyTimeOfDay) {
  for (const char* now : {"2024-03-15T00:00:00", "2024-12-31T23:59:59.999", "2030-06-01T12:00:00.5"}) {
    TempStore db;
    EXPECT_NO_THROW(db.Import(DemoDataJsonLines(*ParseLocalDateTime(now)))) << now;
  }
}

TEST(DemoData, TheDemoIdentitiesWork) {
  auto session = Demo().db.Get().OpenSession();
  const auto project = session->FindProjectByApiKey(kDemoApiKey);
  ASSERT_TRUE(project.has_value());
  EXPECT_TRUE(project->active);
  EXPECT_TRUE(session->IsGroupManager(kDemoManagerUserId));
  EXPECT_TRUE(session->IsMemberOfManagedGroup(kDemoManagerUserId, kDemoClientUserId));
  EXPECT_FALSE(session->IsGroupManager(kDemoClientUserId));
  EXPECT_EQ(Demo().db.Query("SELECT redirect_uris FROM projects WHERE client_id = 'demo-app'"),
            std::vector<std::string>{"[\"http://127.0.0.1:8765/cb\"]"});
  // A second group with another manager, whose member the demo manager cannot see.
  EXPECT_EQ(Demo().db.Query("SELECT count(DISTINCT manager_user_id) FROM user_groups"), std::vector<std::string>{"2"});
  const auto other_members = Demo().db.Query(
      "SELECT m.user_id FROM group_members m JOIN user_groups g USING (group_id) WHERE g.manager_user_id <> 9001");
  ASSERT_FALSE(other_members.empty());
  EXPECT_FALSE(session->IsMemberOfManagedGroup(kDemoManagerUserId, std::stoi(other_members[0])));
  EXPECT_EQ(Demo().db.Query("SELECT count(*) FROM users WHERE password_hash IS NOT NULL AND user_id IN (2001, 9001)"),
            std::vector<std::string>{"2"});
}

TEST(DemoData, TheDemoClientHasAboutThreeHundredBookingsCoveringEveryCase) {
  const auto bookings = Demo().db.Bookings(kDemoClientUserId);
  EXPECT_GE(bookings.size(), 283u);
  EXPECT_LT(bookings.size(), 303u) << "some are deleted by the client";
  std::set<BookingStatus> statuses;
  std::set<ContactMethod> methods;
  std::set<CancelledBy> cancellers;
  std::set<std::int64_t> credits;
  std::set<std::string> folded;
  std::set<std::string> nicknames;
  const auto now = DemoNow().millis;
  bool pending_ahead = false, pending_late = false, accepted_ahead = false, accepted_past = false;
  bool confirmed_ahead = false, in_progress = false, confirmed_over = false, at_midnight = false;
  std::map<std::int64_t, int> create_dates;
  for (const auto& b : bookings) {
    statuses.insert(b.status);
    methods.insert(b.method);
    if (b.cancelled_by) cancellers.insert(*b.cancelled_by);
    credits.insert(b.credits.ten_thousandths);
    nicknames.insert(b.candidate.nickname);
    ++create_dates[b.create_date.millis];
    const auto end = b.session_date.millis + b.duration_minutes * 60'000LL;
    if (b.status == BookingStatus::kPending) (b.accept_by.millis > now ? pending_ahead : pending_late) = true;
    if (b.status == BookingStatus::kAccepted) (b.session_date.millis > now ? accepted_ahead : accepted_past) = true;
    if (b.status == BookingStatus::kConfirmed) {
      if (b.session_date.millis > now) confirmed_ahead = true;
      if (b.session_date.millis <= now && end > now) in_progress = true;
      if (end <= now) confirmed_over = true;
    }
    if (b.create_date.millis % kDay == 0) at_midnight = true;
  }
  EXPECT_EQ(statuses.size(), 5u);
  EXPECT_EQ(methods.size(), 3u);
  EXPECT_EQ(cancellers.size(), 2u);
  EXPECT_TRUE(pending_ahead && pending_late);
  EXPECT_TRUE(accepted_ahead && accepted_past);
  EXPECT_TRUE(confirmed_ahead && in_progress && confirmed_over);
  EXPECT_TRUE(at_midnight);
  EXPECT_TRUE(credits.count(122'500) && credits.count(1)) << "12.25 and 0.0001";
  EXPECT_TRUE(std::any_of(create_dates.begin(), create_dates.end(), [](const auto& d) { return d.second > 1; }))
      << "equal CreateDates";
  for (const char* nickname : {"anna", "Anna", "ANNA", "_Shadow", "Zoë", "<b>&Co</b>"}) {
    EXPECT_TRUE(nicknames.count(nickname)) << nickname;
  }
  EXPECT_EQ(Demo().db.Query("SELECT count(*) FROM bookings WHERE client_user_id = 2001 AND deleted_by_client = 1"),
            std::vector<std::string>{std::to_string(303 - bookings.size())});
}

// The demo data's records of `kind`, as JSON.
std::vector<boost::json::object> DemoRecords(const char* kind) {
  std::vector<boost::json::object> records;
  std::istringstream in(DemoDataJsonLines(DemoNow()));
  std::string line;
  while (std::getline(in, line)) {
    auto record = boost::json::parse(line).as_object();
    if (record.at("Kind").as_string() == kind) records.push_back(std::move(record));
  }
  return records;
}

std::map<std::int64_t, boost::json::object> DemoUsers() {
  std::map<std::int64_t, boost::json::object> users;
  for (auto& user : DemoRecords("User")) users[user.at("UserID").as_int64()] = std::move(user);
  return users;
}

TEST(DemoData, TheDemoClientHasCredits) {
  const auto credits = DemoRecords("Credit");
  ASSERT_EQ(credits.size(), 1u);
  EXPECT_EQ(credits[0].at("UserID").as_int64(), kDemoClientUserId);
  EXPECT_EQ(credits[0].at("Amount").as_string(), kDemoClientCredits);
  EXPECT_LE(ParseLocalDateTime(credits[0].at("Date").as_string())->millis, DemoNow().millis);
}

TEST(DemoData, EveryCandidateOffersPhoneChatAndTheLifecycleOnesSignInWithTheDemoPassword) {
  int candidates = 0;
  for (const auto& [id, user] : DemoUsers()) {
    if (id < 1001 || id > 1999) continue;
    ++candidates;
    EXPECT_TRUE(user.at("OffersPhoneChat").as_bool()) << id;
  }
  EXPECT_EQ(candidates, 16);
  auto users = DemoUsers();
  for (const UserId id : {kDemoCandidateUserId, kDemoNoNumberCandidateUserId, kDemoSkypeCandidateUserId}) {
    EXPECT_EQ(users.at(id).at("Password").as_string(), kDemoPassword) << id;
  }
}

TEST(DemoData, TheLifecycleCandidatesCoverEveryWayToBeCalled) {
  auto users = DemoUsers();
  const auto& shown = users.at(kDemoCandidateUserId);
  EXPECT_EQ(shown.at("Nickname").as_string(), kDemoCandidateNickname);
  EXPECT_FALSE(shown.at("PhoneChatNumber").is_null());
  EXPECT_TRUE(shown.at("ShowPhoneChatNumber").as_bool());
  EXPECT_TRUE(shown.at("OfferDirectChat").as_bool());
  const auto& no_number = users.at(kDemoNoNumberCandidateUserId);
  EXPECT_TRUE(no_number.at("PhoneChatNumber").is_null());
  EXPECT_TRUE(no_number.at("SkypeName").is_null());
  const auto& skype = users.at(kDemoSkypeCandidateUserId);
  EXPECT_TRUE(skype.at("PhoneChatNumber").is_null());
  EXPECT_FALSE(skype.at("SkypeName").is_null());
}

TEST(DemoData, EachLifecycleCandidateHasAPendingBookingOfTheDemoClientToAccept) {
  const std::map<std::int64_t, std::int64_t> method_of{
      {kDemoCandidateUserId, 2}, {kDemoNoNumberCandidateUserId, 1}, {kDemoSkypeCandidateUserId, 3}};
  std::set<std::int64_t> waiting;
  for (const auto& booking : DemoRecords("Booking")) {
    const std::int64_t candidate = booking.at("CandidateUserID").as_int64();
    if (method_of.count(candidate) == 0) continue;
    EXPECT_EQ(booking.at("ClientUserID").as_int64(), kDemoClientUserId);
    EXPECT_EQ(booking.at("Status").as_string(), "Pending");
    EXPECT_EQ(booking.at("Method").as_int64(), method_of.at(candidate));
    EXPECT_GT(ParseLocalDateTime(booking.at("AcceptBy").as_string())->millis, DemoNow().millis);
    waiting.insert(candidate);
  }
  EXPECT_EQ(waiting.size(), 3u);
}

TEST(DemoData, OtherClientsHaveBookingsToo) {
  EXPECT_FALSE(Demo().db.Bookings(2002).empty());
  EXPECT_FALSE(Demo().db.Bookings(2003).empty());
  EXPECT_TRUE(Demo().db.Bookings(2005).empty()) << "a group member with no bookings";
}

}  // namespace
}  // namespace phonechat::testing
