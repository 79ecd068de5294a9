#include "serialization/body_writer.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <limits>
#include <regex>
#include <string>
#include <vector>

namespace phonechat {
namespace {

// The published samples, exactly as the seed page prints them (the second, elided booking left out).
constexpr std::string_view kSeedJsonSample = R"({
    "PageCount": 3,
    "PageNumber": 1,
    "BookingsTotal": 30,
    "BookingsPerPage": 10,
    "Bookings": [
        {
            "BookingID": 1,
            "Duration": 15,
            "Credits": 8,
            "Status": "Confirmed",
            "Method": 2,
            "PhoneNumber": null,
            "SkypeName": null,
            "CreateDate": "2018-01-20T12:34:56.789",
            "SessionDate": "2018-01-22T21:30:00",
            "AcceptBy": "2018-01-22T00:00:00",
            "AcceptedDate": "2018-01-21T12:48:13.412",
            "ConfirmedDate": "2018-01-21T13:24:05.987",
            "CancelledDate": null,
            "CancelledReason": null,
            "CancelledBy": null,
            "RejectedReason": null,
            "LastUpdated": "2018-01-21T13:24:05.987",
            "Comments": null,
            "ActionClient": "You need to carry out the session",
            "Candidate": {
                "UserID": 123456,
                "Nickname": "BookedUser",
                "PhoneNumber": null,
                "SkypeName": null,
                "Total": 6,
                "Positive": 7,
                "Neutral": 0,
                "Negative": 1,
                "Ratings": 8,
                "Disputes": 0
            }
        }
    ]
})";

constexpr std::string_view kSeedXmlSample =
    R"(<BookingsResult xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings.Made">
    <Bookings>
        <MadeBooking>
            <AcceptBy>2018-01-22T00:00:00</AcceptBy>
            <AcceptedDate>2018-01-21T12:48:13.412</AcceptedDate>
            <ActionClient>You need to carry out the session</ActionClient>
            <BookingID>1</BookingID>            
            <CancelledBy i:nil="true" />
            <CancelledDate i:nil="true" />
            <CancelledReason i:nil="true" />
            <Candidate xmlns:d4p1="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings">
                <Disputes xmlns="http://schemas.datacontract.org/2004/07/API.Models.Profile">0</Disputes>
                <Negative xmlns="http://schemas.datacontract.org/2004/07/API.Models.Profile">1</Negative>
                <Neutral xmlns="http://schemas.datacontract.org/2004/07/API.Models.Profile">0</Neutral>
                <Positive xmlns="http://schemas.datacontract.org/2004/07/API.Models.Profile">7</Positive>
                <Ratings xmlns="http://schemas.datacontract.org/2004/07/API.Models.Profile">8</Ratings>
                <Total xmlns="http://schemas.datacontract.org/2004/07/API.Models.Profile">6</Total>
                <d4p1:Nickname>BookedUser</d4p1:Nickname>
                <d4p1:PhoneNumber i:nil="true" />
                <d4p1:SkypeName i:nil="true" />
                <d4p1:UserID>123456</d4p1:UserID>
            </Candidate>
            <Comments i:nil="true" />
            <ConfirmedDate>2018-01-21T13:24:05.987</ConfirmedDate>
            <CreateDate>2018-01-20T12:34:56.789</CreateDate>
            <Credits>8.0000</Credits>
            <Duration>5</Duration>
            <LastUpdated>2018-01-21T13:24:05.987</LastUpdated>
            <Method>2</Method>
            <PhoneNumber i:nil="true" />
            <RejectedReason i:nil="true" />
            <SessionDate>2018-01-22T21:30:00</SessionDate>
            <SkypeName i:nil="true" />
            <Status>Confirmed</Status>
        </MadeBooking>
    </Bookings>
    <BookingsPerPage>10</BookingsPerPage>
    <BookingsTotal>30</BookingsTotal>
    <PageCount>1</PageCount>
    <PageNumber>3</PageNumber>
