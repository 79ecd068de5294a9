#pragma once

// The import of the JSON Lines format (docs/import-format.md): one stream, one all-or-nothing write batch.

#include <cstdint>
#include <istream>
#include <stdexcept>
#include <string>

#include "domain/local_date_time.hpp"
#include "storage/store.hpp"

namespace phonechat {

// What an import stored, per kind of record.
struct ImportCounts {
  std::int64_t users = 0;
  std::int64_t groups = 0;
  std::int64_t projects = 0;
  std::int64_t bookings = 0;
  std::int64_t credits = 0;  // Credit movements
};

// The first bad line of an import: its 1-based number and the reason, naming the field and the rule.
class ImportError : public std::runtime_error {
 public:
  ImportError(std::int64_t line_number, const std::string& reason)
      : std::runtime_error("line " + std::to_string(line_number) + ": " + reason), line_number_(line_number) {}
  [[nodiscard]] std::int64_t LineNumber() const { return line_number_; }

 private:
  std::int64_t line_number_;
};

// Streams JSON Lines of docs/import-format.md from `input` into `store` in one write batch, `now` being the local
// time of the service's zone the import runs at (it decides which Confirmed bookings are settled). On the first bad
// line throws ImportError and leaves the database exactly as it was. Memory stays flat whatever the input size. Reads
// `input` and uses the batch on the calling thread; lines are parsed and checked on a helper thread meanwhile.
ImportCounts ImportJsonLines(Store& store, std::istream& input, bool replace, LocalDateTime now);

}  // namespace phonechat
