// What only the SQLite backend has: its query plans, schema versions, file handling and URL forms.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "core/error.hpp"
#include "domain/made_bookings_query.hpp"
#include "storage/sqlite/connection.hpp"
#include "storage/sqlite/queries.hpp"
#include "storage/sqlite/schema.hpp"
#include "storage/store.hpp"
#include "storage_test_support.hpp"

namespace phonechat::testing {
namespace {

// A raw connection for looking behind the store.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
      throw std::runtime_error("cannot open " + path);
    }
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void Exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string message = error != nullptr ? error : "?";
      sqlite3_free(error);
      throw std::runtime_error(sql + ": " + message);
    }
  }

  // Every row's first column as text.
  std::vector<std::string> Column(const std::string& sql, int column = 0) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    }
    std::vector<std::string> rows;
    while (sqlite3_step(statement) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(statement, column);
      rows.emplace_back(text == nullptr ? "" : reinterpret_cast<const char*>(text));
    }
    sqlite3_finalize(statement);
    return rows;
  }

 private:
  sqlite3* db_ = nullptr;
};

std::string ExpectUsageError(const std::string& url) {
  try {
    OpenStore(url);
  } catch (const UsageError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << url << ": expected UsageError, got " << e.what();
    return {};
  }
  ADD_FAILURE() << url << ": expected UsageError, opened";
  return {};
}

void PutSomeData(Store& store) {
  auto batch = store.BeginWriteBatch();
  UserRecord user;
  user.user_id = 1;
  user.nickname = "Client";
  ASSERT_EQ(batch->PutUser(user, false), "");
  batch->Commit();
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = dir_.File("store.db");
};

// Many clients and candidates, so that statistics look like a real database's.
void PutRealisticData(Store& store) {
  auto batch = store.BeginWriteBatch();
  for (UserId id = 1; id <= 200; ++id) {
    UserRecord user;
    user.user_id = id;
    user.nickname = "user" + std::to_string(id);
    ASSERT_EQ(batch->PutUser(user, false), "");
  }
  for (BookingId id = 1; id <= 3000; ++id) {
    BookingRecord record;
    record.booking.booking_id = id;
    record.booking.client_user_id = 1 + id % 20;
    record.booking.candidate.user_id = 21 + id % 180;
    record.booking.create_date = LocalDateTime{id * 1000LL};
    record.booking.accept_by = record.booking.create_date;
    record.booking.session_date = LocalDateTime{id * 2000LL};
    record.booking.duration_minutes = 15;
    record.deleted_by_client = id % 50 == 0;
    ASSERT_EQ(batch->PutBooking(record, false), "");
  }
  batch->Commit();
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += "\n  " + line;
  return text;
}