</BookingsResult>)";

// The JSON sample without the white space between tokens (none of its strings holds any that matters).
std::string CompactJson(std::string_view indented) {
  std::string compact;
  bool in_string = false;
  for (const char c : indented) {
    if (c == '"') in_string = !in_string;
    if (!in_string && (c == ' ' || c == '\n')) continue;
    compact.push_back(c);
  }
  return compact;
}

// The XML sample compacted the way the serializer writes: no white space between tags, `<X i:nil="true"/>`.
std::string CompactXml(std::string_view indented) {
  const std::string text(indented);
  const std::string no_indent = std::regex_replace(text, std::regex(R"(>\s+<)"), "><");
  return std::regex_replace(no_indent, std::regex(R"(" />)"), "\"/>");
}

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

LocalDateTime Date(std::string_view text) {
  const auto parsed = ParseLocalDateTime(text);
  EXPECT_TRUE(parsed) << text;
  return parsed.value_or(LocalDateTime{});
}

// The seed's sample booking, as storage would hold it.
StoredBooking SeedBooking() {
  StoredBooking booking;
  booking.booking_id = 1;
  booking.client_user_id = 555;
  booking.duration_minutes = 15;
  booking.credits = Credits{80'000};
  booking.status = BookingStatus::kConfirmed;
  booking.method = ContactMethod::kClientCalls;
  booking.create_date = Date("2018-01-20T12:34:56.789");
  booking.session_date = Date("2018-01-22T21:30:00");
  booking.accept_by = Date("2018-01-22T00:00:00");
  booking.accepted_date = Date("2018-01-21T12:48:13.412");
  booking.confirmed_date = Date("2018-01-21T13:24:05.987");
  booking.last_updated = Date("2018-01-21T13:24:05.987");
  booking.candidate = CandidateProfile{123456, "BookedUser", "+447700900123", std::nullopt, 7, 0, 1, 0};
  return booking;
}

// The seed's sample booking as its client sees it before the session.
MadeBookingView SeedView(const StoredBooking& booking) {
  MadeBookingView view;
  view.stored = &booking;
  view.status = BookingStatus::kConfirmed;
  view.action_client = "You need to carry out the session";
  return view;
}

MadeBookingsPage SeedPage(const StoredBooking& booking) {
  MadeBookingsPage page;
  page.page_count = 3;
  page.page_number = 1;
  page.bookings_total = 30;
  page.bookings_per_page = 10;
  page.bookings.push_back(SeedView(booking));
  return page;
}

// A cancelled Skype booking with every optional field set.
StoredBooking FullBooking() {
  StoredBooking booking = SeedBooking();
  booking.booking_id = 2147483647;
  booking.duration_minutes = 60;
  booking.credits = Credits{122'500};
  booking.status = BookingStatus::kCancelled;
  booking.method = ContactMethod::kSkype;
  booking.skype_name = "client.skype";
  booking.cancelled_date = Date("2018-01-21T14:00:00.5");
  booking.cancelled_reason = "Change of plans";
  booking.cancelled_by = CancelledBy::kClient;
  booking.comments = "See you";
  booking.candidate.skype_name = "candidate.skype";
  return booking;
}

MadeBookingView FullView(const StoredBooking& booking) {
  MadeBookingView view;
  view.stored = &booking;
  view.status = BookingStatus::kCancelled;
  view.rejected_reason = "Not in time";
  view.action_client = "Do something";
  view.phone_number = "+447700900999";
  view.skype_name = *booking.skype_name;
  view.candidate_phone_number = *booking.candidate.phonechat_number;
  view.candidate_skype_name = *booking.candidate.skype_name;
  return view;
}

// Names of the direct children of the first element named `parent`, in document order.
std::vector<std::string> ChildElementNames(const std::string& xml, std::string_view parent) {
  std::vector<std::string> names;
  auto at = xml.find("<" + std::string(parent));
  if (at == std::string::npos) return names;
  at = xml.find('>', at) + 1;
  int depth = 0;
  while (at < xml.size()) {
    at = xml.find('<', at);
    if (at == std::string::npos) break;
    const auto close = xml.find('>', at);
    const std::string tag = xml.substr(at + 1, close - at - 1);
    at = close + 1;
    if (tag.front() == '/') {
      if (depth-- == 0) break;
      continue;
    }
    if (depth == 0) names.push_back(tag.substr(0, tag.find_first_of(" /")));
    if (tag.back() != '/') ++depth;
  }
  return names;
}

// Whether a strict XML parser accepts `xml`; skips the calling test when no xmllint is installed.
#ifdef PHONECHAT_XMLLINT
bool XmllintAccepts(const std::string& xml) {
  FILE* pipe = popen(PHONECHAT_XMLLINT " --noout - 2>/dev/null", "w");
  if (pipe == nullptr) return false;
  std::fwrite(xml.data(), 1, xml.size(), pipe);
  const int status = pclose(pipe);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
#define EXPECT_WELL_FORMED_XML(xml) EXPECT_TRUE(XmllintAccepts(xml)) << (xml)
#else
#define EXPECT_WELL_FORMED_XML(xml) GTEST_SKIP() << "xmllint is not installed"
#endif

// A byte is allowed in our XML output only if it is TAB, LF or printable (CR must be a reference).
bool HasForbiddenXmlByte(std::string_view xml) {
  for (const char c : xml) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 && byte != '\t' && byte != '\n') return true;
  }
  return xml.find("\xEF\xBF\xBE") != std::string_view::npos || xml.find("\xEF\xBF\xBF") != std::string_view::npos;
}

std::string Json(const MadeBookingsPage& page) {
  std::string out;
  WriteMadeBookingsJson(out, page);
  return out;
}

std::string Xml(const MadeBookingsPage& page) {
  std::string out;
  WriteMadeBookingsXml(out, page);
  return out;
}

std::string JsonString(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

std::string XmlText(std::string_view text) {
  std::string out;
  AppendXmlText(out, text);
  return out;
}

TEST(MadeBookingsJson, SeedSampleIsReproducedByteForByte) {
  const auto booking = SeedBooking();
  EXPECT_EQ(Json(SeedPage(booking)), CompactJson(kSeedJsonSample));
}

TEST(MadeBookingsXml, SeedSampleIsReproducedByteForByteWithItsInconsistenciesCorrected) {
  const auto booking = SeedBooking();
  std::string expected = CompactXml(kSeedXmlSample);
  // docs/api.md, "Where the published samples disagree": the XML sample's Duration and page numbers disagree with the
  // JSON sample's.
  expected = Replace(expected, "<Duration>5</Duration>", "<Duration>15</Duration>");
  expected = Replace(expected, "<PageCount>1</PageCount><PageNumber>3</PageNumber>",
                     "<PageCount>3</PageCount><PageNumber>1</PageNumber>");
  EXPECT_EQ(Xml(SeedPage(booking)), expected);
}

TEST(MadeBookings, FormatChoosesTheWriter) {
  const auto booking = SeedBooking();
  const auto page = SeedPage(booking);
  std::string json;
  std::string xml;
  WriteMadeBookings(json, page, BodyFormat::kJson);
  WriteMadeBookings(xml, page, BodyFormat::kXml);
  EXPECT_EQ(json, Json(page));
  EXPECT_EQ(xml, Xml(page));
}

TEST(MadeBookings, EmptyPageHasAnEmptyListInBothFormats) {
  MadeBookingsPage page;
  page.page_count = 0;
  page.page_number = 4;
  page.bookings_total = 0;
  page.bookings_per_page = 50;
  EXPECT_EQ(Json(page), R"({"PageCount":0,"PageNumber":4,"BookingsTotal":0,"BookingsPerPage":50,"Bookings":[]})");
  EXPECT_EQ(Xml(page), R"(<BookingsResult xmlns:i="http://www.w3.org/2001/XMLSchema-instance" )"
                       R"(xmlns="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings.Made">)"
                       R"(<Bookings/><BookingsPerPage>50</BookingsPerPage><BookingsTotal>0</BookingsTotal>)"
                       R"(<PageCount>0</PageCount><PageNumber>4</PageNumber></BookingsResult>)");
}

TEST(MadeBookings, WritesAppendingToTheCallersBuffer) {
  const auto booking = SeedBooking();
  std::string out = "prefix";
  WriteMadeBookingsJson(out, SeedPage(booking));
  EXPECT_EQ(out, "prefix" + Json(SeedPage(booking)));
}

TEST(MadeBookingsJson, MembersFollowThePublishedOrder) {
  const auto booking = FullBooking();
  MadeBookingsPage page;
  page.bookings.push_back(FullView(booking));
  const auto parsed = boost::json::parse(Json(page));
  std::vector<std::string> page_keys;
  for (const auto& member : parsed.as_object()) page_keys.emplace_back(member.key());
  EXPECT_EQ(page_keys,
            (std::vector<std::string>{"PageCount", "PageNumber", "BookingsTotal", "BookingsPerPage", "Bookings"}));
  const auto& first = parsed.at("Bookings").at(0).as_object();
  std::vector<std::string> booking_keys;
  for (const auto& member : first) booking_keys.emplace_back(member.key());
  EXPECT_EQ(booking_keys, (std::vector<std::string>{
                              "BookingID",      "Duration",      "Credits",       "Status",          "Method",
                              "PhoneNumber",    "SkypeName",     "CreateDate",    "SessionDate",     "AcceptBy",
                              "AcceptedDate",   "ConfirmedDate", "CancelledDate", "CancelledReason", "CancelledBy",
                              "RejectedReason", "LastUpdated",   "Comments",      "ActionClient",    "Candidate"}));
  std::vector<std::string> candidate_keys;
  for (const auto& member : first.at("Candidate").as_object()) candidate_keys.emplace_back(member.key());
  EXPECT_EQ(candidate_keys, (std::vector<std::string>{"UserID", "Nickname", "PhoneNumber", "SkypeName", "Total",
                                                      "Positive", "Neutral", "Negative", "Ratings", "Disputes"}));
}

TEST(MadeBookingsJson, PresentOptionalFieldsCarryTheirValues) {
  const auto booking = FullBooking();
  MadeBookingsPage page;
  page.bookings.push_back(FullView(booking));
  const auto json = Json(page);
  EXPECT_NE(json.find(R"("BookingID":2147483647,"Duration":60,"Credits":12.25,"Status":"Cancelled","Method":3,)"
                      R"("PhoneNumber":"+447700900999","SkypeName":"client.skype",)"),
            std::string::npos)
      << json;
  EXPECT_NE(
      json.find(R"("CancelledDate":"2018-01-21T14:00:00.5","CancelledReason":"Change of plans",)"
                R"("CancelledBy":"Client","RejectedReason":"Not in time","LastUpdated":"2018-01-21T13:24:05.987",)"
                R"("Comments":"See you","ActionClient":"Do something",)"),
      std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("Candidate":{"UserID":123456,"Nickname":"BookedUser","PhoneNumber":"+447700900123",)"
                      R"("SkypeName":"candidate.skype",)"),
            std::string::npos)
      << json;
}

TEST(MadeBookingsXml, ElementsFollowDataContractOrder) {
  const auto booking = FullBooking();
  MadeBookingsPage page;
  page.bookings.push_back(FullView(booking));
  const auto xml = Xml(page);
  EXPECT_EQ(ChildElementNames(xml, "BookingsResult"),
            (std::vector<std::string>{"Bookings", "BookingsPerPage", "BookingsTotal", "PageCount", "PageNumber"}));
  EXPECT_EQ(
      ChildElementNames(xml, "MadeBooking"),
      (std::vector<std::string>{"AcceptBy",      "AcceptedDate",    "ActionClient", "BookingID",   "CancelledBy",
                                "CancelledDate", "CancelledReason", "Candidate",    "Comments",    "ConfirmedDate",
                                "CreateDate",    "Credits",         "Duration",     "LastUpdated", "Method",
                                "PhoneNumber",   "RejectedReason",  "SessionDate",  "SkypeName",   "Status"}));
  EXPECT_EQ(ChildElementNames(xml, "Candidate"),
            (std::vector<std::string>{"Disputes", "Negative", "Neutral", "Positive", "Ratings", "Total",
                                      "d4p1:Nickname", "d4p1:PhoneNumber", "d4p1:SkypeName", "d4p1:UserID"}));
  EXPECT_WELL_FORMED_XML(xml);
}

TEST(MadeBookingsXml, PresentOptionalFieldsCarryTheirValues) {
  const auto booking = FullBooking();
  MadeBookingsPage page;
  page.bookings.push_back(FullView(booking));
  const auto xml = Xml(page);
  for (const char* element :
       {"<CancelledBy>Client</CancelledBy>", "<CancelledDate>2018-01-21T14:00:00.5</CancelledDate>",
        "<CancelledReason>Change of plans</CancelledReason>", "<Comments>See you</Comments>",
        "<Credits>12.2500</Credits>", "<Method>3</Method>", "<PhoneNumber>+447700900999</PhoneNumber>",
        "<RejectedReason>Not in time</RejectedReason>", "<SkypeName>client.skype</SkypeName>",
        "<Status>Cancelled</Status>", "<d4p1:PhoneNumber>+447700900123</d4p1:PhoneNumber>",
        "<d4p1:SkypeName>candidate.skype</d4p1:SkypeName>", "<BookingID>2147483647</BookingID>"}) {
    EXPECT_NE(xml.find(element), std::string::npos) << element << " in " << xml;
  }
  EXPECT_EQ(xml.find("i:nil"), std::string::npos) << xml;
}

TEST(MadeBookings, CandidateTotalsAreComputedWithoutOverflow) {
  auto booking = SeedBooking();
  constexpr auto kMax = std::numeric_limits<std::int32_t>::max();
  booking.candidate.positive = kMax;
  booking.candidate.neutral = kMax;
  booking.candidate.negative = kMax;
  auto page = SeedPage(booking);
  EXPECT_NE(Json(page).find(R"("Total":0,)"), std::string::npos);
  EXPECT_NE(Json(page).find(R"("Ratings":6442450941,)"), std::string::npos);
  EXPECT_NE(Xml(page).find(">6442450941</Ratings>"), std::string::npos);
  booking.candidate.positive = 0;
  EXPECT_NE(Json(page).find(R"("Total":-2147483647,)"), std::string::npos);
  EXPECT_NE(Xml(page).find(">-2147483647</Total>"), std::string::npos);
}

// Every awkward kind of text a user can type or a database can hold.
const std::string kHostile = std::string(
                                 "a<b&c>d\re\x01"
                                 "f\x1F"
                                 "g\th\ni\"j\\k") +
                             "\xEF\xBF\xBE" + "\xEF\xBF\xBF" + "\xFF" + "\xED\xA0\x80" + "\xC0\xAF" + "\xC3\xA9" +
                             "\xF0\x9F\x98\x80" + "\x7F" + "\xE2\x82";

TEST(AppendJsonString, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonString("plain"), R"("plain")");
  EXPECT_EQ(JsonString(""), R"("")");
  EXPECT_EQ(JsonString("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(JsonString("\r\n\t\b\f"), R"("\r\n\t\b\f")");
  EXPECT_EQ(JsonString(std::string("\x01\x1F\x00", 3)), R"("\u0001\u001f\u0000")");
  EXPECT_EQ(JsonString("<&>/"), R"("<&>/")");
}

TEST(AppendJsonString, KeepsValidUtf8AsIs) {
  EXPECT_EQ(JsonString("\xC3\xA9"), "\"\xC3\xA9\"");
  EXPECT_EQ(JsonString("\xF0\x9F\x98\x80"), "\"\xF0\x9F\x98\x80\"");
  EXPECT_EQ(JsonString("\xEF\xBF\xBE"), "\"\xEF\xBF\xBE\"");  // U+FFFE is a valid JSON character
}

TEST(AppendJsonString, ReplacesEachIllFormedUtf8SubpartWithU_FFFD) {
  const std::string replacement = "\xEF\xBF\xBD";
  EXPECT_EQ(JsonString("\xFF"), "\"" + replacement + "\"");
  EXPECT_EQ(JsonString("a\xE2\x82"), "\"a" + replacement + "\"");                                // truncated
  EXPECT_EQ(JsonString("\xC0\xAF"), "\"" + replacement + replacement + "\"");                    // overlong
  EXPECT_EQ(JsonString("\xED\xA0\x80"), "\"" + replacement + replacement + replacement + "\"");  // surrogate
  EXPECT_EQ(JsonString("\xF4\x90\x80\x80"), "\"" + replacement + replacement + replacement + replacement + "\"");
  EXPECT_EQ(JsonString("\"\xFF\""), "\"\\\"" + replacement + "\\\"\"");
}

TEST(AppendJsonString, HostileTextStillParsesAsJson) {
  const auto json = JsonString(kHostile);
  boost::system::error_code error;
  const auto parsed = boost::json::parse(json, error);  // Boost.JSON's parser rejects invalid UTF-8
  ASSERT_FALSE(error) << error.message();
  const std::string replacement = "\xEF\xBF\xBD";
  const std::string expected = std::string(
                                   "a<b&c>d\re\x01"
                                   "f\x1F"
                                   "g\th\ni\"j\\k") +
                               "\xEF\xBF\xBE" + "\xEF\xBF\xBF" + replacement + replacement + replacement + replacement +
                               replacement + replacement + "\xC3\xA9" + "\xF0\x9F\x98\x80" + "\x7F" + replacement;
  EXPECT_EQ(std::string(parsed.as_string()), expected);
}

TEST(AppendXmlText, EscapesMarkupAndCarriageReturn) {
  EXPECT_EQ(XmlText("a<b&c>d\re"), "a&lt;b&amp;c&gt;d&#xD;e");
  EXPECT_EQ(XmlText("tab\tline\n\"quote'"), "tab\tline\n\"quote'");
  EXPECT_EQ(XmlText(""), "");
}

TEST(AppendXmlText, DropsCharactersXmlForbidsAndKeepsTheRest) {
  EXPECT_EQ(XmlText(kHostile),
            std::string("a&lt;b&amp;c&gt;d&#xD;efg\th\ni\"j\\k") + "\xC3\xA9" + "\xF0\x9F\x98\x80" + "\x7F");
  EXPECT_EQ(XmlText(std::string("\x00x", 2)), "x");
  EXPECT_EQ(XmlText("\xEE\x80\x80\xEF\xBF\xBD"), "\xEE\x80\x80\xEF\xBF\xBD");  // U+E000 and U+FFFD are allowed
}

TEST(MadeBookings, HostileTextYieldsValidJsonAndWellFormedXml) {
  auto booking = FullBooking();
  booking.comments = kHostile;
  booking.cancelled_reason = kHostile;
  booking.candidate.nickname = kHostile;
  auto view = FullView(booking);
  view.action_client = "Waiting for " + kHostile + " to accept the booking";
  MadeBookingsPage page;
  page.bookings.push_back(view);

  const auto json = Json(page);
  boost::system::error_code error;
  const auto parsed = boost::json::parse(json, error);
  ASSERT_FALSE(error) << error.message();
  EXPECT_EQ(parsed.at("Bookings").at(0).at("Comments"), parsed.at("Bookings").at(0).at("CancelledReason"));

  const auto xml = Xml(page);
  EXPECT_FALSE(HasForbiddenXmlByte(xml));
  EXPECT_NE(xml.find("<Comments>a&lt;b&amp;c&gt;d&#xD;efg"), std::string::npos) << xml;
  EXPECT_WELL_FORMED_XML(xml);
}

// The account bodies, from their field tables.
std::string AccountBody(const AccountCredentials& account, BodyFormat format) {
  std::string out;
  WriteAccountCredentials(out, account, format);
  return out;
}

std::string PermissionsBody(const std::vector<std::string_view>& granted, BodyFormat format) {
  std::string out;
  WritePermissions(out, granted, format);
  return out;
}

constexpr std::string_view kAccountRoot = R"(<AccountCredentials xmlns:i="http://www.w3.org/2001/XMLSchema-instance")"
                                          R"( xmlns="http://schemas.datacontract.org/2004/07/API.Models.Account">)";

TEST(AccountCredentials, WithoutAccountInformationTheGroupMembersAreLeftOutNotNull) {
  const AccountCredentials account{7, "Nick", false, 12, "Group", true};
  EXPECT_EQ(AccountBody(account, BodyFormat::kJson), R"({"UserID":7,"Nickname":"Nick"})");
  EXPECT_EQ(AccountBody(account, BodyFormat::kXml),
            std::string(kAccountRoot) + "<Nickname>Nick</Nickname><UserID>7</UserID></AccountCredentials>");
}

TEST(AccountCredentials, GroupMembersComeAlphabeticallyFirstInXmlAndLastInJson) {
  const AccountCredentials account{7, "Nick", true, std::nullopt, "Group", false};
  EXPECT_EQ(AccountBody(account, BodyFormat::kJson),
            R"({"UserID":7,"Nickname":"Nick","GroupID":null,"GroupName":"Group","IsGroupManager":false})");
  EXPECT_EQ(AccountBody(account, BodyFormat::kXml),
            std::string(kAccountRoot) +
                R"(<GroupID i:nil="true"/><GroupName>Group</GroupName><IsGroupManager>false</IsGroupManager>)"
                "<Nickname>Nick</Nickname><UserID>7</UserID></AccountCredentials>");
}

TEST(AccountCredentials, HostileTextYieldsValidJsonAndWellFormedXml) {
  const AccountCredentials account{7, kHostile, true, 1, kHostile, true};
  boost::system::error_code error;
  const auto parsed = boost::json::parse(AccountBody(account, BodyFormat::kJson), error);
  ASSERT_FALSE(error) << error.message();
  EXPECT_EQ(parsed.at("Nickname"), parsed.at("GroupName"));
  const std::string xml = AccountBody(account, BodyFormat::kXml);
  EXPECT_FALSE(HasForbiddenXmlByte(xml));
  EXPECT_WELL_FORMED_XML(xml);
}

TEST(Permissions, EachScopeIsGrantedInOrderAndAnEmptyListIsSelfClosingInXml) {
  EXPECT_EQ(PermissionsBody({}, BodyFormat::kJson), R"({"Permissions":[]})");
  EXPECT_EQ(PermissionsBody({"b", "a"}, BodyFormat::kJson),
            R"({"Permissions":[{"Permission":"b","Status":"granted"},{"Permission":"a","Status":"granted"}]})");
  const std::string empty = PermissionsBody({}, BodyFormat::kXml);
  EXPECT_NE(empty.find("><Permissions/></PermissionsResult>"), std::string::npos) << empty;
  const std::string xml = PermissionsBody({"b", "a"}, BodyFormat::kXml);
  EXPECT_NE(xml.find("<Permissions><PermissionStatus><Permission>b</Permission><Status>granted</Status>"
                     "</PermissionStatus><PermissionStatus><Permission>a</Permission><Status>granted</Status>"
                     "</PermissionStatus></Permissions></PermissionsResult>"),
            std::string::npos)
      << xml;
  EXPECT_WELL_FORMED_XML(xml);
}

TEST(Permissions, WritesAppendingToTheCallersBuffer) {
  std::string out = "prefix";
  WritePermissions(out, {"s"}, BodyFormat::kJson);
  WriteAccountCredentials(out, AccountCredentials{1, "n", false, {}, {}, false}, BodyFormat::kJson);
  EXPECT_EQ(out, R"(prefix{"Permissions":[{"Permission":"s","Status":"granted"}]}{"UserID":1,"Nickname":"n"})");
}

#ifdef PHONECHAT_XMLLINT
TEST(XmlCheck, XmllintRejectsAForbiddenCharacter) {
  EXPECT_FALSE(XmllintAccepts("<a>\x01</a>"));
  EXPECT_TRUE(XmllintAccepts("<a>x</a>"));
}
#endif

Error MessageOnly(ErrorCode code, std::string message) {
  Error error;
  error.code = code;
  error.message = std::move(message);
  return error;
}

TEST(ErrorBody, JsonMessageOnly) {
  std::string out;
  WriteErrorBody(out, MessageOnly(ErrorCode::kUnauthenticated, "Authorization has been denied for this request."),
                 BodyFormat::kJson);
  EXPECT_EQ(out, R"({"Message":"Authorization has been denied for this request."})");
}

TEST(ErrorBody, XmlMessageOnly) {
  std::string out;
  WriteErrorBody(
      out, MessageOnly(ErrorCode::kNotFound, "No HTTP resource was found that matches the request URI '/v1/<x>'."),
      BodyFormat::kXml);
  EXPECT_EQ(out,
            "<Error><Message>No HTTP resource was found that matches the request URI '/v1/&lt;x&gt;'."
            "</Message></Error>");
  EXPECT_WELL_FORMED_XML(out);
}

Error InvalidRequest() {
  ModelState state;
  state.Add("BookingsPerPage", "BookingsPerPage must be between 1 and 100.");
  state.Add("PageNumber", "PageNumber must be a whole number of at least 1.");
  state.Add("BookingsPerPage", "BookingsPerPage is given twice.");
  return std::move(state).ToError();
}

TEST(ErrorBody, JsonModelStateListsEachFieldsMessagesInOrder) {
  std::string out;
  WriteErrorBody(out, InvalidRequest(), BodyFormat::kJson);
  EXPECT_EQ(out,
            R"({"Message":"The request is invalid.","ModelState":{)"
            R"("BookingsPerPage":["BookingsPerPage must be between 1 and 100.","BookingsPerPage is given twice."],)"
            R"("PageNumber":["PageNumber must be a whole number of at least 1."]}})");
}

TEST(ErrorBody, XmlModelStateJoinsEachFieldsMessagesWithASpace) {
  std::string out;
  WriteErrorBody(out, InvalidRequest(), BodyFormat::kXml);
  EXPECT_EQ(out,
            "<Error><Message>The request is invalid.</Message><ModelState>"
            "<BookingsPerPage>BookingsPerPage must be between 1 and 100. BookingsPerPage is given twice."
            "</BookingsPerPage><PageNumber>PageNumber must be a whole number of at least 1.</PageNumber>"
            "</ModelState></Error>");
  EXPECT_WELL_FORMED_XML(out);
}

TEST(ErrorBody, HostileMessagesAndFieldNamesStayWellFormed) {
  ModelState state;
  state.Add("1 bad<name>", kHostile);
  const auto error = std::move(state).ToError();
  std::string json;
  WriteErrorBody(json, error, BodyFormat::kJson);
  boost::system::error_code parse_error;
  boost::json::parse(json, parse_error);
  EXPECT_FALSE(parse_error) << json;
  std::string xml;
  WriteErrorBody(xml, error, BodyFormat::kXml);
  EXPECT_FALSE(HasForbiddenXmlByte(xml));
  EXPECT_NE(xml.find("<_x0031__x0020_bad_x003C_name_x003E_>"), std::string::npos) << xml;
  EXPECT_WELL_FORMED_XML(xml);
}

}  // namespace
}  // namespace phonechat
