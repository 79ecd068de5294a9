// The field tables and the JSON and XML writers of bookings pages, account facts and permissions.

#include "serialization/body_writer.hpp"

#include <algorithm>
#include <array>
#include <boost/json/serializer.hpp>
#include <cassert>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace phonechat {
namespace {

// ---------------------------------------------------------------------------------------------- UTF-8

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

// The well-formed UTF-8 sequence starting at `at` (Unicode 15, table 3-7). `length` is how many bytes to
// consume: the whole sequence when `valid`, else the maximal ill-formed subpart (at least one byte).
struct Utf8Sequence {
  bool valid = false;
  std::size_t length = 1;
  char32_t code_point = 0;
};

Utf8Sequence DecodeUtf8(const unsigned char* at, const unsigned char* end) {
  const unsigned char lead = *at;
  std::size_t length = 0;
  unsigned char low = 0x80;   // allowed range of the second byte, which excludes overlongs,
  unsigned char high = 0xBF;  // surrogates and code points above U+10FFFF
  char32_t code_point = 0;
  if (lead < 0x80) return {true, 1, lead};
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code_point = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code_point = lead & 0x0Fu;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code_point = lead & 0x07u;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return {};
  }
  std::size_t consumed = 1;
  for (; consumed < length; ++consumed) {
    if (at + consumed == end) return {false, consumed, 0};
    const unsigned char next = at[consumed];
    const bool in_range = consumed == 1 ? (next >= low && next <= high) : (next >= 0x80 && next <= 0xBF);
    if (!in_range) return {false, consumed, 0};
    code_point = (code_point << 6) | (next & 0x3Fu);
  }
  return {true, length, code_point};
}

const unsigned char* Begin(std::string_view text) { return reinterpret_cast<const unsigned char*>(text.data()); }

bool IsValidUtf8(std::string_view text) {
  const auto* at = Begin(text);
  const auto* end = at + text.size();
  while (at != end) {
    if (*at < 0x80) {
      ++at;
      continue;
    }
    const auto sequence = DecodeUtf8(at, end);
    if (!sequence.valid) return false;
    at += sequence.length;
  }
  return true;
}

// `text` with every ill-formed subpart replaced by U+FFFD.
std::string ReplaceInvalidUtf8(std::string_view text) {
  std::string repaired;
  repaired.reserve(text.size() + 8);
  const auto* begin = Begin(text);
  const auto* end = begin + text.size();
  for (const auto* at = begin; at != end;) {
    const auto sequence = DecodeUtf8(at, end);
    if (sequence.valid) {
      repaired.append(text.data() + (at - begin), sequence.length);
    } else {
      repaired.append(kReplacementCharacter);
    }
    at += sequence.length;
  }
  return repaired;
}

// ---------------------------------------------------------------------------------------------- scalars

void AppendInteger(std::string& out, std::int64_t value) {
  char buffer[24];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  out.append(buffer, end);
}

// `text` (valid UTF-8) as a JSON string literal, escaped by Boost.JSON's serializer.
void AppendEscapedJson(std::string& out, std::string_view text) {
  boost::json::serializer serializer;
  serializer.reset(boost::json::string_view(text.data(), text.size()));
  char buffer[512];
  while (!serializer.done()) {
    const auto chunk = serializer.read(buffer, sizeof buffer);
    out.append(chunk.data(), chunk.size());
  }
}

// XML 1.0 Char: TAB, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF (surrogates never decode).
constexpr bool IsXmlChar(char32_t c) {
  return c >= 0x20 ? (c != 0xFFFE && c != 0xFFFF) : (c == 0x09 || c == 0x0A || c == 0x0D);
}

// Element and attribute names for the DataContract shapes.
constexpr std::string_view kInstanceNamespaceDeclaration = R"( xmlns:i="http://www.w3.org/2001/XMLSchema-instance")";
constexpr std::string_view kMadeNamespaceDeclaration =
    R"( xmlns="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings.Made")";
constexpr std::string_view kCandidateNamespaceDeclaration =
    R"( xmlns:d4p1="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings")";
constexpr std::string_view kProfileNamespaceDeclaration =
    R"( xmlns="http://schemas.datacontract.org/2004/07/API.Models.Profile")";
constexpr std::string_view kAccountNamespaceDeclaration =
    R"( xmlns="http://schemas.datacontract.org/2004/07/API.Models.Account")";
constexpr std::string_view kReceivedNamespaceDeclaration =
    R"( xmlns="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings.Received")";
constexpr std::string_view kBookingsNamespaceDeclaration =
    R"( xmlns="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings")";
constexpr std::string_view kSettingsNamespaceDeclaration =
    R"( xmlns="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Settings")";
// DataContractSerializer names a prefix after the element's depth: 4 inside a list, 2 when the booking is the root.
constexpr std::string_view kPartyNamespaceDeclarationAtRoot =
    R"( xmlns:d2p1="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings")";
constexpr std::string_view kDirectChatNamespaceDeclaration =
    R"( xmlns:d2p1="http://schemas.datacontract.org/2004/07/API.Models.DirectChat")";
constexpr std::string_view kCandidatePrefix = "d4p1:";
constexpr std::string_view kPartyPrefixAtRoot = "d2p1:";
constexpr std::string_view kNil = R"( i:nil="true"/>)";

// ---------------------------------------------------------------------------------------------- field tables

enum class FieldKind { kInteger, kBoolean, kText, kDateTime, kCredits, kNested };

// DataContract writes a base class's members before the derived class's own, each group alphabetically.
enum class FieldGroup { kInherited, kOwn };

// One field's value for a given source; `present` false is JSON null / XML i:nil, `omitted` leaves the member out.
struct FieldValue {
  bool present = false;
  std::int64_t integer = 0;  // kInteger, and kBoolean as 0 or 1
  std::string_view text;
  LocalDateTime date_time;
  Credits credits;
  bool omitted = false;
};