// The plan of every list query, with and without StartDate, and of the count: an index range scan in the
// requested order, never a full scan and never a sort; the count reads the index alone. Checked on an empty
// database and again on one with data and statistics, where the cost-based planner has real choices.
TEST_F(SqliteStoreTest, EveryListQueryIsAnIndexRangeScanWithoutScanOrSort) {
  OpenStore(path_);
  RawDb raw(path_);
  for (const bool analyzed : {false, true}) {
    if (analyzed) {
      PutRealisticData(*OpenStore(path_));
      raw.Exec("ANALYZE");
    }
    std::vector<std::tuple<std::string, bool, std::string>> sqls;  // SQL, is a count, the index family
    for (const auto& [side, family] : {std::pair{BookingSide::kMade, std::string("bookings_made_by_")},
                                       std::pair{BookingSide::kReceived, std::string("bookings_received_by_")}}) {
      for (const auto& [name, order] : kBookingOrderNames) {
        sqls.emplace_back(sqlite::MadeBookingsPageSql(order, false, side), false, family);
        sqls.emplace_back(sqlite::MadeBookingsPageSql(order, true, side), false, family);
      }
      sqls.emplace_back(sqlite::CountMadeBookingsSql(false, side), true, family);
      sqls.emplace_back(sqlite::CountMadeBookingsSql(true, side), true, family);
    }
    for (const auto& [sql, is_count, family] : sqls) {
      const auto plan = raw.Column("EXPLAIN QUERY PLAN " + sql, 3);
      const auto context = "analyzed: " + std::to_string(analyzed) + "\nplan:" + Joined(plan) + "\nsql: " + sql;
      ASSERT_FALSE(plan.empty()) << context;
      for (const auto& step : plan) {
        EXPECT_EQ(step.find("SCAN"), std::string::npos) << context;
        EXPECT_EQ(step.find("TEMP B-TREE"), std::string::npos) << context;
      }
      const auto has_step = [&](const std::string& prefix) {
        return std::any_of(plan.begin(), plan.end(),
                           [&](const std::string& step) { return step.rfind(prefix, 0) == 0; });
      };
      if (is_count) {
        EXPECT_EQ(plan.front().rfind("SEARCH bookings USING COVERING INDEX " + family, 0), 0u) << context;
      } else {
        EXPECT_EQ(plan.front().rfind("SEARCH b USING INDEX " + family, 0), 0u) << context;
        EXPECT_TRUE(has_step("SEARCH u USING INTEGER PRIMARY KEY (rowid=?)")) << context;
        // The OFFSET rows are skipped on the index alone.
        EXPECT_TRUE(has_step("SEARCH bookings USING COVERING INDEX " + family)) << context;
      }
    }
  }
}

