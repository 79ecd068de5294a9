#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "importer/importer.hpp"
#include "storage/store.hpp"

namespace phonechat::testing {

// The "now" of the tests' imports: 2020-01-01T00:00, after every session of the records below.
inline constexpr LocalDateTime kImportNow{std::int64_t{18'262} * 24 * 3'600'000};

// A fresh SQLite database in its own temporary directory, removed afterwards.
class TempStore {
 public:
  TempStore();
  ~TempStore();
  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;

  // The store.
  Store& Get() { return *store_; }
  // The database file.
  [[nodiscard]] const std::string& Path() const { return path_; }
  // Imports `text` at `now`; throws like ImportJsonLines.
  ImportCounts Import(const std::string& text, bool replace = false, LocalDateTime now = kImportNow);
  // Every listed booking of `client` in BookingID order.
  std::vector<StoredBooking> Bookings(UserId client);
  // True when the user exists (checked in a batch that is rolled back).
  bool UserExists(UserId user_id);
  // The first column of every row `sql` returns, read straight from the file.
  std::vector<std::string> Query(const std::string& sql);

 private:
  std::string dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

// One field of a record as raw JSON text; a value of kRemove drops the field.
using RawField = std::pair<std::string, std::string>;
inline const std::string kRemove = "<remove>";

// A JSON object line from fields given as raw JSON text, in order.
std::string Record(const std::vector<RawField>& fields);
// `base` with `changes` applied: a changed field keeps its place, a new one goes last.
std::vector<RawField> Changed(std::vector<RawField> base, const std::vector<RawField>& changes);

// A user line with the given ID and nickname (raw text, already quoted when given through Quote).
std::string UserLine(UserId id, const std::string& nickname);
// A valid Confirmed booking of client 1 with candidate 2 (the published sample), with `changes`.
std::string BookingLine(const std::vector<RawField>& changes = {});
// `text` as a JSON string literal.
std::string Quote(const std::string& text);

}  // namespace phonechat::testing
