#include "importer_test_support.hpp"

#include <sqlite3.h>
#include <stdlib.h>  // NOLINT(modernize-deprecated-headers): mkdtemp is POSIX

#include <boost/json/serialize.hpp>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace phonechat::testing {

TempStore::TempStore() {
  std::string pattern = (std::filesystem::temp_directory_path() / "phonechat-import-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  path_ = dir_ + "/import.db";
  store_ = OpenStore(path_);
}

TempStore::~TempStore() {
  store_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

ImportCounts TempStore::Import(const std::string& text, bool replace, LocalDateTime now) {
  std::istringstream input(text);
  return ImportJsonLines(*store_, input, replace, now);
}

std::vector<StoredBooking> TempStore::Bookings(UserId client) {
  MadeBookingsQuery query;
  query.client_user_id = client;
  query.order = BookingOrder::kDateAsc;
  auto bookings = store_->OpenSession()->MadeBookingsPage(query, 0, 1'000'000);
  std::sort(bookings.begin(), bookings.end(),
            [](const StoredBooking& a, const StoredBooking& b) { return a.booking_id < b.booking_id; });
  return bookings;
}

bool TempStore::UserExists(UserId user_id) { return store_->BeginWriteBatch()->UserExists(user_id); }

std::vector<std::string> TempStore::Query(const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw std::runtime_error(sql + ": " + message);
  }
  std::vector<std::string> rows;
  while (sqlite3_step(statement) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(statement, 0);
    rows.emplace_back(text == nullptr ? "<null>" : reinterpret_cast<const char*>(text));
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return rows;
}

std::string Record(const std::vector<RawField>& fields) {
  std::string line = "{";
  for (const auto& [name, raw] : fields) {
    if (raw == kRemove) continue;
    if (line.size() > 1) line += ',';
    line += Quote(name) + ":" + raw;
  }
  return line + "}";
}

std::vector<RawField> Changed(std::vector<RawField> base, const std::vector<RawField>& changes) {
  for (const auto& change : changes) {
    auto found = std::find_if(base.begin(), base.end(), [&](const RawField& f) { return f.first == change.first; });
    if (found == base.end()) {
      base.push_back(change);
    } else {
      found->second = change.second;
    }
  }
  return base;
}

std::string Quote(const std::string& text) { return boost::json::serialize(boost::json::string_view(text)); }

std::string UserLine(UserId id, const std::string& nickname) {
  return Record({{"Kind", "\"User\""}, {"UserID", std::to_string(id)}, {"Nickname", Quote(nickname)}});
}

std::string BookingLine(const std::vector<RawField>& changes) {
  const std::vector<RawField> base{
      {"Kind", "\"Booking\""},
      {"BookingID", "1"},
      {"ClientUserID", "1"},
      {"CandidateUserID", "2"},
      {"Duration", "15"},
      {"Credits", "\"8.0000\""},
      {"Status", "\"Confirmed\""},
      {"Method", "2"},
      {"PhoneNumber", "null"},
      {"SkypeName", "null"},
      {"CreateDate", "\"2018-01-20T12:34:56.789\""},
      {"SessionDate", "\"2018-01-22T21:30:00\""},
      {"AcceptBy", "\"2018-01-22T00:00:00\""},
      {"AcceptedDate", "\"2018-01-21T12:48:13.412\""},
      {"ConfirmedDate", "\"2018-01-21T13:24:05.987\""},
      {"CancelledDate", "null"},
      {"CancelledReason", "null"},
      {"CancelledBy", "null"},
      {"RejectedReason", "null"},
      {"LastUpdated", "\"2018-01-21T13:24:05.987\""},
      {"Comments", "null"},
      {"DeletedByClient", "false"},
  };
  return Record(Changed(base, changes));
}

}  // namespace phonechat::testing
