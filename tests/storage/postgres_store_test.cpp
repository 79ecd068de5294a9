// What only the PostgreSQL store has: its schema (versions, concurrent migrations, partitions, query plans), its
// URLs and connection errors, outages and recovery, and the bulk import (COPY, checks deferred to the commit).
// Every test but the URL parsing needs PHONECHAT_TEST_PG_URL and is skipped without it.

#include "storage/postgres/postgres_store.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <chrono>
#include <fstream>
#include <latch>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "importer/importer.hpp"
#include "sample_data/demo_data.hpp"
#include "storage/database_url.hpp"
#include "storage/lifecycle_store.hpp"
#include "storage/postgres/pg_connection.hpp"
#include "storage/postgres/pg_queries.hpp"
#include "storage/postgres/pg_schema.hpp"
#include "storage/store.hpp"
#include "storage_test_support.hpp"

namespace phonechat::testing {
namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kJan2020 = 18'262 * kDay;  // 2020-01-01T00:00 as LocalDateTime::millis

UserRecord User(UserId id, std::string nickname) {
  UserRecord user;
  user.user_id = id;
  user.nickname = std::move(nickname);
  return user;
}

BookingRecord Booking(BookingId id, UserId client, UserId candidate, std::int64_t create = kJan2020) {
  BookingRecord record;
  auto& b = record.booking;
  b.booking_id = id;
  b.client_user_id = client;
  b.candidate.user_id = candidate;
  b.duration_minutes = 15;
  b.credits = Credits{80'000};
  b.status = BookingStatus::kPending;
  b.method = ContactMethod::kClientCalls;
  b.create_date = LocalDateTime{create};
  b.accept_by = LocalDateTime{create};
  b.session_date = LocalDateTime{create + kDay};
  b.comments = "tab\there, newline\nthere, backslash \\ and \\N";
  return record;
}

std::string RandomSuffix() {
  std::random_device device;
  return std::to_string(device()) + std::to_string(device());
}

// `url` with libpq query parameters added (they override what the URL itself says).
std::string WithParameters(const std::string& url, const std::string& parameters) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + parameters;
}

// The message of the UsageError that opening `url` throws ("" and a test failure when it opens).
std::string OpenError(const std::string& url) {
  try {
    OpenStore(url);
  } catch (const UsageError& error) {
    return error.what();
  }
  ADD_FAILURE() << "opened " << url;
  return {};
}

// The resident set size of this process in bytes.
std::int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t size = 0;
  std::int64_t resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// A TCP port on 127.0.0.1 that nothing listens on (bound, then released).
int UnusedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    throw std::runtime_error("no free port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

// A TCP forwarder on 127.0.0.1 to the test server that can be taken down (every connection cut, new ones refused)
// and brought back on the same port: a server going away and returning, as the store sees it.
class TcpProxy {
 public:
  TcpProxy(std::string target_host, int target_port) : target_host_(std::move(target_host)), target_port_(target_port) {
    Up();
  }
  ~TcpProxy() { Down(); }
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  [[nodiscard]] int Port() const { return port_; }

  void Up() {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    const int yes = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port_));
    if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || listen(listener_, 64) != 0) {
      throw std::runtime_error("the proxy cannot listen");
    }
    socklen_t length = sizeof(address);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    stopping_ = false;
    acceptor_ = std::thread([this] { Accept(); });
  }

  void Down() {
    if (listener_ < 0) return;
    stopping_ = true;
    shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    close(listener_);
    listener_ = -1;
    {
      const std::lock_guard lock(mutex_);
      for (const int fd : open_) shutdown(fd, SHUT_RDWR);
    }
    for (auto& pump : pumps_) pump.join();
    pumps_.clear();
    const std::lock_guard lock(mutex_);
    for (const int fd : open_) close(fd);
    open_.clear();
  }

 private:
  void Accept() {
    for (;;) {
      const int client = accept(listener_, nullptr, nullptr);
      if (client < 0 || stopping_) {
        if (client >= 0) close(client);
        return;
      }
      const int server = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(static_cast<std::uint16_t>(target_port_));
      inet_pton(AF_INET, target_host_.c_str(), &address.sin_addr);
      if (connect(server, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        close(server);
        close(client);
        continue;
      }
      const std::lock_guard lock(mutex_);
      open_.push_back(client);
      open_.push_back(server);
      pumps_.emplace_back([client, server] { Pump(client, server); });
    }
  }

  static void Pump(int a, int b) {
    std::array<pollfd, 2> fds{pollfd{a, POLLIN, 0}, pollfd{b, POLLIN, 0}};
    std::array<char, 16384> buffer{};
    for (;;) {
      if (poll(fds.data(), fds.size(), -1) < 0) return;
      for (std::size_t i = 0; i < 2; ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        const auto got = read(fds[i].fd, buffer.data(), buffer.size());
        if (got <= 0) {
          shutdown(a, SHUT_RDWR);
          shutdown(b, SHUT_RDWR);
          return;
        }
        const int to = i == 0 ? b : a;
        for (ssize_t sent = 0; sent < got;) {
          const auto wrote = send(to, buffer.data() + sent, static_cast<std::size_t>(got - sent), MSG_NOSIGNAL);
          if (wrote <= 0) return;
          sent += wrote;
        }
      }
    }
  }

  std::string target_host_;
  int target_port_;
  int port_ = 0;
  int listener_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> open_;
  std::vector<std::thread> pumps_;
};

// Every node of an EXPLAIN (FORMAT JSON) plan as "<Node Type>" or "<Node Type> on <relation>".
void CollectNodes(const boost::json::object& plan, std::vector<std::string>& nodes) {
  std::string node(plan.at("Node Type").as_string());
  if (const auto* relation = plan.if_contains("Relation Name")) node += " on " + std::string(relation->as_string());
  nodes.push_back(node);
  if (const auto* children = plan.if_contains("Plans")) {
    for (const auto& child : children->as_array()) CollectNodes(child.as_object(), nodes);
  }
}

