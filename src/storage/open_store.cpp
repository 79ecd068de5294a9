// OpenStore and OpenReadReplica: the booking store on the backend a database URL names.

#include <string>

#include "core/error.hpp"
#include "storage/database_url.hpp"
#include "storage/postgres/postgres_store.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage/store.hpp"

namespace phonechat {

std::unique_ptr<Store> OpenStore(const std::string& url) {
  const DatabaseLocation location = ParseDatabaseUrl(url);
  if (location.kind == DatabaseLocation::Kind::kPostgres) return OpenPostgresStore(location.postgres_uri);
  return OpenSqliteStore(location.sqlite_path);
}

std::unique_ptr<Store> OpenReadReplica(const std::string& url) {
  const DatabaseLocation location = ParseDatabaseUrl(url);
  if (location.kind != DatabaseLocation::Kind::kPostgres) {
    throw UsageError("a read replica must be a PostgreSQL database (postgresql://...), got '" + url + "'");
  }
  return OpenPostgresReadReplica(location.postgres_uri);
}

}  // namespace phonechat
