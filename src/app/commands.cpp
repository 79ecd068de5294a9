// The phonechat-api commands serve, import, generate, token, revoke and migrate: what each one opens, runs and
// prints.
#include "app/commands.hpp"

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

#include "api/admin_routes.hpp"
#include "api/cors.hpp"
#include "api/docs_page.hpp"
#include "api/metrics.hpp"
#include "api/router.hpp"
#include "app/service_manager.hpp"
#include "auth/secrets.hpp"
#include "core/error.hpp"
#include "importer/exporter.hpp"
#include "importer/importer.hpp"
#include "sample_data/demo_data.hpp"
#include "sample_data/generator.hpp"
#include "service/oauth_service_impl.hpp"
#include "service/lifecycle_sweeper.hpp"
#include "service/service_clock.hpp"
#include "storage/database_url.hpp"
#include "storage/lifecycle_runner.hpp"
#include "storage/oauth_store.hpp"
#include "storage/store.hpp"

namespace phonechat {
namespace {

// A serving thread frees each answer's body (tens of KB) as soon as it is written. With glibc's adaptive defaults
// those frees keep shrinking the thread's heap (madvise) and the next answers fault the pages back in, which cost
// 12-26% of a cached list's throughput (docs/benchmarks.md). Fixed thresholds stop that. Malloc tunables the
// operator set in GLIBC_TUNABLES win.
void KeepFreedMemoryForReuse() {
  if (const char* tunables = std::getenv("GLIBC_TUNABLES");
      tunables != nullptr && std::string_view(tunables).find("glibc.malloc.") != std::string_view::npos) {
    return;
  }
  mallopt(M_MMAP_THRESHOLD, 4 << 20);  // blocks this large (a big client's cached arrays) are mapped and unmapped
  mallopt(M_TRIM_THRESHOLD, 16 << 20);
}

// HOST:PORT or [IPv6]:PORT.
void ParseListenAddress(const std::string& listen, http::ServerOptions& options,
                        const std::string& flag = "--listen") {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) throw UsageError(flag + " must be HOST:PORT, got '" + listen + "'");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = listen.substr(colon + 1);
  unsigned port = 0;
  const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
    throw UsageError(flag + " port must be a number from 0 to 65535, got '" + port_text + "'");
  }
  options.host = host;
  options.port = static_cast<std::uint16_t>(port);
}

// 0.0.0.0, :: or any other spelling of "every address".
bool IsWildcardAddress(const std::string& host) {
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return v4.s_addr == htonl(INADDR_ANY);
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_UNSPECIFIED(&v6) != 0;
  return host.empty();
}