constexpr FieldValue Null() { return {}; }
constexpr FieldValue Omitted() { return {false, 0, {}, {}, {}, true}; }
constexpr FieldValue Integer(std::int64_t value) { return {true, value, {}, {}, {}, false}; }
constexpr FieldValue Boolean(bool value) { return {true, value ? 1 : 0, {}, {}, {}, false}; }
constexpr FieldValue Text(std::string_view value) { return {true, 0, value, {}, {}, false}; }
constexpr FieldValue DateTime(LocalDateTime value) { return {true, 0, {}, value, {}, false}; }
constexpr FieldValue CreditsValue(Credits value) { return {true, 0, {}, {}, value, false}; }
template <typename T>
constexpr FieldValue OptionalInteger(const std::optional<T>& value) {
  return value ? Integer(*value) : Null();
}
template <typename T>
constexpr FieldValue OptionalText(const std::optional<T>& value) {
  return value ? Text(*value) : Null();
}
constexpr FieldValue OptionalDateTime(const std::optional<LocalDateTime>& value) {
  return value ? DateTime(*value) : Null();
}

// One member of a serialized object: the single description both formats are written from.
template <typename Source>
struct Field {
  std::string_view name;
  FieldKind kind;
  FieldGroup group;
  FieldValue (*get)(const Source&);  // unused for kNested, whose writer is chosen by Source
};

using AccountField = Field<AccountCredentials>;
using PermissionsField = Field<std::vector<std::string_view>>;
using PermissionField = Field<std::string_view>;

constexpr FieldKind kInt = FieldKind::kInteger;
constexpr FieldKind kBool = FieldKind::kBoolean;
constexpr FieldKind kText = FieldKind::kText;
constexpr FieldKind kDate = FieldKind::kDateTime;
constexpr FieldGroup kOwn = FieldGroup::kOwn;
constexpr FieldGroup kInherited = FieldGroup::kInherited;

// How each side's booking names and reads what differs between the two: its action, its counterpart.
struct MadeSide {
  using View = MadeBookingView;
  static constexpr std::string_view kAction = "ActionClient";
  static constexpr std::string_view kParty = "Candidate";
  static const PartyProfile& Party(const View& v) { return v.stored->candidate; }
  static FieldValue Action(const View& v) { return OptionalText(v.action_client); }
  static FieldValue PartyPhone(const View& v) { return OptionalText(v.candidate_phone_number); }
  static FieldValue PartySkype(const View& v) { return OptionalText(v.candidate_skype_name); }
};
struct ReceivedSide {
  using View = ReceivedBookingView;
  static constexpr std::string_view kAction = "ActionCandidate";
  static constexpr std::string_view kParty = "Client";
  static const PartyProfile& Party(const View& v) { return v.stored->client; }
  static FieldValue Action(const View& v) { return OptionalText(v.action_candidate); }
  // The client's contact details in `Client` are the booking's own (docs/lifecycle.md, "Who sees what").
  static FieldValue PartyPhone(const View& v) { return OptionalText(v.phone_number); }
  static FieldValue PartySkype(const View& v) { return OptionalText(v.skype_name); }
};

// The other party (`Candidate` or `Client`) in its JSON order (docs/api.md, "The response").
template <typename Side>
constexpr std::array<Field<typename Side::View>, 10> PartyFields() {
  using V = typename Side::View;
  return {{
      {"UserID", kInt, kOwn, [](const V& v) { return Integer(Side::Party(v).user_id); }},
      {"Nickname", kText, kOwn, [](const V& v) { return Text(Side::Party(v).nickname); }},
      {"PhoneNumber", kText, kOwn, [](const V& v) { return Side::PartyPhone(v); }},
      {"SkypeName", kText, kOwn, [](const V& v) { return Side::PartySkype(v); }},
      {"Total", kInt, kInherited,
       [](const V& v) {
         const auto& c = Side::Party(v);
         return Integer(std::int64_t{c.positive} - c.negative);
       }},
      {"Positive", kInt, kInherited, [](const V& v) { return Integer(Side::Party(v).positive); }},
      {"Neutral", kInt, kInherited, [](const V& v) { return Integer(Side::Party(v).neutral); }},
      {"Negative", kInt, kInherited, [](const V& v) { return Integer(Side::Party(v).negative); }},
      {"Ratings", kInt, kInherited,
       [](const V& v) {
         const auto& c = Side::Party(v);
         return Integer(std::int64_t{c.positive} + c.neutral + c.negative);
       }},
      {"Disputes", kInt, kInherited, [](const V& v) { return Integer(Side::Party(v).disputes); }},
  }};
}

// A booking of either side in its JSON order (docs/api.md, "The response").
template <typename Side>
constexpr std::array<Field<typename Side::View>, 20> BookingFields() {
  using V = typename Side::View;
  return {{
      {"BookingID", kInt, kOwn, [](const V& v) { return Integer(v.stored->booking_id); }},
      {"Duration", kInt, kOwn, [](const V& v) { return Integer(v.stored->duration_minutes); }},
      {"Credits", FieldKind::kCredits, kOwn, [](const V& v) { return CreditsValue(v.stored->credits); }},
      {"Status", kText, kOwn, [](const V& v) { return Text(StatusName(v.status)); }},
      {"Method", kInt, kOwn, [](const V& v) { return Integer(static_cast<int>(v.stored->method)); }},
      {"PhoneNumber", kText, kOwn, [](const V& v) { return OptionalText(v.phone_number); }},
      {"SkypeName", kText, kOwn, [](const V& v) { return OptionalText(v.skype_name); }},
      {"CreateDate", kDate, kOwn, [](const V& v) { return DateTime(v.stored->create_date); }},
      {"SessionDate", kDate, kOwn, [](const V& v) { return DateTime(v.stored->session_date); }},
      {"AcceptBy", kDate, kOwn, [](const V& v) { return DateTime(v.stored->accept_by); }},
      {"AcceptedDate", kDate, kOwn, [](const V& v) { return OptionalDateTime(v.stored->accepted_date); }},
      {"ConfirmedDate", kDate, kOwn, [](const V& v) { return OptionalDateTime(v.stored->confirmed_date); }},
      {"CancelledDate", kDate, kOwn, [](const V& v) { return OptionalDateTime(v.stored->cancelled_date); }},
      {"CancelledReason", kText, kOwn, [](const V& v) { return OptionalText(v.stored->cancelled_reason); }},
      {"CancelledBy", kText, kOwn,
       [](const V& v) {
         const auto& by = v.stored->cancelled_by;
         return by ? Text(CancelledByName(*by)) : Null();
       }},
      {"RejectedReason", kText, kOwn, [](const V& v) { return OptionalText(v.rejected_reason); }},
      {"LastUpdated", kDate, kOwn, [](const V& v) { return OptionalDateTime(v.stored->last_updated); }},
      {"Comments", kText, kOwn, [](const V& v) { return OptionalText(v.stored->comments); }},
      {Side::kAction, kText, kOwn, [](const V& v) { return Side::Action(v); }},
      {Side::kParty, FieldKind::kNested, kOwn, [](const V& /*view*/) { return FieldValue{}; }},
  }};
}

