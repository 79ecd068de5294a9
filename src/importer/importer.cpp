#include "importer/importer.hpp"

#include <algorithm>
#include <array>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <streambuf>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "auth/secrets.hpp"
#include "core/error.hpp"
#include "domain/booking.hpp"
#include "domain/credits.hpp"
#include "domain/local_date_time.hpp"

namespace phonechat {

namespace {

// Longest accepted line: a record is a few hundred bytes, so anything near this is not a record.
constexpr std::size_t kMaxLineBytes = std::size_t{1} << 20;
constexpr std::int64_t kMaxInt32 = 2'147'483'647;

// A bad line; the import loop adds the line number.
class LineFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void Fail(const std::string& reason) { throw LineFailure(reason); }

enum class JsonType { kNull, kBool, kInt64, kUint64, kDouble, kString, kArray, kObject };

// A value of a record: a top-level member's value or an element of a top-level array. Nothing deeper is kept:
// no field of the format nests further, and a deeper value only needs its type to be refused.
struct JsonValue {
  JsonType type = JsonType::kNull;
  bool boolean = false;
  std::int64_t int64 = 0;
  // A string's characters (unescaped) or a number's source text, in the record's text buffer.
  std::size_t text_begin = 0;
  std::size_t text_size = 0;
  // An array's elements, in the record's element list.
  std::size_t first_element = 0;
  std::size_t elements = 0;
};

struct JsonMember {
  std::size_t key_begin = 0;
  std::size_t key_size = 0;
  JsonValue value;
};

// Receives boost::json::basic_parser's events for one line and keeps the record flat: its top-level members in
// order, the elements of top-level arrays, and every key, string and number as text in one buffer reused from
// line to line. Nothing is allocated per line once the buffers have grown to a line's size, and a number keeps
// its source text (Credits must never pass through a binary floating point).
class RecordHandler {
 public:
  // Limits and callbacks named as boost::json::basic_parser requires.
  // NOLINTBEGIN(readability-identifier-naming)
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();
  // NOLINTEND(readability-identifier-naming)

  // True when the last document was a JSON object.
  [[nodiscard]] bool IsObject() const { return is_object_; }
  // The top-level members of the last document, in order.
  [[nodiscard]] std::span<const JsonMember> Members() const { return members_; }
  // The elements of `array`, a top-level member's value.
  [[nodiscard]] std::span<const JsonValue> Elements(const JsonValue& array) const {
    return std::span<const JsonValue>(elements_).subspan(array.first_element, array.elements);
  }
  [[nodiscard]] std::string_view Key(const JsonMember& member) const {
    return std::string_view(text_).substr(member.key_begin, member.key_size);
  }
  // A string's characters or a number's source text.
  [[nodiscard]] std::string_view Text(const JsonValue& value) const {
    return std::string_view(text_).substr(value.text_begin, value.text_size);
  }

  // NOLINTBEGIN(readability-identifier-naming)
  bool on_document_begin(boost::json::error_code&) {
    is_object_ = false;
    containers_.clear();
    members_.clear();
    elements_.clear();
    text_.clear();
    part_begin_ = kNoPart;
    return true;
  }
  bool on_document_end(boost::json::error_code&) { return true; }
  bool on_object_begin(boost::json::error_code&) {
    if (containers_.empty()) is_object_ = true;
    if (auto* value = Slot()) value->type = JsonType::kObject;
    containers_.push_back(Container::kObject);
    return true;
  }
  bool on_object_end(std::size_t, boost::json::error_code&) {
    containers_.pop_back();
    return true;
  }
  bool on_array_begin(boost::json::error_code&) {
    if (auto* value = Slot()) {
      value->type = JsonType::kArray;
      value->first_element = elements_.size();
    }
    containers_.push_back(Container::kArray);
    return true;
  }
  bool on_array_end(std::size_t, boost::json::error_code&) {
    if (InMemberValue()) {
      auto& array = members_.back().value;
      array.elements = elements_.size() - array.first_element;
    }
    containers_.pop_back();
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    if (AtTopLevel()) AppendPart(s);
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    if (AtTopLevel()) {
      const auto begin = AppendPart(s);
      members_.push_back(JsonMember{begin, text_.size() - begin, {}});
      part_begin_ = kNoPart;
    }
    return true;
  }
  bool on_string_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    if (WantsValue()) AppendPart(s);
    return true;
  }
  bool on_string(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    if (WantsValue()) EndText(JsonType::kString, s);
    return true;
  }
  bool on_number_part(boost::json::string_view s, boost::json::error_code&) {
    if (WantsValue()) AppendPart(s);
    return true;
  }
  bool on_int64(std::int64_t i, boost::json::string_view s, boost::json::error_code&) {
    if (WantsValue()) EndText(JsonType::kInt64, s)->int64 = i;
    return true;
  }
  bool on_uint64(std::uint64_t, boost::json::string_view s, boost::json::error_code&) {
    if (WantsValue()) EndText(JsonType::kUint64, s);
    return true;
  }
  bool on_double(double, boost::json::string_view s, boost::json::error_code&) {
    if (WantsValue()) EndText(JsonType::kDouble, s);
    return true;
  }
  bool on_bool(bool b, boost::json::error_code&) {
    if (auto* value = Slot()) {
      value->type = JsonType::kBool;
      value->boolean = b;
    }
    return true;
  }
  bool on_null(boost::json::error_code&) {
    if (auto* value = Slot()) value->type = JsonType::kNull;
    return true;
  }
  bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }
  // NOLINTEND(readability-identifier-naming)

