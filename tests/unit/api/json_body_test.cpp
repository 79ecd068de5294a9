// Unit tests of the POST body binder: media type, parsing, each member reader, duplicates and the canonical form.
#include "api/json_body.hpp"

#include <gtest/gtest.h>

#include "domain/booking.hpp"

namespace phonechat {
namespace {

using namespace std::literals;

JsonObject Parse(std::string_view text) {
  auto object = ParseJsonObject(text);
  if (!object) ADD_FAILURE() << "not parsed: " << text;
  return object ? std::move(*object) : JsonObject{};
}

// The messages recorded against `key`, joined by " | ".
std::string MessagesOf(const ModelState& state, std::string_view key) {
  const Error error = ModelState(state).ToError();
  for (const FieldErrors& field : error.model_state) {
    if (field.field != key) continue;
    std::string joined;
    for (const std::string& message : field.messages) joined += (joined.empty() ? "" : " | ") + message;
    return joined;
  }
  return {};
}

std::vector<std::string> KeysOf(const ModelState& state) {
  std::vector<std::string> keys;
  for (const FieldErrors& field : ModelState(state).ToError().model_state) keys.push_back(field.field);
  return keys;
}

// Binds one member of `json` with `read`; the ModelState is returned through `errors`.
template <typename Read>
auto BindOne(std::string_view json, ModelState& errors, Read read, const ServiceZone* zone = nullptr) {
  const JsonObject body = Parse(json);
  BodyBinder binder(body, errors, zone);
  auto result = read(binder);
  binder.Finish();
  return result;
}

std::optional<std::int64_t> BookingId(std::string_view json, ModelState& errors) {
  return BindOne(json, errors, [](BodyBinder& b) { return b.Id("BookingID", true); });
}

std::string BodyMessage(const Result<JsonObject>& result) {
  if (result) return {};
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(result.error().message, "The request is invalid.");
  if (result.error().model_state.size() != 1 || result.error().model_state[0].field != "body") return "(no body key)";
  return result.error().model_state[0].messages.at(0);
}

// --- media type ---

TEST(JsonBodyMediaType, JsonTypesAreReadInAnyCaseWithParameters) {
  for (const char* type : {"application/json", "text/json", "Application/JSON", "application/json; charset=utf-8",
                           "text/json;charset=\"UTF-8\"", " application/json ; foo=bar"}) {
    auto body = ReadJsonBody(type, R"({"A":1})");
    ASSERT_TRUE(body) << type;
    EXPECT_EQ(body->members.size(), 1u);
  }
}

TEST(JsonBodyMediaType, AnotherCharsetIs415) {
  auto body = ReadJsonBody("application/json; charset=iso-8859-1", "{}");
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code, ErrorCode::kUnsupportedMediaType);
  EXPECT_NE(body.error().message.find("iso-8859-1"), std::string::npos);
}

TEST(JsonBodyMediaType, AnotherTypeIs415NamingIt) {
  auto body = ReadJsonBody("text/plain", "{}");
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code, ErrorCode::kUnsupportedMediaType);
  EXPECT_EQ(body.error().message, "The media type 'text/plain' is not supported; send the body as application/json.");
  auto form = ReadJsonBody("application/x-www-form-urlencoded; charset=utf-8", "a=1");
  ASSERT_FALSE(form);
  EXPECT_EQ(form.error().message,
            "The media type 'application/x-www-form-urlencoded' is not supported; send the body as "
            "application/json.");
}

TEST(JsonBodyMediaType, MissingContentTypeWithABodyIs415SayingSo) {
  for (const std::optional<std::string_view> type : {std::optional<std::string_view>{}, std::optional{" "sv}}) {
    auto body = ReadJsonBody(type, "{}");
    ASSERT_FALSE(body);
    EXPECT_EQ(body.error().code, ErrorCode::kUnsupportedMediaType);
    EXPECT_NE(body.error().message.find("no Content-Type"), std::string::npos) << body.error().message;
  }
}

