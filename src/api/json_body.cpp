// The request-body binder of the POST routes: the media-type check, a JSON parser that keeps each number's
// text, and the member readers that turn a body into checked values (docs/api.md, "Request bodies").
#include "api/json_body.hpp"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <charconv>
#include <limits>
#include <utility>

#include "api/made_bookings_request.hpp"
#include "api/query_parameters.hpp"
#include "domain/booking.hpp"

namespace phonechat {
namespace {

using Kind = JsonValue::Kind;
using boost::json::error_code;

constexpr std::int64_t kMaxInteger = std::numeric_limits<std::int32_t>::max();

// Receives the parser's events and builds the JsonValue tree; numbers are kept as the text they were sent as.
class DomBuilder {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  bool on_document_begin(error_code& /*ec*/) { return true; }
  bool on_document_end(error_code& /*ec*/) { return true; }
  bool on_array_begin(error_code& ec) { return Open(Kind::kArray, ec); }
  bool on_array_end(std::size_t /*n*/, error_code& /*ec*/) { return Close(); }
  bool on_object_begin(error_code& ec) { return Open(Kind::kObject, ec); }
  bool on_object_end(std::size_t /*n*/, error_code& /*ec*/) { return Close(); }
  bool on_string_part(boost::json::string_view s, std::size_t /*n*/, error_code& /*ec*/) {
    text_.append(s.data(), s.size());
    return true;
  }
  bool on_string(boost::json::string_view s, std::size_t /*n*/, error_code& /*ec*/) {
    text_.append(s.data(), s.size());
    return AddText(Kind::kString);
  }
  bool on_key_part(boost::json::string_view s, std::size_t /*n*/, error_code& /*ec*/) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t /*n*/, error_code& /*ec*/) {
    key_.append(s.data(), s.size());
    stack_.back().key = std::move(key_);
    key_.clear();
    return true;
  }
  bool on_number_part(boost::json::string_view s, error_code& /*ec*/) {
    text_.append(s.data(), s.size());
    return true;
  }
  // The converted value is ignored: the text alone is kept, so that no decimal goes through a double.
  bool on_int64(std::int64_t /*i*/, boost::json::string_view s, error_code& /*ec*/) { return Number(s); }
  bool on_uint64(std::uint64_t /*u*/, boost::json::string_view s, error_code& /*ec*/) { return Number(s); }
  bool on_double(double /*d*/, boost::json::string_view s, error_code& /*ec*/) { return Number(s); }
  bool on_bool(bool b, error_code& /*ec*/) {
    JsonValue value;
    value.kind = Kind::kBool;
    value.boolean = b;
    return Add(std::move(value));
  }
  bool on_null(error_code& /*ec*/) { return Add(JsonValue{}); }
  bool on_comment_part(boost::json::string_view /*s*/, error_code& /*ec*/) { return true; }
  bool on_comment(boost::json::string_view /*s*/, error_code& /*ec*/) { return true; }

  std::optional<JsonValue>& Root() { return root_; }

 private:
  struct Frame {
    JsonValue value;
    std::string key;  // the member name awaiting its value (objects)
  };

  bool Open(Kind kind, error_code& ec) {
    // The parser's own max_depth refuses this first; kept so that the tree can never outgrow the limit.
    if (stack_.size() >= kMaxJsonDepth) {
      ec = boost::json::error::too_deep;
      return false;
    }
    stack_.emplace_back();
    stack_.back().value.kind = kind;
    return true;
  }

  bool Close() {
    JsonValue value = std::move(stack_.back().value);
    stack_.pop_back();
    return Add(std::move(value));
  }

  bool Number(boost::json::string_view s) {
    text_.append(s.data(), s.size());
    return AddText(Kind::kNumber);
  }

  bool AddText(Kind kind) {
    JsonValue value;
    value.kind = kind;
    value.text = std::move(text_);
    text_.clear();
    return Add(std::move(value));
  }

