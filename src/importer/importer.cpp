#include "importer/importer.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>
#include <boost/url/parse.hpp>
#include <optional>
#include <streambuf>
#include <string>
#include <string_view>
#include <utility>
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

// Builds the line's JSON value exactly like boost::json::parser, and also keeps the source text of a
// top-level "Credits" number: the DOM can only hold a number as a double or an integer, and Credits must
// never pass through a binary floating point.
class RecordHandler {
 public:
  // Limits and callbacks named as boost::json::basic_parser requires.
  // NOLINTBEGIN(readability-identifier-naming)
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();
  // NOLINTEND(readability-identifier-naming)

  // The value built by the last parse.
  boost::json::value Release() { return stack_.release(); }
  // The text of the top-level Credits number, empty when Credits was not a number.
  [[nodiscard]] const std::string& CreditsNumber() const { return credits_number_; }
  // A top-level key that appeared twice, if any.
  [[nodiscard]] const std::string& DuplicateKey() const { return duplicate_key_; }

  // NOLINTBEGIN(readability-identifier-naming)
  bool on_document_begin(boost::json::error_code&) {
    stack_.reset();
    depth_ = 0;
    key_.clear();
    current_key_.clear();
    number_.clear();
    credits_number_.clear();
    duplicate_key_.clear();
    top_keys_.clear();
    return true;
  }
  bool on_document_end(boost::json::error_code&) { return true; }
  bool on_object_begin(boost::json::error_code&) {
    ++depth_;
    return true;
  }
  bool on_object_end(std::size_t n, boost::json::error_code&) {
    --depth_;
    stack_.push_object(n);
    return true;
  }
  bool on_array_begin(boost::json::error_code&) {
    ++depth_;
    current_key_.clear();  // values inside the array are not the key's own value
    return true;
  }
  bool on_array_end(std::size_t n, boost::json::error_code&) {
    --depth_;
    stack_.push_array(n);
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    if (depth_ == 1) key_.append(s.data(), s.size());
    stack_.push_chars(s);
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    if (depth_ == 1) {
      key_.append(s.data(), s.size());
      if (std::find(top_keys_.begin(), top_keys_.end(), key_) != top_keys_.end() && duplicate_key_.empty()) {
        duplicate_key_ = key_;
      }
      top_keys_.push_back(key_);
      current_key_ = std::move(key_);
      key_.clear();
    }
    stack_.push_key(s);
    return true;
  }
  bool on_string_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    stack_.push_chars(s);
    return true;
  }
  bool on_string(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    stack_.push_string(s);
    return true;
  }
  bool on_number_part(boost::json::string_view s, boost::json::error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, boost::json::string_view s, boost::json::error_code&) {
    EndNumber(s);
    stack_.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, boost::json::string_view s, boost::json::error_code&) {
    EndNumber(s);
    stack_.push_uint64(u);
    return true;
  }
  bool on_double(double d, boost::json::string_view s, boost::json::error_code&) {
    EndNumber(s);
    stack_.push_double(d);
    return true;
  }
  bool on_bool(bool b, boost::json::error_code&) {
    stack_.push_bool(b);
    return true;
  }
  bool on_null(boost::json::error_code&) {
    stack_.push_null();
    return true;
  }
  bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }
  // NOLINTEND(readability-identifier-naming)

 private:
  void EndNumber(boost::json::string_view last_part) {
    number_.append(last_part.data(), last_part.size());
    if (depth_ == 1 && current_key_ == "Credits") credits_number_ = number_;
    number_.clear();
  }

  boost::json::value_stack stack_;
  int depth_ = 0;
  std::string key_;          // the top-level key being read
  std::string current_key_;  // the top-level key whose value is being read
  std::string number_;       // the current number's text so far
  std::string credits_number_;
  std::string duplicate_key_;
  std::vector<std::string> top_keys_;
};

// One parsed line: the record object and the raw text of a numeric Credits.
class LineParser {
 public:
  LineParser() : parser_(boost::json::parse_options{}) {}

