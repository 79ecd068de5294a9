// The write batch's rules on their own, over an in-memory BatchWriter: the reason each refused record is given,
// nothing written for it, and a taken booking ID found in bulk reported by its record's position, before any
// later refusal. Each backend's contract suite checks the same reasons through its real writer.

#include "storage/write_batch_rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace phonechat::testing {
namespace {

// A writer that holds everything in memory; with `deferred` it finds taken booking IDs only when asked
// (CheckBookingIds), as a backend that checks them in bulk does.
class MemoryWriter final : public BatchWriter {
 public:
  struct State {
    std::set<UserId> users;
    std::map<GroupId, GroupRecord> groups;
    std::map<std::string, std::string> projects;  // client ID -> API key
    std::vector<BookingId> bookings;              // in write order
    std::vector<std::pair<std::int64_t, BookingId>> unchecked;
    bool committed = false;
  };

  MemoryWriter(State& state, bool deferred) : state_(state), deferred_(deferred) {}

  bool UserExists(UserId user_id) override { return state_.users.count(user_id) > 0; }
  bool GroupExists(GroupId group_id) override { return state_.groups.count(group_id) > 0; }
  std::optional<GroupId> GroupOf(UserId user_id) override {
    for (const auto& [id, group] : state_.groups) {
      for (const UserId member : group.member_user_ids) {
        if (member == user_id) return id;
      }
    }
    return std::nullopt;
  }
  bool ProjectExists(std::string_view client_id) override { return state_.projects.count(std::string(client_id)) > 0; }
  std::optional<std::string> ClientIdOfApiKey(std::string_view api_key) override {
    for (const auto& [client_id, key] : state_.projects) {
      if (key == api_key) return client_id;
    }
    return std::nullopt;
  }
  void WriteUser(const UserRecord& user) override { state_.users.insert(user.user_id); }
  void WriteGroup(const GroupRecord& group, bool /*exists*/) override { state_.groups[group.group_id] = group; }
  void WriteProject(const ProjectRecord& project) override { state_.projects[project.client_id] = project.api_key; }
  BookingWrite WriteBooking(const BookingRecord& booking, bool replace, std::int64_t position) override {
    const BookingId id = booking.booking.booking_id;
    const bool taken = std::find(state_.bookings.begin(), state_.bookings.end(), id) != state_.bookings.end();
    if (!replace && taken) {
      if (!deferred_) return BookingWrite::kIdTaken;
      state_.unchecked.emplace_back(position, id);
    }
    state_.bookings.push_back(id);
    return BookingWrite::kWritten;
  }
  std::optional<MovedBooking> MovedBookingOf(BookingId /*booking_id*/) override { return std::nullopt; }
  // No booking here names a source: none was rescheduled from another.
  std::optional<BookingId> RescheduledInto(BookingId /*source*/, BookingId /*except*/) override { return std::nullopt; }
  std::optional<TakenBookingId> CheckBookingIds() override {
    if (state_.unchecked.empty()) return std::nullopt;
    const auto [position, id] = state_.unchecked.front();
    state_.unchecked.clear();
    return TakenBookingId{position, id};
  }
  void Commit() override { state_.committed = true; }

 private:
  State& state_;
  bool deferred_;
};

UserRecord User(UserId id) {
  UserRecord user;
  user.user_id = id;
  user.nickname = "User" + std::to_string(id);
  return user;
}

BookingRecord Booking(BookingId id, UserId client, UserId candidate) {
  BookingRecord record;
  record.booking.booking_id = id;
  record.booking.client_user_id = client;
  record.booking.candidate.user_id = candidate;
  return record;
}

ProjectRecord Project(std::string client_id, std::string api_key, UserId owner) {
  ProjectRecord project;
  project.name = client_id;
  project.owner_user_id = owner;
  project.client_id = std::move(client_id);
  project.api_key = std::move(api_key);
  return project;
}

class WriteBatchRulesTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    state_.users = {1, 2, 3, 4};
    batch_ = WithWriteRules(std::make_unique<MemoryWriter>(state_, GetParam()));
  }

  MemoryWriter::State state_;
  std::unique_ptr<WriteBatch> batch_;
};