// Every stored field of a booking and of its candidate, as one line to compare.
std::string Describe(const StoredBooking& b) {
  const auto text = [](const std::optional<std::string>& value) { return value ? "'" + *value + "'" : "null"; };
  const auto date = [](const std::optional<LocalDateTime>& value) {
    return value ? std::to_string(value->millis) : "null";
  };
  std::ostringstream out;
  out << b.booking_id << " client " << b.client_user_id << " " << b.duration_minutes << "min "
      << b.credits.ten_thousandths << " " << StatusName(b.status) << " method " << static_cast<int>(b.method) << " "
      << text(b.phone_number) << " " << text(b.skype_name) << " created " << b.create_date.millis << " session "
      << b.session_date.millis << " accept by " << b.accept_by.millis << " " << date(b.accepted_date) << " "
      << date(b.confirmed_date) << " " << date(b.cancelled_date) << " " << text(b.cancelled_reason) << " "
      << (b.cancelled_by ? std::string(CancelledByName(*b.cancelled_by)) : "null") << " " << text(b.rejected_reason)
      << " " << date(b.last_updated) << " " << text(b.comments) << " candidate " << b.candidate.user_id << " '"
      << b.candidate.nickname << "' " << text(b.candidate.phonechat_number) << " " << text(b.candidate.skype_name)
      << " " << b.candidate.positive << "/" << b.candidate.neutral << "/" << b.candidate.negative << "/"
      << b.candidate.disputes;
  return out.str();
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (TestPostgresServerUrl().empty()) GTEST_SKIP() << "PHONECHAT_TEST_PG_URL is not set";
    url_ = CreateTestPostgresDatabase(dir_);
  }

  // A connection of the test's own to the test database.
  std::unique_ptr<pg::Connection> Admin(int statement_timeout_ms = 0) {
    return std::make_unique<pg::Connection>(url_, statement_timeout_ms);
  }

  std::int64_t QueryInt(const std::string& sql) { return Admin()->Exec(sql).Int(0, 0); }

  void Put(Store& store, const std::vector<UserRecord>& users, const std::vector<BookingRecord>& bookings = {}) {
    auto batch = store.BeginWriteBatch();
    for (const auto& user : users) ASSERT_EQ(batch->PutUser(user, false), "");
    for (const auto& booking : bookings) ASSERT_EQ(batch->PutBooking(booking, false), "");
    batch->Commit();
  }

  // The position and reason Commit() throws, or {0, ""} (and a test failure) when it commits.
  static std::pair<std::int64_t, std::string> CommitRejection(WriteBatch& batch) {
    try {
      batch.Commit();
    } catch (const RecordRejected& rejected) {
      return {rejected.Record(), rejected.what()};
    }
    ADD_FAILURE() << "the batch committed";
    return {0, ""};
  }

  TempDir dir_;  // first: the database is dropped after everything else here is gone
  std::string url_;
};

TEST(PostgresDatabaseUrl, PostgresUrlsOfEitherSchemeAndAnyCaseGoToPostgresAndOthersStaySqlite) {
  const auto upper = ParseDatabaseUrl("PostgreSQL://u@h:5433/db?connect_timeout=2");
  EXPECT_EQ(upper.kind, DatabaseLocation::Kind::kPostgres);
  EXPECT_EQ(upper.postgres_uri, "postgresql://u@h:5433/db?connect_timeout=2");
  const auto short_scheme = ParseDatabaseUrl("postgres://h/db");
  EXPECT_EQ(short_scheme.kind, DatabaseLocation::Kind::kPostgres);
  EXPECT_EQ(short_scheme.postgres_uri, "postgres://h/db");
  const auto sqlite = ParseDatabaseUrl("sqlite:///tmp/with%20space.db");
  EXPECT_EQ(sqlite.kind, DatabaseLocation::Kind::kSqlite);
  EXPECT_EQ(sqlite.sqlite_path, "/tmp/with space.db");
  EXPECT_EQ(ParseDatabaseUrl("plain%20path.db").sqlite_path, "plain%20path.db");
  EXPECT_THROW(ParseDatabaseUrl("mysql://h/db"), UsageError);
  EXPECT_THROW(ParseDatabaseUrl(""), UsageError);
}