  // Parses `line` as one JSON object; fails the line otherwise.
  boost::json::object Parse(std::string_view line) {
    parser_.reset();
    boost::json::error_code ec;
    const auto used = parser_.write_some(false, line.data(), line.size(), ec);
    if (ec) Fail("not valid JSON (" + ec.message() + ")");
    const auto rest = line.substr(used);
    if (rest.find_first_not_of(" \t\r\n") != std::string_view::npos) Fail("not valid JSON (text after the record)");
    if (!parser_.handler().DuplicateKey().empty()) {
      Fail("field \"" + parser_.handler().DuplicateKey() + "\" appears twice");
    }
    auto value = parser_.handler().Release();
    if (!value.is_object()) Fail("a record must be a JSON object");
    return std::move(value.as_object());
  }

  // The source text of the last record's Credits when it was a JSON number.
  [[nodiscard]] const std::string& CreditsNumber() { return parser_.handler().CreditsNumber(); }

 private:
  boost::json::basic_parser<RecordHandler> parser_;
};

std::string_view View(const boost::json::string& text) { return {text.data(), text.size()}; }

// Number of Unicode code points in valid UTF-8 (Boost.JSON has already rejected invalid UTF-8).
std::size_t CodePoints(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Reads the fields of one record; every failure names the record kind, the field and the rule.
class Fields {
 public:
  Fields(const boost::json::object& record, std::string_view kind, std::initializer_list<std::string_view> allowed)
      : record_(record), kind_(kind) {
    for (const auto& field : record) {
      const std::string_view name(field.key().data(), field.key().size());
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        Fail(kind_ + "." + std::string(name) + " is not a field of " + kind_ + " (check its spelling)");
      }
    }
  }

  // The field's value, or nullptr when it is absent or null.
  [[nodiscard]] const boost::json::value* Get(std::string_view name) const {
    const auto* value = record_.if_contains(name);
    return (value == nullptr || value->is_null()) ? nullptr : value;
  }

  [[noreturn]] void FailField(std::string_view name, std::string_view rule) const {
    Fail(kind_ + "." + std::string(name) + " " + std::string(rule));
  }

  std::int64_t Int(std::string_view name, std::int64_t min, std::int64_t max,
                   std::optional<std::int64_t> fallback = std::nullopt) const {
    const auto* value = Get(name);
    if (value == nullptr) {
      if (fallback) return *fallback;
      FailField(name, "is required");
    }
    return CheckInt(name, *value, min, max);
  }

  std::int32_t Id(std::string_view name) const { return static_cast<std::int32_t>(Int(name, 1, kMaxInt32)); }

  std::int32_t CheckId(std::string_view name, const boost::json::value& value) const {
    return static_cast<std::int32_t>(CheckInt(name, value, 1, kMaxInt32));
  }

  std::optional<std::string> String(std::string_view name, bool required, std::size_t min_chars,
                                    std::size_t max_chars) const {
    const auto* value = Get(name);
    if (value == nullptr) {
      if (required) FailField(name, "is required");
      return std::nullopt;
    }
    if (!value->is_string()) FailField(name, "must be a string");
    const auto& text = value->get_string();
    const auto chars = CodePoints(View(text));
    if (chars < min_chars || chars > max_chars) {
      FailField(name, min_chars == 0 ? "must be at most " + std::to_string(max_chars) + " characters long"
                                     : "must be " + std::to_string(min_chars) + " to " + std::to_string(max_chars) +
                                           " characters long");
    }
    return std::string(text.data(), text.size());
  }

  std::string RequiredString(std::string_view name, std::size_t min_chars, std::size_t max_chars) const {
    return *String(name, true, min_chars, max_chars);
  }

  std::optional<LocalDateTime> Date(std::string_view name, bool required) const {
    const auto* value = Get(name);
    if (value == nullptr) {
      if (required) FailField(name, "is required");
      return std::nullopt;
    }
    std::optional<LocalDateTime> date;
    if (value->is_string()) date = ParseLocalDateTime(View(value->get_string()));
    if (!date) FailField(name, "must be a date yyyy-MM-ddTHH:mm:ss[.fff] naming a real moment");
    return date;
  }

  bool Bool(std::string_view name, bool fallback) const {
    const auto* value = Get(name);
    if (value == nullptr) return fallback;
    if (!value->is_bool()) FailField(name, "must be true or false");
    return value->get_bool();
  }

  const boost::json::array* Array(std::string_view name) const {
    const auto* value = Get(name);
    if (value == nullptr) return nullptr;
    if (!value->is_array()) FailField(name, "must be an array");
    return &value->get_array();
  }

 private:
  std::int64_t CheckInt(std::string_view name, const boost::json::value& value, std::int64_t min,
                        std::int64_t max) const {
    const std::string rule = "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
    if (value.is_int64()) {
      const auto number = value.get_int64();
      if (number < min || number > max) FailField(name, rule);
      return number;
    }
    // A uint64 is beyond every range here; a double (1.0, 1e2) is not an integer as the API reads one.
    FailField(name, rule);
  }

  const boost::json::object& record_;
  std::string kind_;
};