constexpr auto kCandidateFields = PartyFields<MadeSide>();
constexpr auto kBookingFields = BookingFields<MadeSide>();
constexpr auto kClientFields = PartyFields<ReceivedSide>();
constexpr auto kReceivedBookingFields = BookingFields<ReceivedSide>();

// A page of either side in its JSON order (docs/api.md, "The response").
template <typename Page>
constexpr std::array<Field<Page>, 5> PageFields() {
  return {{
      {"PageCount", kInt, kOwn, [](const Page& p) { return Integer(p.page_count); }},
      {"PageNumber", kInt, kOwn, [](const Page& p) { return Integer(p.page_number); }},
      {"BookingsTotal", kInt, kOwn, [](const Page& p) { return Integer(p.bookings_total); }},
      {"BookingsPerPage", kInt, kOwn, [](const Page& p) { return Integer(p.bookings_per_page); }},
      {"Bookings", FieldKind::kNested, kOwn, [](const Page& /*page*/) { return FieldValue{}; }},
  }};
}

constexpr auto kPageFields = PageFields<MadeBookingsPage>();
constexpr auto kReceivedPageFields = PageFields<ReceivedBookingsPage>();

// An account in its JSON order (the first member is never omitted: its key opens the object). The group members are
// shown only with account_information.
constexpr std::array<AccountField, 5> kAccountFields{{
    {"UserID", kInt, kOwn, [](const AccountCredentials& a) { return Integer(a.user_id); }},
    {"Nickname", kText, kOwn, [](const AccountCredentials& a) { return Text(a.nickname); }},
    {"GroupID", kInt, kOwn,
     [](const AccountCredentials& a) { return a.with_group ? OptionalInteger(a.group_id) : Omitted(); }},
    {"GroupName", kText, kOwn,
     [](const AccountCredentials& a) { return a.with_group ? OptionalText(a.group_name) : Omitted(); }},
    {"IsGroupManager", kBool, kOwn,
     [](const AccountCredentials& a) { return a.with_group ? Boolean(a.is_group_manager) : Omitted(); }},
}};

// The permissions result: its one member, the list.
constexpr std::array<PermissionsField, 1> kPermissionsFields{{
    {"Permissions", FieldKind::kNested, kOwn, [](const std::vector<std::string_view>& /*granted*/) { return Null(); }},
}};

// One permission of the list: a granted scope.
constexpr std::array<PermissionField, 2> kPermissionFields{{
    {"Permission", kText, kOwn, [](const std::string_view& scope) { return Text(scope); }},
    {"Status", kText, kOwn, [](const std::string_view& /*scope*/) { return Text("granted"); }},
}};

// One result of a delete request.
constexpr std::array<Field<DeleteBookingResult>, 3> kDeleteResultFields{{
    {"BookingID", kInt, kOwn, [](const DeleteBookingResult& r) { return Integer(r.booking_id); }},
    {"Deleted", kBool, kOwn, [](const DeleteBookingResult& r) { return Boolean(r.deleted); }},
    {"Message", kText, kOwn, [](const DeleteBookingResult& r) { return Text(r.message); }},
}};

// A candidate's booking requirements: the price and the list of methods.
constexpr std::array<Field<BookingRequirements>, 2> kRequirementsFields{{
    {"PhoneChatPPM", FieldKind::kCredits, kOwn,
     [](const BookingRequirements& r) { return r.phonechat_ppm ? CreditsValue(*r.phonechat_ppm) : Null(); }},
    {"Methods", FieldKind::kNested, kOwn, [](const BookingRequirements& /*requirements*/) { return FieldValue{}; }},
}};

// One method of the requirements.
constexpr std::array<Field<MethodAvailability>, 2> kMethodFields{{
    {"Method", kInt, kOwn, [](const MethodAvailability& m) { return Integer(static_cast<int>(m.method)); }},
    {"Available", kBool, kOwn, [](const MethodAvailability& m) { return Boolean(m.available); }},
}};

// A user's PhoneChat settings; `DirectChat` is null unless offered.
constexpr std::array<Field<PhoneChatSettings>, 5> kSettingsFields{{
    {"OfferDirectChat", kBool, kOwn, [](const PhoneChatSettings& s) { return Boolean(s.offer_direct_chat); }},
    {"DirectChat", FieldKind::kNested, kOwn, [](const PhoneChatSettings& /*settings*/) { return FieldValue{}; }},
    {"PhoneChatNumber", kText, kOwn, [](const PhoneChatSettings& s) { return OptionalText(s.phonechat_number); }},
    {"ShowPhoneChatNumber", kBool, kOwn,
     [](const PhoneChatSettings& s) { return Boolean(s.show_phonechat_number); }},
    {"PhoneChatPPM", FieldKind::kCredits, kOwn,
     [](const PhoneChatSettings& s) { return s.phonechat_ppm ? CreditsValue(*s.phonechat_ppm) : Null(); }},
}};

// The DirectChat part of the settings.
constexpr std::array<Field<DirectChatSettings>, 2> kDirectChatFields{{
    {"DirectChatOnly", kBool, kOwn, [](const DirectChatSettings& d) { return Boolean(d.direct_chat_only); }},
    {"PPM", FieldKind::kCredits, kOwn, [](const DirectChatSettings& d) { return CreditsValue(d.ppm); }},
}};

// DataContract order of a table: inherited members first, then ordinal (byte-wise) order of names.
template <typename Source, std::size_t N>
constexpr std::array<std::uint8_t, N> DataContractOrder(const std::array<Field<Source>, N>& fields) {
  std::array<std::uint8_t, N> order{};
  for (std::size_t i = 0; i < N; ++i) order[i] = static_cast<std::uint8_t>(i);
  std::sort(order.begin(), order.end(), [&fields](std::uint8_t a, std::uint8_t b) {
    const auto& x = fields[a];
    const auto& y = fields[b];
    return x.group != y.group ? x.group < y.group : x.name < y.name;
  });
  return order;
}