// `http://HOST:PORT`, an IPv6 address in brackets.
std::string BaseUrl(const std::string& host, std::uint16_t port) {
  const bool ipv6 = host.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// Every absolute URL the server writes (the OAuth metadata) starts with this base, taken from configuration and
// never from a request's Host (docs/security.md): --issuer, or the listen address when that names one host.
void CheckIssuer(const ServeCommand& command, const http::ServerOptions& options) {
  if (command.issuer.empty()) {
    if (IsWildcardAddress(options.host)) {
      throw UsageError("--issuer is required when --listen is a wildcard address ('" + command.listen +
                       "'): give the public base URL clients reach the server at, e.g. https://api.example.com");
    }
    return;
  }
  const auto url = boost::urls::parse_absolute_uri(command.issuer);
  const bool web = url && (url->scheme() == "http" || url->scheme() == "https") && url->has_authority() &&
                   !url->encoded_host().empty() && !url->has_userinfo() && !url->has_query();
  if (!web) throw UsageError("--issuer must be an http or https URL without a query, got '" + command.issuer + "'");
}

// The sandbox file: the default URL, whose first start fills it with demo data.
bool SandboxFileIsNew(const ServeCommand& command) {
  if (command.database_given) return false;
  return !std::filesystem::exists("phonechat.db");
}

std::string IssueToken(Store& store, UserId user_id, const std::string& client_id, const std::string& scope,
                       std::int64_t expires_in_seconds) {
  std::string token = GenerateToken();
  store.InsertToken(
      NewToken{Sha256(token), user_id, client_id, scope, ServiceClock::UnixSecondsNow() + expires_in_seconds});
  return token;
}

// The sandbox demo page's callback and the docs page's redirect page on the serving address, and on its loopback
// aliases: both pages sign in as the sandbox's public demo client.
std::vector<std::string> SandboxDemoRedirectUris(const std::string& host, std::uint16_t port) {
  std::vector<std::string> uris;
  const bool loopback =
      host == "127.0.0.1" || host == "localhost" || host == "0.0.0.0" || host == "::" || host == "::1";
  for (const char* path : {"/demo/callback", "/docs/oauth2-redirect.html"}) {
    const std::string suffix = ":" + std::to_string(port) + path;
    if (!loopback) {
      uris.push_back("http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + suffix);
    }
    if (loopback || host == "0.0.0.0" || host == "::") {
      uris.push_back("http://127.0.0.1" + suffix);
      uris.push_back("http://localhost" + suffix);
      uris.push_back("http://[::1]" + suffix);
    }
  }
  return uris;
}

// Serves /livez, /readyz and /metrics on `listen` on a thread of its own until the thread is asked to stop; returns
// once it listens, and throws UsageError when it cannot.
std::jthread StartAdminListener(const std::string& listen, const AdminContext& context) {
  http::ServerOptions options;
  ParseListenAddress(listen, options, "--admin-listen");
  options.threads = 1;
  options.handle_signals = false;
  options.max_connections = 64;
  std::promise<void> listening;
  std::future<void> started = listening.get_future();
  std::jthread thread([options, &context, &listening](std::stop_token stop) {
    bool reported = false;
    try {
      http::Serve(
          options, [&context] { return std::make_unique<AdminHandler>(context); },
          [&](std::uint16_t port) {
            std::fprintf(stderr, "phonechat-api health and metrics at %s (/livez, /readyz, /metrics)\n",
                         BaseUrl(options.host, port).c_str());
            reported = true;
            listening.set_value();
          },
          stop);
    } catch (...) {
      if (!reported) listening.set_exception(std::current_exception());
      else spdlog::error("admin listener stopped by an error");
    }
  });
  started.get();
  return thread;
}

// Every redirect URI of every project (their origins are the browsers' allowed by default).
std::vector<std::string> RegisteredRedirectUris(OAuthStore& projects) {
  std::vector<std::string> uris;
  for (const OAuthProject& project : projects.ListProjects()) {
    uris.insert(uris.end(), project.redirect_uris.begin(), project.redirect_uris.end());
  }
  return uris;
}

// Rereads the projects' redirect URIs into `cors` every `interval` (the sweep interval: how soon a project
// registered or changed while the server runs has its origins allowed), on a connection of its own.
std::jthread StartCorsRefresher(const std::string& database_url, CorsOrigins& cors, std::chrono::seconds interval) {
  return std::jthread([database_url, &cors, interval](std::stop_token stop) {
    std::unique_ptr<OAuthStore> projects;
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    for (;;) {
      // Returns at the interval or as soon as a stop is requested (the predicate only ever says "not yet").
      wake.wait_for(lock, stop, interval, [] { return false; });
      if (stop.stop_requested()) return;
      try {
        if (!projects) projects = OpenOAuthStore(database_url);
        cors.ReplaceFromRedirectUris(RegisteredRedirectUris(*projects));
      } catch (const std::exception& failure) {
        projects.reset();
        spdlog::warn("cors: cannot reread the projects' redirect URIs (the last ones stay allowed): {}",
                     failure.what());
      }
    }
  });
}

}  // namespace

int RunServe(const ServeCommand& command) {
  KeepFreedMemoryForReuse();
  http::ServerOptions options;
  ParseListenAddress(command.listen, options);
  CheckIssuer(command, options);
  Result<http::TrustedProxies> proxies = http::TrustedProxies::Parse(command.trusted_proxies);
  if (!proxies) throw UsageError(proxies.error().message);
  options.trusted_proxies = std::move(*proxies);
  options.threads = command.threads;
  options.drain_time = std::chrono::milliseconds(static_cast<std::int64_t>(command.drain_seconds * 1000));
  const auto milliseconds = [](double seconds) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
  };
  options.max_connections = command.max_connections;
  options.header_deadline = milliseconds(command.header_timeout_seconds);
  options.idle_timeout = milliseconds(command.idle_timeout_seconds);
  options.write_timeout = milliseconds(command.write_timeout_seconds);
  options.socket_send_buffer = command.socket_send_buffer_kb * 1024;
  options.blocking_threads = command.blocking_threads;
  options.on_drain = [] { NotifyStopping("draining"); };

  std::optional<ServiceClock> clock;
  if (command.start_clock_at) {
    const std::optional<LocalDateTime> start = ParseLocalDateTime(*command.start_clock_at);
    if (!start)
      throw UsageError("--now must be a local time yyyy-MM-ddTHH:mm:ss[.fff], got '" + *command.start_clock_at + "'");
    clock.emplace(command.zone, *start);
  } else {
    clock.emplace(command.zone);
  }

  const bool fill_sandbox = SandboxFileIsNew(command);
  std::unique_ptr<Store> store = OpenStore(command.database_url);
  if (fill_sandbox && store->IsEmpty()) {
    std::istringstream demo(DemoDataJsonLines(clock->LocalNow()));
    const ImportCounts counts = ImportJsonLines(*store, demo, /*replace=*/false, clock->LocalNow());
    spdlog::info("sandbox: created phonechat.db with {} users, {} groups, {} projects and {} bookings of demo data",
                 counts.users, counts.groups, counts.projects, counts.bookings);
  }
  std::string demo_token;
  if (!command.database_given) {
    demo_token = IssueToken(*store, kDemoClientUserId, kDemoClientId,
                            std::string(kPhoneChatBookingsScope) + " " + std::string(kCreditsHistoryScope),
                            std::int64_t{24} * 3600);
  }

  OAuthLifetimes lifetimes;
  lifetimes.access_token = std::chrono::seconds(command.access_token_lifetime);
  lifetimes.refresh_token = std::chrono::seconds(command.refresh_token_lifetime);
  lifetimes.authorization_code = std::chrono::seconds(command.code_lifetime);
  std::unique_ptr<OAuthStore> oauth_store = OpenOAuthStore(command.database_url);
  OAuthStore& oauth_projects = *oauth_store;  // the service owns it and outlives the server
  const std::unique_ptr<OAuthService> oauth = MakeOAuthService(std::move(oauth_store), *clock, lifetimes);

  std::vector<std::unique_ptr<Store>> read_replicas;
  for (const std::string& url : command.read_replica_urls) read_replicas.push_back(OpenReadReplica(url));

  ApiContext context;
  context.store = store.get();
  for (const auto& replica : read_replicas) context.read_replicas.push_back(replica.get());
  context.clock = &*clock;
  context.oauth = oauth.get();
  context.issuer = command.issuer;
  if (command.docs_client_id) context.docs_client_id = *command.docs_client_id;
  else if (!command.database_given) context.docs_client_id = kSandboxDemoClientId;
  // In memory, per process (docs/security.md, "Rate limits"); the burst equals the rate.
  std::optional<RateLimiter> api_rate_limiter;
  if (command.api_rate_limit > 0) api_rate_limiter.emplace(command.api_rate_limit, command.api_rate_limit);
  context.api_rate_limiter = api_rate_limiter ? &*api_rate_limiter : nullptr;
  std::optional<RateLimiter> client_failure_limiter;
  if (command.login_rate_limit > 0) {
    client_failure_limiter.emplace(command.login_rate_limit / 60.0, command.login_rate_limit);
  }
  context.client_failure_limiter = client_failure_limiter ? &*client_failure_limiter : nullptr;
  // The two credentials, the body's type and the Idempotency-Key must not be a choice between two headers
  // (docs/security.md).
  options.unique_fields = {"Authorization", "X-ApiKey", "Content-Type", "Idempotency-Key"};
  if (ParseDatabaseUrl(command.database_url).kind == DatabaseLocation::Kind::kPostgres) {
    // A PostgreSQL round trip would hold a serving thread idle: requests run in coroutines that suspend on it
    // instead, each with a session of its own from the thread's pool. SQLite's calls are bounded and local.
    options.suspendable = true;
    context.session_pool_size = command.db_pool_size;
    context.session_wait = std::chrono::milliseconds(static_cast<std::int64_t>(command.db_pool_wait_seconds * 1000));
  }
  const unsigned serving_threads =
      options.threads != 0 ? options.threads : std::max(1U, std::thread::hardware_concurrency());
  context.list_cache_bytes = (command.list_cache_mb << 20) / serving_threads;
  if (command.access_log) {
    context.access_log = spdlog::stdout_logger_mt("access");
    context.access_log->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z",%v})");
  }

  // Before the server and gone after it: requests in flight wait for it.
  const std::unique_ptr<LifecycleRunner> group_committer = command.group_commit ? NewGroupCommitter(*store) : nullptr;
  context.lifecycle_runner = group_committer.get();
  // The sweeper's own connection to the Unified Login's tables: its purges never queue behind the service's calls.
  const std::unique_ptr<OAuthStore> sweeper_oauth_store = OpenOAuthStore(command.database_url);
  // The admin listener serves through the API listener's drain (its /readyz says so) and stops after it.
  http::ServerGauges api_gauges;
  options.gauges = &api_gauges;
  MetricsRegistry metrics(PHONECHAT_VERSION, api_gauges);
  context.metrics = &metrics;
  AdminContext admin_context{store.get(), &api_gauges, &metrics};
  CorsOrigins cors(command.cors_origins);
  context.cors = &cors;
  std::jthread cors_refresher;
  if (cors.FollowsProjects()) {
    cors.ReplaceFromRedirectUris(RegisteredRedirectUris(oauth_projects));
    cors_refresher = StartCorsRefresher(command.database_url, cors, std::chrono::seconds(command.sweep_seconds));
  }
  std::jthread admin_listener;
  if (command.admin_listen != "off") admin_listener = StartAdminListener(command.admin_listen, admin_context);

  const LifecycleSweeper sweeper(*store, sweeper_oauth_store.get(), OAuthRetention{lifetimes.refresh_token, LoginBackoff{}.window},
                                 *clock, std::chrono::seconds(command.sweep_seconds));
  http::Serve(
      options, [&context] { return std::make_unique<ApiHandler>(context); },
      [&](std::uint16_t port) {
        const std::string base = BaseUrl(options.host, port);
        if (context.issuer.empty()) context.issuer = base;  // before the first connection is accepted
        // The demo page runs on whatever address the sandbox serves: its callback must be registered there.
        const bool has_demo_page =
            oauth_projects.SetRedirectUris(kSandboxDemoClientId, SandboxDemoRedirectUris(options.host, port));
        if (has_demo_page) cors.ReplaceFromRedirectUris(RegisteredRedirectUris(oauth_projects));
        std::fprintf(stderr, "phonechat-api listening on %s (database %s, zone %s)\n", base.c_str(),
                     DisplayDatabaseUrl(command.database_url).c_str(), clock->ZoneName().c_str());
        if (!demo_token.empty()) {
          std::fprintf(stderr,
                       "Sandbox: demo client %d, token valid for 24 hours. Try:\n"
                       "  curl -H 'Authorization: Bearer %s' '%s/v1/PhoneChat/MadeBookings?BookingsPerPage=5'\n",
                       kDemoClientUserId, demo_token.c_str(), base.c_str());
        }
        if (has_demo_page && !command.database_given) {
          std::fprintf(stderr,
                       "Sign in with the Unified Login: open %s/demo and log in as %s (or %s, a group manager), "
                       "password %s; demo project: client id %s, client secret %s, API key %s\n",
                       base.c_str(), kDemoClientNickname, kDemoManagerNickname, kDemoPassword, kDemoClientId,
                       kDemoClientSecret, kDemoApiKey);
        }
        if (has_demo_page && !command.database_given && DocsPageBuilt()) {
          std::fprintf(stderr, "API docs: open %s/docs, Authorize (log in as %s), then Try it out\n", base.c_str(),
                       kDemoClientNickname);
        }
        std::fflush(stderr);
        NotifyReady("serving on " + base);
      });
  spdlog::info("stopped");
  return 0;
}