UserRecord ReadUser(const Fields& f) {
  UserRecord user;
  user.user_id = f.Id("UserID");
  user.nickname = f.RequiredString("Nickname", 1, 20);
  if (const auto password = f.String("Password", false, 1, 1000)) user.password_hash = HashPassword(*password);
  user.email_address = f.String("EmailAddress", false, 0, 254);
  user.phonechat_number = f.String("PhoneChatNumber", false, 0, 50);
  user.skype_name = f.String("SkypeName", false, 0, 100);
  user.positive = static_cast<std::int32_t>(f.Int("Positive", 0, kMaxInt32, 0));
  user.neutral = static_cast<std::int32_t>(f.Int("Neutral", 0, kMaxInt32, 0));
  user.negative = static_cast<std::int32_t>(f.Int("Negative", 0, kMaxInt32, 0));
  user.disputes = static_cast<std::int32_t>(f.Int("Disputes", 0, kMaxInt32, 0));
  return user;
}

GroupRecord ReadGroup(const Fields& f) {
  GroupRecord group;
  group.group_id = f.Id("GroupID");
  group.name = f.RequiredString("Name", 1, 100);
  group.manager_user_id = f.Id("ManagerUserID");
  if (const auto* members = f.Array("MemberUserIDs")) {
    group.member_user_ids.reserve(members->size());
    for (const auto& member : *members) group.member_user_ids.push_back(f.CheckId("MemberUserIDs", member));
  }
  return group;
}

ProjectRecord ReadProject(const Fields& f) {
  ProjectRecord project;
  project.name = f.RequiredString("Name", 1, 100);
  project.owner_user_id = f.Id("OwnerUserID");
  project.api_key = f.RequiredString("ApiKey", 1, 200);
  project.client_id = f.RequiredString("ClientID", 1, 200);
  if (const auto secret = f.String("ClientSecret", false, 1, 1000)) project.client_secret_hash = HashPassword(*secret);
  if (const auto* uris = f.Array("RedirectURIs")) {
    for (const auto& uri : *uris) {
      // OAuth 2.0 (RFC 6749 §3.1.2) wants an absolute URI without a fragment: RFC 3986's absolute-URI.
      const bool valid = uri.is_string() && boost::urls::parse_absolute_uri(View(uri.get_string())).has_value();
      if (!valid) f.FailField("RedirectURIs", "must hold absolute URIs without a fragment");
      project.redirect_uris.emplace_back(uri.get_string().data(), uri.get_string().size());
    }
  }
  project.implicit_grant = f.Bool("ImplicitGrant", false);
  project.active = f.Bool("Active", true);
  return project;
}