constexpr auto kCandidateXmlOrder = DataContractOrder(kCandidateFields);
constexpr auto kBookingXmlOrder = DataContractOrder(kBookingFields);
constexpr auto kPageXmlOrder = DataContractOrder(kPageFields);
static_assert(kBookingFields[kBookingXmlOrder.front()].name == "AcceptBy");
static_assert(kCandidateFields[kCandidateXmlOrder.front()].name == "Disputes");
static_assert(kPageFields[kPageXmlOrder.front()].name == "Bookings");
constexpr auto kClientXmlOrder = DataContractOrder(kClientFields);
constexpr auto kReceivedBookingXmlOrder = DataContractOrder(kReceivedBookingFields);
constexpr auto kReceivedPageXmlOrder = DataContractOrder(kReceivedPageFields);
static_assert(kReceivedBookingFields[kReceivedBookingXmlOrder[2]].name == "ActionCandidate");
constexpr auto kAccountXmlOrder = DataContractOrder(kAccountFields);
constexpr auto kPermissionsXmlOrder = DataContractOrder(kPermissionsFields);
constexpr auto kPermissionXmlOrder = DataContractOrder(kPermissionFields);
constexpr auto kDeleteResultXmlOrder = DataContractOrder(kDeleteResultFields);
constexpr auto kRequirementsXmlOrder = DataContractOrder(kRequirementsFields);
constexpr auto kMethodXmlOrder = DataContractOrder(kMethodFields);
constexpr auto kSettingsXmlOrder = DataContractOrder(kSettingsFields);
constexpr auto kDirectChatXmlOrder = DataContractOrder(kDirectChatFields);
static_assert(kSettingsFields[kSettingsXmlOrder.front()].name == "DirectChat");
static_assert(kAccountFields[kAccountXmlOrder.front()].name == "GroupID");
static_assert(kAccountFields[kAccountXmlOrder.back()].name == "UserID");

// ---------------------------------------------------------------------------------------------- spellings

// Text spelled once at compile time, so that writing a member costs one append before and after its value.
class Spelling {
 public:
  constexpr Spelling& operator<<(std::string_view text) {
    for (const char c : text) chars_[size_++] = c;  // overflowing the buffer fails compilation
    return *this;
  }
  [[nodiscard]] constexpr std::string_view View() const { return {chars_.data(), size_}; }

 private:
  std::array<char, 112> chars_{};
  std::size_t size_ = 0;
};

// Everything written around one member's value, in both formats.
struct Spellings {
  Spelling json_key;   // `{"Name":` for the first member, `,"Name":` for the others
  Spelling xml_open;   // `<prefixName attributes>`
  Spelling xml_close;  // `</prefixName>`
  Spelling xml_nil;    // `<prefixName attributes i:nil="true"/>`
};

// The spellings of a table's members. `own_prefix` qualifies members of the derived class (inherited ones
// carry the profile namespace instead); `nested_attributes` go on the element of the nested member.
template <typename Source, std::size_t N>
constexpr std::array<Spellings, N> Spell(const std::array<Field<Source>, N>& fields, std::string_view own_prefix,
                                         std::string_view nested_attributes) {
  std::array<Spellings, N> spelled{};
  for (std::size_t i = 0; i < N; ++i) {
    const auto& field = fields[i];
    const bool inherited = field.group == FieldGroup::kInherited;
    const std::string_view prefix = inherited ? std::string_view{} : own_prefix;
    const std::string_view attributes = inherited                          ? kProfileNamespaceDeclaration
                                        : field.kind == FieldKind::kNested ? nested_attributes
                                                                           : std::string_view{};
    spelled[i].json_key << (i == 0 ? "{\"" : ",\"") << field.name << "\":";
    spelled[i].xml_open << "<" << prefix << field.name << attributes << ">";
    spelled[i].xml_close << "</" << prefix << field.name << ">";
    spelled[i].xml_nil << "<" << prefix << field.name << attributes << kNil;
  }
  return spelled;
}

constexpr auto kCandidateSpellings = Spell(kCandidateFields, kCandidatePrefix, {});
constexpr auto kBookingSpellings = Spell(kBookingFields, {}, kCandidateNamespaceDeclaration);
constexpr auto kPageSpellings = Spell(kPageFields, {}, {});
constexpr auto kCandidateRootSpellings = Spell(kCandidateFields, kPartyPrefixAtRoot, {});
constexpr auto kBookingRootSpellings = Spell(kBookingFields, {}, kPartyNamespaceDeclarationAtRoot);
constexpr auto kClientSpellings = Spell(kClientFields, kCandidatePrefix, {});
constexpr auto kReceivedBookingSpellings = Spell(kReceivedBookingFields, {}, kCandidateNamespaceDeclaration);
constexpr auto kClientRootSpellings = Spell(kClientFields, kPartyPrefixAtRoot, {});
constexpr auto kReceivedBookingRootSpellings = Spell(kReceivedBookingFields, {}, kPartyNamespaceDeclarationAtRoot);
constexpr auto kReceivedPageSpellings = Spell(kReceivedPageFields, {}, {});
constexpr auto kAccountSpellings = Spell(kAccountFields, {}, {});
constexpr auto kPermissionsSpellings = Spell(kPermissionsFields, {}, {});
constexpr auto kPermissionSpellings = Spell(kPermissionFields, {}, {});
constexpr auto kDeleteResultSpellings = Spell(kDeleteResultFields, {}, {});
constexpr auto kRequirementsSpellings = Spell(kRequirementsFields, {}, {});
constexpr auto kMethodSpellings = Spell(kMethodFields, {}, {});
constexpr auto kSettingsSpellings = Spell(kSettingsFields, {}, kDirectChatNamespaceDeclaration);
constexpr auto kDirectChatSpellings = Spell(kDirectChatFields, kPartyPrefixAtRoot, {});

// ---------------------------------------------------------------------------------------------- JSON

void AppendJsonScalar(std::string& out, FieldKind kind, const FieldValue& value) {
  if (!value.present) {
    out.append("null");
    return;
  }
  switch (kind) {
    case FieldKind::kInteger:
      AppendInteger(out, value.integer);
      break;
    case FieldKind::kBoolean:
      out.append(value.integer != 0 ? "true" : "false");
      break;
    case FieldKind::kText:
      AppendJsonString(out, value.text);
      break;
    case FieldKind::kDateTime:
      out.push_back('"');
      AppendLocalDateTime(out, value.date_time);
      out.push_back('"');
      break;
    case FieldKind::kCredits:
      AppendCreditsJson(out, value.credits);
      break;
    case FieldKind::kNested:
      break;
  }
}

