// The import's line parser: boost::json::basic_parser driving RecordHandler over one line, and the check that no
// top-level key repeats.
#include "importer/line_parser.hpp"

#include <boost/json/basic_parser_impl.hpp>

namespace phonechat::importer {

void Fail(const std::string& reason) { throw LineFailure(reason); }

LineParser::LineParser() : parser_(boost::json::parse_options{}) {}

const RecordHandler& LineParser::Parse(std::string_view line) {
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

std::optional<std::string_view> LineParser::RepeatedKey(const RecordHandler& record) {
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

std::size_t LineParser::SlotOf(std::string_view key) {
  if (key.empty()) return 0;
  const auto at = [&](std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(key[i])); };
  return (key.size() * 37 + at(0) * 5 + at(key.size() / 2) * 11 + at(key.size() - 1)) & (kSlots - 1);
}

}  // namespace phonechat::importer