TEST(PostgresDatabaseUrl, AMalformedUriIsOneLineNamingLibpqsReasonWithoutThePassword) {
  for (const std::string url : {"postgresql://alice:s3cret-pw@127.0.0.1:5432/db?no_such_parameter=1",
                                "postgresql://alice:s3cret-pw@127.0.0.1/d%zzb"}) {
    try {
      ParseDatabaseUrl(url);
      ADD_FAILURE() << url << " was accepted";
    } catch (const UsageError& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("is not a valid PostgreSQL URI: "), std::string::npos) << message;
      EXPECT_NE(message.find("alice:***@127.0.0.1"), std::string::npos) << message;
      EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
}

TEST(PostgresDatabaseUrl, MaskPasswordHidesThePasswordOfTheUserInfoAndOfTheQuery) {
  EXPECT_EQ(pg::MaskPassword("postgresql://bob:p%40ss:w@db.example:5432/app"),
            "postgresql://bob:***@db.example:5432/app");
  EXPECT_EQ(pg::MaskPassword("postgresql://bob@h/app?sslmode=require&password=hunter2&x=1"),
            "postgresql://bob@h/app?sslmode=require&password=***&x=1");
  EXPECT_EQ(pg::MaskPassword("postgresql://h:5432/app"), "postgresql://h:5432/app");
  EXPECT_EQ(pg::MaskPassword("postgres://bob:pw@h1:1,h2:2/app"), "postgres://bob:***@h1:1,h2:2/app");
}

TEST_F(PostgresStoreTest, AFreshDatabaseIsMigratedToTheCurrentVersionAndReopensAsIs) {
  OpenStore(url_);
  auto admin = Admin();
  EXPECT_EQ(PostgresSchemaVersion(*admin), kStoreSchemaVersion);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM schema_version"), 1);
  EXPECT_TRUE(OpenStore(url_)->IsEmpty());
  EXPECT_EQ(PostgresSchemaVersion(*admin), kStoreSchemaVersion);
}

TEST_F(PostgresStoreTest, ANewerSchemaVersionIsRefusedWithoutTouchingTheDatabase) {
  OpenStore(url_);
  Admin()->Exec("UPDATE schema_version SET version = " + std::to_string(kStoreSchemaVersion + 1));
  const std::string message = OpenError(url_);
  EXPECT_NE(message.find("database schema version " + std::to_string(kStoreSchemaVersion + 1) +
                         " is newer than this program supports (" + std::to_string(kStoreSchemaVersion) + ")"),
            std::string::npos)
      << message;
  EXPECT_EQ(QueryInt("SELECT version FROM schema_version"), kStoreSchemaVersion + 1);
}

TEST_F(PostgresStoreTest, ADatabaseWithTablesButNoSchemaVersionIsNotTakenOver) {
  Admin()->Exec("CREATE TABLE someone_elses (id integer)");
  const std::string message = OpenError(url_);
  EXPECT_NE(message.find("not one of this program"), std::string::npos) << message;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_tables WHERE tablename = 'users'"), 0);
}

TEST_F(PostgresStoreTest, ProcessesOpeningAFreshDatabaseAtOnceMigrateItOnce) {
  constexpr int kOpeners = 8;
  std::latch start(kOpeners);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(kOpeners);
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      try {
        OpenStore(url_);
      } catch (const std::exception& error) {
        ++failures;
        ADD_FAILURE() << error.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM schema_version"), 1);
  EXPECT_EQ(QueryInt("SELECT version FROM schema_version"), kStoreSchemaVersion);
}

TEST_F(PostgresStoreTest, BookingsAreHashPartitionedByClientIntoSixteenPartitions) {
  auto store = OpenStore(url_);
  auto admin = Admin();
  const auto key = admin->Exec(
      "SELECT p.partstrat, a.attname FROM pg_partitioned_table AS p JOIN pg_attribute AS a "
      "ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] WHERE p.partrelid = 'bookings'::regclass");
  ASSERT_EQ(key.Count(), 1);
  EXPECT_EQ(key.Text(0, 0), "h");
  EXPECT_EQ(key.Text(0, 1), "client_user_id");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_inherits WHERE inhparent = 'bookings'::regclass"), 16);
  const auto primary_key = admin->Exec(
      "SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM pg_index AS i "
      "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
      "JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
      "WHERE i.indrelid = 'bookings'::regclass AND i.indisprimary");
  EXPECT_EQ(primary_key.Text(0, 0), "client_user_id,booking_id");

  std::vector<UserRecord> users{User(1000, "Candidate")};
  std::vector<BookingRecord> bookings;
  for (UserId client = 1; client <= 64; ++client) {
    users.push_back(User(client, "Client"));
    bookings.push_back(Booking(client, client, 1000));
  }
  Put(*store, users, bookings);
  EXPECT_GT(QueryInt("SELECT count(DISTINCT tableoid) FROM bookings"), 8) << "the clients spread over the partitions";
}

TEST_F(PostgresStoreTest, AnUnreachablePortIsOneLineNamingHostPortAndDatabaseWithoutThePassword) {
  const int port = UnusedPort();
  const std::string message =
      OpenError("postgresql://alice:s3cret-pw@127.0.0.1:" + std::to_string(port) + "/inventory_db");
  EXPECT_NE(message.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << message;
  EXPECT_NE(message.find("inventory_db"), std::string::npos) << message;
  EXPECT_NE(message.find("refused"), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST_F(PostgresStoreTest, AnUnknownDatabaseIsOneLineNamingIt) {
  const std::string missing = "pc_missing_" + RandomSuffix();
  const std::string message = OpenError(WithParameters(TestPostgresServerUrl(), "dbname=" + missing));
  EXPECT_NE(message.find("database \"" + missing + "\" does not exist"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST_F(PostgresStoreTest, AWrongPasswordIsOneLineWithoutEitherPassword) {
  auto admin = Admin();
  const auto server = admin->Exec("SELECT host(inet_server_addr()), inet_server_port()");
  if (server.IsNull(0, 0)) GTEST_SKIP() << "the test server is reached through a socket, not TCP";
  const std::string role = "pc_role_" + RandomSuffix();
  const std::string right = "right-" + RandomSuffix();
  const std::string wrong = "wrong-" + RandomSuffix();
  admin->Exec("CREATE ROLE " + role + " LOGIN PASSWORD '" + right + "'");
  const std::string url = "postgresql://" + role + ":" + wrong + "@" + std::string(server.Text(0, 0)) + ":" +
                          std::string(server.Text(0, 1)) + "/" +
                          std::string(admin->Exec("SELECT current_database()").Text(0, 0));
  std::string message;
  try {
    pg::Connection connection(url);
  } catch (const UsageError& error) {
    message = error.what();
  }
  admin->Exec("DROP ROLE " + role);
  if (message.empty()) GTEST_SKIP() << "the test server does not check passwords";
  EXPECT_NE(message.find("password authentication failed"), std::string::npos) << message;
  EXPECT_NE(message.find(std::string(server.Text(0, 1))), std::string::npos) << message;
  EXPECT_EQ(message.find(wrong), std::string::npos) << message;
  EXPECT_EQ(message.find(right), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST_F(PostgresStoreTest, ConnectionsGetAFiveSecondStatementTimeoutUnlessTheUrlSetsOne) {
  EXPECT_EQ(pg::Connection(url_).Exec("SHOW statement_timeout").Text(0, 0), "5s");
  EXPECT_EQ(pg::Connection(WithParameters(url_, "options=-c%20statement_timeout%3D1234"))
                .Exec("SHOW statement_timeout")
                .Text(0, 0),
            "1234ms");
}

TEST_F(PostgresStoreTest, AStatementPastItsTimeoutIsStoreUnavailableAndTheConnectionStaysUsable) {
  pg::Connection connection(url_, 200);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(connection.Exec("SELECT pg_sleep(5)"), StoreUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  EXPECT_EQ(connection.Exec("SELECT 41 + 1").Int(0, 0), 42);
}

TEST_F(PostgresStoreTest, AServerProcessThatStopsAnsweringIsStoreUnavailableAfterTheDeadlineNotAHang) {
  pg::Connection connection(url_, 300);
  const auto backend = static_cast<pid_t>(connection.Exec("SELECT pg_backend_pid()").Int(0, 0));
  // SIGSTOP: the server's kernel still acknowledges what is sent, so only the client's own deadline can end the wait.
  if (kill(backend, SIGSTOP) != 0) GTEST_SKIP() << "cannot stop the server process (not its owner or root)";
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(connection.Exec("SELECT 1"), StoreUnavailable);
  const auto waited = std::chrono::steady_clock::now() - started;
  kill(backend, SIGCONT);
  EXPECT_GE(waited, std::chrono::milliseconds(300));
  EXPECT_LT(waited, std::chrono::seconds(4));
  EXPECT_EQ(connection.Exec("SELECT 41 + 1").Int(0, 0), 42) << "the next call reconnects";
}

TEST_F(PostgresStoreTest, CountAndPageInOnePipelineSurvivesALostConnectionAndAStoppedServerProcess) {
  auto store = OpenStore(url_);
  Put(*store, {User(1, "Client"), User(2, "Cand")}, {Booking(1, 1, 2), Booking(2, 1, 2), Booking(3, 1, 2)});
  auto session = store->OpenSession();
  const MadeBookingsQuery query{1, std::nullopt, BookingOrder::kDateDesc};
  ASSERT_EQ(session->CountAndPage(query, 1, 1).total, 3);
  Admin()->Exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  EXPECT_THROW(session->CountAndPage(query, 1, 1), StoreUnavailable);
  const CountedPage again = session->CountAndPage(query, 1, 1);
  EXPECT_EQ(again.total, 3);
  ASSERT_EQ(again.rows.size(), 1u);
  EXPECT_EQ(session->CountMadeBookings(1, std::nullopt), 3) << "the connection left pipeline mode";
}

TEST_F(PostgresStoreTest, ATerminatedConnectionIsStoreUnavailableOnceAndTheNextCallReconnects) {
  auto store = OpenStore(url_);
  Put(*store, {User(1, "Client"), User(2, "Cand")}, {Booking(1, 1, 2)});
  auto session = store->OpenSession();
  ASSERT_EQ(session->CountMadeBookings(1, std::nullopt), 1);
  ASSERT_FALSE(store->IsEmpty());
  Admin()->Exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  EXPECT_THROW(session->CountMadeBookings(1, std::nullopt), StoreUnavailable);
  EXPECT_EQ(session->CountMadeBookings(1, std::nullopt), 1);
  EXPECT_EQ(
      session->MadeBookingsPage(MadeBookingsQuery{1, std::nullopt, BookingOrder::kDateDesc}, 0, 10)
          .size(),
      1u)
      << "prepared again after reconnecting";
  EXPECT_THROW(store->IsEmpty(), StoreUnavailable);
  EXPECT_FALSE(store->IsEmpty());
}

TEST_F(PostgresStoreTest, AServerThatGoesAwayIsStoreUnavailableUntilItReturnsWithoutReopening) {
  const auto server = Admin()->Exec("SELECT host(inet_server_addr()), inet_server_port()");
  if (server.IsNull(0, 0)) GTEST_SKIP() << "the test server is reached through a socket, not TCP";
  if (server.Text(0, 0).find(':') != std::string_view::npos) GTEST_SKIP() << "the proxy speaks IPv4 only";
  TcpProxy proxy(std::string(server.Text(0, 0)), static_cast<int>(server.Int(0, 1)));
  const std::string through_proxy =
      WithParameters(url_, "host=127.0.0.1&port=" + std::to_string(proxy.Port()) + "&connect_timeout=2");
  auto store = OpenStore(through_proxy);
  Put(*store, {User(1, "Client"), User(2, "Cand")}, {Booking(1, 1, 2)});
  auto session = store->OpenSession();
  ASSERT_EQ(session->CountMadeBookings(1, std::nullopt), 1);

  proxy.Down();
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(session->CountMadeBookings(1, std::nullopt), StoreUnavailable);
  EXPECT_THROW(session->CountMadeBookings(1, std::nullopt), StoreUnavailable) << "reconnecting is refused";
  EXPECT_THROW(store->IsEmpty(), StoreUnavailable);
  std::unique_ptr<StoreSession> opened_meanwhile;
  EXPECT_NO_THROW(opened_meanwhile = store->OpenSession());
  EXPECT_THROW(opened_meanwhile->FindProjectByApiKey("k"), StoreUnavailable);
  EXPECT_THROW(store->BeginWriteBatch(), StoreUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10)) << "failures are quick";

  proxy.Up();
  EXPECT_EQ(session->CountMadeBookings(1, std::nullopt), 1);
  EXPECT_FALSE(opened_meanwhile->FindProjectByApiKey("k").has_value());
  EXPECT_FALSE(store->IsEmpty());
  Put(*store, {User(3, "Later")});
  EXPECT_TRUE(store->BeginWriteBatch()->UserExists(3));
}

TEST_F(PostgresStoreTest, AnImportOf200000BookingsStreamsThemWithFlatMemory) {
  constexpr int kBookings = 200'000;
  auto store = OpenStore(url_);
  auto admin = Admin();
  auto batch = store->BeginWriteBatch();
  for (UserId id = 1; id <= 1200; ++id) ASSERT_EQ(batch->PutUser(User(id, "User" + std::to_string(id)), false), "");
  const std::int64_t before = ResidentBytes();
  std::int64_t peak = before;
  std::int64_t copied_meanwhile = 0;
  for (int i = 1; i <= kBookings; ++i) {
    auto booking = Booking(i, 1 + i % 200, 201 + (i * 7) % 1000, kJan2020 + i * kMinute);
    ASSERT_EQ(batch->PutBooking(booking, false), "") << i;
    if (i % 10'000 == 0) peak = std::max(peak, ResidentBytes());
    if (i == 150'000) {
      copied_meanwhile = admin
                             ->Exec(
                                 "SELECT coalesce(sum(tuples_processed), 0) FROM pg_stat_progress_copy WHERE datname = "
                                 "current_database()")
                             .Int(0, 0);
    }
  }
  batch->Commit();
  // Kept in memory, 200,000 bookings would take well over 50 MB. Under AddressSanitizer freed memory stays resident
  // in its quarantine, so the resident size says nothing there.
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(peak - before, 16 << 20) << "grew from " << before << " to " << peak;
#endif
  EXPECT_GT(copied_meanwhile, 50'000) << "the bookings reach the server while they are put";
  EXPECT_EQ(QueryInt("SELECT count(*) FROM bookings"), kBookings);
  auto session = store->OpenSession();
  EXPECT_EQ(session->CountMadeBookings(7, std::nullopt), kBookings / 200);
  const auto page =
      session->MadeBookingsPage(MadeBookingsQuery{7, std::nullopt, BookingOrder::kDateAsc}, 0, 2);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].booking_id, 6);  // client 7's first: 1 + 6 % 200
  EXPECT_EQ(page[0].candidate.nickname, "User" + std::to_string(201 + 6 * 7));
  EXPECT_EQ(page[0].comments, Booking(1, 1, 2).booking.comments) << "COPY escapes survive the trip";
}

TEST_F(PostgresStoreTest, ABookingIdRepeatedInTheBatchOrStoredBeforeIsRejectedAtCommitByItsPosition) {
  auto store = OpenStore(url_);
  Put(*store, {User(1, "Client"), User(2, "Cand")}, {Booking(90'000, 1, 2)});
  auto batch = store->BeginWriteBatch();
  for (BookingId id = 1; id <= 1500; ++id) ASSERT_EQ(batch->PutBooking(Booking(id, 1, 2), false), "");
  ASSERT_EQ(batch->PutBooking(Booking(1600, 1, 2), false), "");    // record 1501
  ASSERT_EQ(batch->PutBooking(Booking(700, 1, 2), false), "");     // record 1502: put before, at record 700
  ASSERT_EQ(batch->PutBooking(Booking(90'000, 1, 2), false), "");  // record 1503: stored before the batch
  const auto [record, reason] = CommitRejection(*batch);
  EXPECT_EQ(record, 1502);
  EXPECT_EQ(reason, "Booking 700 already exists (use --replace)");
  batch.reset();
  EXPECT_EQ(QueryInt("SELECT count(*) FROM bookings"), 1) << "nothing of the batch is stored";

  batch = store->BeginWriteBatch();
  for (BookingId id = 1; id <= 1200; ++id) ASSERT_EQ(batch->PutBooking(Booking(id, 1, 2), false), "");
  ASSERT_EQ(batch->PutBooking(Booking(90'000, 1, 2), false), "");  // record 1201
  ASSERT_EQ(batch->PutBooking(Booking(5, 1, 2), false), "");       // record 1202
  const auto [stored_record, stored_reason] = CommitRejection(*batch);
  EXPECT_EQ(stored_record, 1201);
  EXPECT_EQ(stored_reason, "Booking 90000 already exists (use --replace)");
}

TEST_F(PostgresStoreTest, RepeatedIdsPutWithReplaceAreStoredAsPutLast) {
  auto store = OpenStore(url_);
  Put(*store, {User(1, "Client"), User(2, "Cand"), User(3, "Other")}, {Booking(3, 1, 2)});
  auto batch = store->BeginWriteBatch();
  for (BookingId id = 1; id <= 1200; ++id) ASSERT_EQ(batch->PutBooking(Booking(id, 1, 2), true), "");
  auto moved = Booking(3, 3, 2, kJan2020 + kDay);  // another client now
  moved.booking.credits = Credits{5};
  ASSERT_EQ(batch->PutBooking(moved, true), "");
  auto last = Booking(1100, 1, 3);
  last.booking.credits = Credits{7};
  ASSERT_EQ(batch->PutBooking(last, true), "");
  batch->Commit();
  EXPECT_EQ(QueryInt("SELECT count(*) FROM bookings"), 1200);
  auto session = store->OpenSession();
  EXPECT_EQ(session->CountMadeBookings(1, std::nullopt), 1199);
  const auto page =
      session->MadeBookingsPage(MadeBookingsQuery{3, std::nullopt, BookingOrder::kDateDesc}, 0, 10);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].booking_id, 3);
  EXPECT_EQ(page[0].credits, Credits{5});
  EXPECT_EQ(QueryInt("SELECT credits FROM bookings WHERE booking_id = 1100"), 7);
  EXPECT_EQ(QueryInt("SELECT candidate_user_id FROM bookings WHERE booking_id = 1100"), 3);
}

TEST_F(PostgresStoreTest, ARefusalAtPutTimeAfterAnUncheckedRepeatedIdLeavesTheEarlierRecordToCommit) {
  auto store = OpenStore(url_);
  Put(*store, {User(1, "Client"), User(2, "Cand")});
  {
    auto batch = store->BeginWriteBatch();
    for (BookingId id = 1; id <= 1100; ++id) ASSERT_EQ(batch->PutBooking(Booking(id, 1, 2), false), "");
    ASSERT_EQ(batch->PutBooking(Booking(10, 1, 2), false), "");  // record 1101: repeated, checked at Commit
    EXPECT_EQ(batch->PutBooking(Booking(2000, 1, 99), false), "") << "record 1102 fails later than record 1101";
    EXPECT_EQ(batch->PutUser(User(1, "Again"), false), "");
    const auto [record, reason] = CommitRejection(*batch);
    EXPECT_EQ(record, 1101);
    EXPECT_EQ(reason, "Booking 10 already exists (use --replace)");
  }
  auto batch = store->BeginWriteBatch();
  for (BookingId id = 1; id <= 1100; ++id) ASSERT_EQ(batch->PutBooking(Booking(id, 1, 2), false), "");
  EXPECT_EQ(batch->PutBooking(Booking(2000, 1, 99), false), "Booking.CandidateUserID 99 is not a known user");
  EXPECT_EQ(batch->PutBooking(Booking(2001, 98, 2), false), "Booking.ClientUserID 98 is not a known user");
  batch->Commit();
  EXPECT_EQ(QueryInt("SELECT count(*) FROM bookings"), 1100);
}

TEST_F(PostgresStoreTest, TheImporterReportsTheLineOfABookingRejectedAtCommit) {
  auto store = OpenStore(url_);
  std::ostringstream lines;
  lines << R"({"Kind":"User","UserID":1,"Nickname":"Client"})"
        << "\n\n";
  lines << R"({"Kind":"User","UserID":2,"Nickname":"Cand"})"
        << "\n";
  const auto booking_line = [](BookingId id) {
    return R"({"Kind":"Booking","BookingID":)" + std::to_string(id) +
           R"(,"ClientUserID":1,"CandidateUserID":2,"Duration":15,"Credits":"8.0000","Status":"Confirmed","Method":2,)"
           R"("PhoneNumber":null,"SkypeName":null,"CreateDate":"2018-01-20T12:34:56.789",)"
           R"("SessionDate":"2018-01-22T21:30:00","AcceptBy":"2018-01-22T00:00:00",)"
           R"("AcceptedDate":"2018-01-21T12:48:13.412","ConfirmedDate":"2018-01-21T13:24:05.987",)"
           R"("CancelledDate":null,"CancelledReason":null,"CancelledBy":null,"RejectedReason":null,)"
           R"("LastUpdated":"2018-01-21T13:24:05.987","Comments":null,"DeletedByClient":false})";
  };
  std::int64_t line = 4;
  for (BookingId id = 1; id <= 1200; ++id, ++line) {
    lines << booking_line(id) << "\n";
    if (id == 600) {
      lines << "   \n";
      ++line;
    }
  }
  const std::int64_t repeated_line = line;
  lines << booking_line(1150) << "\n" << booking_line(5000) << "\n";
  std::istringstream input(lines.str());
  try {
    ImportJsonLines(*store, input, false, LocalDateTime{kJan2020});
    FAIL() << "the import succeeded";
  } catch (const ImportError& error) {
    EXPECT_EQ(error.LineNumber(), repeated_line);
    EXPECT_EQ(std::string(error.what()),
              "line " + std::to_string(repeated_line) + ": Booking 1150 already exists (use --replace)");
  }
  EXPECT_TRUE(store->IsEmpty());
}

TEST_F(PostgresStoreTest, TheNicknameKeyFollowsRenamesInsideAndAcrossLargeBatches) {
  auto store = OpenStore(url_);
  const std::string mismatches =
      "SELECT count(*) FROM bookings AS b JOIN users AS u ON u.user_id = b.candidate_user_id "
      "WHERE b.candidate_nickname_key <> " +
      pg::FoldNicknameSql("u.nickname");
  {
    auto batch = store->BeginWriteBatch();
    ASSERT_EQ(batch->PutUser(User(1, "Client"), false), "");
    ASSERT_EQ(batch->PutUser(User(10, "alpha"), false), "");
    ASSERT_EQ(batch->PutUser(User(11, "Mike"), false), "");
    for (BookingId id = 1; id <= 1500; ++id) ASSERT_EQ(batch->PutBooking(Booking(id, 1, 10 + id % 2), false), "");
    ASSERT_EQ(batch->PutUser(User(10, "ZULU"), true), "");  // after its bookings were staged
    for (BookingId id = 1501; id <= 1600; ++id) ASSERT_EQ(batch->PutBooking(Booking(id, 1, 10), false), "");
    batch->Commit();
  }
  EXPECT_EQ(QueryInt(mismatches), 0);
  auto session = store->OpenSession();
  const MadeBookingsQuery by_nickname{1, std::nullopt, BookingOrder::kNicknameAsc};
  EXPECT_EQ(session->MadeBookingsPage(by_nickname, 0, 1)[0].candidate.nickname, "Mike");
  EXPECT_EQ(session->MadeBookingsPage(by_nickname, 750, 1)[0].candidate.nickname, "ZULU");
  {
    auto batch = store->BeginWriteBatch();
    ASSERT_EQ(batch->PutUser(User(11, "zz"), true), "");
    batch->Commit();
  }
  EXPECT_EQ(QueryInt(mismatches), 0);
  EXPECT_EQ(session->MadeBookingsPage(by_nickname, 0, 1)[0].candidate.nickname, "ZULU");
  EXPECT_EQ(session->MadeBookingsPage(by_nickname, 850, 1)[0].candidate.nickname, "zz");
}

TEST_F(PostgresStoreTest, TheDemoDataReadsBackExactlyAsOnSqliteInEveryOrderAndPage) {
  const LocalDateTime now{kJan2020 + 200 * kDay + 13 * 3'600'000};
  auto postgres = OpenStore(url_);
  auto sqlite = OpenStore("sqlite://" + dir_.File("demo.db"));
  for (Store* store : {postgres.get(), sqlite.get()}) {
    std::istringstream demo(DemoDataJsonLines(now));
    ImportJsonLines(*store, demo, false, now);
  }
  auto on_postgres = postgres->OpenSession();
  auto on_sqlite = sqlite->OpenSession();
  const auto clients = Admin()->Exec("SELECT DISTINCT client_user_id FROM bookings ORDER BY 1");
  ASSERT_GT(clients.Count(), 2);
  std::int64_t compared = 0;
  for (int row = 0; row < clients.Count(); ++row) {
    const auto client = static_cast<UserId>(clients.Int(row, 0));
    for (const auto from :
         {std::optional<LocalDateTime>{}, std::optional<LocalDateTime>{LocalDateTime{now.millis - 30 * kDay}}}) {
      ASSERT_EQ(on_postgres->CountMadeBookings(client, from), on_sqlite->CountMadeBookings(client, from)) << client;
      for (const auto order : AllOrders()) {
        const MadeBookingsQuery query{client, from, order};
        for (std::int64_t offset = 0; offset < 400; offset += 7) {
          const auto expected = on_sqlite->MadeBookingsPage(query, offset, 7);
          const auto got = on_postgres->MadeBookingsPage(query, offset, 7);
          ASSERT_EQ(got.size(), expected.size()) << client << " " << order.Name() << " at " << offset;
          for (std::size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(Describe(got[i]), Describe(expected[i])) << order.Name() << " at " << offset;
            ++compared;
          }
          if (expected.empty()) break;
        }
      }
    }
  }
  EXPECT_GT(compared, 1000);
  const std::vector<UserId> users{kDemoClientUserId, kDemoManagerUserId, 9002, 2002, 2003, 1001, 1002, 4242};
  for (const UserId manager : users) {
    EXPECT_EQ(on_postgres->IsGroupManager(manager), on_sqlite->IsGroupManager(manager)) << manager;
    for (const UserId member : users) {
      EXPECT_EQ(on_postgres->IsMemberOfManagedGroup(manager, member),
                on_sqlite->IsMemberOfManagedGroup(manager, member))
          << manager << " " << member;
    }
  }
  for (const char* key : {kDemoApiKey, kSandboxDemoApiKey}) {
    const auto got = on_postgres->FindProjectByApiKey(key);
    ASSERT_TRUE(got.has_value()) << key;
    EXPECT_EQ(got->active, on_sqlite->FindProjectByApiKey(key)->active);
  }
}

TEST_F(PostgresStoreTest, EveryOrderPageAndCountScanAnIndexInOrderWithoutSortOrSeqScanOnBookings) {
  OpenStore(url_);
  auto admin = Admin();
  // VACUUM marks a page all-visible (which index-only scans need) only once the rows' commit is on disk: a test
  // server may commit asynchronously.
  admin->Exec("SET synchronous_commit = on");
  // 100 clients with 1,000 bookings each, a tenth deleted by the client, spread over 1,900 candidates.
  admin->Exec("INSERT INTO users (user_id, nickname) SELECT i, 'User' || i FROM generate_series(1, 2000) AS i");
  admin->Exec(
      "INSERT INTO bookings (booking_id, client_user_id, candidate_user_id, candidate_nickname_key, "
      "client_nickname_key, duration_minutes, credits, offered_credits, status, method, create_date, session_date, "
      "accept_by, deleted_by_client, deleted_by_candidate) "
      "SELECT i, 1 + i % 100, 101 + (i * 7) % 1900, 'user' || (101 + (i * 7) % 1900), 'user' || (1 + i % 100), 15, "
      "80000, 80000, 'Pending', 2, " +
      std::to_string(kJan2020) + " + i * 60000, " + std::to_string(kJan2020) + " + ((i * 13) % 100000) * 60000, " +
      std::to_string(kJan2020) + " + i * 60000, i % 10 = 0, i % 10 = 3 FROM generate_series(1::bigint, 100000) AS i");
  admin->Exec("VACUUM ANALYZE users");
  admin->Exec("VACUUM ANALYZE bookings");
  const std::string client = "7";
  const std::string start = std::to_string(kJan2020 + 50'000 * kMinute);

  const auto check = [&](const std::string& what, std::string_view sql, const std::string& arguments) {
    admin->Exec("PREPARE plan_check AS " + std::string(sql));
    const auto explained = admin->Exec("EXPLAIN (FORMAT JSON) EXECUTE plan_check(" + arguments + ")");
    admin->Exec("DEALLOCATE plan_check");
    std::vector<std::string> nodes;
    CollectNodes(boost::json::parse(explained.Text(0, 0)).as_array().at(0).as_object().at("Plan").as_object(), nodes);
    std::string plan;
    for (const auto& node : nodes) plan += node + "; ";
    bool reads_bookings = false;
    for (const auto& node : nodes) {
      EXPECT_EQ(node.find("Sort"), std::string::npos) << what << ": " << plan;
      EXPECT_FALSE(node.rfind("Seq Scan on bookings", 0) == 0) << what << ": " << plan;
      EXPECT_FALSE(node.rfind("Bitmap Heap Scan on bookings", 0) == 0) << what << ": " << plan;
      reads_bookings = reads_bookings || node.find(" on bookings") != std::string::npos;
    }
    EXPECT_TRUE(reads_bookings) << what << ": " << plan;
  };
  for (const std::string mode : {"auto", "force_generic_plan"}) {
    admin->Exec("SET plan_cache_mode = " + mode);
    for (const auto order : AllOrders()) {
      check(std::string(order.Name()) + " (" + mode + ")", pg::MadeBookingsPageSql(order, false), client + ", 50, 300");
      check(std::string(order.Name()) + " from a start (" + mode + ")", pg::MadeBookingsPageSql(order, true),
            client + ", 50, 100, " + start);
    }
    check("count (" + mode + ")", pg::CountMadeBookingsSql(false), client);
    check("count from a start (" + mode + ")", pg::CountMadeBookingsSql(true), client + ", " + start);
    // A received list names a candidate: every partition's index is scanned in order and the scans merged.
    const std::string candidate = "108";
    for (const auto order : AllOrders()) {
      check(std::string(order.Name()) + " received (" + mode + ")",
            pg::MadeBookingsPageSql(order, false, BookingSide::kReceived), candidate + ", 10, 20");
      check(std::string(order.Name()) + " received from a start (" + mode + ")",
            pg::MadeBookingsPageSql(order, true, BookingSide::kReceived), candidate + ", 10, 5, " + start);
    }
    check("received count (" + mode + ")", pg::CountMadeBookingsSql(false, BookingSide::kReceived), candidate);
    check("received count from a start (" + mode + ")", pg::CountMadeBookingsSql(true, BookingSide::kReceived),
          candidate + ", " + start);
  }
}

// A version-3 database as version 3 of this program left it, with one booking of each kind the migration fills.
TEST_F(PostgresStoreTest, AVersion3DatabaseIsMigratedInPlaceKeepingEveryRowAndFillingTheNewColumns) {
  {
    auto admin = Admin();
    MigratePostgres(*admin, 3);
    admin->Exec(
        "INSERT INTO users (user_id, nickname) VALUES (1, 'Client One'), (2, 'Cand'); "
        "INSERT INTO bookings (booking_id, client_user_id, candidate_user_id, candidate_nickname_key, "
        "duration_minutes, credits, status, method, create_date, session_date, accept_by, rejected_reason) VALUES "
        "(10, 1, 2, 'cand', 15, 80000, 'Confirmed', 2, 0, 0, 0, NULL), "
        "(11, 1, 2, 'cand', 15, 90000, 'Rejected', 2, 0, 0, 0, 'The booking was not accepted in time.'), "
        "(12, 1, 2, 'cand', 15, 70000, 'Rejected', 2, 0, 0, 0, 'No.'), "
        "(40, 1, 2, 'cand', 15, 60000, 'Pending', 2, 0, 0, 0, NULL)");
    ASSERT_EQ(PostgresSchemaVersion(*admin), 3);
  }
  auto store = OpenStore(url_);
  EXPECT_EQ(QueryInt("SELECT version FROM schema_version"), kStoreSchemaVersion);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM bookings"), 4);
  auto session = store->OpenSession();
  const auto confirmed = session->FindBooking(10);
  ASSERT_TRUE(confirmed);
  EXPECT_TRUE(confirmed->settled) << "a Confirmed booking from before the ledger has no Payment";
  EXPECT_EQ(confirmed->offered_credits, Credits{80'000});
  EXPECT_EQ(confirmed->client.nickname, "Client One");
  EXPECT_EQ(session->FindBooking(11)->rejection_kind, RejectionKind::kLapsed);
  EXPECT_EQ(session->FindBooking(12)->rejection_kind, RejectionKind::kCandidate);
  EXPECT_FALSE(session->FindBooking(40)->rejection_kind);
  EXPECT_FALSE(session->FindBooking(40)->settled);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM bookings WHERE client_nickname_key = 'client one'"), 4);
  const auto user = session->FindUser(2);
  ASSERT_TRUE(user);
  EXPECT_FALSE(user->settings.offers_phonechat);
  EXPECT_FALSE(user->settings.direct_chat);

  // New IDs continue after the largest stored one.
  auto transaction = store->BeginLifecycle();
  StoredBooking booking = *transaction->LockBooking(40);
  booking.booking_id = 0;
  EXPECT_EQ(transaction->InsertBooking(booking), 41);
  transaction->Commit();
}

TEST_F(PostgresStoreTest, NewBookingIdsSkipWhatAnImportStoredMeanwhile) {
  auto store = OpenStore(url_);
  Put(*store, {User(1, "Client"), User(2, "Cand")}, {Booking(5, 1, 2)});
  StoredBooking booking = Booking(0, 1, 2).booking;
  auto first = store->BeginLifecycle();
  EXPECT_EQ(first->InsertBooking(booking), 6);
  first->Commit();
  Put(*store, {}, {Booking(100, 1, 2)});
  auto second = store->BeginLifecycle();
  EXPECT_EQ(second->InsertBooking(booking), 101);
  second->Commit();
  // An import that cannot commit leaves IDs to skip, never to reuse.
  EXPECT_THROW(Put(*store, {}, {Booking(200, 1, 2), Booking(200, 1, 2)}), RecordRejected);
  auto third = store->BeginLifecycle();
  EXPECT_GE(third->InsertBooking(booking), 102);
}

TEST_F(PostgresStoreTest, AnInsertWaitsForAnImportInProgressAndItsIdsComeAfterTheImports) {
  auto store = OpenStore(url_);
  Put(*store, {User(1, "Client"), User(2, "Cand")});
  auto batch = store->BeginWriteBatch();
  ASSERT_EQ(batch->PutBooking(Booking(1, 1, 2), false), "");
  std::atomic<BookingId> inserted{0};
  std::thread inserter([&] {
    auto transaction = store->BeginLifecycle();
    inserted = transaction->InsertBooking(Booking(0, 1, 2).booking);
    transaction->Commit();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(inserted.load(), 0) << "the insert waits for the import";
  batch->Commit();
  inserter.join();
  EXPECT_EQ(inserted.load(), 2);
}

TEST_F(PostgresStoreTest, ASecondBookingRescheduledFromOneSourceIsRefused) {
  auto store = OpenStore(url_);
  Put(*store, {User(1, "Client"), User(2, "Cand")}, {Booking(1, 1, 2)});
  StoredBooking booking = Booking(0, 1, 2).booking;
  booking.rescheduled_from = 1;
  auto first = store->BeginLifecycle();
  const BookingId made = first->InsertBooking(booking);
  EXPECT_EQ(first->RescheduledInto(1), made);
  first->Commit();
  auto second = store->BeginLifecycle();
  EXPECT_THROW(second->InsertBooking(booking), pg::SqlError);
  second.reset();
  EXPECT_EQ(QueryInt("SELECT count(*) FROM bookings"), 2);
}

TEST_F(PostgresStoreTest, TransactionsLockingTwoBookingsInOppositeOrdersEndInOneTransactionConflict) {
  auto store = OpenStore(url_);
  Put(*store, {User(1, "Client"), User(2, "Cand")}, {Booking(1, 1, 2), Booking(2, 1, 2)});
  std::latch both_hold_one(2);
  std::atomic<int> conflicts{0};
  std::atomic<int> commits{0};
  const auto run = [&](BookingId first, BookingId second) {
    auto transaction = store->BeginLifecycle();
    transaction->LockBooking(first);
    both_hold_one.arrive_and_wait();
    try {
      transaction->LockBooking(second);
      transaction->Commit();
      ++commits;
    } catch (const TransactionConflict&) {
      ++conflicts;
    }
  };
  std::thread one(run, 1, 2);
  std::thread two(run, 2, 1);
  one.join();
  two.join();
  EXPECT_EQ(conflicts.load(), 1);
  EXPECT_EQ(commits.load(), 1);
  // The aborted transaction's connection serves the next one.
  auto next = store->BeginLifecycle();
  EXPECT_TRUE(next->LockBooking(1));
}

TEST_F(PostgresStoreTest, ALifecycleTransactionWhoseConnectionIsLostIsStoreUnavailableAndTheNextOneReconnects) {
  auto store = OpenStore(url_);
  Put(*store, {User(1, "Client"), User(2, "Cand")}, {Booking(1, 1, 2)});
  {
    auto transaction = store->BeginLifecycle();
    ASSERT_TRUE(transaction->LockBooking(1));
    Admin()->Exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()");
    EXPECT_THROW(transaction->LockBooking(1), StoreUnavailable);
    EXPECT_THROW(transaction->Commit(), StoreUnavailable);
  }
  auto next = store->BeginLifecycle();
  EXPECT_TRUE(next->LockBooking(1));
  next->Commit();
}

TEST_F(PostgresStoreTest, AnIdempotencyKeyInUseMakesASecondTransactionWaitForTheAnswer) {
  auto store = OpenStore(url_);
  const IdempotencyScope scope{1, 1, "/v1/PhoneChat/CreateBooking", "key-1"};
  auto first = store->BeginLifecycle();
  EXPECT_FALSE(first->LockIdempotencyKey(scope, LocalDateTime{0}));
  std::optional<IdempotentAnswer> seen;
  std::thread second([&] {
    auto transaction = store->BeginLifecycle();
    seen = transaction->LockIdempotencyKey(scope, LocalDateTime{0});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  first->StoreIdempotentAnswer(scope, IdempotentAnswer{std::string(32, '\x01'), 201, "application/json", "{}"},
                               LocalDateTime{kJan2020});
  first->Commit();
  second.join();
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->status, 201);
  EXPECT_EQ(seen->body_digest, std::string(32, '\x01'));
  EXPECT_EQ(seen->body, "{}");
}

TEST_F(PostgresStoreTest, LedgerMovementsBalanceAndTheUniqueIndexesRefuseASecondOutcome) {
  auto store = OpenStore(url_);
  Put(*store, {User(1, "Client"), User(2, "Cand")}, {Booking(1, 1, 2), Booking(2, 1, 2)});
  const LocalDateTime now{kJan2020};
  auto transaction = store->BeginLifecycle();
  EXPECT_TRUE(transaction->Post({LedgerKind::kCredit, std::nullopt, kExternalAccount, 1, Credits{100'000}, now, "x"}));
  EXPECT_FALSE(transaction->Post({LedgerKind::kPayment, 1, 1, kEscrowAccount, Credits{100'001}, now, std::nullopt}));
  EXPECT_TRUE(transaction->Post({LedgerKind::kPayment, 1, 1, kEscrowAccount, Credits{80'000}, now, std::nullopt}));
  EXPECT_TRUE(transaction->Post({LedgerKind::kEarning, 1, kEscrowAccount, 2, Credits{80'000}, now, std::nullopt}));
  EXPECT_EQ(transaction->Balance(1), Credits{20'000});
  EXPECT_EQ(transaction->Balance(2), Credits{80'000});
  EXPECT_EQ(transaction->Balance(kExternalAccount), Credits{-100'000});
  transaction->Commit();
  auto audit = store->AuditLedger();
  EXPECT_EQ(audit.entries, 3);
  EXPECT_TRUE(audit.mismatched.empty());
  EXPECT_EQ(audit.escrow, Credits{0});
  EXPECT_EQ(audit.sum_of_all_ten_thousandths, 0);

  auto again = store->BeginLifecycle();
  // Escrow holds another booking's payment, so only the unique index can refuse the Refund after the Earning.
  ASSERT_TRUE(again->Post({LedgerKind::kPayment, 2, 1, kEscrowAccount, Credits{10'000}, now, std::nullopt}));
  EXPECT_THROW(again->Post({LedgerKind::kRefund, 1, kEscrowAccount, 1, Credits{1}, now, std::nullopt}), pg::SqlError);
  again.reset();
  Admin()->Exec("UPDATE accounts SET balance = balance + 1 WHERE account_id = 2");
  audit = store->AuditLedger();
  ASSERT_EQ(audit.mismatched.size(), 1u);
  EXPECT_EQ(audit.mismatched[0].account, 2);
  EXPECT_EQ(audit.mismatched[0].running_balance, Credits{80'001});
  EXPECT_EQ(audit.mismatched[0].from_rows_ten_thousandths, 80'000);
}

}  // namespace
}  // namespace phonechat::testing