void WriteJsonNested(std::string& out, const MadeBookingView& view);
void WriteJsonNested(std::string& out, const MadeBookingsPage& page);
void WriteJsonNested(std::string& out, const PrerenderedPage& page);
void WriteJsonNested(std::string& out, const std::vector<std::string_view>& granted);
void WriteJsonNested(std::string& out, const ReceivedBookingView& view);
void WriteJsonNested(std::string& out, const ReceivedBookingsPage& page);
void WriteJsonNested(std::string& out, const BookingRequirements& requirements);
void WriteJsonNested(std::string& out, const PhoneChatSettings& settings);
// Objects whose tables have no nested member: never called.
void WriteJsonNested(std::string& /*out*/, const DeleteBookingResult& /*result*/) {}
void WriteJsonNested(std::string& /*out*/, const MethodAvailability& /*method*/) {}
void WriteJsonNested(std::string& /*out*/, const DirectChatSettings& /*direct_chat*/) {}
void WriteJsonNested(std::string& /*out*/, const AccountCredentials& /*account*/) {}
void WriteJsonNested(std::string& /*out*/, const std::string_view& /*scope*/) {}

// The members of `source`; the nested member is written from `whole` (`source` itself, or what holds it).
template <typename Source, std::size_t N, typename Whole = Source>
void WriteJsonObject(std::string& out, const std::array<Field<Source>, N>& fields,
                     const std::array<Spellings, N>& spellings, const Source& source, const Whole& whole) {
  for (std::size_t i = 0; i < N; ++i) {
    const auto& field = fields[i];
    if (field.kind == FieldKind::kNested) {
      out.append(spellings[i].json_key.View());
      WriteJsonNested(out, whole);
      continue;
    }
    const FieldValue value = field.get(source);
    if (value.omitted) {
      assert(i != 0 && "a table's first member opens the object and is never omitted");
      continue;
    }
    out.append(spellings[i].json_key.View());
    AppendJsonScalar(out, field.kind, value);
  }
  out.push_back('}');
}

// A booking's nested member: its candidate.
void WriteJsonNested(std::string& out, const MadeBookingView& view) {
  WriteJsonObject(out, kCandidateFields, kCandidateSpellings, view, view);
}

// A page's nested member: its bookings.
void WriteJsonNested(std::string& out, const MadeBookingsPage& page) {
  out.push_back('[');
  for (std::size_t i = 0; i < page.bookings.size(); ++i) {
    if (i != 0) out.push_back(',');
    AppendMadeBookingJson(out, page.bookings[i]);
  }
  out.push_back(']');
}

// A prerendered page's nested member: its bookings as written beforehand.
void WriteJsonNested(std::string& out, const PrerenderedPage& page) {
  out.push_back('[');
  for (std::size_t i = 0; i < page.bookings.size(); ++i) {
    if (i != 0) out.push_back(',');
    out.append(page.bookings[i]);
  }
  out.push_back(']');
}

// A received booking's nested member: its client.
void WriteJsonNested(std::string& out, const ReceivedBookingView& view) {
  WriteJsonObject(out, kClientFields, kClientSpellings, view, view);
}

// A JSON array of `items`, each written by `append`.
template <typename Items, typename Append>
void WriteJsonArray(std::string& out, const Items& items, Append append) {
  out.push_back('[');
  bool first = true;
  for (const auto& item : items) {
    if (!first) out.push_back(',');
    first = false;
    append(item);
  }
  out.push_back(']');
}

// A received page's nested member: its bookings.
void WriteJsonNested(std::string& out, const ReceivedBookingsPage& page) {
  WriteJsonArray(out, page.bookings, [&out](const ReceivedBookingView& view) {
    WriteJsonObject(out, kReceivedBookingFields, kReceivedBookingSpellings, view, view);
  });
}

// The requirements' nested member: the methods.
void WriteJsonNested(std::string& out, const BookingRequirements& requirements) {
  WriteJsonArray(out, requirements.methods, [&out](const MethodAvailability& method) {
    WriteJsonObject(out, kMethodFields, kMethodSpellings, method, method);
  });
}

// The settings' nested member: DirectChat, or null.
void WriteJsonNested(std::string& out, const PhoneChatSettings& settings) {
  if (!settings.direct_chat) {
    out.append("null");
    return;
  }
  WriteJsonObject(out, kDirectChatFields, kDirectChatSpellings, *settings.direct_chat, *settings.direct_chat);
}

// A permissions result's nested member: one object per granted scope.
void WriteJsonNested(std::string& out, const std::vector<std::string_view>& granted) {
  out.push_back('[');
  for (std::size_t i = 0; i < granted.size(); ++i) {
    if (i != 0) out.push_back(',');
    WriteJsonObject(out, kPermissionFields, kPermissionSpellings, granted[i], granted[i]);
  }
  out.push_back(']');
}

// ---------------------------------------------------------------------------------------------- XML

void AppendXmlScalar(std::string& out, const Spellings& spelling, FieldKind kind, const FieldValue& value) {
  if (value.omitted) return;
  if (!value.present) {
    out.append(spelling.xml_nil.View());
    return;
  }
  out.append(spelling.xml_open.View());
  switch (kind) {
    case FieldKind::kInteger:
      AppendInteger(out, value.integer);
      break;
    case FieldKind::kBoolean:
      out.append(value.integer != 0 ? "true" : "false");
      break;
    case FieldKind::kText:
      AppendXmlText(out, value.text);
      break;
    case FieldKind::kDateTime:
      AppendLocalDateTime(out, value.date_time);
      break;
    case FieldKind::kCredits:
      AppendCreditsXml(out, value.credits);
      break;
    case FieldKind::kNested:
      break;
  }
  out.append(spelling.xml_close.View());
}

void WriteXmlNested(std::string& out, const Field<MadeBookingView>& field, const Spellings& spelling,
                    const MadeBookingView& view);
void WriteXmlNested(std::string& out, const Field<MadeBookingsPage>& field, const Spellings& spelling,
                    const MadeBookingsPage& page);
void WriteXmlNested(std::string& out, const Field<MadeBookingsPage>& field, const Spellings& spelling,
                    const PrerenderedPage& page);
void WriteXmlNested(std::string& out, const PermissionsField& field, const Spellings& spelling,
                    const std::vector<std::string_view>& granted);
// A booking that is the document's root: its party's prefix is `d2p1`, not `d4p1`.
template <typename View>
struct AtRoot {
  const View& view;
};
void WriteXmlNested(std::string& out, const Field<MadeBookingView>& field, const Spellings& spelling,
                    const AtRoot<MadeBookingView>& root);