TEST_F(SqliteStoreTest, ANewDatabaseGetsTheCurrentSchemaVersion) {
  OpenStore(path_);
  RawDb raw(path_);
  EXPECT_EQ(raw.Column("PRAGMA user_version"), std::vector<std::string>{std::to_string(sqlite::kSchemaVersion)});
  EXPECT_EQ(raw.Column("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
}

TEST_F(SqliteStoreTest, ADatabaseFromANewerProgramIsRefusedAndLeftAlone) {
  { auto store = OpenStore(path_); }
  {
    RawDb raw(path_);
    raw.Exec("PRAGMA user_version = " + std::to_string(sqlite::kSchemaVersion + 1));
  }
  const auto message = ExpectUsageError(path_);
  EXPECT_NE(message.find("database schema version " + std::to_string(sqlite::kSchemaVersion + 1) +
                         " is newer than this program supports (" + std::to_string(sqlite::kSchemaVersion) + ")"),
            std::string::npos)
      << message;
  RawDb raw(path_);
  EXPECT_EQ(raw.Column("PRAGMA user_version"), std::vector<std::string>{std::to_string(sqlite::kSchemaVersion + 1)});
}

TEST_F(SqliteStoreTest, AFileThatIsNotASqliteDatabaseIsRefusedByName) {
  {
    std::ofstream file(path_);
    file << "this is not a database, just some text that is long enough to fill a header page......\n";
  }
  const auto message = ExpectUsageError(path_);
  EXPECT_NE(message.find(path_), std::string::npos) << message;
  EXPECT_NE(message.find("not a SQLite database"), std::string::npos) << message;
}

TEST_F(SqliteStoreTest, ASqliteDatabaseOfAnotherProgramIsRefused) {
  {
    RawDb raw(path_);
    raw.Exec("CREATE TABLE things (x)");
  }
  const auto message = ExpectUsageError(path_);
  EXPECT_NE(message.find(path_), std::string::npos) << message;
  RawDb raw(path_);
  EXPECT_EQ(raw.Column("SELECT name FROM sqlite_schema"), std::vector<std::string>{"things"});
}

TEST_F(SqliteStoreTest, AMissingDirectoryIsAUsageErrorNamingTheFile) {
  const auto path = dir_.File("missing/dir/store.db");
  const auto message = ExpectUsageError(path);
  EXPECT_NE(message.find(path), std::string::npos) << message;
}

TEST_F(SqliteStoreTest, TheNicknameTriggerFoldsExactlyLikeFoldNickname) {
  { auto store = OpenStore(path_); }
  RawDb raw(path_);
  raw.Exec("INSERT INTO users (user_id, nickname) VALUES (1, 'c'), (2, 'x')");
  raw.Exec(
      "INSERT INTO bookings (booking_id, client_user_id, candidate_user_id, candidate_nickname_key, "
      "duration_minutes, credits, status, method, create_date, session_date, accept_by) "
      "VALUES (1, 1, 2, 'x', 15, 0, 'Pending', 2, 0, 0, 0)");
  for (const std::string nickname : {"ANNA", "Zoë", "ZOË", "ÀÉÎ_[]^`{}", "MiXeD-Case_09", "<B>&CO</B>"}) {
    raw.Exec("UPDATE users SET nickname = '" + nickname + "' WHERE user_id = 2");
    EXPECT_EQ(raw.Column("SELECT candidate_nickname_key FROM bookings WHERE booking_id = 1"),
              std::vector<std::string>{FoldNickname(nickname)})
        << nickname;
  }
  // The same fold as SQL, for any other writer of bookings.
  EXPECT_EQ(raw.Column("SELECT " + sqlite::FoldNicknameSql("'ÀBC_Zz'")), std::vector<std::string>{"Àbc_zz"});
}

TEST_F(SqliteStoreTest, SqliteErrorsThatMeanNotNowAreStoreUnavailable) {
  for (const int code : {SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_FULL, SQLITE_BUSY_SNAPSHOT,
                         SQLITE_IOERR_READ}) {
    EXPECT_THROW(sqlite::ThrowError(nullptr, code, "test"), StoreUnavailable) << code;
  }
  for (const int code : {SQLITE_ERROR, SQLITE_CONSTRAINT, SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_MISUSE}) {
    EXPECT_THROW(sqlite::ThrowError(nullptr, code, "test"), sqlite::SqliteError) << code;
  }
}

TEST_F(SqliteStoreTest, AWriterHeldByAnotherProcessMakesTheStoreUnavailableAfterTheBusyTimeout) {
  auto store = OpenStore(path_);
  RawDb other(path_);
  other.Exec("BEGIN IMMEDIATE");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(store->BeginWriteBatch(), StoreUnavailable);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(sqlite::kBusyTimeoutMs / 2));
  // Reads go on meanwhile (WAL).
  EXPECT_EQ(store->OpenSession()->CountMadeBookings(1, std::nullopt), 0);
  other.Exec("ROLLBACK");
  EXPECT_NO_THROW(store->BeginWriteBatch());
}

TEST_F(SqliteStoreTest, UrlFormsNameTheSameFile) {
  const auto check = [&](const std::string& url, const std::string& file) {
    {
      auto store = OpenStore(url);
      PutSomeData(*store);
    }
    EXPECT_TRUE(std::filesystem::exists(file)) << url;
  };
  check("sqlite://" + dir_.File("abs.db"), dir_.File("abs.db"));
  check(dir_.File("plain.db"), dir_.File("plain.db"));
  check("SQLite://" + dir_.File("with%20space.db"), dir_.File("with space.db"));
  // Relative forms resolve against the working directory.
  const auto previous = std::filesystem::current_path();
  std::filesystem::current_path(dir_.Path());
  try {
    check("sqlite://relative.db", dir_.File("relative.db"));
    check("sub%2Fdir.db", dir_.File("sub%2Fdir.db"));  // a plain path is not decoded
  } catch (...) {
    std::filesystem::current_path(previous);
    throw;
  }
  std::filesystem::current_path(previous);
}

TEST_F(SqliteStoreTest, UnsupportedOrMalformedUrlsAreUsageErrorsNamingTheProblem) {
  EXPECT_NE(ExpectUsageError("mysql://localhost/db").find("'mysql'"), std::string::npos);
  EXPECT_NE(ExpectUsageError("sqlite://").find("names no file"), std::string::npos);
  EXPECT_NE(ExpectUsageError("sqlite:///tmp/bad%zz.db").find("percent"), std::string::npos);
  EXPECT_FALSE(ExpectUsageError("").empty());
  EXPECT_FALSE(ExpectUsageError(":memory:").empty());
}

}  // namespace
}  // namespace phonechat::testing
