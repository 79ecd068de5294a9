// Fuzzes one line of an import (docs/import-format.md): the line parser, then the decoding of its record. A bad line
// must fail with LineFailure, the import's one way of naming a line's fault; anything else escaping is a finding.
// Several lines in one input run through one parser, as an import reuses it.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "domain/local_date_time.hpp"
#include "importer/line_parser.hpp"
#include "importer/record_decoding.hpp"
#include "split_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const phonechat::LocalDateTime now = *phonechat::ParseLocalDateTime("2026-03-02T10:00:00");
  phonechat::importer::LineParser parser;
  phonechat::importer::DecodedRecord record;
  std::string_view text = phonechat::fuzz::AsText(data, size);
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    try {
      phonechat::importer::DecodeRecord(parser.Parse(line), record, now);
    } catch (const phonechat::importer::LineFailure&) {
      // A refused line: what the import reports.
    }
  }
  return 0;
}