  bool Add(JsonValue value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return true;
    }
    Frame& top = stack_.back();
    if (top.value.kind == Kind::kObject) {
      top.value.object.members.push_back(JsonMember{std::move(top.key), std::move(value)});
      top.key.clear();
    } else {
      top.value.elements.push_back(std::move(value));
    }
    return true;
  }

  std::vector<Frame> stack_;
  std::optional<JsonValue> root_;
  std::string text_;  // a string's or a number's parts so far
  std::string key_;   // a key's parts so far
};

Error BodyError(std::string message) {
  ModelState errors;
  errors.Add("body", std::move(message));
  return std::move(errors).ToError();
}

Error MediaTypeError(std::string message) {
  return Error{ErrorCode::kUnsupportedMediaType, std::move(message), {}, {}, false};
}

// Null when `content_type` names JSON in UTF-8; otherwise the 415 to answer.
std::optional<Error> CheckMediaType(std::optional<std::string_view> content_type) {
  const std::string_view header = content_type ? TrimWhitespace(*content_type) : std::string_view{};
  if (header.empty()) {
    return MediaTypeError("The request has a body but no Content-Type; send the body as application/json.");
  }
  const auto semicolon = header.find(';');
  const std::string_view media_type = TrimWhitespace(header.substr(0, semicolon));
  const std::string lower = AsciiLower(media_type);
  if (lower != "application/json" && lower != "text/json") {
    return MediaTypeError("The media type '" + std::string(media_type) +
                          "' is not supported; send the body as application/json.");
  }
  std::string_view rest = semicolon == std::string_view::npos ? std::string_view{} : header.substr(semicolon);
  while (!rest.empty()) {
    rest.remove_prefix(1);  // the ';'
    const std::string_view parameter = rest.substr(0, rest.find(';'));
    rest.remove_prefix(parameter.size());
    const auto equals = parameter.find('=');
    if (equals == std::string_view::npos) continue;
    if (AsciiLower(TrimWhitespace(parameter.substr(0, equals))) != "charset") continue;
    std::string_view charset = TrimWhitespace(parameter.substr(equals + 1));
    if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"') {
      charset = charset.substr(1, charset.size() - 2);
    }
    if (AsciiLower(charset) != "utf-8") {
      return MediaTypeError("The charset '" + std::string(charset) + "' is not supported; send the body as UTF-8.");
    }
  }
  return std::nullopt;
}

constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }

constexpr bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsDigit);
}

constexpr bool IsJsonWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The code point of the UTF-8 sequence at `text[pos]` and its length; nullopt when the sequence is invalid
// (truncated, overlong, a surrogate, or beyond U+10FFFF).
std::optional<std::pair<char32_t, std::size_t>> DecodeUtf8(std::string_view text, std::size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80) return std::pair{char32_t{lead}, std::size_t{1}};
  std::size_t length = 0;
  char32_t code = 0;
  char32_t smallest = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, code = lead & 0x1F, smallest = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, code = lead & 0x0F, smallest = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, code = lead & 0x07, smallest = 0x10000;
  } else {
    return std::nullopt;
  }
  if (pos + length > text.size()) return std::nullopt;
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[pos + i]);
    if ((next & 0xC0) != 0x80) return std::nullopt;
    code = (code << 6) | (next & 0x3F);
  }
  if (code < smallest || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return std::nullopt;
  return std::pair{code, length};
}

// Unicode's White_Space property.
constexpr bool IsUnicodeWhitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// `text` without leading and trailing Unicode white space; `text` is valid UTF-8.
std::string_view TrimUnicodeWhitespace(std::string_view text) {
  while (!text.empty()) {
    const auto decoded = DecodeUtf8(text, 0);
    if (!decoded || !IsUnicodeWhitespace(decoded->first)) break;
    text.remove_prefix(decoded->second);
  }
  while (!text.empty()) {
    std::size_t start = text.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    const auto decoded = DecodeUtf8(text, start);
    if (!decoded || start + decoded->second != text.size() || !IsUnicodeWhitespace(decoded->first)) break;
    text.remove_suffix(decoded->second);
  }
  return text;
}

