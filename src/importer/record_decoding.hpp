#pragma once

// The import's record decoding: a parsed line's fields into a User, Group, Project, Booking or Credit record, each
// field checked against the rules of docs/import-format.md with a message naming the record kind, the field and the
// rule.

#include <variant>

#include "domain/local_date_time.hpp"
#include "importer/line_parser.hpp"
#include "storage/store.hpp"

namespace phonechat::importer {

// A record of any kind the import format has, as the write batch takes it.
using DecodedRecord = std::variant<BookingRecord, UserRecord, GroupRecord, ProjectRecord, CreditRecord>;

// Decodes `record` by its Kind into `out` (whatever `out` held is replaced), `now` being the import's local time (a
// Confirmed booking whose session is over by then is settled); throws LineFailure for an unknown or missing Kind, an
// unknown field or a field that breaks its rule.
void DecodeRecord(const RecordHandler& record, DecodedRecord& out, LocalDateTime now);

}  // namespace phonechat::importer