 private:
  enum class Container : char { kObject, kArray };
  static constexpr std::size_t kNoPart = std::numeric_limits<std::size_t>::max();

  // Directly inside the top-level object: where its keys and its members' values are.
  [[nodiscard]] bool AtTopLevel() const { return containers_.size() == 1 && containers_[0] == Container::kObject; }
  // Directly inside an array that is a top-level member's value: where its elements are.
  [[nodiscard]] bool InMemberValue() const {
    return containers_.size() == 2 && containers_[0] == Container::kObject && containers_[1] == Container::kArray;
  }
  [[nodiscard]] bool WantsValue() const { return AtTopLevel() || InMemberValue(); }

  // Where a value beginning now is kept, or nullptr when it is not kept.
  JsonValue* Slot() {
    if (AtTopLevel()) return &members_.back().value;
    if (InMemberValue()) return &elements_.emplace_back();
    return nullptr;
  }

  // Appends a part of a key, string or number to the text; returns where the whole text begins.
  std::size_t AppendPart(boost::json::string_view s) {
    if (part_begin_ == kNoPart) part_begin_ = text_.size();
    text_.append(s.data(), s.size());
    return part_begin_;
  }

  // Ends a string or number with its last part; returns its slot.
  JsonValue* EndText(JsonType type, boost::json::string_view last_part) {
    const auto begin = AppendPart(last_part);
    part_begin_ = kNoPart;
    JsonValue* value = Slot();
    value->type = type;
    value->text_begin = begin;
    value->text_size = text_.size() - begin;
    return value;
  }

  bool is_object_ = false;
  std::vector<Container> containers_;
  std::vector<JsonMember> members_;
  std::vector<JsonValue> elements_;
  std::string text_;
  std::size_t part_begin_ = kNoPart;  // where the key, string or number being read began in text_
};

// Parses one line as one JSON object, reusing its buffers from line to line.
class LineParser {
 public:
  LineParser() : parser_(boost::json::parse_options{}) {}

  // Parses `line`; fails the line unless it holds exactly one JSON object without a repeated top-level key.
  const RecordHandler& Parse(std::string_view line) {
    parser_.reset();
    boost::json::error_code ec;
    const auto used = parser_.write_some(false, line.data(), line.size(), ec);
    if (ec) Fail("not valid JSON (" + ec.message() + ")");
    const auto rest = line.substr(used);
    if (rest.find_first_not_of(" \t\r\n") != std::string_view::npos) Fail("not valid JSON (text after the record)");
    const RecordHandler& record = parser_.handler();
    if (const auto repeated = RepeatedKey(record)) Fail("field \"" + std::string(*repeated) + "\" appears twice");
    if (!record.IsObject()) Fail("a record must be a JSON object");
    return record;
  }

 private:
  // The first top-level key that repeats an earlier one, if any.
  std::optional<std::string_view> RepeatedKey(const RecordHandler& record) {
    const auto members = record.Members();
    if (members.size() > kSlots / 2) {
      seen_.clear();
      for (const auto& member : members) {
        if (!seen_.insert(record.Key(member)).second) return record.Key(member);
      }
      return std::nullopt;
    }
    // A record has a couple of dozen fields: a small open-addressing table of their positions, cleared per line.
    slots_.fill(kEmptySlot);
    for (std::size_t i = 0; i < members.size(); ++i) {
      const auto key = record.Key(members[i]);
      std::size_t slot = SlotOf(key);
      for (; slots_[slot] != kEmptySlot; slot = (slot + 1) & (kSlots - 1)) {
        if (record.Key(members[slots_[slot]]) == key) return key;
      }
      slots_[slot] = static_cast<std::uint16_t>(i);
    }
    return std::nullopt;
  }

  static constexpr std::size_t kSlots = 128;
  static constexpr std::uint16_t kEmptySlot = 0xFFFF;

