// Database URLs: which backend a `--db` URL names, and where.
#pragma once

#include <string>

namespace phonechat {

// Where a database URL points: a SQLite file or a PostgreSQL server.
struct DatabaseLocation {
  enum class Kind { kSqlite, kPostgres } kind = Kind::kSqlite;
  std::string sqlite_path;   // kSqlite: the file, percent-escapes of a sqlite:// URL decoded
  std::string postgres_uri;  // kPostgres: the libpq connection URI, scheme in lower case, otherwise as given
};

// Decides the backend of `url`: `sqlite:///abs/path.db` -> `/abs/path.db`, `sqlite://rel.db` -> `rel.db`, a plain
// path taken as it is, `postgresql://...` or `postgres://...` (any case) a libpq URI. Throws UsageError for an
// empty URL, an in-memory SQLite database, another scheme, or a malformed URL (never showing a password).
DatabaseLocation ParseDatabaseUrl(const std::string& url);

// `url` as it may be shown or logged: any password of a PostgreSQL URI replaced by `***`.
std::string DisplayDatabaseUrl(const std::string& url);

}  // namespace phonechat