BookingRecord ReadBooking(const Fields& f, const std::string& credits_number) {
  BookingRecord record;
  StoredBooking& b = record.booking;
  b.booking_id = f.Id("BookingID");
  b.client_user_id = f.Id("ClientUserID");
  b.candidate.user_id = f.Id("CandidateUserID");
  b.duration_minutes = static_cast<std::int32_t>(f.Int("Duration", 1, 1440));

  const auto* credits = f.Get("Credits");
  if (credits == nullptr) f.FailField("Credits", "is required");
  // A JSON number is taken from its own source text, a string as it is: never through a double.
  std::string_view credits_text;
  if (credits->is_string()) {
    credits_text = View(credits->get_string());
  } else if (credits->is_number()) {
    credits_text = credits_number;
  } else {
    f.FailField("Credits", "must be a decimal number or a decimal string");
  }
  const auto parsed = ParseCredits(credits_text);
  if (!parsed) {
    f.FailField("Credits", "\"" + std::string(credits_text) + "\" " + parsed.error() +
                               " (plain digits with at most 4 fraction digits, no sign, no exponent)");
  }
  if (parsed->ten_thousandths > kMaxCreditsTenThousandths) f.FailField("Credits", "is too large");
  b.credits = *parsed;

  const auto* status = f.Get("Status");
  if (status == nullptr) f.FailField("Status", "is required");
  std::optional<BookingStatus> parsed_status;
  if (status->is_string()) parsed_status = ParseStatus(View(status->get_string()));
  if (!parsed_status) f.FailField("Status", "must be one of Pending, Accepted, Rejected, Confirmed, Cancelled");
  b.status = *parsed_status;

  b.method = static_cast<ContactMethod>(f.Int("Method", 1, 3));
  b.phone_number = f.String("PhoneNumber", false, 1, 50);
  b.skype_name = f.String("SkypeName", false, 1, 100);
  b.create_date = *f.Date("CreateDate", true);
  b.session_date = *f.Date("SessionDate", true);
  b.accept_by = *f.Date("AcceptBy", true);
  b.accepted_date = f.Date("AcceptedDate", false);
  b.confirmed_date = f.Date("ConfirmedDate", false);
  b.cancelled_date = f.Date("CancelledDate", false);
  b.cancelled_reason = f.String("CancelledReason", false, 0, 1000);
  if (const auto* by = f.Get("CancelledBy")) {
    if (by->is_string()) b.cancelled_by = ParseCancelledBy(View(by->get_string()));
    if (!b.cancelled_by) f.FailField("CancelledBy", "must be Client or Candidate");
  }
  b.rejected_reason = f.String("RejectedReason", false, 0, 1000);
  b.last_updated = f.Date("LastUpdated", false);
  b.comments = f.String("Comments", false, 0, 1000);
  record.deleted_by_client = f.Bool("DeletedByClient", false);

  if (b.candidate.user_id == b.client_user_id) f.FailField("CandidateUserID", "must differ from ClientUserID");
  const bool calls_client = b.method == ContactMethod::kCandidateCalls;
  if (calls_client && !b.phone_number) f.FailField("PhoneNumber", "is required for Method 1");
  if (!calls_client && b.phone_number) f.FailField("PhoneNumber", "must be null unless Method is 1");
  const bool skype = b.method == ContactMethod::kSkype;
  if (skype && !b.skype_name) f.FailField("SkypeName", "is required for Method 3");
  if (!skype && b.skype_name) f.FailField("SkypeName", "must be null unless Method is 3");
  if (b.accept_by < b.create_date) f.FailField("AcceptBy", "must not be before CreateDate");
  if (b.session_date < b.accept_by) f.FailField("AcceptBy", "must not be after SessionDate");
  if (b.status == BookingStatus::kAccepted && !b.accepted_date) {
    f.FailField("AcceptedDate", "is required when Status is Accepted");
  }
  if (b.status == BookingStatus::kConfirmed && !b.confirmed_date) {
    f.FailField("ConfirmedDate", "is required when Status is Confirmed");
  }
  if (b.status == BookingStatus::kCancelled) {
    if (!b.cancelled_date) f.FailField("CancelledDate", "is required when Status is Cancelled");
    if (!b.cancelled_by) f.FailField("CancelledBy", "is required when Status is Cancelled");
  } else {
    if (b.cancelled_date) f.FailField("CancelledDate", "must be null unless Status is Cancelled");
    if (b.cancelled_by) f.FailField("CancelledBy", "must be null unless Status is Cancelled");
    if (b.cancelled_reason) f.FailField("CancelledReason", "must be null unless Status is Cancelled");
  }
  if (b.status != BookingStatus::kRejected && b.rejected_reason) {
    f.FailField("RejectedReason", "must be null unless Status is Rejected");
  }
  return record;
}

enum class LineRead { kLine, kTooLong, kEnd };