TEST(JsonBodyMediaType, AnEmptyBodyIsAnEmptyObjectWhateverTheType) {
  for (const std::optional<std::string_view> type :
       {std::optional<std::string_view>{}, std::optional{"text/plain"sv}, std::optional{"application/json"sv}}) {
    auto body = ReadJsonBody(type, "");
    ASSERT_TRUE(body);
    EXPECT_TRUE(body->members.empty());
  }
}

// --- parsing ---

TEST(JsonBodyParse, KeepsMembersInOrderAndNumbersAsWritten) {
  auto body = ParseJsonObject(R"( {"b": 1.50000, "a": [1e2, -0, 18446744073709551616], "c": {"x": null}} )");
  ASSERT_TRUE(body);
  ASSERT_EQ(body->members.size(), 3u);
  EXPECT_EQ(body->members[0].name, "b");
  EXPECT_EQ(body->members[0].value.kind, JsonValue::Kind::kNumber);
  EXPECT_EQ(body->members[0].value.text, "1.50000");
  const auto& array = body->members[1].value.elements;
  ASSERT_EQ(array.size(), 3u);
  EXPECT_EQ(array[0].text, "1e2");
  EXPECT_EQ(array[1].text, "-0");
  EXPECT_EQ(array[2].text, "18446744073709551616");
  EXPECT_EQ(body->members[2].value.object.members.at(0).value.kind, JsonValue::Kind::kNull);
}

TEST(JsonBodyParse, NotJsonIs400OnBody) {
  for (const char* text : {"{", "{\"a\":}", "nonsense", "{'a':1}", "{\"a\":1,}", "   "}) {
    EXPECT_EQ(BodyMessage(ParseJsonObject(text)), "The body is not valid JSON.") << text;
  }
}

TEST(JsonBodyParse, TrailingDataIs400) {
  const std::string message = BodyMessage(ParseJsonObject("{} {}"));
  EXPECT_NE(message.find("not valid JSON"), std::string::npos) << message;
  EXPECT_FALSE(BodyMessage(ParseJsonObject("{}x")).empty());
  EXPECT_TRUE(ParseJsonObject("{}\r\n \t"));
}

TEST(JsonBodyParse, AnythingButAnObjectIs400) {
  for (const char* text : {"[]", "[{}]", "1", "\"text\"", "null", "true"}) {
    EXPECT_EQ(BodyMessage(ParseJsonObject(text)), "The body must be a JSON object.") << text;
  }
  auto read = ReadJsonBody("application/json", "[1,2]");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().model_state.at(0).field, "body");
}

