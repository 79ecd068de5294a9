// OpenOAuthStore: the Unified Login's store on the backend a database URL names.

#include <string>

#include "storage/database_url.hpp"
#include "storage/oauth_store.hpp"
#include "storage/postgres/pg_oauth_store.hpp"
#include "storage/sqlite/sqlite_oauth_store.hpp"

namespace phonechat {

std::unique_ptr<OAuthStore> OpenOAuthStore(const std::string& url) {
  const DatabaseLocation location = ParseDatabaseUrl(url);
  if (location.kind == DatabaseLocation::Kind::kPostgres) return OpenPostgresOAuthStore(location.postgres_uri);
  return OpenSqliteOAuthStore(location.sqlite_path);
}

}  // namespace phonechat
