// The command line (CLI11): every command's options and environment variables, parsed into the commands of
// commands.hpp.

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iterator>
#include <string>
#include <vector>

#include "api/cors.hpp"
#include "app/commands.hpp"
#include "app/configuration.hpp"
#include "app/ledger_commands.hpp"
#include "app/project_commands.hpp"
#include "app/route_commands.hpp"
#include "core/error.hpp"

namespace {

constexpr const char* kProgram = "phonechat-api";

void AddDatabaseOption(CLI::App& command, std::string& url) {
  command.add_option("--db", url, "Database URL: sqlite:///abs/path.db, sqlite://relative.db or a path")
      ->envname("PHONECHAT_DB");
}

}  // namespace

int main(int argc, char** argv) {
  // Standard output carries the access log (and `token`'s answer); everything else goes to standard error.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("phonechat"));
  CLI::App app{"PhoneChat bookings API server", kProgram};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(kProgram) + " " + PHONECHAT_VERSION);
  app.failure_message([](const CLI::App* /*app*/, const CLI::Error& error) {
    return std::string(kProgram) + ": " + error.what() + " (see --help)\n";
  });

  phonechat::ServeCommand serve;
  CLI::App* serve_command = app.add_subcommand("serve", "Serve the API (the sandbox, with demo data, by default)");
  std::string config_path;
  serve_command
      ->add_option("--config", config_path,
                   "Read settings from this TOML/INI file (keys: the long flags; a flag or variable wins over it)")
      ->envname("PHONECHAT_CONFIG");
  bool print_config = false;
  serve_command->add_flag("--print-config", print_config,
                          "Print the effective configuration, each setting with its source and secrets masked, "
                          "and exit");
  CLI::Option* serve_db =
      serve_command
          ->add_option("--db", serve.database_url, "Database URL (default sqlite://./phonechat.db, the sandbox)")
          ->envname("PHONECHAT_DB");
  serve_command
      ->add_option("--db-read", serve.read_replica_urls,
                   "A PostgreSQL read replica the lists are read from (repeatable; threads take them in turn)")
      ->envname("PHONECHAT_DB_READ")
      ->delimiter(',');
  serve_command->add_option("--listen", serve.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->envname("PHONECHAT_LISTEN")
      ->capture_default_str();
  serve_command->add_option("--threads", serve.threads, "Serving threads (default: one per core)")
      ->envname("PHONECHAT_THREADS")
      ->check(CLI::Range(1U, 256U));
  serve_command->add_option("--zone", serve.zone, "IANA time zone of the service's local dates")
      ->envname("PHONECHAT_ZONE")
      ->capture_default_str();
  serve_command
      ->add_option("--now", serve.start_clock_at,
                   "Start the service clock at this local time (yyyy-MM-ddTHH:mm:ss), for reproducible sandboxes")
      ->envname("PHONECHAT_NOW");
  serve_command
      ->add_option("--sweep-interval", serve.sweep_seconds,
                   "Seconds between settlements of sessions that are over and purges of what can never be used again "
                   "(docs/security.md): Idempotency-Keys after 24 h; access tokens once expired or revoked; unredeemed "
                   "codes and login sessions once expired; refresh tokens one refresh-token lifetime after they "
                   "expire (at once if revoked), then their families and codes; login failures after 15 minutes")
      ->envname("PHONECHAT_SWEEP_INTERVAL")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve_command->add_option("--drain-time", serve.drain_seconds, "Seconds to finish in-flight requests on SIGTERM")
      ->envname("PHONECHAT_DRAIN_TIME")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  serve_command
      ->add_option("--max-connections", serve.max_connections,
                   "Open connections at most; beyond it a new one is answered 503 with Retry-After: 1 and closed")
      ->envname("PHONECHAT_MAX_CONNECTIONS")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
      ->capture_default_str();
  serve_command
      ->add_option("--header-timeout", serve.header_timeout_seconds,
                   "Seconds a client has to send a request's headers, from its first byte awaited")
      ->envname("PHONECHAT_HEADER_TIMEOUT")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  serve_command
      ->add_option("--idle-timeout", serve.idle_timeout_seconds,
                   "Seconds a keep-alive connection may wait for its next request")
      ->envname("PHONECHAT_IDLE_TIMEOUT")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  serve_command
      ->add_option("--write-timeout", serve.write_timeout_seconds,
                   "Seconds a client has to take in one answer before the connection is reset")
      ->envname("PHONECHAT_WRITE_TIMEOUT")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  serve_command
      ->add_option("--socket-send-buffer", serve.socket_send_buffer_kb,
                   "KiB of kernel send buffer per connection (SO_SNDBUF; 0: the kernel's automatic sizing)")
      ->envname("PHONECHAT_SOCKET_SEND_BUFFER")
      ->check(CLI::Range(std::size_t{0}, std::size_t{65536}))
      ->capture_default_str();
  std::string access_log = "stdout";
  serve_command->add_option("--access-log", access_log, "Where the access log goes: stdout or off")
      ->envname("PHONECHAT_ACCESS_LOG")
      ->check(CLI::IsMember({"stdout", "off"}))
      ->capture_default_str();

  serve_command
      ->add_option("--issuer", serve.issuer,
                   "Public base URL of the server, the OAuth issuer (default: http://<listen address>; required with a "
                   "wildcard --listen)")
      ->envname("PHONECHAT_ISSUER");
  serve_command
      ->add_option("--docs-client-id", serve.docs_client_id,
                   "Client id of the public project the /docs page signs in as, registered with the redirect URI "
                   "<issuer>/docs/oauth2-redirect.html (default: the sandbox's demo page client without --db, else "
                   "none: the developer types one)")
      ->envname("PHONECHAT_DOCS_CLIENT_ID");
  serve_command->add_option("--access-token-lifetime", serve.access_token_lifetime, "Seconds an access token lives")
      ->envname("PHONECHAT_ACCESS_TOKEN_LIFETIME")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{366} * 24 * 3600))
      ->capture_default_str();
  serve_command->add_option("--refresh-token-lifetime", serve.refresh_token_lifetime, "Seconds a refresh token lives")
      ->envname("PHONECHAT_REFRESH_TOKEN_LIFETIME")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{10} * 366 * 24 * 3600))
      ->capture_default_str();
  serve_command->add_option("--code-lifetime", serve.code_lifetime, "Seconds an authorization code lives")
      ->envname("PHONECHAT_CODE_LIFETIME")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{600}))
      ->capture_default_str();
  serve_command
      ->add_option("--blocking-threads", serve.blocking_threads,
                   "Threads that hash passwords and secrets (bounds their concurrency)")
      ->envname("PHONECHAT_BLOCKING_THREADS")
      ->check(CLI::Range(1U, 64U))
      ->capture_default_str();

  serve_command
      ->add_option("--list-cache-mb", serve.list_cache_mb,
                   "Memory (MiB) for the clients' bookings kept ready to list, shared among the serving threads")
      ->envname("PHONECHAT_LIST_CACHE_MB")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
      ->capture_default_str();

  serve_command
      ->add_option("--group-commit", serve.group_commit,
                   "Life-cycle writes that arrive together share one durable commit (false: one commit each)")
      ->envname("PHONECHAT_GROUP_COMMIT")
      ->capture_default_str();

  serve_command
      ->add_option("--db-pool-size", serve.db_pool_size,
                   "PostgreSQL: database sessions per serving thread (and per read replica) for requests in flight")
      ->envname("PHONECHAT_DB_POOL_SIZE")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}))
      ->capture_default_str();
  serve_command
      ->add_option("--db-pool-wait", serve.db_pool_wait_seconds,
                   "PostgreSQL: seconds a request waits for a free session before it is answered 503")
      ->envname("PHONECHAT_DB_POOL_WAIT")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();

  serve_command
      ->add_option("--api-rate-limit", serve.api_rate_limit,
                   "Requests per second per project on the API, burst as many (0: no limit; counted per process)")
      ->envname("PHONECHAT_API_RATE_LIMIT")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  serve_command
      ->add_option("--login-rate-limit", serve.login_rate_limit,
                   "Failed client authentications per minute per client_id and per client address at the token "
                   "and revoke endpoints, burst as many (0: no limit)")
      ->envname("PHONECHAT_LOGIN_RATE_LIMIT")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  serve_command
      ->add_option("--trusted-proxy", serve.trusted_proxies,
                   "A proxy (address or CIDR block) whose X-Forwarded-For and X-Forwarded-Proto are believed "
                   "(repeatable; default: none)")
      ->envname("PHONECHAT_TRUSTED_PROXY")
      ->delimiter(',');
  serve_command
      ->add_option("--cors-origin", serve.cors_origins,
                   "An origin (scheme://host[:port]) browsers may call the API, token and revoke endpoints from "
                   "(repeatable; *: any; default: the origins of the projects' redirect URIs)")
      ->envname("PHONECHAT_CORS_ORIGIN")
      ->delimiter(',')
      ->check(CLI::Validator([](std::string& value) { return phonechat::CorsOriginProblem(value); }, "ORIGIN"));
  serve_command
      ->add_option("--admin-listen", serve.admin_listen,
                   "HOST:PORT of the health probes and metrics (/livez, /readyz, /metrics), apart from the API so "
                   "that they are never public by accident; off: none")
      ->envname("PHONECHAT_ADMIN_LISTEN")
      ->capture_default_str();

  phonechat::ImportCommand import;
  CLI::App* import_command = app.add_subcommand("import", "Import JSON Lines records (one transaction)");
  AddDatabaseOption(*import_command, import.database_url);
  import_command->add_flag("--replace", import.replace, "Overwrite records whose ID already exists");
  import_command->add_option("FILE", import.file, "The JSON Lines file, or - for standard input")->required();
  import_command->add_option("--zone", import.zone, "IANA time zone of the service's local dates")
      ->envname("PHONECHAT_ZONE")
      ->capture_default_str();
  import_command->add_option(
      "--now", import.start_clock_at,
      "The import's local time (yyyy-MM-ddTHH:mm:ss): Confirmed sessions over by then are settled");

  phonechat::ExportCommand export_records;
  CLI::App* export_command = app.add_subcommand(
      "export", "Write the whole database as JSON Lines in the import format (one snapshot; for backups and moves)");
  AddDatabaseOption(*export_command, export_records.database_url);
  export_command->add_option("--output,-o", export_records.output,
                             "The file to write (whole or not at all), or - for standard output")
      ->capture_default_str();

  phonechat::TokenCommand token;
  CLI::App* token_command = app.add_subcommand("token", "Issue an access token and print it");
  AddDatabaseOption(*token_command, token.database_url);
  token_command->add_option("--user", token.user_id, "The user the token acts for")
      ->required()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{2147483647}));
  token_command->add_option("--client-id", token.client_id, "Client ID of the project it is issued to")->required();
  token_command->add_option("--scope", token.scope, "Space-separated scopes")->required();
  token_command->add_option("--expires-in", token.expires_in_seconds, "Lifetime in seconds")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{10} * 366 * 24 * 3600))
      ->capture_default_str();

  phonechat::RevokeCommand revoke;
  CLI::App* revoke_command = app.add_subcommand("revoke", "Revoke an access token");
  AddDatabaseOption(*revoke_command, revoke.database_url);
  revoke_command->add_option("TOKEN", revoke.token, "The access token")->required();

  phonechat::MigrateCommand migrate;
  CLI::App* migrate_command =
      app.add_subcommand("migrate", "Create the schema in a new database or bring an older one up to date");
  AddDatabaseOption(*migrate_command, migrate.database_url);

  phonechat::GenerateCommand generate;
  CLI::App* generate_command =
      app.add_subcommand("generate", "Write a synthetic data set in the import format to standard output");
  generate_command->add_option("--users", generate.users, "Users in all: a tenth candidates, the rest clients")
      ->required()
      ->check(CLI::Range(std::int64_t{2}, std::int64_t{2147483647}));
  generate_command->add_option("--bookings", generate.bookings, "Bookings spread over the ordinary clients")
      ->required()
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{2147483647}));
  generate_command->add_option("--seed", generate.seed, "Seed of the generator: same arguments, same bytes")
      ->capture_default_str();
  generate_command->add_option("--heavy-clients", generate.heavy_clients, "Clients with --heavy-size bookings each")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{2147483647}));
  generate_command
      ->add_option("--heavy-size", generate.heavy_size, "Bookings of each heavy client, on top of --bookings")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{2147483647}));
  generate_command->add_flag("--lifecycle", generate.lifecycle,
                             "Add the life cycle's data: candidates' PhoneChat settings and a Credit for every client");

  phonechat::CreditsAddCommand credits_add;
  CLI::App* credits_command = app.add_subcommand("credits", "Move credits in the ledger");
  credits_command->require_subcommand(1);
  CLI::App* credits_add_command = credits_command->add_subcommand(
      "add", "Give a user credits from outside (a Credit movement); prints the balance");
  AddDatabaseOption(*credits_add_command, credits_add.database_url);
  credits_add_command->add_option("--user", credits_add.user_id, "The user who receives the credits")
      ->required()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{2147483647}));
  credits_add_command->add_option("--amount", credits_add.amount, "Credits, above 0, at most 4 fraction digits")
      ->required();
  credits_add_command->add_option("--description", credits_add.description, "What the movement is, 1-200 characters")
      ->capture_default_str();
  credits_add_command->add_option("--zone", credits_add.zone, "IANA time zone of the service's local dates")
      ->envname("PHONECHAT_ZONE")
      ->capture_default_str();

  phonechat::LedgerVerifyCommand ledger_verify;
  CLI::App* ledger_command = app.add_subcommand("ledger", "Check the credits ledger");
  ledger_command->require_subcommand(1);
  CLI::App* ledger_verify_command = ledger_command->add_subcommand(
      "verify", "Check every running balance against its rows, the rows' sum and escrow; exit 1 naming what differs");
  AddDatabaseOption(*ledger_verify_command, ledger_verify.database_url);

  phonechat::ProjectCreateCommand project_create;
  std::string project_database_url = phonechat::kDefaultDatabaseUrl;
  std::string project_client_id;
  CLI::App* project_command = app.add_subcommand("project", "Register, list and disable projects (OAuth clients)");
  project_command->require_subcommand(1);
  CLI::App* project_create_command =
      project_command->add_subcommand("create", "Register a project; prints its API key, client id and secret once");
  AddDatabaseOption(*project_create_command, project_database_url);
  project_create_command->add_option("--name", project_create.name, "The name users see on the consent page")
      ->required();
  project_create_command->add_option("--owner", project_create.owner_user_id, "User ID of the project's owner")
      ->required()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{2147483647}));
  project_create_command
      ->add_option("--redirect-uri", project_create.redirect_uris, "A registered redirect URI (repeatable)")
      ->required();
  project_create_command->add_flag("--implicit", project_create.implicit, "Allow the implicit grant");
  project_create_command->add_flag("--public", project_create.public_client,
                                   "A public client (no secret; PKCE required), e.g. a browser or mobile app");
  CLI::App* project_list_command = project_command->add_subcommand("list", "List the projects (never a secret)");
  AddDatabaseOption(*project_list_command, project_database_url);
  CLI::App* project_disable_command =
      project_command->add_subcommand("disable", "Disable a project: its logins, tokens and API key stop working");
  AddDatabaseOption(*project_disable_command, project_database_url);
  project_disable_command->add_option("CLIENT_ID", project_client_id, "The project's client id")->required();

  CLI::App* routes_command = app.add_subcommand(
      "routes", "Print the route table as JSON Lines: method, path, authentication, scope, group, writes");

  if (argc > 1 && argv[1][0] != '-') {
    const std::string name = argv[1];
    const auto subcommands = app.get_subcommands([&](CLI::App* command) { return command->check_name(name); });
    if (subcommands.empty()) {
      std::fprintf(
          stderr,
          "%s: unknown command '%s' (commands: serve, import, export, token, revoke, project, credits, ledger, migrate, "
          "generate, routes; see --help)\n",
          kProgram, name.c_str());
      return 2;
    }
  }
  const std::vector<std::string> arguments(argv + 1, argv + argc);
  std::vector<std::string> secrets_from_files;
  try {
    secrets_from_files = phonechat::LoadSecretFiles({std::begin(phonechat::kSecretVariables), std::end(phonechat::kSecretVariables)});
    app.parse(argc, argv);
  } catch (const phonechat::UsageError& error) {
    std::fprintf(stderr, "%s: %s\n", kProgram, error.what());
    return 2;
  } catch (const CLI::ParseError& error) {
    // Misuse of any command exits 2, as its UsageErrors do (--help and --version exit 0). A bad value names where
    // it came from: the flag or the variable.
    if (error.get_exit_code() == 0 || !serve_command->parsed()) return app.exit(error) != 0 ? 2 : 0;
    std::fprintf(stderr, "%s: %s (see --help)\n", kProgram,
                 phonechat::DescribeParseError(*serve_command, arguments, error.what()).c_str());
    return 2;
  }

  try {
    if (*serve_command) {
      phonechat::SettingSources sources = phonechat::FlagAndVariableSources(*serve_command, arguments, secrets_from_files);
      if (!config_path.empty()) phonechat::ApplyConfigFile(*serve_command, config_path, sources);
      if (print_config) {
        std::fputs(phonechat::EffectiveConfiguration(
                       *serve_command, sources, {"db", "db-read"},
                       std::string("# ") + kProgram + " " + PHONECHAT_VERSION +
                           " serve: the effective configuration. Each setting comes from its flag, else its "
                           "variable,\n# else the configuration file, else its default; passwords are masked.\n")
                       .c_str(),
                   stdout);
        return 0;
      }
      serve.database_given = serve_db->count() > 0;
      serve.access_log = access_log == "stdout";
      return phonechat::RunServe(serve);
    }
    if (*import_command) return phonechat::RunImport(import);
    if (*export_command) return phonechat::RunExport(export_records);
    if (*token_command) return phonechat::RunToken(token);
    if (*revoke_command) return phonechat::RunRevoke(revoke);
    if (*migrate_command) return phonechat::RunMigrate(migrate);
    if (*generate_command) return phonechat::RunGenerate(generate);
    if (*credits_add_command) return phonechat::RunCreditsAdd(credits_add);
    if (*ledger_verify_command) return phonechat::RunLedgerVerify(ledger_verify);
    if (*project_create_command) {
      project_create.database_url = project_database_url;
      return phonechat::RunProjectCreate(project_create);
    }
    if (*project_list_command) return phonechat::RunProjectList(project_database_url);
    if (*project_disable_command) return phonechat::RunProjectDisable(project_database_url, project_client_id);
    if (*routes_command) return phonechat::RunRoutes();
  } catch (const phonechat::UsageError& error) {
    std::fprintf(stderr, "%s: %s\n", kProgram, error.what());
    return 2;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s: %s\n", kProgram, error.what());
    return 1;
  }
  return 2;
}