int RunImport(const ImportCommand& command) {
  // "Now" decides which imported Confirmed bookings are settled (docs/import-format.md).
  LocalDateTime now = ServiceClock(command.zone).LocalNow();
  if (command.start_clock_at) {
    const std::optional<LocalDateTime> start = ParseLocalDateTime(*command.start_clock_at);
    if (!start) {
      throw UsageError("--now must be a local time yyyy-MM-ddTHH:mm:ss[.fff], got '" + *command.start_clock_at + "'");
    }
    now = *start;
  }
  std::unique_ptr<Store> store = OpenStore(command.database_url);
  std::ifstream file;
  std::istream* input = &std::cin;
  if (command.file != "-") {
    file.open(command.file, std::ios::binary);
    if (!file) throw UsageError("cannot read " + command.file + ": " + std::strerror(errno));
    input = &file;
  }
  try {
    const ImportCounts counts = ImportJsonLines(*store, *input, command.replace, now);
    std::fprintf(stderr, "imported %lld users, %lld groups, %lld projects, %lld bookings, %lld credits\n",
                 static_cast<long long>(counts.users), static_cast<long long>(counts.groups),
                 static_cast<long long>(counts.projects), static_cast<long long>(counts.bookings),
                 static_cast<long long>(counts.credits));
    return 0;
  } catch (const ImportError& error) {
    std::fprintf(stderr, "phonechat-api: import failed, nothing was imported: %s\n", error.what());
    return 1;
  }
}

