#pragma once

// The import's line parser: one line of JSON Lines (docs/import-format.md) as one JSON object, kept flat (its
// top-level members and the elements of top-level arrays) in buffers reused from line to line.

#include <array>
#include <boost/json/array.hpp>
#include <boost/json/basic_parser.hpp>
#include <boost/json/error.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/string_view.hpp>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace phonechat::importer {

// A bad line; the import loop adds the line number.
class LineFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Fails the line being read: throws LineFailure with `reason`, which names the field and the rule.
[[noreturn]] void Fail(const std::string& reason);

// The type of a kept JSON value, as the parser reported it (a number's kind included).
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

// A top-level member of a record: its key, in the record's text buffer, and its value.
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
  // A member's key.
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
  // A parser with Boost.JSON's default options: strict JSON in valid UTF-8.
  LineParser();

  // Parses `line`; fails the line unless it holds exactly one JSON object without a repeated top-level key. The
  // record stays valid until the next call.
  const RecordHandler& Parse(std::string_view line);

 private:
  // The first top-level key that repeats an earlier one, if any.
  std::optional<std::string_view> RepeatedKey(const RecordHandler& record);

  static constexpr std::size_t kSlots = 128;
  static constexpr std::uint16_t kEmptySlot = 0xFFFF;

  // A key's first slot: the keys of one record kind already differ in their size and a few of their characters,
  // and a collision only costs a comparison.
  static std::size_t SlotOf(std::string_view key);

  boost::json::basic_parser<RecordHandler> parser_;
  std::array<std::uint16_t, kSlots> slots_{};
  std::unordered_set<std::string_view> seen_;  // for records with more fields than the table takes
};

}  // namespace phonechat::importer
