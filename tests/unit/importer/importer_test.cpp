#include "importer/importer.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "auth/secrets.hpp"
#include "core/error.hpp"
#include "importer_test_support.hpp"
#include "storage/lifecycle_store.hpp"

namespace phonechat::testing {
namespace {

// Users 1 (a client), 2 and 3 (candidates) and 9 (a manager): four lines.
std::string Header() {
  return UserLine(1, "Client") + "\n" + UserLine(2, "BookedUser") + "\n" + UserLine(3, "Other") + "\n" +
         UserLine(9, "Manager") + "\n";
}

std::string GroupLine(const std::string& manager, const std::string& members) {
  return Record({{"Kind", "\"Group\""},
                 {"GroupID", "10"},
                 {"Name", "\"Agency\""},
                 {"ManagerUserID", manager},
                 {"MemberUserIDs", members}});
}

std::string ProjectLine(const std::vector<RawField>& changes = {}) {
  return Record(Changed({{"Kind", "\"Project\""},
                         {"Name", "\"Demo app\""},
                         {"OwnerUserID", "9"},
                         {"ApiKey", "\"key-1\""},
                         {"ClientID", "\"app\""},
                         {"ClientSecret", "null"},
                         {"RedirectURIs", "[\"http://127.0.0.1:8765/cb\"]"},
                         {"ImplicitGrant", "false"}},
                        changes));
}

TEST(Importer, ImportsAGoodFileAndCountsEachKind) {
  TempStore db;
  const auto counts = db.Import(Header() + GroupLine("9", "[1, 3]") + "\n" + ProjectLine() + "\n" + BookingLine() +
                                "\n" + BookingLine({{"BookingID", "2"}, {"CandidateUserID", "3"}}) + "\n" +
                                BookingLine({{"BookingID", "3"}, {"ClientUserID", "3"}, {"CandidateUserID", "2"}}));
  EXPECT_EQ(counts.users, 4);
  EXPECT_EQ(counts.groups, 1);
  EXPECT_EQ(counts.projects, 1);
  EXPECT_EQ(counts.bookings, 3);
  const auto bookings = db.Bookings(1);
  ASSERT_EQ(bookings.size(), 2u);
  const auto& first = bookings[0];
  EXPECT_EQ(first.booking_id, 1);
  EXPECT_EQ(first.duration_minutes, 15);
  EXPECT_EQ(first.credits, Credits{80'000});
  EXPECT_EQ(first.status, BookingStatus::kConfirmed);
  EXPECT_EQ(first.method, ContactMethod::kClientCalls);
  EXPECT_EQ(FormatLocalDateTime(first.create_date), "2018-01-20T12:34:56.789");
  EXPECT_EQ(FormatLocalDateTime(first.session_date), "2018-01-22T21:30:00");
  EXPECT_EQ(FormatLocalDateTime(first.accept_by), "2018-01-22T00:00:00");
  EXPECT_EQ(FormatLocalDateTime(*first.accepted_date), "2018-01-21T12:48:13.412");
  EXPECT_EQ(FormatLocalDateTime(*first.confirmed_date), "2018-01-21T13:24:05.987");
  EXPECT_EQ(FormatLocalDateTime(*first.last_updated), "2018-01-21T13:24:05.987");
  EXPECT_FALSE(first.cancelled_date || first.cancelled_by || first.comments || first.phone_number);
  EXPECT_EQ(first.candidate.nickname, "BookedUser");
  EXPECT_EQ(db.Bookings(3).size(), 1u);
  auto session = db.Get().OpenSession();
  EXPECT_TRUE(session->IsMemberOfManagedGroup(9, 3));
  EXPECT_TRUE(session->FindProjectByApiKey("key-1").has_value());
  EXPECT_EQ(db.Query("SELECT redirect_uris FROM projects"), std::vector<std::string>{"[\"http://127.0.0.1:8765/cb\"]"});
}

TEST(Importer, EmptyInputImportsNothingAndSucceeds) {
  TempStore db;
  const auto counts = db.Import("");
  EXPECT_EQ(counts.users + counts.groups + counts.projects + counts.bookings, 0);
  EXPECT_TRUE(db.Get().IsEmpty());
}

TEST(Importer, ByteOrderMarkBlankLinesAndCrLfAreTolerated) {
  TempStore db;
  const auto counts = db.Import("\xEF\xBB\xBF" + UserLine(1, "Client") + "\r\n\r\n   \n" + UserLine(2, "Cand") +
                                "\r\n\n" + BookingLine());
  EXPECT_EQ(counts.users, 2);
  EXPECT_EQ(counts.bookings, 1);
}

TEST(Importer, LineNumbersCountBlankLines) {
  TempStore db;
  try {
    db.Import(UserLine(1, "Client") + "\n\n\n" + UserLine(1, "Again") + "\n");
    FAIL() << "expected ImportError";
  } catch (const ImportError& e) {
    EXPECT_EQ(e.LineNumber(), 4);
    EXPECT_NE(std::string(e.what()).find("line 4: User 1 already exists (use --replace)"), std::string::npos)
        << e.what();
  }
}

struct BadLine {
  std::string name;
  std::string line;
  std::string reason;  // a part of the message: the field and, where it matters, the rule
};

void PrintTo(const BadLine& bad, std::ostream* out) { *out << bad.name; }

class ImporterBadLine : public ::testing::TestWithParam<BadLine> {};

// The bad line is line 5, after four good user lines; nothing at all is stored.
TEST_P(ImporterBadLine, StopsAtTheLineWithAReasonNamingTheFieldAndStoresNothing) {
  TempStore db;
  try {
    db.Import(Header() + GetParam().line + "\n" + BookingLine({{"BookingID", "99"}}) + "\n");
    FAIL() << "expected ImportError for " << GetParam().line;
  } catch (const ImportError& e) {
    EXPECT_EQ(e.LineNumber(), 5) << e.what();
    EXPECT_NE(std::string(e.what()).find(GetParam().reason), std::string::npos)
        << "message: " << e.what() << "\nwanted: " << GetParam().reason;
  }
  EXPECT_TRUE(db.Get().IsEmpty());
}

const std::string kTooLongComment = Quote(std::string(1001, 'c'));
const std::string kTooLongNickname = Quote(std::string(21, 'n'));
std::string Repeat(const std::string& text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += text;
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ImporterBadLine,
    ::testing::Values(
        BadLine{"DurationZero", BookingLine({{"Duration", "0"}}), "Booking.Duration must be an integer from 1 to 1440"},
        BadLine{"DurationOverADay", BookingLine({{"Duration", "1441"}}), "Booking.Duration"},
        BadLine{"DurationFraction", BookingLine({{"Duration", "15.0"}}), "Booking.Duration"},
        BadLine{"DurationAsString", BookingLine({{"Duration", "\"15\""}}), "Booking.Duration"},
        BadLine{"DurationMissing", BookingLine({{"Duration", kRemove}}), "Booking.Duration is required"},
        BadLine{"BookingIdZero", BookingLine({{"BookingID", "0"}}), "Booking.BookingID"},
        BadLine{"BookingIdOverflow", BookingLine({{"BookingID", "2147483648"}}), "Booking.BookingID"},
        BadLine{"BookingIdHuge", BookingLine({{"BookingID", "18446744073709551615"}}), "Booking.BookingID"},
        BadLine{"MethodFour", BookingLine({{"Method", "4"}}), "Booking.Method"},
        BadLine{"StatusUnknown", BookingLine({{"Status", "\"Done\""}}), "Booking.Status must be one of"},
        BadLine{"StatusWrongCase", BookingLine({{"Status", "\"confirmed\""}}), "Booking.Status"},
        BadLine{"StatusMissing", BookingLine({{"Status", "null"}}), "Booking.Status is required"},
        BadLine{"CreateDateNotReal", BookingLine({{"CreateDate", "\"2018-02-30T00:00:00\""}}), "Booking.CreateDate"},
        BadLine{"CreateDateWithSpace", BookingLine({{"CreateDate", "\"2018-01-20 12:34:56\""}}), "Booking.CreateDate"},
        BadLine{"AcceptByBeforeCreate", BookingLine({{"AcceptBy", "\"2018-01-20T12:34:56.788\""}}),
                "Booking.AcceptBy must not be before CreateDate"},
        BadLine{"SessionBeforeAcceptBy", BookingLine({{"SessionDate", "\"2018-01-21T23:59:59.999\""}}),
                "Booking.AcceptBy must not be after SessionDate"},
        BadLine{"AcceptedWithoutAcceptedDate", BookingLine({{"Status", "\"Accepted\""}, {"AcceptedDate", "null"}}),
                "Booking.AcceptedDate is required"},
        BadLine{"ConfirmedWithoutConfirmedDate", BookingLine({{"ConfirmedDate", kRemove}}),
                "Booking.ConfirmedDate is required"},
        BadLine{"CancelledWithoutDate", BookingLine({{"Status", "\"Cancelled\""}, {"CancelledBy", "\"Client\""}}),
                "Booking.CancelledDate is required"},
        BadLine{"CancelledWithoutWho",
                BookingLine({{"Status", "\"Cancelled\""}, {"CancelledDate", "\"2018-01-21T14:00:00\""}}),
                "Booking.CancelledBy is required"},
        BadLine{"CancelledByUnknown",
                BookingLine({{"Status", "\"Cancelled\""},
                             {"CancelledDate", "\"2018-01-21T14:00:00\""},
                             {"CancelledBy", "\"Nobody\""}}),
                "Booking.CancelledBy must be Client or Candidate"},
        BadLine{"CancelledReasonOnConfirmed", BookingLine({{"CancelledReason", "\"why\""}}),
                "Booking.CancelledReason must be null unless Status is Cancelled"},
        BadLine{"CancelledDateOnConfirmed", BookingLine({{"CancelledDate", "\"2018-01-21T14:00:00\""}}),
                "Booking.CancelledDate must be null"},
        BadLine{"RejectedReasonOnConfirmed", BookingLine({{"RejectedReason", "\"no\""}}),
                "Booking.RejectedReason must be null unless Status is Rejected"},
        BadLine{"MethodOneWithoutPhone", BookingLine({{"Method", "1"}}),
                "Booking.PhoneNumber is required for Method 1"},
        BadLine{"PhoneWithMethodTwo", BookingLine({{"PhoneNumber", "\"+44\""}}),
                "Booking.PhoneNumber must be null unless Method is 1"},
        BadLine{"MethodThreeWithoutSkype", BookingLine({{"Method", "3"}}),
                "Booking.SkypeName is required for Method 3"},
        BadLine{"SkypeWithMethodTwo", BookingLine({{"SkypeName", "\"live:x\""}}),
                "Booking.SkypeName must be null unless Method is 3"},
        BadLine{"CommentsTooLong", BookingLine({{"Comments", kTooLongComment}}),
                "Booking.Comments must be at most 1000 characters long"},
        BadLine{"ClientIsCandidate", BookingLine({{"CandidateUserID", "1"}}),
                "Booking.CandidateUserID must differ from ClientUserID"},
        BadLine{"UnknownCandidate", BookingLine({{"CandidateUserID", "77"}}),
                "Booking.CandidateUserID 77 is not a known user"},
        BadLine{"UnknownClient", BookingLine({{"ClientUserID", "78"}}), "Booking.ClientUserID 78 is not a known user"},
        BadLine{"DeletedByClientNotBool", BookingLine({{"DeletedByClient", "0"}}), "Booking.DeletedByClient"},
        BadLine{"CreditsWithExponent", BookingLine({{"Credits", "1e2"}}), "Booking.Credits \"1e2\""},
        BadLine{"CreditsNegativeString", BookingLine({{"Credits", "\"-1\""}}), "Booking.Credits \"-1\""},
        BadLine{"CreditsNegativeNumber", BookingLine({{"Credits", "-1"}}), "Booking.Credits \"-1\""},
        BadLine{"CreditsFiveFractionDigits", BookingLine({{"Credits", "12.34567"}}),
                "Booking.Credits \"12.34567\" has more than 4 fraction digits"},
        BadLine{"CreditsFiveFractionDigitsString", BookingLine({{"Credits", "\"12.34567\""}}),
                "Booking.Credits \"12.34567\""},
        BadLine{"CreditsTooLarge", BookingLine({{"Credits", "100000000000"}}), "Booking.Credits"},
        BadLine{"CreditsWithComma", BookingLine({{"Credits", "\"1,5\""}}), "Booking.Credits"},
        BadLine{"CreditsEmpty", BookingLine({{"Credits", "\"\""}}), "Booking.Credits"},
        BadLine{"CreditsBoolean", BookingLine({{"Credits", "true"}}), "Booking.Credits"},
        BadLine{"CreditsMissing", BookingLine({{"Credits", kRemove}}), "Booking.Credits is required"},
        BadLine{"MisspeltField", BookingLine({{"Comment", "\"hi\""}}), "Booking.Comment is not a field of Booking"},
        BadLine{"WrongCaseField", BookingLine({{"bookingID", "5"}}), "Booking.bookingID is not a field"},
        BadLine{"DuplicateField", BookingLine().substr(0, BookingLine().size() - 1) + ",\"Duration\":20}",
                "field \"Duration\" appears twice"},
        BadLine{"UnknownKind", BookingLine({{"Kind", "\"Bookings\""}}), "Kind \"Bookings\" is unknown"},
        BadLine{"MissingKind", BookingLine({{"Kind", kRemove}}), "Kind is required"},
        BadLine{"KindNotAString", BookingLine({{"Kind", "1"}}), "Kind is required"},
        BadLine{"NotJson", "{\"Kind\":\"User\",", "not valid JSON"},
        BadLine{"TextAfterRecord", UserLine(5, "Five") + " x", "not valid JSON"},
        BadLine{"TwoRecordsOnALine", UserLine(5, "Five") + UserLine(6, "Six"), "not valid JSON"},
        BadLine{"NotAnObject", "[1, 2]", "a record must be a JSON object"},
        BadLine{"Comment", "// a comment", "not valid JSON"},
        BadLine{"InvalidUtf8", "{\"Kind\":\"User\",\"UserID\":5,\"Nickname\":\"\xC3\x28\"}", "not valid JSON"},
        BadLine{"NicknameTooLong", UserLine(5, std::string(21, 'n')), "User.Nickname must be 1 to 20 characters long"},
        BadLine{"NicknameTooLongInCodePoints", UserLine(5, Repeat("\xC3\xA9", 21)), "User.Nickname"},
        BadLine{"NicknameEmpty", UserLine(5, ""), "User.Nickname"},
        BadLine{"NicknameMissing", Record({{"Kind", "\"User\""}, {"UserID", "5"}}), "User.Nickname is required"},
        BadLine{"UserIdAsString", Record({{"Kind", "\"User\""}, {"UserID", "\"5\""}, {"Nickname", "\"x\""}}),
                "User.UserID"},
        BadLine{"NegativeRating",
                Record({{"Kind", "\"User\""}, {"UserID", "5"}, {"Nickname", "\"x\""}, {"Positive", "-1"}}),
                "User.Positive"},
        BadLine{"DuplicateUser", UserLine(2, "Again"), "User 2 already exists (use --replace)"},
        BadLine{"GroupUnknownManager", GroupLine("77", "[1]"), "Group.ManagerUserID 77 is not a known user"},
        BadLine{"GroupUnknownMember", GroupLine("9", "[1, 77]"), "Group.MemberUserIDs: 77 is not a known user"},
        BadLine{"GroupMemberNotAnId", GroupLine("9", "[1, \"3\"]"), "Group.MemberUserIDs"},
        BadLine{"GroupMembersNotAnArray", GroupLine("9", "1"), "Group.MemberUserIDs must be an array"},
        BadLine{"GroupMemberTwice", GroupLine("9", "[1, 1]"), "Group.MemberUserIDs lists user 1 twice"},
        BadLine{"ProjectRelativeRedirect", ProjectLine({{"RedirectURIs", "[\"/cb\"]"}}), "Project.RedirectURIs"},
        BadLine{"ProjectRedirectWithFragment", ProjectLine({{"RedirectURIs", "[\"http://x/cb#f\"]"}}),
                "Project.RedirectURIs"},
        BadLine{"ProjectUnknownOwner", ProjectLine({{"OwnerUserID", "77"}}), "Project.OwnerUserID 77"},
        BadLine{"ProjectWithoutApiKey", ProjectLine({{"ApiKey", kRemove}}), "Project.ApiKey is required"},
        BadLine{"ProjectImplicitGrantNotBool", ProjectLine({{"ImplicitGrant", "\"yes\""}}), "Project.ImplicitGrant"}),
    [](const ::testing::TestParamInfo<BadLine>& info) { return info.param.name; });

TEST(Importer, ALineOverOneMebibyteIsRefusedWithItsNumber) {
  TempStore db;
  const std::string huge = BookingLine({{"Comments", Quote(std::string(1 << 20, 'x'))}});
  try {
    db.Import(Header() + huge + "\n");
    FAIL() << "expected ImportError";
  } catch (const ImportError& e) {
    EXPECT_EQ(e.LineNumber(), 5);
    EXPECT_NE(std::string(e.what()).find("longer than 1 MiB"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(db.Get().IsEmpty());
}

TEST(Importer, LimitsAreInclusive) {
  TempStore db;
  const auto counts =
      db.Import(UserLine(1, "Client") + "\n" + UserLine(2147483647, Repeat("\xC3\xA9", 20)) + "\n" +
                BookingLine({{"BookingID", "2147483647"},
                             {"CandidateUserID", "2147483647"},
                             {"Duration", "1440"},
                             {"Comments", Quote(Repeat("\xE2\x82\xAC", 1000))}}) +
                "\n" + BookingLine({{"BookingID", "1"}, {"CandidateUserID", "2147483647"}, {"Duration", "1"}}));
  EXPECT_EQ(counts.bookings, 2);
  const auto bookings = db.Bookings(1);
  ASSERT_EQ(bookings.size(), 2u);
  EXPECT_EQ(bookings[1].candidate.nickname, Repeat("\xC3\xA9", 20));
  EXPECT_EQ(bookings[1].comments->size(), 3000u);
}

TEST(Importer, AFailedImportLeavesTheDatabaseExactlyAsItWas) {
  TempStore db;
  db.Import(Header() + BookingLine() + "\n");
  const auto before = db.Query("SELECT json_array(booking_id, credits, status) FROM bookings");
  for (const bool replace : {false, true}) {
    EXPECT_THROW(
        db.Import(UserLine(50, "New") + "\n" + BookingLine({{"BookingID", "2"}, {"CandidateUserID", "50"}}) + "\n" +
                      (replace ? BookingLine({{"Credits", "\"1\""},
                                              {"Status", "\"Pending\""},
                                              {"AcceptedDate", "null"},
                                              {"ConfirmedDate", "null"}}) +
                                     "\n"
                               : std::string()) +
                      BookingLine({{"BookingID", "3"}, {"Duration", "0"}}) + "\n",
                  replace),
        ImportError);
    EXPECT_FALSE(db.UserExists(50)) << "replace: " << replace;
    EXPECT_EQ(db.Query("SELECT json_array(booking_id, credits, status) FROM bookings"), before)
        << "replace: " << replace;
  }
  EXPECT_EQ(db.Query("SELECT count(*) FROM users"), std::vector<std::string>{"4"});
}

struct CreditsCase {
  std::string raw;
  std::int64_t ten_thousandths;
};

void PrintTo(const CreditsCase& c, std::ostream* out) { *out << c.raw; }

class ImporterCredits : public ::testing::TestWithParam<CreditsCase> {};

TEST_P(ImporterCredits, AreStoredExactlyWhetherGivenAsANumberOrAString) {
  TempStore db;
  db.Import(Header() + BookingLine({{"Credits", GetParam().raw}}));
  const auto bookings = db.Bookings(1);
  ASSERT_EQ(bookings.size(), 1u);
  EXPECT_EQ(bookings[0].credits.ten_thousandths, GetParam().ten_thousandths) << GetParam().raw;
}

// 99999999999.9999 has no exact double: any route through a double would store ...9998 or ...10000.
INSTANTIATE_TEST_SUITE_P(Cases, ImporterCredits,
                         ::testing::Values(CreditsCase{"8", 80'000}, CreditsCase{"\"8.0000\"", 80'000},
                                           CreditsCase{"12.25", 122'500}, CreditsCase{"\"12.25\"", 122'500},
                                           CreditsCase{"0.0001", 1}, CreditsCase{"\"0.0001\"", 1}, CreditsCase{"0", 0},
                                           CreditsCase{"12.340000", 123'400},
                                           CreditsCase{"99999999999.9999", 999'999'999'999'999},
                                           CreditsCase{"\"99999999999.9999\"", 999'999'999'999'999},
                                           CreditsCase{"0.1", 1'000}));

TEST(Importer, AnExistingIdIsAnErrorWithoutReplaceAndOverwrittenWithIt) {
  TempStore db;
  const std::string file = Header() + GroupLine("9", "[1]") + "\n" + ProjectLine() + "\n" + BookingLine() + "\n";
  db.Import(file);
  try {
    db.Import(BookingLine({{"Credits", "\"9\""}}));
    FAIL() << "expected ImportError";
  } catch (const ImportError& e) {
    EXPECT_EQ(e.LineNumber(), 1);
    EXPECT_NE(std::string(e.what()).find("Booking 1 already exists (use --replace)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(db.Import(GroupLine("9", "[3]")), ImportError);
  EXPECT_THROW(db.Import(ProjectLine({{"Name", "\"Renamed\""}})), ImportError);

  const auto counts = db.Import(file + BookingLine({{"Credits", "\"9\""}}) + "\n" + GroupLine("9", "[3]") + "\n" +
                                    UserLine(2, "Renamed") + "\n" + ProjectLine({{"ApiKey", "\"key-2\""}}),
                                true);
  EXPECT_EQ(counts.users, 5);
  EXPECT_EQ(counts.bookings, 2);
  const auto bookings = db.Bookings(1);
  ASSERT_EQ(bookings.size(), 1u);
  EXPECT_EQ(bookings[0].credits, Credits{90'000});
  EXPECT_EQ(bookings[0].candidate.nickname, "Renamed");
  auto session = db.Get().OpenSession();
  EXPECT_TRUE(session->IsMemberOfManagedGroup(9, 3));
  EXPECT_FALSE(session->IsMemberOfManagedGroup(9, 1));
  EXPECT_FALSE(session->FindProjectByApiKey("key-1").has_value());
  EXPECT_TRUE(session->FindProjectByApiKey("key-2").has_value());
}

TEST(Importer, PasswordsAndClientSecretsAreStoredOnlyAsArgon2idHashes) {
  TempStore db;
  db.Import(Record({{"Kind", "\"User\""}, {"UserID", "9"}, {"Nickname", "\"M\""}, {"Password", "\"pw-123\""}}) + "\n" +
            UserLine(10, "NoPassword") + "\n" + ProjectLine({{"ClientSecret", "\"s3cret\""}}));
  const auto hashes = db.Query("SELECT password_hash FROM users ORDER BY user_id");
  ASSERT_EQ(hashes.size(), 2u);
  EXPECT_EQ(hashes[0].rfind("$argon2id$", 0), 0u) << hashes[0];
  EXPECT_TRUE(VerifyPassword(hashes[0], "pw-123"));
  EXPECT_EQ(hashes[1], "<null>");
  const auto secrets = db.Query("SELECT client_secret_hash FROM projects");
  ASSERT_EQ(secrets.size(), 1u);
  EXPECT_EQ(secrets[0].rfind("$argon2id$", 0), 0u) << secrets[0];
  EXPECT_TRUE(VerifyPassword(secrets[0], "s3cret"));
  EXPECT_TRUE(db.Query("SELECT 1 FROM users WHERE password_hash LIKE '%pw-123%'").empty());
}

TEST(Importer, OptionalFieldsMayBeAbsentOrNull) {
  TempStore db;
  const auto counts = db.Import(UserLine(1, "Client") + "\n" + UserLine(2, "Cand") + "\n" +
                                Record({{"Kind", "\"Booking\""},
                                        {"BookingID", "1"},
                                        {"ClientUserID", "1"},
                                        {"CandidateUserID", "2"},
                                        {"Duration", "30"},
                                        {"Credits", "5"},
                                        {"Status", "\"Pending\""},
                                        {"Method", "3"},
                                        {"SkypeName", "\"live:me\""},
                                        {"CreateDate", "\"2020-01-01T00:00:00\""},
                                        {"SessionDate", "\"2020-01-02T00:00:00\""},
                                        {"AcceptBy", "\"2020-01-01T00:00:00\""},
                                        {"Comments", "null"}}));
  EXPECT_EQ(counts.bookings, 1);
  const auto bookings = db.Bookings(1);
  ASSERT_EQ(bookings.size(), 1u);
  EXPECT_EQ(bookings[0].skype_name, "live:me");
  EXPECT_FALSE(bookings[0].last_updated.has_value());
}

TEST(Importer, BookingsDeletedByTheClientAreStoredButNotListed) {
  TempStore db;
  db.Import(Header() + BookingLine({{"DeletedByClient", "true"}}) + "\n" + BookingLine({{"BookingID", "2"}}));
  EXPECT_EQ(db.Bookings(1).size(), 1u);
  EXPECT_EQ(db.Query("SELECT count(*) FROM bookings"), std::vector<std::string>{"2"});
}

}  // namespace
}  // namespace phonechat::testing

namespace phonechat::testing {
namespace {

// A store whose batch accepts every record and, at Commit, rejects record `rejected` as a backend that checks
// records in bulk would.
class RejectingAtCommitStore final : public Store {
 public:
  explicit RejectingAtCommitStore(std::int64_t rejected) : rejected_(rejected) {}
  std::unique_ptr<StoreSession> OpenSession() override { return nullptr; }
  std::unique_ptr<WriteBatch> BeginWriteBatch() override { return std::make_unique<Batch>(rejected_); }
  void InsertToken(const NewToken& /*token*/) override {}
  bool RevokeToken(std::string_view /*token_hash*/) override { return false; }
  bool IsEmpty() override { return true; }
  std::unique_ptr<LifecycleTransaction> BeginLifecycle() override { throw std::logic_error("not in this test"); }
  LedgerAudit AuditLedger() override { throw std::logic_error("not in this test"); }

 private:
  class Batch final : public WriteBatch {
   public:
    explicit Batch(std::int64_t rejected) : rejected_(rejected) {}
    bool UserExists(UserId /*user_id*/) override { return true; }
    std::string PutUser(const UserRecord& /*user*/, bool /*replace*/) override { return {}; }
    std::string PutGroup(const GroupRecord& /*group*/, bool /*replace*/) override { return {}; }
    std::string PutProject(const ProjectRecord& /*project*/, bool /*replace*/) override { return {}; }
    std::string PutBooking(const BookingRecord& /*booking*/, bool /*replace*/) override { return {}; }
    std::string PutCredit(const CreditRecord& /*credit*/) override { return {}; }
    void Commit() override { throw RecordRejected(rejected_, "Booking 7 already exists (use --replace)"); }

   private:
    std::int64_t rejected_;
  };
  std::int64_t rejected_;
};

std::int64_t LineOfRejection(const std::string& text, std::int64_t rejected_record) {
  RejectingAtCommitStore store(rejected_record);
  std::istringstream input(text);
  try {
    ImportJsonLines(store, input, false, kImportNow);
  } catch (const ImportError& error) {
    EXPECT_NE(std::string(error.what()).find("Booking 7 already exists (use --replace)"), std::string::npos)
        << error.what();
    return error.LineNumber();
  }
  ADD_FAILURE() << "the import succeeded";
  return 0;
}

TEST(ImportJsonLines, ARecordRejectedAtCommitIsReportedByItsLineBlankLinesIncluded) {
  const std::string users = UserLine(1, "A") + "\n" + UserLine(2, "B") + "\n" + UserLine(3, "C") + "\n";
  EXPECT_EQ(LineOfRejection(users, 1), 1);
  EXPECT_EQ(LineOfRejection(users, 3), 3);
  const std::string spaced = "\n" + UserLine(1, "A") + "\n\n  \n" + UserLine(2, "B") + "\n" + UserLine(3, "C") + "\n\n" +
                             UserLine(4, "D") + "\n";
  EXPECT_EQ(LineOfRejection(spaced, 1), 2);
  EXPECT_EQ(LineOfRejection(spaced, 2), 5);
  EXPECT_EQ(LineOfRejection(spaced, 3), 6);
  EXPECT_EQ(LineOfRejection(spaced, 4), 8);
}

}  // namespace
}  // namespace phonechat::testing

namespace phonechat::testing {
namespace {

TEST(ImporterLifecycle, TheUsersSettingsAndTheBookingsNewFieldsReadBack) {
  TempStore db;
  const auto counts = db.Import(UserLine(1, "Client") + "\n" +
                                Record({{"Kind", "\"User\""},
                                        {"UserID", "2"},
                                        {"Nickname", "\"Cand\""},
                                        {"PhoneChatNumber", "\"+447700900123\""},
                                        {"OffersPhoneChat", "true"},
                                        {"PhoneChatPPM", "\"0.5\""},
                                        {"OfferDirectChat", "true"},
                                        {"DirectChatOnly", "true"},
                                        {"DirectChatPPM", "2"},
                                        {"ShowPhoneChatNumber", "true"}}) +
                                "\n" +
                                BookingLine({{"Status", "\"Rejected\""},
                                             {"AcceptedDate", "null"},
                                             {"ConfirmedDate", "null"},
                                             {"RejectedReason", "\"The booking was not accepted in time.\""},
                                             {"OfferedCredits", "\"7.5\""},
                                             {"DeletedByCandidate", "true"}}) +
                                "\n" + BookingLine({{"BookingID", "2"}}) + "\n");
  EXPECT_EQ(counts.users, 2);
  EXPECT_EQ(counts.bookings, 2);
  auto session = db.Get().OpenSession();
  const auto user = session->FindUser(2);
  ASSERT_TRUE(user.has_value());
  EXPECT_TRUE(user->settings.offers_phonechat);
  EXPECT_EQ(user->settings.phonechat_ppm, Credits{5'000});
  EXPECT_TRUE(user->settings.offer_direct_chat);
  ASSERT_TRUE(user->settings.direct_chat.has_value());
  EXPECT_TRUE(user->settings.direct_chat->direct_chat_only);
  EXPECT_EQ(user->settings.direct_chat->ppm, Credits{20'000});
  EXPECT_TRUE(user->settings.show_phonechat_number);
  const auto rejected = session->FindBooking(1);
  ASSERT_TRUE(rejected.has_value());
  EXPECT_EQ(rejected->rejection_kind, RejectionKind::kLapsed);
  EXPECT_EQ(rejected->offered_credits, Credits{75'000});
  EXPECT_EQ(rejected->credits, Credits{80'000});
  EXPECT_TRUE(rejected->deleted_by_candidate);
  const auto confirmed = session->FindBooking(2);
  ASSERT_TRUE(confirmed.has_value());
  EXPECT_TRUE(confirmed->settled) << "its session was over at kImportNow";
  EXPECT_EQ(confirmed->offered_credits, confirmed->credits);
}

TEST(ImporterLifecycle, CreditsAreCountedAndLandInTheLedger) {
  TempStore db;
  const auto counts = db.Import(UserLine(1, "Client") + "\n" + UserLine(2, "Cand") + "\n" +
                                R"({"Kind":"Credit","UserID":1,"Amount":"250","Date":"2018-01-01T10:00:00",)"
                                R"("Description":"Purchase"})" +
                                "\n" + BookingLine() + "\n" +
                                R"({"Kind":"Credit","UserID":2,"Amount":0.5,"Date":"2018-01-01T10:00:00",)"
                                R"("Description":"Gift"})" +
                                "\n");
  EXPECT_EQ(counts.credits, 2);
  const LedgerAudit audit = db.Get().AuditLedger();
  EXPECT_EQ(audit.entries, 2) << "the sample's Confirmed booking was settled: no Payment";
  EXPECT_TRUE(audit.mismatched.empty());
  EXPECT_EQ(audit.sum_of_all_ten_thousandths, 0);
}

TEST(ImporterLifecycle, AConfirmedBookingNotOverAtTheImportIsPaidIntoEscrow) {
  TempStore db;
  db.Import(UserLine(1, "Client") + "\n" + UserLine(2, "Cand") + "\n" + BookingLine() + "\n", false,
            *ParseLocalDateTime("2018-01-21T14:00:00"));
  const LedgerAudit audit = db.Get().AuditLedger();
  EXPECT_EQ(audit.entries, 1);
  EXPECT_EQ(audit.escrow, Credits{80'000});
  EXPECT_EQ(audit.unsettled_confirmed, Credits{80'000});
}

TEST(ImporterLifecycle, ACreditOfAUserNotYetImportedStopsTheImportAtItsLine) {
  TempStore db;
  try {
    db.Import(UserLine(1, "Client") + "\n" +
              R"({"Kind":"Credit","UserID":2,"Amount":"5","Date":"2018-01-01T10:00:00","Description":"x"})" + "\n" +
              UserLine(2, "Cand") + "\n");
    FAIL() << "expected ImportError";
  } catch (const ImportError& e) {
    EXPECT_EQ(e.LineNumber(), 2);
    EXPECT_NE(std::string(e.what()).find("Credit.UserID 2 is not a known user"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(db.Get().IsEmpty());
}

TEST(ImporterLifecycle, ARescheduledBookingNamesAnEarlierBookingOfTheSamePartiesOnce) {
  TempStore db;
  const std::string users = UserLine(1, "Client") + "\n" + UserLine(2, "Cand") + "\n" + UserLine(3, "Other") + "\n";
  db.Import(users + BookingLine() + "\n" + BookingLine({{"BookingID", "2"}, {"RescheduledFromBookingID", "1"}}) + "\n");
  EXPECT_EQ(db.Get().OpenSession()->FindBooking(2)->rescheduled_from, 1);
  try {
    db.Import(BookingLine({{"BookingID", "3"}, {"RescheduledFromBookingID", "1"}}) + "\n");
    FAIL() << "expected ImportError";
  } catch (const ImportError& e) {
    EXPECT_NE(std::string(e.what()).find("line 1: Booking.RescheduledFromBookingID 1 was already rescheduled, as "
                                         "booking 2"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace phonechat::testing