void WriteXmlNested(std::string& out, const Field<ReceivedBookingView>& field, const Spellings& spelling,
                    const ReceivedBookingView& view);
void WriteXmlNested(std::string& out, const Field<ReceivedBookingView>& field, const Spellings& spelling,
                    const AtRoot<ReceivedBookingView>& root);
void WriteXmlNested(std::string& out, const Field<ReceivedBookingsPage>& field, const Spellings& spelling,
                    const ReceivedBookingsPage& page);
void WriteXmlNested(std::string& out, const Field<BookingRequirements>& field, const Spellings& spelling,
                    const BookingRequirements& requirements);
void WriteXmlNested(std::string& out, const Field<PhoneChatSettings>& field, const Spellings& spelling,
                    const PhoneChatSettings& settings);
// Objects whose tables have no nested member: never called.
void WriteXmlNested(std::string& /*out*/, const Field<DeleteBookingResult>& /*field*/, const Spellings& /*spelling*/,
                    const DeleteBookingResult& /*result*/) {}
void WriteXmlNested(std::string& /*out*/, const Field<MethodAvailability>& /*field*/, const Spellings& /*spelling*/,
                    const MethodAvailability& /*method*/) {}
void WriteXmlNested(std::string& /*out*/, const Field<DirectChatSettings>& /*field*/, const Spellings& /*spelling*/,
                    const DirectChatSettings& /*direct_chat*/) {}
void WriteXmlNested(std::string& /*out*/, const AccountField& /*field*/, const Spellings& /*spelling*/,
                    const AccountCredentials& /*account*/) {}
void WriteXmlNested(std::string& /*out*/, const PermissionField& /*field*/, const Spellings& /*spelling*/,
                    const std::string_view& /*scope*/) {}

// The members of `source` in DataContract order; the nested member is written from `whole` (`source` itself, or
// what holds it).
template <typename Source, std::size_t N, typename Whole = Source>
void WriteXmlMembers(std::string& out, const std::array<Field<Source>, N>& fields,
                     const std::array<Spellings, N>& spellings, const std::array<std::uint8_t, N>& order,
                     const Source& source, const Whole& whole) {
  for (const auto index : order) {
    const auto& field = fields[index];
    if (field.kind == FieldKind::kNested) {
      WriteXmlNested(out, field, spellings[index], whole);
    } else {
      AppendXmlScalar(out, spellings[index], field.kind, field.get(source));
    }
  }
}

// A booking's nested member: its candidate.
void WriteXmlNested(std::string& out, const Field<MadeBookingView>& /*field*/, const Spellings& spelling,
                    const MadeBookingView& view) {
  out.append(spelling.xml_open.View());
  WriteXmlMembers(out, kCandidateFields, kCandidateSpellings, kCandidateXmlOrder, view, view);
  out.append(spelling.xml_close.View());
}

// A root booking's nested member: its candidate, prefixed for depth 2.
void WriteXmlNested(std::string& out, const Field<MadeBookingView>& /*field*/, const Spellings& spelling,
                    const AtRoot<MadeBookingView>& root) {
  out.append(spelling.xml_open.View());
  WriteXmlMembers(out, kCandidateFields, kCandidateRootSpellings, kCandidateXmlOrder, root.view, root.view);
  out.append(spelling.xml_close.View());
}

// A received booking's nested member: its client.
void WriteXmlNested(std::string& out, const Field<ReceivedBookingView>& /*field*/, const Spellings& spelling,
                    const ReceivedBookingView& view) {
  out.append(spelling.xml_open.View());
  WriteXmlMembers(out, kClientFields, kClientSpellings, kClientXmlOrder, view, view);
  out.append(spelling.xml_close.View());
}

// A root received booking's nested member: its client, prefixed for depth 2.
void WriteXmlNested(std::string& out, const Field<ReceivedBookingView>& /*field*/, const Spellings& spelling,
                    const AtRoot<ReceivedBookingView>& root) {
  out.append(spelling.xml_open.View());
  WriteXmlMembers(out, kClientFields, kClientRootSpellings, kClientXmlOrder, root.view, root.view);
  out.append(spelling.xml_close.View());
}

// The settings' nested member: DirectChat, or its nil element (which keeps the namespace declaration).
void WriteXmlNested(std::string& out, const Field<PhoneChatSettings>& /*field*/, const Spellings& spelling,
                    const PhoneChatSettings& settings) {
  if (!settings.direct_chat) {
    out.append(spelling.xml_nil.View());
    return;
  }
  out.append(spelling.xml_open.View());
  WriteXmlMembers(out, kDirectChatFields, kDirectChatSpellings, kDirectChatXmlOrder, *settings.direct_chat,
                  *settings.direct_chat);
  out.append(spelling.xml_close.View());
}

// A list member (a page's `Bookings`, a result's `Permissions`), each item written by `append`; `<Name/>` when there
// are none.
template <typename Source, typename Items, typename Append>
void WriteXmlList(std::string& out, const Field<Source>& field, const Spellings& spelling, const Items& items,
                  Append append) {
  if (items.empty()) {
    out.push_back('<');
    out.append(field.name);
    out.append("/>");
    return;
  }
  out.append(spelling.xml_open.View());
  for (const auto& item : items) append(item);
  out.append(spelling.xml_close.View());
}

// A page's nested member: its bookings.
void WriteXmlNested(std::string& out, const Field<MadeBookingsPage>& field, const Spellings& spelling,
                    const MadeBookingsPage& page) {
  WriteXmlList(out, field, spelling, page.bookings,
               [&out](const MadeBookingView& view) { AppendMadeBookingXml(out, view); });
}

// A prerendered page's nested member: its bookings as written beforehand.
void WriteXmlNested(std::string& out, const Field<MadeBookingsPage>& field, const Spellings& spelling,
                    const PrerenderedPage& page) {
  WriteXmlList(out, field, spelling, page.bookings, [&out](std::string_view booking) { out.append(booking); });
}

// A received page's nested member: a `ReceivedBooking` element per booking.
void WriteXmlNested(std::string& out, const Field<ReceivedBookingsPage>& field, const Spellings& spelling,
                    const ReceivedBookingsPage& page) {
  WriteXmlList(out, field, spelling, page.bookings, [&out](const ReceivedBookingView& view) {
    out.append("<ReceivedBooking>");
    WriteXmlMembers(out, kReceivedBookingFields, kReceivedBookingSpellings, kReceivedBookingXmlOrder, view, view);
    out.append("</ReceivedBooking>");
  });
}