// Reads up to the next '\n' (a final '\r' dropped) without ever holding more than kMaxLineBytes.
LineRead ReadLine(std::streambuf& input, std::string& line) {
  using Traits = std::streambuf::traits_type;
  line.clear();
  bool any = false;
  for (;;) {
    const auto c = input.sbumpc();
    if (Traits::eq_int_type(c, Traits::eof())) {
      if (!any) return LineRead::kEnd;
      break;
    }
    any = true;
    if (Traits::to_char_type(c) == '\n') break;
    if (line.size() == kMaxLineBytes) return LineRead::kTooLong;
    line.push_back(Traits::to_char_type(c));
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return LineRead::kLine;
}

std::string_view KindOf(const boost::json::object& record) {
  const auto* kind = record.if_contains("Kind");
  if (kind == nullptr || !kind->is_string()) Fail("Kind is required: User, Group, Project or Booking");
  return View(kind->get_string());
}

void CheckStored(const std::string& reason) {
  if (!reason.empty()) Fail(reason);
}

}  // namespace

ImportCounts ImportJsonLines(Store& store, std::istream& input, bool replace) {
  std::streambuf* buffer = input.rdbuf();
  if (buffer == nullptr) throw std::invalid_argument("ImportJsonLines: the input stream has no buffer");
  auto batch = store.BeginWriteBatch();
  LineParser parser;
  ImportCounts counts;
  std::string line;
  std::int64_t line_number = 0;
  // Records are numbered by their Put* call; a blank line shifts the numbering from the lines, and each shift is
  // kept (few in practice) so that a record the batch rejects at Commit() is reported by its line.
  std::int64_t records = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> line_shifts;  // (first record, line - record) from there on
  const auto next_record = [&] {
    ++records;
    if (line_shifts.empty() || line_shifts.back().second != line_number - records) {
      line_shifts.emplace_back(records, line_number - records);
    }
  };
  for (;;) {
    const auto read = ReadLine(*buffer, line);
    if (read == LineRead::kEnd) break;
    ++line_number;
    try {
      if (read == LineRead::kTooLong) Fail("the line is longer than 1 MiB");
      std::string_view text = line;
      if (line_number == 1 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
      if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      const auto record = parser.Parse(text);
      const auto kind = KindOf(record);
      if (kind == "User") {
        const Fields fields(record, kind,
                            {"Kind", "UserID", "Nickname", "Password", "EmailAddress", "PhoneChatNumber", "SkypeName",
                             "Positive", "Neutral", "Negative", "Disputes"});
        next_record();
        CheckStored(batch->PutUser(ReadUser(fields), replace));
        ++counts.users;
      } else if (kind == "Group") {
        const Fields fields(record, kind, {"Kind", "GroupID", "Name", "ManagerUserID", "MemberUserIDs"});
        next_record();
        CheckStored(batch->PutGroup(ReadGroup(fields), replace));
        ++counts.groups;
      } else if (kind == "Project") {
        const Fields fields(record, kind,
                            {"Kind", "Name", "OwnerUserID", "ApiKey", "ClientID", "ClientSecret", "RedirectURIs",
                             "ImplicitGrant", "Active"});
        next_record();
        CheckStored(batch->PutProject(ReadProject(fields), replace));
        ++counts.projects;
      } else if (kind == "Booking") {
        const Fields fields(
            record, kind,
            {"Kind",           "BookingID",    "ClientUserID",  "CandidateUserID", "Duration",        "Credits",
             "Status",         "Method",       "PhoneNumber",   "SkypeName",       "CreateDate",      "SessionDate",
             "AcceptBy",       "AcceptedDate", "ConfirmedDate", "CancelledDate",   "CancelledReason", "CancelledBy",
             "RejectedReason", "LastUpdated",  "Comments",      "DeletedByClient"});
        next_record();
        CheckStored(batch->PutBooking(ReadBooking(fields, parser.CreditsNumber()), replace));
        ++counts.bookings;
      } else {
        Fail("Kind \"" + std::string(kind) + "\" is unknown: User, Group, Project or Booking");
      }
    } catch (const LineFailure& failure) {
      throw ImportError(line_number, failure.what());
    } catch (const StoreUnavailable&) {
      throw;
    } catch (const std::runtime_error& error) {
      throw ImportError(line_number, std::string("cannot store the record: ") + error.what());
    }
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