TEST_P(WriteBatchRulesTest, EachRefusedRecordGetsItsReasonAndWritesNothing) {
  EXPECT_EQ(batch_->PutUser(User(1), false), "User 1 already exists (use --replace)");
  EXPECT_EQ(batch_->PutUser(User(1), true), "");

  EXPECT_EQ(batch_->PutGroup(GroupRecord{5, "G", 9, {}}, false), "Group.ManagerUserID 9 is not a known user");
  EXPECT_EQ(batch_->PutGroup(GroupRecord{5, "G", 1, {2, 2}}, false), "Group.MemberUserIDs lists user 2 twice");
  EXPECT_EQ(batch_->PutGroup(GroupRecord{5, "G", 1, {2, 9}}, false), "Group.MemberUserIDs: 9 is not a known user");
  EXPECT_TRUE(state_.groups.empty());
  EXPECT_EQ(batch_->PutGroup(GroupRecord{5, "G", 1, {2}}, false), "");
  EXPECT_EQ(batch_->PutGroup(GroupRecord{5, "G", 1, {3}}, false), "Group 5 already exists (use --replace)");
  EXPECT_EQ(batch_->PutGroup(GroupRecord{6, "H", 1, {3, 2}}, false),
            "Group.MemberUserIDs: user 2 already belongs to group 5 (a user belongs to at most one group)");
  EXPECT_EQ(batch_->PutGroup(GroupRecord{5, "G", 1, {3}}, true), "") << "a group may list its own members again";

  EXPECT_EQ(batch_->PutProject(Project("a", "key-a", 9), false), "Project.OwnerUserID 9 is not a known user");
  EXPECT_EQ(batch_->PutProject(Project("a", "key-a", 1), false), "");
  EXPECT_EQ(batch_->PutProject(Project("a", "key-a", 1), false),
            "Project with ClientID \"a\" already exists (use --replace)");
  EXPECT_EQ(batch_->PutProject(Project("b", "key-a", 1), false), "Project.ApiKey is already used by another project");
  EXPECT_EQ(batch_->PutProject(Project("a", "key-a", 2), true), "") << "its own API key";

  EXPECT_EQ(batch_->PutBooking(Booking(7, 9, 2), false), "Booking.ClientUserID 9 is not a known user");
  EXPECT_EQ(batch_->PutBooking(Booking(7, 1, 9), false), "Booking.CandidateUserID 9 is not a known user");
  EXPECT_TRUE(state_.bookings.empty());
  EXPECT_EQ(batch_->PutBooking(Booking(7, 1, 2), false), "");
  EXPECT_EQ(batch_->PutBooking(Booking(7, 1, 3), true), "");
  batch_->Commit();
  EXPECT_TRUE(state_.committed);
}

TEST_P(WriteBatchRulesTest, ATakenBookingIdIsReportedAtTheRecordOrAtCommitByItsPosition) {
  ASSERT_EQ(batch_->PutUser(User(5), false), "");                          // record 1
  ASSERT_EQ(batch_->PutBooking(Booking(7, 1, 2), false), "");              // record 2
  const std::string reason = batch_->PutBooking(Booking(7, 1, 3), false);  // record 3
  if (!GetParam()) {
    EXPECT_EQ(reason, "Booking 7 already exists (use --replace)");
    return;
  }
  EXPECT_EQ(reason, "") << "found only in bulk";
  try {
    batch_->Commit();
    ADD_FAILURE() << "committed a taken booking ID";
  } catch (const RecordRejected& rejected) {
    EXPECT_EQ(rejected.Record(), 3);
    EXPECT_STREQ(rejected.what(), "Booking 7 already exists (use --replace)");
  }
  EXPECT_FALSE(state_.committed);
}

INSTANTIATE_TEST_SUITE_P(IdChecks, WriteBatchRulesTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("InBulk") : std::string("AtTheRecord");
                         });

TEST(WriteBatchRules, AnEarlierTakenBookingIdFoundInBulkIsReportedInsteadOfALaterRefusal) {
  MemoryWriter::State state;
  state.users = {1, 2, 3};
  const auto batch = WithWriteRules(std::make_unique<MemoryWriter>(state, /*deferred=*/true));
  ASSERT_EQ(batch->PutBooking(Booking(7, 1, 2), false), "");  // record 1
  ASSERT_EQ(batch->PutBooking(Booking(7, 1, 3), false), "");  // record 2: taken, not yet known
  EXPECT_EQ(batch->PutBooking(Booking(8, 1, 9), false), "");  // record 3: would be refused, but 2 comes first
  EXPECT_EQ(batch->PutUser(User(6), false), "") << "nothing more is checked or written";
  EXPECT_EQ(state.users.count(6), 0u);
  try {
    batch->Commit();
    ADD_FAILURE() << "committed a taken booking ID";
  } catch (const RecordRejected& rejected) {
    EXPECT_EQ(rejected.Record(), 2);
    EXPECT_STREQ(rejected.what(), "Booking 7 already exists (use --replace)");
  }
}

}  // namespace
}  // namespace phonechat::testing