// The requirements' nested member: a `PhoneChatMethod` element per method.
void WriteXmlNested(std::string& out, const Field<BookingRequirements>& field, const Spellings& spelling,
                    const BookingRequirements& requirements) {
  WriteXmlList(out, field, spelling, requirements.methods, [&out](const MethodAvailability& method) {
    out.append("<PhoneChatMethod>");
    WriteXmlMembers(out, kMethodFields, kMethodSpellings, kMethodXmlOrder, method, method);
    out.append("</PhoneChatMethod>");
  });
}

// A permissions result's nested member: a `PermissionStatus` element per granted scope.
void WriteXmlNested(std::string& out, const PermissionsField& field, const Spellings& spelling,
                    const std::vector<std::string_view>& granted) {
  WriteXmlList(out, field, spelling, granted, [&out](std::string_view scope) {
    out.append("<PermissionStatus>");
    WriteXmlMembers(out, kPermissionFields, kPermissionSpellings, kPermissionXmlOrder, scope, scope);
    out.append("</PermissionStatus>");
  });
}

// A ModelState key as an element name: bytes that cannot appear in a name are written `_xHHHH_`, as
// .NET's XmlConvert.EncodeLocalName does, so that the body stays well-formed whatever the key.
void AppendXmlName(std::string& out, std::string_view name) {
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    const bool later = (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (letter || (i != 0 && later)) {
      out.push_back(c);
      continue;
    }
    constexpr std::string_view kHex = "0123456789ABCDEF";
    const auto byte = static_cast<unsigned char>(c);
    out.append("_x00");
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0F]);
    out.push_back('_');
  }
}

// A document's root element `name` with the instance namespace and `namespace_declaration`, holding the members of
// `source` in DataContract order (the nested one written from `whole`).
template <typename Source, std::size_t N, typename Whole = Source>
void WriteXmlRoot(std::string& out, std::string_view name, std::string_view namespace_declaration,
                  const std::array<Field<Source>, N>& fields, const std::array<Spellings, N>& spellings,
                  const std::array<std::uint8_t, N>& order, const Source& source, const Whole& whole) {
  out.push_back('<');
  out.append(name);
  out.append(kInstanceNamespaceDeclaration);
  out.append(namespace_declaration);
  out.push_back('>');
  WriteXmlMembers(out, fields, spellings, order, source, whole);
  out.append("</");
  out.append(name);
  out.push_back('>');
}

// The root element of a page, its members written from `totals` and its bookings from `whole`.
template <typename Whole>
void WriteXmlRoot(std::string& out, const MadeBookingsPage& totals, const Whole& whole) {
  WriteXmlRoot(out, "BookingsResult", kMadeNamespaceDeclaration, kPageFields, kPageSpellings, kPageXmlOrder, totals,
               whole);
}

// Rough bytes per booking, so that a page is written with at most one or two reallocations.
constexpr std::size_t kJsonBytesPerBooking = 900;
constexpr std::size_t kXmlBytesPerBooking = 1600;

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  // One pass decides whether the text can be copied as it is, which is the usual case.
  bool needs_escape = false;
  bool non_ascii = false;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    needs_escape |= byte < 0x20 || c == '"' || c == '\\';
    non_ascii |= byte >= 0x80;
  }
  if (non_ascii && !IsValidUtf8(text)) {
    AppendEscapedJson(out, ReplaceInvalidUtf8(text));
    return;
  }
  if (needs_escape) {
    AppendEscapedJson(out, text);
    return;
  }
  out.push_back('"');
  out.append(text);
  out.push_back('"');
}

void AppendXmlText(std::string& out, std::string_view text) {
  const auto* begin = Begin(text);
  const auto* end = begin + text.size();
  const auto* run = begin;  // start of the bytes that are copied unchanged
  auto flush = [&](const unsigned char* to) {
    out.append(text.data() + (run - begin), static_cast<std::size_t>(to - run));
  };
  for (const auto* at = begin; at != end;) {
    const unsigned char byte = *at;
    if (byte >= 0x20 && byte < 0x80 && byte != '&' && byte != '<' && byte != '>') {
      ++at;
      continue;
    }
    if (byte >= 0x80) {
      const auto sequence = DecodeUtf8(at, end);
      if (sequence.valid && IsXmlChar(sequence.code_point)) {
        at += sequence.length;
        continue;
      }
      flush(at);
      at += sequence.length;
      run = at;
      continue;
    }
    flush(at);
    ++at;
    run = at;
    switch (byte) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '\r':
        out.append("&#xD;");  // a literal CR would be normalised away by any parser
        break;
      case '\t':
      case '\n':
        out.push_back(static_cast<char>(byte));
        break;
      default:
        break;  // other C0 controls are not XML characters
    }
  }
  flush(end);
}

void AppendMadeBookingJson(std::string& out, const MadeBookingView& view) {
  WriteJsonObject(out, kBookingFields, kBookingSpellings, view, view);
}

void AppendMadeBookingXml(std::string& out, const MadeBookingView& view) {
  out.append("<MadeBooking>");
  WriteXmlMembers(out, kBookingFields, kBookingSpellings, kBookingXmlOrder, view, view);
  out.append("</MadeBooking>");
}

void WriteMadeBookingsJson(std::string& out, const MadeBookingsPage& page) {
  out.reserve(out.size() + 128 + page.bookings.size() * kJsonBytesPerBooking);
  WriteJsonObject(out, kPageFields, kPageSpellings, page, page);
}

void WriteMadeBookingsXml(std::string& out, const MadeBookingsPage& page) {
  out.reserve(out.size() + 384 + page.bookings.size() * kXmlBytesPerBooking);
  WriteXmlRoot(out, page, page);
}

void WritePrerenderedMadeBookings(std::string& out, const PrerenderedPage& page, BodyFormat format) {
  std::size_t bytes = 384;
  for (const auto booking : page.bookings) bytes += booking.size() + 1;
  out.reserve(out.size() + bytes);
  if (format == BodyFormat::kXml) {
    WriteXmlRoot(out, page.totals, page);
  } else {
    WriteJsonObject(out, kPageFields, kPageSpellings, page.totals, page);
  }
}

void WriteMadeBookings(std::string& out, const MadeBookingsPage& page, BodyFormat format) {
  if (format == BodyFormat::kXml) {
    WriteMadeBookingsXml(out, page);
  } else {
    WriteMadeBookingsJson(out, page);
  }
}

