#pragma once

// The export: a whole database written as JSON Lines of the import format (docs/import-format.md, "Export").

#include <cstdint>
#include <ostream>

#include "storage/store.hpp"

namespace phonechat {

// What an export wrote, per kind of record.
struct ExportCounts {
  std::int64_t users = 0;
  std::int64_t groups = 0;
  std::int64_t projects = 0;
  std::int64_t credits = 0;  // Credit movements
  std::int64_t bookings = 0;
};

// Writes every record of `store` to `output`, one JSON object per line, from one snapshot: importing the output into
// an empty database of any backend rebuilds users, groups, projects, bookings and the ledger exactly (tokens, grants
// and sessions are not exported). Secrets leave only as the hashes stored. Throws what the store throws, and
// std::runtime_error when `output` fails.
ExportCounts ExportJsonLines(Store& store, std::ostream& output);

}  // namespace phonechat
