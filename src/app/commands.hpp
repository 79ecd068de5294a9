// The program's commands (serve, import, token, revoke, migrate, generate): their options and the functions that run
// them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace phonechat {

// The sandbox database used when no --db is given.
inline constexpr const char* kDefaultDatabaseUrl = "sqlite://./phonechat.db";

// `serve`: the options after parsing.
struct ServeCommand {
  std::string database_url = kDefaultDatabaseUrl;
  bool database_given = false;
  std::string listen = "127.0.0.1:8080";
  unsigned threads = 0;
  std::string zone = "Europe/London";
  std::optional<std::string> start_clock_at;  // local `yyyy-MM-ddTHH:mm:ss[.fff]`
  double drain_seconds = 20;
  std::size_t max_connections = 10'000;    // beyond it a new connection is answered 503 (docs/security.md)
  double header_timeout_seconds = 10;      // for a request's headers, from its first byte awaited
  double idle_timeout_seconds = 75;        // between keep-alive requests
  double write_timeout_seconds = 30;       // for one answer to be taken in
  std::size_t socket_send_buffer_kb = 64;  // SO_SNDBUF of accepted sockets; 0: the kernel's automatic sizing
  std::int64_t sweep_seconds = 60;  // how often sessions that are over are settled and old Idempotency-Keys purged
  bool access_log = true;
  std::vector<std::string> read_replica_urls;  // --db-read: PostgreSQL replicas the lists are read from
  std::string issuer;                          // public base URL; empty: http://<listen address>
  // The public project /docs signs in as; unset: the sandbox's demo page client without --db, else none.
  std::optional<std::string> docs_client_id;
  std::int64_t access_token_lifetime = 1200;   // seconds
  std::int64_t refresh_token_lifetime = 14 * 24 * 3600;
  std::int64_t code_lifetime = 60;
  unsigned blocking_threads = 2;    // password hashing pool
  std::size_t db_pool_size = 8;     // PostgreSQL sessions per serving thread (and per replica)
  double db_pool_wait_seconds = 7;  // longest wait for a free session before 503
  std::size_t list_cache_mb = 512;  // memory for cached lists, shared out among the serving threads
  bool group_commit = true;         // life-cycle writes share durable commits (docs/lifecycle.md)
  double api_rate_limit = 1000;     // requests per second per project, burst as many; 0: off (docs/security.md)
  double login_rate_limit = 30;     // failed client authentications per minute per client_id and per address
  std::vector<std::string> trusted_proxies;  // CIDR blocks whose X-Forwarded-* headers are believed
  std::string admin_listen = "127.0.0.1:8081";  // HOST:PORT of /livez, /readyz and /metrics; "off": none
  std::vector<std::string> cors_origins;  // origins browsers may call from ("*": any); none: the projects' redirect URIs
};

// `import`: the options after parsing.
struct ImportCommand {
  std::string database_url = kDefaultDatabaseUrl;
  bool replace = false;
  std::string file;                           // `-` for standard input
  std::string zone = "Europe/London";         // the service's zone: "now" is read in it
  std::optional<std::string> start_clock_at;  // --now: the import's local time instead of the clock's
};

// `export`: the options after parsing.
struct ExportCommand {
  std::string database_url = kDefaultDatabaseUrl;
  std::string output = "-";  // a file (written whole or not at all), or `-` for standard output
};

// `token`: the options after parsing.
struct TokenCommand {
  std::string database_url = kDefaultDatabaseUrl;
  std::int64_t user_id = 0;
  std::string client_id;
  std::string scope;
  std::int64_t expires_in_seconds = 1200;
};

// `revoke`: the options after parsing.
struct RevokeCommand {
  std::string database_url = kDefaultDatabaseUrl;
  std::string token;
};

// `migrate`: the options after parsing.
struct MigrateCommand {
  std::string database_url = kDefaultDatabaseUrl;
};

// `generate`: the options after parsing.
struct GenerateCommand {
  std::int64_t users = 0;
  std::int64_t bookings = 0;
  std::uint64_t seed = 1;
  std::int64_t heavy_clients = 0;
  std::int64_t heavy_size = 0;
  bool lifecycle = false;  // --lifecycle: candidates' PhoneChat settings and clients' credits
};

// Each runs one command and returns the process exit code; UsageError escapes for the caller to print.
int RunServe(const ServeCommand& command);
int RunImport(const ImportCommand& command);
int RunExport(const ExportCommand& command);
int RunToken(const TokenCommand& command);
int RunRevoke(const RevokeCommand& command);
int RunMigrate(const MigrateCommand& command);
int RunGenerate(const GenerateCommand& command);

}  // namespace phonechat
