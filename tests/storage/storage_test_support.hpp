#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "storage/store.hpp"

namespace phonechat::testing {

// A directory under the system temp directory, removed with everything in it on destruction, after the
// cleanups registered with it (e.g. dropping a database made for the test) have run, newest first.
class TempDir {
 public:
  // Creates a fresh, empty directory.
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // The directory's absolute path.
  [[nodiscard]] const std::string& Path() const { return path_; }
  // `name` inside the directory.
  [[nodiscard]] std::string File(const std::string& name) const { return path_ + "/" + name; }
  // Runs `cleanup` when the directory goes; a cleanup that throws is reported on stderr and the rest still run.
  void AtCleanup(std::function<void()> cleanup);

 private:
  std::string path_;
  std::vector<std::function<void()>> cleanups_;
};

// One storage backend as the contract suites see it.
struct Backend {
  std::string name;
  // The location of a fresh, empty database for a test that owns `dir` (a URL OpenStore and OpenOAuthStore
  // accept); whatever it creates outside `dir` is removed with `dir`.
  std::function<std::string(TempDir& dir)> location;
  // Opens the database at a location.
  std::function<std::unique_ptr<Store>(const std::string& location)> open;
  // The audit log as stored, oldest first (the Store interface has no reader for it).
  std::function<std::vector<AuditEntry>(const std::string& location)> read_audit;
  // Runs SQL (one or more statements, no result) on the database at a location, behind the store's back.
  std::function<void(const std::string& location, const std::string& sql)> exec;
  // Creates a database of schema version 3 (before the booking life cycle), with no rows, at a fresh location;
  // empty when the backend offers no way to (the migration test then skips itself).
  std::function<void(const std::string& location)> create_version3;
};

// Prints a backend by its name in test output.
inline void PrintTo(const Backend& backend, std::ostream* out) { *out << backend.name; }

// Every backend the contract suites run against: SQLite always, PostgreSQL when PHONECHAT_TEST_PG_URL is set.
std::vector<Backend> AllBackends();

// The PostgreSQL server the tests may create and drop databases on (PHONECHAT_TEST_PG_URL), empty when unset.
std::string TestPostgresServerUrl();

// Creates an empty database `pc_test_<random hex>` on the test server and returns its URL (the server URL with
// the database name as its path); the database is dropped, whoever is still connected, when `dir` goes.
// Throws std::runtime_error when PHONECHAT_TEST_PG_URL is unset or the server refuses.
std::string CreateTestPostgresDatabase(TempDir& dir);

// Every order of kBookingOrders, in table order, so that each suite covers an order as soon as it is added.
std::vector<BookingOrder> AllOrders();

}  // namespace phonechat::testing