TEST(JsonBodyParse, DeepNestingIsRefusedWithoutCrashing) {
  std::string deep;
  for (int i = 0; i < 100'000; ++i) deep += "{\"a\":";
  EXPECT_NE(BodyMessage(ParseJsonObject(deep)).find("32 levels"), std::string::npos);
  std::string arrays = "{\"a\":" + std::string(50'000, '[') + std::string(50'000, ']') + "}";
  EXPECT_NE(BodyMessage(ParseJsonObject(arrays)).find("32 levels"), std::string::npos);

  std::string at_limit;
  for (std::size_t i = 0; i < kMaxJsonDepth; ++i) at_limit += "{\"a\":";
  at_limit += "1" + std::string(kMaxJsonDepth, '}');
  EXPECT_TRUE(ParseJsonObject(at_limit));
  EXPECT_FALSE(ParseJsonObject("{\"b\":" + at_limit + "}"));
}

TEST(JsonBodyParse, InvalidUtf8IsNotJson) {
  EXPECT_EQ(BodyMessage(ParseJsonObject("{\"a\":\"\xC3\x28\"}")), "The body is not valid JSON.");
}

// --- members: names, duplicates, null ---

TEST(BodyBinder, MemberNamesMatchIgnoringCase) {
  ModelState errors;
  EXPECT_EQ(BookingId(R"({"bookingid": 7})", errors), 7);
  EXPECT_EQ(BookingId(R"({"BOOKINGID": 8})", errors), 8);
  EXPECT_TRUE(errors.Empty());
}

TEST(BodyBinder, UnknownMembersAreIgnored) {
  ModelState errors;
  EXPECT_EQ(BookingId(R"({"BookingID": 7, "Other": [1, {"x": true}], "More": "x"})", errors), 7);
  EXPECT_TRUE(errors.Empty());
}

TEST(BodyBinder, AMemberTwiceIs400UnderItsPublishedName) {
  ModelState errors;
  EXPECT_FALSE(BookingId(R"({"bookingId": 7, "BOOKINGID": 7})", errors));
  EXPECT_EQ(KeysOf(errors), std::vector<std::string>{"BookingID"});
  EXPECT_EQ(MessagesOf(errors, "BookingID"), "BookingID was given more than once.");
}

TEST(BodyBinder, AnUnknownMemberTwiceIs400AsSent) {
  ModelState errors;
  EXPECT_EQ(BookingId(R"({"extra": 1, "BookingID": 7, "EXTRA": 2, "Extra": 3, "y": 1, "Y": 2})", errors), 7);
  EXPECT_EQ(KeysOf(errors), (std::vector<std::string>{"extra", "y"}));
  EXPECT_EQ(MessagesOf(errors, "extra"), "extra was given more than once.");
}

TEST(BodyBinder, NullIsAbsent) {
  ModelState errors;
  EXPECT_FALSE(BookingId(R"({"BookingID": null})", errors));
  EXPECT_EQ(MessagesOf(errors, "BookingID"), "BookingID is required.");

  ModelState optional;
  const JsonObject body = Parse(R"({"Comments": null, "Count": null})");
  BodyBinder binder(body, optional);
  EXPECT_FALSE(binder.String("Comments", false, 10));
  EXPECT_FALSE(binder.Integer("Count", false));
  EXPECT_FALSE(binder.Present("Comments"));
  EXPECT_TRUE(optional.Empty());
}

TEST(BodyBinder, EveryViolationIsReportedAtOnce) {
  ModelState errors;
  const JsonObject body = Parse(R"({"BookingID": "x", "Duration": 1, "Credits": 1.23456})");
  BodyBinder binder(body, errors);
  EXPECT_FALSE(binder.Id("BookingID", true));
  EXPECT_FALSE(binder.IntegerInRange("Duration", true, 5, 240));
  EXPECT_FALSE(binder.Decimal("Credits", true, Credits{0}, Credits{kMaxCreditsTenThousandths}));
  EXPECT_FALSE(binder.String("Comments", true, 1000));
  binder.Finish();
  EXPECT_EQ(KeysOf(errors), (std::vector<std::string>{"BookingID", "Duration", "Credits", "Comments"}));
  EXPECT_EQ(MessagesOf(errors, "Comments"), "Comments is required.");
}

// --- integers and IDs ---

TEST(BodyBinder, IdIsAJsonIntegerOrADigitString) {
  ModelState errors;
  EXPECT_EQ(BookingId(R"({"BookingID": 12})", errors), 12);
  EXPECT_EQ(BookingId(R"({"BookingID": "12"})", errors), 12);
  EXPECT_EQ(BookingId(R"({"BookingID": "0012"})", errors), 12);
  EXPECT_EQ(BookingId(R"({"BookingID": 2147483647})", errors), kMaxId);
  EXPECT_TRUE(errors.Empty());
}

TEST(BodyBinder, IdRefusesEverythingElse) {
  for (const char* value : {"12.5", "1e1", "12.0", "true", "-3", "0", "2147483648", "99999999999999999999999",
                            "\"12a\"", "\" 12\"", "\"-1\"", "\"\"", "[12]", "{}"}) {
    ModelState errors;
    EXPECT_FALSE(BookingId(std::string(R"({"BookingID": )") + value + "}", errors)) << value;
    const std::string message = MessagesOf(errors, "BookingID");
    EXPECT_TRUE(message == "BookingID must be an integer between 1 and 2147483647." ||
                message == "BookingID must be between 1 and 2147483647.")
        << value << ": " << message;
  }
}

TEST(BodyBinder, IntegerIsNonNegative) {
  ModelState errors;
  const JsonObject body = Parse(R"({"A": 0, "B": "2147483647", "C": -3, "D": 1.5, "E": true, "F": 2147483648})");
  BodyBinder binder(body, errors);
  EXPECT_EQ(binder.Integer("A", true), 0);
  EXPECT_EQ(binder.Integer("B", true), 2147483647);
  EXPECT_FALSE(binder.Integer("C", true));
  EXPECT_FALSE(binder.Integer("D", true));
  EXPECT_FALSE(binder.Integer("E", true));
  EXPECT_FALSE(binder.Integer("F", true));
  EXPECT_EQ(KeysOf(errors), (std::vector<std::string>{"C", "D", "E", "F"}));
  EXPECT_EQ(MessagesOf(errors, "D"), "D must be an integer between 0 and 2147483647.");
  EXPECT_EQ(MessagesOf(errors, "F"), "F must be between 0 and 2147483647.");
}

TEST(BodyBinder, IntegerInRangeNamesItsBounds) {
  ModelState errors;
  const JsonObject body = Parse(R"({"Duration": 4, "Low": 241, "Ok": "240", "Neg": -3})");
  BodyBinder binder(body, errors);
  EXPECT_FALSE(binder.IntegerInRange("Duration", true, 5, 240));
  EXPECT_FALSE(binder.IntegerInRange("Low", true, 5, 240));
  EXPECT_EQ(binder.IntegerInRange("Ok", true, 5, 240), 240);
  EXPECT_EQ(binder.IntegerInRange("Neg", true, -10, 10), -3);
  EXPECT_EQ(MessagesOf(errors, "Duration"), "Duration must be between 5 and 240.");
  EXPECT_EQ(MessagesOf(errors, "Low"), "Low must be between 5 and 240.");
}

// --- decimals ---

std::optional<Credits> ReadCredits(std::string_view value, ModelState& errors, Credits min = Credits{0},
                                   Credits max = Credits{kMaxCreditsTenThousandths}) {
  return BindOne(std::string(R"({"Credits": )") + std::string(value) + "}", errors,
                 [&](BodyBinder& b) { return b.Decimal("Credits", true, min, max); });
}

TEST(BodyBinder, DecimalIsExactFromTheNumbersText) {
  ModelState errors;
  EXPECT_EQ(ReadCredits("8", errors), Credits{80'000});
  EXPECT_EQ(ReadCredits("12.25", errors), Credits{122'500});
  EXPECT_EQ(ReadCredits("1.50000", errors), Credits{15'000});
  EXPECT_EQ(ReadCredits("0.0001", errors), Credits{1});
  EXPECT_EQ(ReadCredits("\"3.1\"", errors), Credits{31'000});
  // The largest amount: 16 significant digits, more than a double holds exactly.
  EXPECT_EQ(ReadCredits("99999999999.9999", errors), Credits{kMaxCreditsTenThousandths});
  EXPECT_TRUE(errors.Empty());
}

TEST(BodyBinder, DecimalRefusesFiveSignificantFractionDigitsSignsAndExponents) {
  for (const char* value : {"1.23456", "-1", "1e2", "1E-2", "\"1,5\"", "\".5\"", "\"5.\"", "true", "\"\""}) {
    ModelState errors;
    EXPECT_FALSE(ReadCredits(value, errors)) << value;
    EXPECT_EQ(MessagesOf(errors, "Credits"), "Credits must be a decimal number with at most 4 fraction digits.")
        << value;
  }
}

TEST(BodyBinder, DecimalRangeNamesItsBounds) {
  ModelState errors;
  EXPECT_FALSE(ReadCredits("0.4", errors, Credits{5'000}, Credits{1'000'000}));
  EXPECT_EQ(MessagesOf(errors, "Credits"), "Credits must be between 0.5 and 100.");
  ModelState huge;
  EXPECT_FALSE(ReadCredits("123456789012345678", huge));
  EXPECT_EQ(MessagesOf(huge, "Credits"), "Credits must be between 0 and 99999999999.9999.");
}

// --- booleans ---

TEST(BodyBinder, BooleanTakesJsonBooleansAndTheirNamesInAnyCase) {
  ModelState errors;
  const JsonObject body = Parse(R"({"A": true, "B": false, "C": "TRUE", "D": "False", "E": 1, "F": "yes"})");
  BodyBinder binder(body, errors);
  EXPECT_EQ(binder.Boolean("A", true), true);
  EXPECT_EQ(binder.Boolean("B", true), false);
  EXPECT_EQ(binder.Boolean("C", true), true);
  EXPECT_EQ(binder.Boolean("D", true), false);
  EXPECT_FALSE(binder.Boolean("E", true));
  EXPECT_FALSE(binder.Boolean("F", true));
  EXPECT_EQ(KeysOf(errors), (std::vector<std::string>{"E", "F"}));
  EXPECT_EQ(MessagesOf(errors, "E"), "E must be true or false.");
}

// --- strings ---

std::optional<std::string> ReadComments(std::string_view json_value, ModelState& errors, bool required = false) {
  return BindOne(std::string(R"({"Comments": )") + std::string(json_value) + "}", errors,
                 [&](BodyBinder& b) { return b.String("Comments", required, 1000); });
}

std::string Repeat(std::string_view piece, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += piece;
  return out;
}

TEST(BodyBinder, StringIsTrimmedOfUnicodeWhiteSpace) {
  ModelState errors;
  EXPECT_EQ(ReadComments(R"(" \t\r\n Hi there \u00a0\u3000")", errors), "Hi there");
  EXPECT_EQ(ReadComments(R"("line one\nline two")", errors), "line one\nline two");
  EXPECT_EQ(ReadComments(R"("Zoë")", errors), "Zoë");
  EXPECT_TRUE(errors.Empty());
}

TEST(BodyBinder, WhiteSpaceOnlyIsAbsent) {
  ModelState errors;
  EXPECT_FALSE(ReadComments(R"("  \t\n ")", errors));
  EXPECT_FALSE(ReadComments(R"("")", errors));
  EXPECT_TRUE(errors.Empty());
  EXPECT_FALSE(ReadComments(R"("   ")", errors, true));
  EXPECT_EQ(MessagesOf(errors, "Comments"), "Comments is required.");
}

TEST(BodyBinder, StringLengthCountsCodePoints) {
  ModelState errors;
  const std::string thousand = Repeat("é", 1000);  // 2000 bytes
  EXPECT_EQ(ReadComments("\"" + thousand + "\"", errors), thousand);
  EXPECT_EQ(ReadComments("\"" + Repeat("😀", 1000) + "\"", errors), Repeat("😀", 1000));
  EXPECT_TRUE(errors.Empty());
  EXPECT_FALSE(ReadComments("\"" + thousand + "é\"", errors));
  EXPECT_EQ(MessagesOf(errors, "Comments"), "Comments must be at most 1000 characters.");
}

TEST(BodyBinder, ControlCharactersOtherThanTabLineFeedAndReturnAre400) {
  for (const char* value : {R"("a\u0000b")", R"("a\u0007b")", R"("a\u001bb")", R"("a\bb")", R"("a\fb")"}) {
    ModelState errors;
    EXPECT_FALSE(ReadComments(value, errors)) << value;
    EXPECT_NE(MessagesOf(errors, "Comments").find("control characters"), std::string::npos) << value;
  }
  ModelState errors;
  EXPECT_EQ(ReadComments(R"("a\tb\r\nc")", errors), "a\tb\r\nc");
  EXPECT_TRUE(errors.Empty());
}

TEST(BodyBinder, StringIsAJsonStringOnly) {
  ModelState errors;
  EXPECT_FALSE(ReadComments("12", errors));
  EXPECT_EQ(MessagesOf(errors, "Comments"), "Comments must be a string.");
}

// --- local date and time ---

std::optional<LocalDateTime> ReadSessionDate(std::string_view value, ModelState& errors,
                                             const ServiceZone* zone = nullptr) {
  return BindOne(
      std::string(R"({"SessionDate": ")") + std::string(value) + "\"}", errors,
      [&](BodyBinder& b) { return b.LocalDateTimeInput("SessionDate", true); }, zone);
}

TEST(BodyBinder, LocalDateTimeAcceptsTheDocumentedShapes) {
  const ServiceZone london("Europe/London");
  ModelState errors;
  EXPECT_EQ(ReadSessionDate("2030-01-02 10:00", errors, &london), ParseLocalDateTime("2030-01-02T10:00:00"));
  EXPECT_EQ(ReadSessionDate("2030-01-02T10:00", errors, &london), ParseLocalDateTime("2030-01-02T10:00:00"));
  EXPECT_EQ(ReadSessionDate("2030-01-02 10:00:05", errors), ParseLocalDateTime("2030-01-02T10:00:05"));
  EXPECT_EQ(ReadSessionDate("2030-01-02 10:00:05.5", errors), ParseLocalDateTime("2030-01-02T10:00:05.500"));
  EXPECT_EQ(ReadSessionDate("2030-01-02T10:00:05.123", errors), ParseLocalDateTime("2030-01-02T10:00:05.123"));
  EXPECT_EQ(ReadSessionDate("2030-10-27 01:30", errors, &london), ParseLocalDateTime("2030-10-27T01:30:00"));
  EXPECT_TRUE(errors.Empty());
}

TEST(BodyBinder, LocalDateTimeRefusesZonesDatesAndOtherShapes) {
  for (const char* value :
       {"2030-01-02T10:00Z", "2030-01-02T10:00:00Z", "2030-01-02T10:00+01:00", "2030-01-02T10:00:00+01:00",
        "2030-01-02", "2030-1-02 10:00", "2030-01-02 9:00", "2030-01-02  10:00", "2030-01-02 10:00:05.",
        "2030-01-02 10:00:05.1234", "2030-01-02 10:00:5", "2030-02-30 10:00", "2030-01-02 24:00", "2030-01-02 10:60",
        " 2030-01-02 10:00", "2030-01-02x10:00", "", "tomorrow"}) {
    ModelState errors;
    EXPECT_FALSE(ReadSessionDate(value, errors)) << value;
    EXPECT_EQ(MessagesOf(errors, "SessionDate"),
              "SessionDate must be a local date and time as yyyy-MM-dd HH:mm, without a zone.")
        << value;
  }
  ModelState number;
  EXPECT_FALSE(BindOne(R"({"SessionDate": 20300102})", number,
                       [](BodyBinder& b) { return b.LocalDateTimeInput("SessionDate", true); }));
  EXPECT_EQ(KeysOf(number), std::vector<std::string>{"SessionDate"});
}

TEST(BodyBinder, LocalDateTimeInTheSpringForwardGapIs400) {
  const ServiceZone london("Europe/London");
  ModelState errors;
  EXPECT_FALSE(ReadSessionDate("2030-03-31 01:30", errors, &london));
  const std::string message = MessagesOf(errors, "SessionDate");
  EXPECT_NE(message.find("SessionDate"), std::string::npos);
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
  EXPECT_NE(message.find("Europe/London"), std::string::npos) << message;

  ModelState without_zone;
  EXPECT_TRUE(ReadSessionDate("2030-03-31 01:30", without_zone));
  EXPECT_TRUE(ReadSessionDate("2030-03-31 02:00", without_zone, &london));
  EXPECT_TRUE(without_zone.Empty());
}

// --- ID lists ---

std::optional<std::vector<std::int64_t>> ReadBookingIds(std::string_view value, ModelState& errors) {
  return BindOne(std::string(R"({"BookingIDs": )") + std::string(value) + "}", errors,
                 [](BodyBinder& b) { return b.IdList("BookingIDs", true); });
}

TEST(BodyBinder, IdListTakesCommaSeparatedDistinctIds) {
  ModelState errors;
  EXPECT_EQ(ReadBookingIds(R"("3, 1 ,2,3,1")", errors), (std::vector<std::int64_t>{3, 1, 2}));
  EXPECT_EQ(ReadBookingIds(R"("7")", errors), std::vector<std::int64_t>{7});
  EXPECT_EQ(ReadBookingIds("7", errors), std::vector<std::int64_t>{7});
  EXPECT_EQ(ReadBookingIds(R"("2147483647")", errors), std::vector<std::int64_t>{kMaxId});
  EXPECT_TRUE(errors.Empty());
}

TEST(BodyBinder, IdListRefusesEmptyItemsBadItemsAndOtherTypes) {
  for (const char* value : {R"("")", R"("  ")", R"("1,,2")", R"("1,")", R"(",1")", R"("a")", R"("0")", R"("1,-2")",
                            R"("2147483648")", R"("1.5")", "0", "1.5", "true", "[1,2]"}) {
    ModelState errors;
    EXPECT_FALSE(ReadBookingIds(value, errors)) << value;
    EXPECT_EQ(MessagesOf(errors, "BookingIDs"),
              "BookingIDs must be a comma-separated list of IDs, each an integer between 1 and 2147483647.")
        << value;
  }
}

TEST(BodyBinder, IdListTakesAtMostAHundredDistinctIds) {
  std::string hundred;
  for (int i = 1; i <= 100; ++i) hundred += std::to_string(i) + ",";
  hundred += "1,2,3";  // repeats count once
  ModelState errors;
  const auto ids = ReadBookingIds("\"" + hundred + "\"", errors);
  ASSERT_TRUE(ids);
  EXPECT_EQ(ids->size(), 100u);
  EXPECT_TRUE(errors.Empty());

  EXPECT_FALSE(ReadBookingIds("\"" + hundred + ",101\"", errors));
  EXPECT_EQ(MessagesOf(errors, "BookingIDs"), "BookingIDs must name at most 100 distinct IDs.");
}

// --- nested objects ---

TEST(BodyBinder, NestedObjectKeysArePrefixed) {
  ModelState errors;
  const JsonObject body = Parse(R"({"OfferDirectChat": true, "directchat": {"ppm": 1.23456, "Extra": 1}})");
  BodyBinder binder(body, errors);
  EXPECT_EQ(binder.Boolean("OfferDirectChat", true), true);
  EXPECT_TRUE(binder.Present("DirectChat"));
  auto direct_chat = binder.Object("DirectChat", true);
  ASSERT_TRUE(direct_chat);
  EXPECT_FALSE(direct_chat->Decimal("PPM", true, Credits{0}, Credits{kMaxCreditsTenThousandths}));
  EXPECT_FALSE(direct_chat->Integer("Minutes", true));
  direct_chat->Finish();
  binder.Finish();
  EXPECT_EQ(KeysOf(errors), (std::vector<std::string>{"DirectChat.PPM", "DirectChat.Minutes"}));
  EXPECT_EQ(MessagesOf(errors, "DirectChat.PPM"),
            "DirectChat.PPM must be a decimal number with at most 4 fraction digits.");
  EXPECT_EQ(MessagesOf(errors, "DirectChat.Minutes"), "DirectChat.Minutes is required.");
}

TEST(BodyBinder, NestedDuplicatesAreReported) {
  ModelState errors;
  const JsonObject body = Parse(R"({"DirectChat": {"PPM": 1, "ppm": 2, "x": 1, "X": 1}})");
  BodyBinder binder(body, errors);
  auto direct_chat = binder.Object("DirectChat", true);
  ASSERT_TRUE(direct_chat);
  EXPECT_FALSE(direct_chat->Decimal("PPM", true, Credits{0}, Credits{kMaxCreditsTenThousandths}));
  direct_chat->Finish();
  EXPECT_EQ(KeysOf(errors), (std::vector<std::string>{"DirectChat.PPM", "DirectChat.x"}));
  EXPECT_EQ(MessagesOf(errors, "DirectChat.PPM"), "DirectChat.PPM was given more than once.");
}

TEST(BodyBinder, PresentTellsAGivenObjectFromAnAbsentOrNullOne) {
  ModelState errors;
  const JsonObject absent = Parse(R"({"OfferDirectChat": false})");
  const JsonObject null = Parse(R"({"OfferDirectChat": false, "DirectChat": null})");
  const JsonObject given = Parse(R"({"OfferDirectChat": false, "DirectChat": {}})");
  EXPECT_FALSE(BodyBinder(absent, errors).Present("DirectChat"));
  EXPECT_FALSE(BodyBinder(null, errors).Present("DirectChat"));
  BodyBinder binder(given, errors);
  EXPECT_TRUE(binder.Present("directCHAT"));
  if (binder.Boolean("OfferDirectChat", true) == false && binder.Present("DirectChat")) {
    binder.Reject("DirectChat", "must be absent or null when OfferDirectChat is false.");
  }
  EXPECT_EQ(MessagesOf(errors, "DirectChat"), "DirectChat must be absent or null when OfferDirectChat is false.");
  EXPECT_EQ(binder.Key("DirectChat"), "DirectChat");
}

TEST(BodyBinder, ObjectMustBeAnObject) {
  ModelState errors;
  const JsonObject body = Parse(R"({"DirectChat": [1]})");
  BodyBinder binder(body, errors);
  EXPECT_FALSE(binder.Object("DirectChat", false));
  EXPECT_EQ(MessagesOf(errors, "DirectChat"), "DirectChat must be a JSON object.");
}

// --- canonical form ---

TEST(CanonicalBody, IgnoresOrderWhiteSpaceNameCaseAndNullMembers) {
  const std::string a =
      CanonicalBody(Parse(R"({"BookingID": 12, "Credits": 1.50, "DirectChat": {"b": [1, "x"], "a": true}})"));
  const std::string b = CanonicalBody(
      Parse("{ \"directchat\" : { \"A\" : true , \"B\" : [ 1 , \"x\" ] } ,\n\"credits\":1.50,\"bookingid\":12, "
            "\"Comments\": null}"));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, R"({"bookingid":12,"credits":1.50,"directchat":{"a":true,"b":[1,"x"]}})");
}

TEST(CanonicalBody, KeepsNumberTextAndDistinguishesValues) {
  EXPECT_NE(CanonicalBody(Parse(R"({"Credits": 1.5})")), CanonicalBody(Parse(R"({"Credits": 1.50})")));
  EXPECT_NE(CanonicalBody(Parse(R"({"A": "1"})")), CanonicalBody(Parse(R"({"A": 1})")));
  EXPECT_EQ(CanonicalBody(Parse(R"({"A": 0.30000000000000004})")), R"({"a":0.30000000000000004})");
  EXPECT_EQ(CanonicalBody(Parse(R"({"A": "q\"\\\u0001\u00e9"})")), "{\"a\":\"q\\\"\\\\\\u0001\xC3\xA9\"}");
  EXPECT_EQ(CanonicalBody(JsonObject{}), "{}");
}

}  // namespace
}  // namespace phonechat