// The number of code points in `text`; nullopt when it is not valid UTF-8.
std::optional<std::size_t> CountCodePoints(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t pos = 0; pos < text.size(); ++count) {
    const auto decoded = DecodeUtf8(text, pos);
    if (!decoded) return std::nullopt;
    pos += decoded->second;
  }
  return count;
}

constexpr bool IsForbiddenControl(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += "\\u00";
      out.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
      out.push_back(kHex[static_cast<unsigned char>(c) & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

void AppendCanonical(std::string& out, const JsonValue& value);

void AppendCanonicalObject(std::string& out, const JsonObject& object) {
  std::vector<std::pair<std::string, const JsonValue*>> members;
  members.reserve(object.members.size());
  for (const JsonMember& member : object.members) {
    if (member.value.kind != Kind::kNull) members.emplace_back(AsciiLower(member.name), &member.value);
  }
  std::stable_sort(members.begin(), members.end(),
                   [](const auto& left, const auto& right) { return left.first < right.first; });
  out.push_back('{');
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(out, members[i].first);
    out.push_back(':');
    AppendCanonical(out, *members[i].second);
  }
  out.push_back('}');
}

void AppendCanonical(std::string& out, const JsonValue& value) {
  switch (value.kind) {
    case Kind::kNull:
      out += "null";
      return;
    case Kind::kBool:
      out += value.boolean ? "true" : "false";
      return;
    case Kind::kString:
      AppendJsonString(out, value.text);
      return;
    case Kind::kNumber:
      out += value.text;
      return;
    case Kind::kObject:
      AppendCanonicalObject(out, value.object);
      return;
    case Kind::kArray:
      out.push_back('[');
      for (std::size_t i = 0; i < value.elements.size(); ++i) {
        if (i > 0) out.push_back(',');
        AppendCanonical(out, value.elements[i]);
      }
      out.push_back(']');
      return;
  }
}

}  // namespace

Result<JsonObject> ParseJsonObject(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::json::basic_parser<DomBuilder> parser(options);
  error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (ec == boost::json::error::too_deep) {
    return BodyError("The body nests objects and arrays more than " + std::to_string(kMaxJsonDepth) + " levels deep.");
  }
  if (ec || !parser.done()) return BodyError("The body is not valid JSON.");
  if (!std::all_of(text.begin() + static_cast<std::ptrdiff_t>(used), text.end(), IsJsonWhitespace)) {
    return BodyError("The body is not valid JSON: more follows the end of its JSON value.");
  }
  std::optional<JsonValue>& root = parser.handler().Root();
  if (!root || root->kind != Kind::kObject) return BodyError("The body must be a JSON object.");
  return std::move(root->object);
}

Result<JsonObject> ReadJsonBody(std::optional<std::string_view> content_type, std::string_view body) {
  if (body.empty()) return JsonObject{};
  if (auto error = CheckMediaType(content_type)) return std::move(*error);
  return ParseJsonObject(body);
}

std::string CanonicalBody(const JsonObject& body) {
  std::string out;
  AppendCanonicalObject(out, body);
  return out;
}

BodyBinder::BodyBinder(const JsonObject& body, ModelState& errors, const ServiceZone* zone, std::string prefix)
    : body_(&body), errors_(&errors), zone_(zone), prefix_(std::move(prefix)) {}

std::string BodyBinder::Key(std::string_view name) const { return prefix_ + std::string(name); }

void BodyBinder::Reject(std::string_view name, std::string_view rule) {
  const std::string key = Key(name);
  errors_->Add(key, key + " " + std::string(rule));
}

bool BodyBinder::Present(std::string_view name) const {
  const std::string folded = AsciiLower(name);
  return std::any_of(body_->members.begin(), body_->members.end(), [&](const JsonMember& member) {
    return member.value.kind != Kind::kNull && AsciiLower(member.name) == folded;
  });
}

const JsonValue* BodyBinder::Find(std::string_view name, bool required) {
  std::string folded = AsciiLower(name);
  const JsonValue* found = nullptr;
  int count = 0;
  for (const JsonMember& member : body_->members) {
    if (AsciiLower(member.name) != folded) continue;
    if (++count == 1) found = &member.value;
  }
  if (std::find(asked_.begin(), asked_.end(), folded) == asked_.end()) asked_.push_back(std::move(folded));
  if (count > 1) {
    Reject(name, "was given more than once.");
    return nullptr;
  }
  if (found == nullptr || found->kind == Kind::kNull) {
    if (required) Reject(name, "is required.");
    return nullptr;
  }
  return found;
}

void BodyBinder::Finish() {
  std::vector<std::pair<std::string, std::size_t>> names;  // folded name, index of the member
  names.reserve(body_->members.size());
  for (std::size_t i = 0; i < body_->members.size(); ++i) names.emplace_back(AsciiLower(body_->members[i].name), i);
  std::stable_sort(names.begin(), names.end(),
                   [](const auto& left, const auto& right) { return left.first < right.first; });
  std::vector<std::size_t> repeated;  // the first member of each name given twice, unasked
  for (std::size_t i = 0; i + 1 < names.size(); ++i) {
    if (names[i].first != names[i + 1].first || (i > 0 && names[i - 1].first == names[i].first)) continue;
    if (std::find(asked_.begin(), asked_.end(), names[i].first) != asked_.end()) continue;
    repeated.push_back(names[i].second);
  }
  std::sort(repeated.begin(), repeated.end());
  for (const std::size_t index : repeated) Reject(body_->members[index].name, "was given more than once.");
}

std::optional<std::int64_t> BodyBinder::ReadInteger(std::string_view name, bool required, std::int64_t min,
                                                    std::int64_t max) {
  const JsonValue* value = Find(name, required);
  if (value == nullptr) return std::nullopt;
  const std::string range = " between " + std::to_string(min) + " and " + std::to_string(max) + ".";
  std::string_view digits;
  bool negative = false;
  if (value->kind == Kind::kNumber || value->kind == Kind::kString) digits = value->text;
  if (value->kind == Kind::kNumber && !digits.empty() && digits.front() == '-') {
    negative = true;
    digits.remove_prefix(1);
  }
  if (!AllDigits(digits)) {
    Reject(name, "must be an integer" + range);
    return std::nullopt;
  }
  std::int64_t magnitude = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
  const std::int64_t number = negative ? -magnitude : magnitude;
  if (error != std::errc{} || end != digits.data() + digits.size() || number < min || number > max) {
    Reject(name, "must be" + range);
    return std::nullopt;
  }
  return number;
}

std::optional<std::int64_t> BodyBinder::Integer(std::string_view name, bool required) {
  return ReadInteger(name, required, 0, kMaxInteger);
}

std::optional<std::int64_t> BodyBinder::Id(std::string_view name, bool required) {
  return ReadInteger(name, required, 1, kMaxId);
}

std::optional<std::int64_t> BodyBinder::IntegerInRange(std::string_view name, bool required, std::int64_t min,
                                                       std::int64_t max) {
  return ReadInteger(name, required, min, max);
}

std::optional<Credits> BodyBinder::Decimal(std::string_view name, bool required, Credits min, Credits max) {
  const JsonValue* value = Find(name, required);
  if (value == nullptr) return std::nullopt;
  const std::string range = "must be between " + CreditsText(min) + " and " + CreditsText(max) + ".";
  if (value->kind != Kind::kNumber && value->kind != Kind::kString) {
    Reject(name, "must be a decimal number with at most 4 fraction digits.");
    return std::nullopt;
  }
  const auto parsed = ParseCredits(value->text);
  if (!parsed) {
    Reject(name, parsed.error() == "is too large" ? range : "must be a decimal number with at most 4 fraction digits.");
    return std::nullopt;
  }
  if (*parsed < min || *parsed > max) {
    Reject(name, range);
    return std::nullopt;
  }
  return *parsed;
}

std::optional<bool> BodyBinder::Boolean(std::string_view name, bool required) {
  const JsonValue* value = Find(name, required);
  if (value == nullptr) return std::nullopt;
  if (value->kind == Kind::kBool) return value->boolean;
  if (value->kind == Kind::kString) {
    const std::string lower = AsciiLower(value->text);
    if (lower == "true") return true;
    if (lower == "false") return false;
  }
  Reject(name, "must be true or false.");
  return std::nullopt;
}

std::optional<std::string> BodyBinder::String(std::string_view name, bool required, std::size_t max_code_points) {
  const JsonValue* value = Find(name, required);
  if (value == nullptr) return std::nullopt;
  if (value->kind != Kind::kString) {
    Reject(name, "must be a string.");
    return std::nullopt;
  }
  const auto whole_length = CountCodePoints(value->text);
  if (!whole_length) {
    Reject(name, "must be valid UTF-8 text.");
    return std::nullopt;
  }
  const std::string_view text = TrimUnicodeWhitespace(value->text);
  if (text.empty()) {
    if (required) Reject(name, "is required.");
    return std::nullopt;
  }
  if (std::any_of(text.begin(), text.end(), IsForbiddenControl)) {
    Reject(name, "must not contain control characters other than tab, line feed and carriage return.");
    return std::nullopt;
  }
  if (*CountCodePoints(text) > max_code_points) {
    Reject(name, "must be at most " + std::to_string(max_code_points) + " characters.");
    return std::nullopt;
  }
  return std::string(text);
}

std::optional<LocalDateTime> BodyBinder::LocalDateTimeInput(std::string_view name, bool required) {
  const JsonValue* value = Find(name, required);
  if (value == nullptr) return std::nullopt;
  std::optional<LocalDateTime> parsed;
  if (value->kind == Kind::kString) {
    // `yyyy-MM-dd HH:mm` is 16 characters; ParseLocalDateTime reads the `T` form with seconds.
    std::string text = value->text;
    if (text.size() >= 16 && (text[10] == ' ' || text[10] == 'T')) {
      text[10] = 'T';
      if (text.size() == 16) text += ":00";
      parsed = ParseLocalDateTime(text);
    }
  }
  if (!parsed) {
    Reject(name, "must be a local date and time as yyyy-MM-dd HH:mm, without a zone.");
    return std::nullopt;
  }
  if (zone_ != nullptr && !zone_->Exists(*parsed)) {
    Reject(name, "is a local time that does not exist in the time zone " + zone_->Name() +
                     " (the clocks skip it when they go forward).");
    return std::nullopt;
  }
  return parsed;
}

std::optional<std::vector<std::int64_t>> BodyBinder::IdList(std::string_view name, bool required) {
  const JsonValue* value = Find(name, required);
  if (value == nullptr) return std::nullopt;
  const std::string rule =
      "must be a comma-separated list of IDs, each an integer between 1 and " + std::to_string(kMaxId) + ".";
  if (value->kind == Kind::kNumber) {
    if (auto id = ParseBoundedInteger(value->text, 1, kMaxId)) return std::vector<std::int64_t>{*id};
    Reject(name, rule);
    return std::nullopt;
  }
  if (value->kind != Kind::kString) {
    Reject(name, rule);
    return std::nullopt;
  }
  std::vector<std::int64_t> ids;
  std::string_view rest = value->text;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view item = TrimWhitespace(rest.substr(0, comma));
    const auto id = ParseBoundedInteger(item, 1, kMaxId);
    if (!id) {
      Reject(name, rule);
      return std::nullopt;
    }
    if (std::find(ids.begin(), ids.end(), *id) == ids.end()) {
      if (ids.size() == kMaxIdListItems) {
        Reject(name, "must name at most " + std::to_string(kMaxIdListItems) + " distinct IDs.");
        return std::nullopt;
      }
      ids.push_back(*id);
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return ids;
}

std::optional<BodyBinder> BodyBinder::Object(std::string_view name, bool required) {
  const JsonValue* value = Find(name, required);
  if (value == nullptr) return std::nullopt;
  if (value->kind != Kind::kObject) {
    Reject(name, "must be a JSON object.");
    return std::nullopt;
  }
  return BodyBinder(value->object, *errors_, zone_, Key(name) + ".");
}

}  // namespace phonechat