  // A key's first slot: the keys of one record kind already differ in their size and a few of their characters,
  // and a collision only costs a comparison.
  static std::size_t SlotOf(std::string_view key) {
    if (key.empty()) return 0;
    const auto at = [&](std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(key[i])); };
    return (key.size() * 37 + at(0) * 5 + at(key.size() / 2) * 11 + at(key.size() - 1)) & (kSlots - 1);
  }

  boost::json::basic_parser<RecordHandler> parser_;
  std::array<std::uint16_t, kSlots> slots_{};
  std::unordered_set<std::string_view> seen_;  // for records with more fields than the table takes
};

// Number of Unicode code points in valid UTF-8 (the parser has already rejected invalid UTF-8).
std::size_t CodePoints(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::optional<std::string> Owned(std::optional<std::string_view> text) {
  if (!text) return std::nullopt;
  return std::string(*text);
}

// The fields a record kind may have.
template <std::size_t N>
using FieldNames = std::array<std::string_view, N>;

constexpr FieldNames<11> kUserFields{"Kind",      "UserID",   "Nickname", "Password", "EmailAddress", "PhoneChatNumber",
                                     "SkypeName", "Positive", "Neutral",  "Negative", "Disputes"};
constexpr FieldNames<5> kGroupFields{"Kind", "GroupID", "Name", "ManagerUserID", "MemberUserIDs"};
constexpr FieldNames<9> kProjectFields{"Kind",         "Name",         "OwnerUserID",   "ApiKey", "ClientID",
                                       "ClientSecret", "RedirectURIs", "ImplicitGrant", "Active"};
constexpr FieldNames<22> kBookingFields{
    "Kind",           "BookingID",    "ClientUserID",  "CandidateUserID", "Duration",        "Credits",
    "Status",         "Method",       "PhoneNumber",   "SkypeName",       "CreateDate",      "SessionDate",
    "AcceptBy",       "AcceptedDate", "ConfirmedDate", "CancelledDate",   "CancelledReason", "CancelledBy",
    "RejectedReason", "LastUpdated",  "Comments",      "DeletedByClient"};

// The position of `name` among `names`, at compile time: a name that is not there does not compile.
template <std::size_t N>
consteval std::size_t FieldIndex(const FieldNames<N>& names, std::string_view name) {
  const auto found = std::find(names.begin(), names.end(), name);
  if (found == names.end()) throw std::invalid_argument("not a field of this record kind");
  return static_cast<std::size_t>(found - names.begin());
}

// The position of a field of each record kind, at compile time.
consteval std::size_t UserField(std::string_view name) { return FieldIndex(kUserFields, name); }
consteval std::size_t GroupField(std::string_view name) { return FieldIndex(kGroupFields, name); }
consteval std::size_t ProjectField(std::string_view name) { return FieldIndex(kProjectFields, name); }
consteval std::size_t BookingField(std::string_view name) { return FieldIndex(kBookingFields, name); }

// Reads the fields of one record, each named by its position in the kind's FieldNames; every failure names the
// record kind, the field and the rule.
template <std::size_t N>
class Fields {
 public:
  Fields(const RecordHandler& record, std::string_view kind, const FieldNames<N>& names)
      : record_(record), kind_(kind), names_(names) {
    values_.fill(nullptr);
    // Records usually list their fields in the format's order, so each search starts after the last field found.
    std::size_t next = 0;
    for (const auto& member : record.Members()) {
      const auto name = record.Key(member);
      std::size_t field = next;
      std::size_t tries = 0;
      while (tries < N && names_[field] != name) {
        field = field + 1 == N ? 0 : field + 1;
        ++tries;
      }
      if (tries == N) {
        Fail(std::string(kind_) + "." + std::string(name) + " is not a field of " + std::string(kind_) +
             " (check its spelling)");
      }
      values_[field] = &member.value;
      next = field + 1 == N ? 0 : field + 1;
    }
  }

  // The field's value, or nullptr when it is absent or null.
  [[nodiscard]] const JsonValue* Get(std::size_t field) const {
    const auto* value = values_[field];
    return (value == nullptr || value->type == JsonType::kNull) ? nullptr : value;
  }

  // A string's characters or a number's source text.
  [[nodiscard]] std::string_view Text(const JsonValue& value) const { return record_.Text(value); }

  [[noreturn]] void FailField(std::size_t field, std::string_view rule) const {
    Fail(std::string(kind_) + "." + std::string(names_[field]) + " " + std::string(rule));
  }

  std::int64_t Int(std::size_t field, std::int64_t min, std::int64_t max,
                   std::optional<std::int64_t> fallback = std::nullopt) const {
    const auto* value = Get(field);
    if (value == nullptr) {
      if (fallback) return *fallback;
      FailField(field, "is required");
    }
    return CheckInt(field, *value, min, max);
  }

  std::int32_t Id(std::size_t field) const { return static_cast<std::int32_t>(Int(field, 1, kMaxInt32)); }

  std::int32_t CheckId(std::size_t field, const JsonValue& value) const {
    return static_cast<std::int32_t>(CheckInt(field, value, 1, kMaxInt32));
  }

  std::optional<std::string_view> String(std::size_t field, bool required, std::size_t min_chars,
                                         std::size_t max_chars) const {
    const auto* value = Get(field);
    if (value == nullptr) {
      if (required) FailField(field, "is required");
      return std::nullopt;
    }
    if (value->type != JsonType::kString) FailField(field, "must be a string");
    const auto text = Text(*value);
    // A code point takes 1 to 4 bytes: most strings are decided by their size alone.
    const bool surely_valid = text.size() <= max_chars && (text.size() + 3) / 4 >= min_chars;
    if (!surely_valid) {
      const auto chars = CodePoints(text);
      if (chars < min_chars || chars > max_chars) {
        FailField(field, min_chars == 0 ? "must be at most " + std::to_string(max_chars) + " characters long"
                                        : "must be " + std::to_string(min_chars) + " to " + std::to_string(max_chars) +
                                              " characters long");
      }
    }
    return text;
  }

  std::string_view RequiredString(std::size_t field, std::size_t min_chars, std::size_t max_chars) const {
    return *String(field, true, min_chars, max_chars);
  }

  std::optional<LocalDateTime> Date(std::size_t field, bool required) const {
    const auto* value = Get(field);
    if (value == nullptr) {
      if (required) FailField(field, "is required");
      return std::nullopt;
    }
    std::optional<LocalDateTime> date;
    if (value->type == JsonType::kString) date = ParseLocalDateTime(Text(*value));
    if (!date) FailField(field, "must be a date yyyy-MM-ddTHH:mm:ss[.fff] naming a real moment");
    return date;
  }

  bool Bool(std::size_t field, bool fallback) const {
    const auto* value = Get(field);
    if (value == nullptr) return fallback;
    if (value->type != JsonType::kBool) FailField(field, "must be true or false");
    return value->boolean;
  }

  // The field's elements; empty when it is absent or null.
  std::span<const JsonValue> Array(std::size_t field) const {
    const auto* value = Get(field);
    if (value == nullptr) return {};
    if (value->type != JsonType::kArray) FailField(field, "must be an array");
    return record_.Elements(*value);
  }

 private:
  std::int64_t CheckInt(std::size_t field, const JsonValue& value, std::int64_t min, std::int64_t max) const {
    // A uint64 is beyond every range here; a double (1.0, 1e2) is not an integer as the API reads one.
    if (value.type != JsonType::kInt64 || value.int64 < min || value.int64 > max) {
      FailField(field, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return value.int64;
  }

  const RecordHandler& record_;
  std::string_view kind_;
  const FieldNames<N>& names_;
  std::array<const JsonValue*, N> values_;
};

UserRecord ReadUser(const Fields<kUserFields.size()>& f) {
  UserRecord user;
  user.user_id = f.Id(UserField("UserID"));
  user.nickname = f.RequiredString(UserField("Nickname"), 1, 20);
  if (const auto password = f.String(UserField("Password"), false, 1, 1000))
    user.password_hash = HashPassword(*password);
  user.email_address = Owned(f.String(UserField("EmailAddress"), false, 0, 254));
  user.phonechat_number = Owned(f.String(UserField("PhoneChatNumber"), false, 0, 50));
  user.skype_name = Owned(f.String(UserField("SkypeName"), false, 0, 100));
  user.positive = static_cast<std::int32_t>(f.Int(UserField("Positive"), 0, kMaxInt32, 0));
  user.neutral = static_cast<std::int32_t>(f.Int(UserField("Neutral"), 0, kMaxInt32, 0));
  user.negative = static_cast<std::int32_t>(f.Int(UserField("Negative"), 0, kMaxInt32, 0));
  user.disputes = static_cast<std::int32_t>(f.Int(UserField("Disputes"), 0, kMaxInt32, 0));
  return user;
}

GroupRecord ReadGroup(const Fields<kGroupFields.size()>& f) {
  GroupRecord group;
  group.group_id = f.Id(GroupField("GroupID"));
  group.name = f.RequiredString(GroupField("Name"), 1, 100);
  group.manager_user_id = f.Id(GroupField("ManagerUserID"));
  const auto members = f.Array(GroupField("MemberUserIDs"));
  group.member_user_ids.reserve(members.size());
  for (const auto& member : members) group.member_user_ids.push_back(f.CheckId(GroupField("MemberUserIDs"), member));
  return group;
}

ProjectRecord ReadProject(const Fields<kProjectFields.size()>& f) {
  ProjectRecord project;
  project.name = f.RequiredString(ProjectField("Name"), 1, 100);
  project.owner_user_id = f.Id(ProjectField("OwnerUserID"));
  project.api_key = f.RequiredString(ProjectField("ApiKey"), 1, 200);
  project.client_id = f.RequiredString(ProjectField("ClientID"), 1, 200);
  if (const auto secret = f.String(ProjectField("ClientSecret"), false, 1, 1000)) {
    project.client_secret_hash = HashPassword(*secret);
  }
  for (const auto& uri : f.Array(ProjectField("RedirectURIs"))) {
    // OAuth 2.0 (RFC 6749 §3.1.2) wants an absolute URI without a fragment: RFC 3986's absolute-URI.
    const bool valid = uri.type == JsonType::kString && boost::urls::parse_absolute_uri(f.Text(uri)).has_value();
    if (!valid) f.FailField(ProjectField("RedirectURIs"), "must hold absolute URIs without a fragment");
    project.redirect_uris.emplace_back(f.Text(uri));
  }
  project.implicit_grant = f.Bool(ProjectField("ImplicitGrant"), false);
  project.active = f.Bool(ProjectField("Active"), true);
  return project;
}

// Fills `record`, a default one.
void ReadBooking(const Fields<kBookingFields.size()>& f, BookingRecord& record) {
  StoredBooking& b = record.booking;
  b.booking_id = f.Id(BookingField("BookingID"));
  b.client_user_id = f.Id(BookingField("ClientUserID"));
  b.candidate.user_id = f.Id(BookingField("CandidateUserID"));
  b.duration_minutes = static_cast<std::int32_t>(f.Int(BookingField("Duration"), 1, 1440));

  const auto* credits = f.Get(BookingField("Credits"));
  if (credits == nullptr) f.FailField(BookingField("Credits"), "is required");
  // A JSON number is taken from its own source text, a string as it is: never through a double.
  const bool textual = credits->type == JsonType::kString || credits->type == JsonType::kInt64 ||
                       credits->type == JsonType::kUint64 || credits->type == JsonType::kDouble;
  if (!textual) f.FailField(BookingField("Credits"), "must be a decimal number or a decimal string");
  const std::string_view credits_text = f.Text(*credits);
  const auto parsed = ParseCredits(credits_text);
  if (!parsed) {
    f.FailField(BookingField("Credits"), "\"" + std::string(credits_text) + "\" " + parsed.error() +
                                             " (plain digits with at most 4 fraction digits, no sign, no exponent)");
  }
  if (parsed->ten_thousandths > kMaxCreditsTenThousandths) f.FailField(BookingField("Credits"), "is too large");
  b.credits = *parsed;

  const auto* status = f.Get(BookingField("Status"));
  if (status == nullptr) f.FailField(BookingField("Status"), "is required");
  std::optional<BookingStatus> parsed_status;
  if (status->type == JsonType::kString) parsed_status = ParseStatus(f.Text(*status));
  if (!parsed_status)
    f.FailField(BookingField("Status"), "must be one of Pending, Accepted, Rejected, Confirmed, Cancelled");
  b.status = *parsed_status;

  b.method = static_cast<ContactMethod>(f.Int(BookingField("Method"), 1, 3));
  b.phone_number = Owned(f.String(BookingField("PhoneNumber"), false, 1, 50));
  b.skype_name = Owned(f.String(BookingField("SkypeName"), false, 1, 100));
  b.create_date = *f.Date(BookingField("CreateDate"), true);
  b.session_date = *f.Date(BookingField("SessionDate"), true);
  b.accept_by = *f.Date(BookingField("AcceptBy"), true);
  b.accepted_date = f.Date(BookingField("AcceptedDate"), false);
  b.confirmed_date = f.Date(BookingField("ConfirmedDate"), false);
  b.cancelled_date = f.Date(BookingField("CancelledDate"), false);
  b.cancelled_reason = Owned(f.String(BookingField("CancelledReason"), false, 0, 1000));
  if (const auto* by = f.Get(BookingField("CancelledBy"))) {
    if (by->type == JsonType::kString) b.cancelled_by = ParseCancelledBy(f.Text(*by));
    if (!b.cancelled_by) f.FailField(BookingField("CancelledBy"), "must be Client or Candidate");
  }
  b.rejected_reason = Owned(f.String(BookingField("RejectedReason"), false, 0, 1000));
  b.last_updated = f.Date(BookingField("LastUpdated"), false);
  b.comments = Owned(f.String(BookingField("Comments"), false, 0, 1000));
  record.deleted_by_client = f.Bool(BookingField("DeletedByClient"), false);

  if (b.candidate.user_id == b.client_user_id) {
    f.FailField(BookingField("CandidateUserID"), "must differ from ClientUserID");
  }
  const bool calls_client = b.method == ContactMethod::kCandidateCalls;
  if (calls_client && !b.phone_number) f.FailField(BookingField("PhoneNumber"), "is required for Method 1");
  if (!calls_client && b.phone_number) f.FailField(BookingField("PhoneNumber"), "must be null unless Method is 1");
  const bool skype = b.method == ContactMethod::kSkype;
  if (skype && !b.skype_name) f.FailField(BookingField("SkypeName"), "is required for Method 3");
  if (!skype && b.skype_name) f.FailField(BookingField("SkypeName"), "must be null unless Method is 3");
  if (b.accept_by < b.create_date) f.FailField(BookingField("AcceptBy"), "must not be before CreateDate");
  if (b.session_date < b.accept_by) f.FailField(BookingField("AcceptBy"), "must not be after SessionDate");
  if (b.status == BookingStatus::kAccepted && !b.accepted_date) {
    f.FailField(BookingField("AcceptedDate"), "is required when Status is Accepted");
  }
  if (b.status == BookingStatus::kConfirmed && !b.confirmed_date) {
    f.FailField(BookingField("ConfirmedDate"), "is required when Status is Confirmed");
  }
  if (b.status == BookingStatus::kCancelled) {
    if (!b.cancelled_date) f.FailField(BookingField("CancelledDate"), "is required when Status is Cancelled");
    if (!b.cancelled_by) f.FailField(BookingField("CancelledBy"), "is required when Status is Cancelled");
  } else {
    if (b.cancelled_date) f.FailField(BookingField("CancelledDate"), "must be null unless Status is Cancelled");
    if (b.cancelled_by) f.FailField(BookingField("CancelledBy"), "must be null unless Status is Cancelled");
    if (b.cancelled_reason) f.FailField(BookingField("CancelledReason"), "must be null unless Status is Cancelled");
  }
  if (b.status != BookingStatus::kRejected && b.rejected_reason) {
    f.FailField(BookingField("RejectedReason"), "must be null unless Status is Rejected");
  }
}

enum class LineRead { kLine, kTooLong, kEnd };

// Splits a stream into lines through one buffer that holds at most one read more than the longest accepted line.
class LineReader {
 public:
  explicit LineReader(std::streambuf& input) : input_(input), buffer_(kMaxLineBytes + kReadBytes) {}

  // The next line without its '\n' (a final '\r' dropped) in `line`, valid until the next call.
  LineRead Next(std::string_view& line) {
    for (;;) {
      const char* start = buffer_.data() + begin_;
      const std::size_t available = end_ - begin_;
      if (const void* newline = std::memchr(start + scanned_, '\n', available - scanned_)) {
        const auto size = static_cast<std::size_t>(static_cast<const char*>(newline) - start);
        begin_ += size + 1;
        scanned_ = 0;
        return Finish(std::string_view(start, size), line);
      }
      scanned_ = available;
      if (available > kMaxLineBytes) return LineRead::kTooLong;
      if (at_end_) {
        if (available == 0) return LineRead::kEnd;
        begin_ = end_;
        scanned_ = 0;
        return Finish(std::string_view(start, available), line);
      }
      Refill();
    }
  }

 private:
  static constexpr std::size_t kReadBytes = std::size_t{256} << 10;

  static LineRead Finish(std::string_view text, std::string_view& line) {
    if (text.size() > kMaxLineBytes) return LineRead::kTooLong;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    line = text;
    return LineRead::kLine;
  }

  // Moves the unfinished line to the front, then reads as much as fits after it (at least kReadBytes: the
  // unfinished line is at most kMaxLineBytes long).
  void Refill() {
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    const auto read = input_.sgetn(buffer_.data() + end_, static_cast<std::streamsize>(buffer_.size() - end_));
    if (read <= 0) {
      at_end_ = true;
    } else {
      end_ += static_cast<std::size_t>(read);
    }
  }

  std::streambuf& input_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // the unread bytes are [begin_, end_)
  std::size_t end_ = 0;
  std::size_t scanned_ = 0;  // bytes after begin_ already known to hold no '\n'
  bool at_end_ = false;
};

std::string_view KindOf(const RecordHandler& record) {
  for (const auto& member : record.Members()) {
    if (record.Key(member) != "Kind") continue;
    if (member.value.type == JsonType::kString) return record.Text(member.value);
    break;
  }
  Fail("Kind is required: User, Group, Project or Booking");
}

// Why a line cannot be imported: the reason, or an exception that is not about the line.
struct LineError {
  std::string reason;
  std::exception_ptr exception;
};

// What one non-blank line holds, checked against the format.
struct ParsedLine {
  std::int64_t line_number = 0;
  std::variant<BookingRecord, UserRecord, GroupRecord, ProjectRecord, LineError> record;
};

// A run of consecutive input lines on their way to the parser thread, and back with what they hold.
struct LineChunk {
  struct Line {
    std::size_t begin = 0;  // in `text`
    std::size_t size = 0;
    std::int64_t number = 0;
    bool too_long = false;
  };

  std::string text;  // the lines, one after another
  std::vector<Line> lines;
  std::vector<ParsedLine> parsed;  // in line order; ends at the first bad line
};

// Lines per chunk, and bytes after which a chunk takes no more lines: enough to make the hand-over between the
// threads rare, small enough to keep memory flat.
constexpr std::size_t kChunkLines = 512;
constexpr std::size_t kChunkTextBytes = std::size_t{512} << 10;
// Chunks read ahead of the one being stored.
constexpr std::size_t kChunksInFlight = 4;

// Reads lines into `chunk` (emptied first) until it is full; false once the input is exhausted, or after a line
// too long to import (nothing after it matters).
bool FillChunk(LineReader& reader, std::int64_t& line_number, LineChunk& chunk) {
  chunk.text.clear();
  chunk.lines.clear();
  chunk.parsed.clear();
  while (chunk.lines.size() < kChunkLines && chunk.text.size() < kChunkTextBytes) {
    std::string_view line;
    const auto read = reader.Next(line);
    if (read == LineRead::kEnd) return false;
    ++line_number;
    chunk.lines.push_back({chunk.text.size(), line.size(), line_number, read == LineRead::kTooLong});
    if (read == LineRead::kTooLong) return false;
    chunk.text.append(line);
  }
  return true;
}

// Parses and checks one line; nullopt for a blank line. Throws LineFailure for a bad line.
std::optional<ParsedLine> ParseLine(LineParser& parser, const LineChunk::Line& line, std::string_view text) {
  if (line.too_long) Fail("the line is longer than 1 MiB");
  if (line.number == 1 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  if (text.find_first_not_of(" \t\r") == std::string_view::npos) return std::nullopt;
  const RecordHandler& record = parser.Parse(text);
  const auto kind = KindOf(record);
  ParsedLine parsed{line.number, LineError{}};
  if (kind == "Booking") {
    const Fields fields(record, kind, kBookingFields);
    ReadBooking(fields, parsed.record.emplace<BookingRecord>());
  } else if (kind == "User") {
    const Fields fields(record, kind, kUserFields);
    parsed.record = ReadUser(fields);
  } else if (kind == "Group") {
    const Fields fields(record, kind, kGroupFields);
    parsed.record = ReadGroup(fields);
  } else if (kind == "Project") {
    const Fields fields(record, kind, kProjectFields);
    parsed.record = ReadProject(fields);
  } else {
    Fail("Kind \"" + std::string(kind) + "\" is unknown: User, Group, Project or Booking");
  }
  return parsed;
}

// Fills chunk.parsed with the records of its lines, up to and including the first bad line.
void ParseChunk(LineParser& parser, LineChunk& chunk) {
  for (const auto& line : chunk.lines) {
    try {
      if (auto parsed = ParseLine(parser, line, std::string_view(chunk.text).substr(line.begin, line.size))) {
        chunk.parsed.push_back(std::move(*parsed));
      }
    } catch (const LineFailure& failure) {
      chunk.parsed.push_back({line.number, LineError{failure.what(), nullptr}});
      return;
    } catch (const std::runtime_error& error) {
      chunk.parsed.push_back(
          {line.number, LineError{std::string("cannot store the record: ") + error.what(), nullptr}});
      return;
    } catch (...) {
      chunk.parsed.push_back({line.number, LineError{{}, std::current_exception()}});
      return;
    }
  }
}

// Parses and checks chunks on a thread of its own, in the order they are submitted, while the caller stores the
// records of earlier ones: the two halves of an import then share the machine's cores. The thread never touches
// the input or the store, so stopping it never waits on either.
class ParserThread {
 public:
  ParserThread() : thread_([this] { Run(); }) {}

  ~ParserThread() {
    {
      const std::lock_guard lock(mutex_);
      stop_ = true;
    }
    submitted_.notify_one();
    thread_.join();
  }

  ParserThread(const ParserThread&) = delete;
  ParserThread& operator=(const ParserThread&) = delete;

  void Submit(std::unique_ptr<LineChunk> chunk) {
    {
      const std::lock_guard lock(mutex_);
      todo_.push_back(std::move(chunk));
    }
    submitted_.notify_one();
  }

  // The oldest submitted chunk once parsed.
  std::unique_ptr<LineChunk> Next() {
    std::unique_lock lock(mutex_);
    parsed_.wait(lock, [this] { return !done_.empty(); });
    auto chunk = std::move(done_.front());
    done_.pop_front();
    return chunk;
  }

 private:
  void Run() {
    LineParser parser;
    for (;;) {
      std::unique_ptr<LineChunk> chunk;
      {
        std::unique_lock lock(mutex_);
        submitted_.wait(lock, [this] { return stop_ || !todo_.empty(); });
        if (stop_) return;
        chunk = std::move(todo_.front());
        todo_.pop_front();
      }
      ParseChunk(parser, *chunk);
      {
        const std::lock_guard lock(mutex_);
        done_.push_back(std::move(chunk));
      }
      parsed_.notify_one();
    }
  }

  std::mutex mutex_;
  std::condition_variable submitted_;
  std::condition_variable parsed_;
  std::deque<std::unique_ptr<LineChunk>> todo_;
  std::deque<std::unique_ptr<LineChunk>> done_;
  bool stop_ = false;
  std::thread thread_;  // last: it starts using the members above at once
};

void CheckStored(const std::string& reason) {
  if (!reason.empty()) Fail(reason);
}

}  // namespace

ImportCounts ImportJsonLines(Store& store, std::istream& input, bool replace) {
  std::streambuf* buffer = input.rdbuf();
  if (buffer == nullptr) throw std::invalid_argument("ImportJsonLines: the input stream has no buffer");
  auto batch = store.BeginWriteBatch();
  LineReader reader(*buffer);
  ParserThread parser;
  std::vector<std::unique_ptr<LineChunk>> spare_chunks;
  std::size_t in_flight = 0;
  bool more_input = true;
  std::int64_t lines_read = 0;
  ImportCounts counts;
  // Records are numbered by their Put* call; a blank line shifts the numbering from the lines, and each shift is
  // kept (few in practice) so that a record the batch rejects at Commit() is reported by its line.
  std::int64_t records = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> line_shifts;  // (first record, line - record) from there on
  const auto next_record = [&](std::int64_t line_number) {
    ++records;
    if (line_shifts.empty() || line_shifts.back().second != line_number - records) {
      line_shifts.emplace_back(records, line_number - records);
    }
  };
  for (;;) {
    while (more_input && in_flight < kChunksInFlight) {
      std::unique_ptr<LineChunk> chunk;
      if (spare_chunks.empty()) {
        chunk = std::make_unique<LineChunk>();
      } else {
        chunk = std::move(spare_chunks.back());
        spare_chunks.pop_back();
      }
      more_input = FillChunk(reader, lines_read, *chunk);
      if (chunk->lines.empty()) {
        spare_chunks.push_back(std::move(chunk));
      } else {
        parser.Submit(std::move(chunk));
        ++in_flight;
      }
    }
    if (in_flight == 0) break;
    auto chunk = parser.Next();
    --in_flight;
    for (auto& parsed : chunk->parsed) {
      const std::int64_t line_number = parsed.line_number;
      if (const auto* error = std::get_if<LineError>(&parsed.record)) {
        if (error->exception) std::rethrow_exception(error->exception);
        throw ImportError(line_number, error->reason);
      }
      next_record(line_number);
      try {
        if (const auto* booking = std::get_if<BookingRecord>(&parsed.record)) {
          CheckStored(batch->PutBooking(*booking, replace));
          ++counts.bookings;
        } else if (const auto* user = std::get_if<UserRecord>(&parsed.record)) {
          CheckStored(batch->PutUser(*user, replace));
          ++counts.users;
        } else if (const auto* group = std::get_if<GroupRecord>(&parsed.record)) {
          CheckStored(batch->PutGroup(*group, replace));
          ++counts.groups;
        } else {
          CheckStored(batch->PutProject(std::get<ProjectRecord>(parsed.record), replace));
          ++counts.projects;
        }
      } catch (const LineFailure& failure) {
        throw ImportError(line_number, failure.what());
      } catch (const StoreUnavailable&) {
        throw;
      } catch (const std::runtime_error& error) {
        throw ImportError(line_number, std::string("cannot store the record: ") + error.what());
      }
    }
    spare_chunks.push_back(std::move(chunk));
  }
  try {
    batch->Commit();
  } catch (const RecordRejected& rejected) {
    const auto shift = std::upper_bound(line_shifts.begin(), line_shifts.end(), rejected.Record(),
                                        [](std::int64_t record, const auto& entry) { return record < entry.first; });
    const std::int64_t offset = shift == line_shifts.begin() ? 0 : std::prev(shift)->second;
    throw ImportError(rejected.Record() + offset, rejected.what());
  }
  return counts;
}

}  // namespace phonechat