int RunExport(const ExportCommand& command) {
  // An export reads a database; it never creates the empty one OpenStore would make of a mistyped path.
  const DatabaseLocation location = ParseDatabaseUrl(command.database_url);
  if (location.kind == DatabaseLocation::Kind::kSqlite && !std::filesystem::exists(location.sqlite_path)) {
    throw UsageError("no database at " + location.sqlite_path + " (export reads an existing database)");
  }
  std::unique_ptr<Store> store = OpenStore(command.database_url);
  ExportCounts counts;
  if (command.output == "-") {
    counts = ExportJsonLines(*store, std::cout);
  } else {
    // Written beside the target and renamed when complete: a failed export leaves no file that looks whole. The
    // file holds password hashes: only its owner may read it.
    const std::string partial = command.output + ".partial";
    std::ofstream file(partial, std::ios::binary | std::ios::trunc);
    if (!file) throw UsageError("cannot write " + partial + ": " + std::strerror(errno));
    try {
      std::filesystem::permissions(partial, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
      counts = ExportJsonLines(*store, file);
      file.close();
      if (!file) throw UsageError("cannot write " + partial + ": " + std::strerror(errno));
      std::filesystem::rename(partial, command.output);
    } catch (...) {
      std::error_code ignored;
      std::filesystem::remove(partial, ignored);
      throw;
    }
  }
  std::fprintf(stderr, "exported %lld users, %lld groups, %lld projects, %lld credits, %lld bookings\n",
               static_cast<long long>(counts.users), static_cast<long long>(counts.groups),
               static_cast<long long>(counts.projects), static_cast<long long>(counts.credits),
               static_cast<long long>(counts.bookings));
  return 0;
}

int RunToken(const TokenCommand& command) {
  const std::string scopes = JoinScopes(SplitScopes(command.scope, " \t"));
  if (scopes.empty()) throw UsageError("--scope must name at least one scope");
  std::unique_ptr<Store> store = OpenStore(command.database_url);
  const std::string token =
      IssueToken(*store, static_cast<UserId>(command.user_id), command.client_id, scopes, command.expires_in_seconds);
  std::printf("%s\n", token.c_str());
  return 0;
}

int RunMigrate(const MigrateCommand& command) {
  // Opening migrates: the main store first, then the Unified Login's (which finds the schema current).
  OpenStore(command.database_url);
  OpenOAuthStore(command.database_url);
  std::printf("schema version %d\n", kStoreSchemaVersion);
  return 0;
}

int RunGenerate(const GenerateCommand& command) {
  GeneratorOptions options;
  options.users = command.users;
  options.bookings = command.bookings;
  options.seed = command.seed;
  options.heavy_clients = command.heavy_clients;
  options.heavy_size = command.heavy_size;
  options.lifecycle = command.lifecycle;
  if (const auto error = GeneratorOptionsError(options); !error.empty()) throw UsageError(error);
  GenerateDataSet(options, std::cout);
  std::cout.flush();
  if (!std::cout) throw std::runtime_error("cannot write to standard output");
  return 0;
}

int RunRevoke(const RevokeCommand& command) {
  std::unique_ptr<Store> store = OpenStore(command.database_url);
  if (!store->RevokeToken(Sha256(command.token))) throw UsageError("no such token");
  return 0;
}

}  // namespace phonechat
