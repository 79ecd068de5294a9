#pragma once

// The request bodies of the POST routes: the media type, an exact JSON object, and a binder that checks each member
// (docs/api.md, "Request bodies (POST routes)").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/result.hpp"
#include "domain/credits.hpp"
#include "domain/local_date_time.hpp"

namespace phonechat {

struct JsonMember;

// A JSON object's members as sent: names unfolded, in source order, duplicates kept.
struct JsonObject {
  std::vector<JsonMember> members;
};

// One JSON value; a number keeps its source text, so a decimal never passes through binary floating point.
struct JsonValue {
  enum class Kind { kNull, kBool, kString, kNumber, kObject, kArray };

  Kind kind = Kind::kNull;
  bool boolean = false;             // kBool
  std::string text;                 // kString: the decoded UTF-8 text; kNumber: the number as written
  JsonObject object;                // kObject
  std::vector<JsonValue> elements;  // kArray
};

// One member of a JSON object.
struct JsonMember {
  std::string name;  // as sent (decoded)
  JsonValue value;
};

// Deepest nesting of objects and arrays a body may have; deeper input is refused before it is built.
inline constexpr std::size_t kMaxJsonDepth = 32;

// Most distinct IDs an IdList accepts.
inline constexpr std::size_t kMaxIdListItems = 100;

// Reads a POST body per docs/api.md, "Request bodies (POST routes)": checks the media type (415), parses the
// body as one JSON object (400 with ModelState key `body`); an empty body is `{}` whatever the type.
Result<JsonObject> ReadJsonBody(std::optional<std::string_view> content_type, std::string_view body);

// Parses `text` as exactly one JSON object (no trailing data, nesting at most kMaxJsonDepth); the 400 names `body`.
Result<JsonObject> ParseJsonObject(std::string_view text);

// A compact form equal for bodies that differ only in member order, name case, white space or null members:
// names folded to ASCII lower case and sorted, null members dropped, strings re-escaped, number text kept.
std::string CanonicalBody(const JsonObject& body);

// Binds the members of one JSON object: names match ignoring ASCII case, unknown members are ignored, JSON null
// is absent. Each reader records its violations in the shared ModelState (keys are `prefix` + the published name)
// and returns nullopt for an absent or invalid member.
class BodyBinder {
 public:
  // Binds `body`, recording into `errors`; `zone` (null: skip) refuses local times its clocks skip.
  explicit BodyBinder(const JsonObject& body, ModelState& errors, const ServiceZone* zone = nullptr,
                      std::string prefix = "");

  // A JSON integer or a string of ASCII digits, between 0 and 2147483647.
  std::optional<std::int64_t> Integer(std::string_view name, bool required);
  // An ID: an Integer between 1 and kMaxId.
  std::optional<std::int64_t> Id(std::string_view name, bool required);
  // An Integer between `min` and `max` (a negative JSON integer passes when `min` allows it).
  std::optional<std::int64_t> IntegerInRange(std::string_view name, bool required, std::int64_t min, std::int64_t max);
  // A JSON number or numeric string: digits with an optional fraction of at most 4 significant digits (no sign,
  // no exponent), parsed exactly from its text and between `min` and `max`.
  std::optional<Credits> Decimal(std::string_view name, bool required, Credits min, Credits max);
  // true/false, or the strings "true"/"false" in any case.
  std::optional<bool> Boolean(std::string_view name, bool required);
  // A JSON string, trimmed of Unicode white space (empty: absent), without C0 controls other than TAB, LF, CR,
  // of at most `max_code_points` code points.
  std::optional<std::string> String(std::string_view name, bool required, std::size_t max_code_points);
  // `yyyy-MM-dd HH:mm` (or `T` for the space), optional `:ss` with an optional 1-3 digit fraction, no zone;
  // a real calendar moment that exists in the zone.
  std::optional<LocalDateTime> LocalDateTimeInput(std::string_view name, bool required);
  // A comma-separated string of 1 to kMaxIdListItems distinct IDs (items trimmed; repeats count once, first
  // appearance kept), or a bare JSON integer as a one-item list.
  std::optional<std::vector<std::int64_t>> IdList(std::string_view name, bool required);
  // A nested JSON object, bound with keys prefixed `<name>.`; nullopt when absent, null or not an object.
  std::optional<BodyBinder> Object(std::string_view name, bool required);

  // True when the member is given with a value other than null (whether or not that value is valid).
  [[nodiscard]] bool Present(std::string_view name) const;
  // The ModelState key of a member: the prefix and the published name.
  [[nodiscard]] std::string Key(std::string_view name) const;
  // Records a rule across members against `name`, e.g. Reject("DirectChat", "is required when ...").
  void Reject(std::string_view name, std::string_view rule);
  // Records, under the name as sent, each member given twice that no reader asked for; call after the readers.
  void Finish();

 private:
  // The member's value; null when absent, null or given twice (recorded), or required and missing (recorded).
  const JsonValue* Find(std::string_view name, bool required);
  // The integer in the member, between `min` and `max`; shape and range failures recorded.
  std::optional<std::int64_t> ReadInteger(std::string_view name, bool required, std::int64_t min, std::int64_t max);

  const JsonObject* body_;
  ModelState* errors_;
  const ServiceZone* zone_;
  std::string prefix_;
  std::vector<std::string> asked_;  // folded names some reader asked for
};

}  // namespace phonechat