void WriteAccountCredentials(std::string& out, const AccountCredentials& account, BodyFormat format) {
  if (format == BodyFormat::kXml) {
    WriteXmlRoot(out, "AccountCredentials", kAccountNamespaceDeclaration, kAccountFields, kAccountSpellings,
                 kAccountXmlOrder, account, account);
  } else {
    WriteJsonObject(out, kAccountFields, kAccountSpellings, account, account);
  }
}

void WritePermissions(std::string& out, const std::vector<std::string_view>& granted, BodyFormat format) {
  if (format == BodyFormat::kXml) {
    WriteXmlRoot(out, "PermissionsResult", kAccountNamespaceDeclaration, kPermissionsFields, kPermissionsSpellings,
                 kPermissionsXmlOrder, granted, granted);
  } else {
    WriteJsonObject(out, kPermissionsFields, kPermissionsSpellings, granted, granted);
  }
}

void WriteMadeBooking(std::string& out, const MadeBookingView& view, BodyFormat format) {
  if (format == BodyFormat::kXml) {
    WriteXmlRoot(out, "MadeBooking", kMadeNamespaceDeclaration, kBookingFields, kBookingRootSpellings,
                 kBookingXmlOrder, view, AtRoot<MadeBookingView>{view});
  } else {
    AppendMadeBookingJson(out, view);
  }
}

void WriteReceivedBooking(std::string& out, const ReceivedBookingView& view, BodyFormat format) {
  if (format == BodyFormat::kXml) {
    WriteXmlRoot(out, "ReceivedBooking", kReceivedNamespaceDeclaration, kReceivedBookingFields,
                 kReceivedBookingRootSpellings, kReceivedBookingXmlOrder, view, AtRoot<ReceivedBookingView>{view});
  } else {
    WriteJsonObject(out, kReceivedBookingFields, kReceivedBookingSpellings, view, view);
  }
}

void WriteReceivedBookings(std::string& out, const ReceivedBookingsPage& page, BodyFormat format) {
  const std::size_t per_booking = format == BodyFormat::kXml ? kXmlBytesPerBooking : kJsonBytesPerBooking;
  out.reserve(out.size() + 384 + page.bookings.size() * per_booking);
  if (format == BodyFormat::kXml) {
    WriteXmlRoot(out, "BookingsResult", kReceivedNamespaceDeclaration, kReceivedPageFields, kReceivedPageSpellings,
                 kReceivedPageXmlOrder, page, page);
  } else {
    WriteJsonObject(out, kReceivedPageFields, kReceivedPageSpellings, page, page);
  }
}

void WriteDeleteResults(std::string& out, const std::vector<DeleteBookingResult>& results, BodyFormat format) {
  if (format == BodyFormat::kXml) {
    constexpr std::string_view kRoot = "ArrayOfDeleteBookingResult";
    out.append("<").append(kRoot).append(kInstanceNamespaceDeclaration).append(kBookingsNamespaceDeclaration);
    if (results.empty()) {
      out.append("/>");
      return;
    }
    out.push_back('>');
    for (const DeleteBookingResult& result : results) {
      out.append("<DeleteBookingResult>");
      WriteXmlMembers(out, kDeleteResultFields, kDeleteResultSpellings, kDeleteResultXmlOrder, result, result);
      out.append("</DeleteBookingResult>");
    }
    out.append("</").append(kRoot).append(">");
    return;
  }
  WriteJsonArray(out, results, [&out](const DeleteBookingResult& result) {
    WriteJsonObject(out, kDeleteResultFields, kDeleteResultSpellings, result, result);
  });
}

void WriteBookingRequirements(std::string& out, const BookingRequirements& requirements, BodyFormat format) {
  if (format == BodyFormat::kXml) {
    WriteXmlRoot(out, "BookingRequirements", kBookingsNamespaceDeclaration, kRequirementsFields,
                 kRequirementsSpellings, kRequirementsXmlOrder, requirements, requirements);
  } else {
    WriteJsonObject(out, kRequirementsFields, kRequirementsSpellings, requirements, requirements);
  }
}

void WritePhoneChatSettings(std::string& out, const PhoneChatSettings& settings, BodyFormat format) {
  if (format == BodyFormat::kXml) {
    WriteXmlRoot(out, "PhoneChatSettings", kSettingsNamespaceDeclaration, kSettingsFields, kSettingsSpellings,
                 kSettingsXmlOrder, settings, settings);
  } else {
    WriteJsonObject(out, kSettingsFields, kSettingsSpellings, settings, settings);
  }
}

void WriteCreditBalance(std::string& out, Credits balance, BodyFormat format) {
  if (format == BodyFormat::kXml) {
    out.append(R"(<decimal xmlns="http://schemas.microsoft.com/2003/10/Serialization/">)");
    AppendCreditsXml(out, balance);
    out.append("</decimal>");
  } else {
    AppendCreditsJson(out, balance);
  }
}

void WriteErrorBody(std::string& out, const Error& error, BodyFormat format) {
  if (format == BodyFormat::kXml) {
    out.append("<Error><Message>");
    AppendXmlText(out, error.message);
    out.append("</Message>");
    if (!error.model_state.empty()) {
      out.append("<ModelState>");
      for (const auto& field : error.model_state) {
        out.push_back('<');
        AppendXmlName(out, field.field);
        out.push_back('>');
        for (std::size_t i = 0; i < field.messages.size(); ++i) {
          if (i != 0) out.push_back(' ');
          AppendXmlText(out, field.messages[i]);
        }
        out.append("</");
        AppendXmlName(out, field.field);
        out.push_back('>');
      }
      out.append("</ModelState>");
    }
    out.append("</Error>");
    return;
  }
  out.append("{\"Message\":");
  AppendJsonString(out, error.message);
  if (!error.model_state.empty()) {
    out.append(",\"ModelState\":");
    char separator = '{';
    for (const auto& field : error.model_state) {
      out.push_back(separator);
      separator = ',';
      AppendJsonString(out, field.field);
      out.push_back(':');
      char list_separator = '[';
      for (const auto& message : field.messages) {
        out.push_back(list_separator);
        list_separator = ',';
        AppendJsonString(out, message);
      }
      if (field.messages.empty()) out.push_back('[');
      out.push_back(']');
    }
    out.push_back('}');
  }
  out.push_back('}');
}

}  // namespace phonechat
