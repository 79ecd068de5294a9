// Parsing of sqlite:// and postgresql:// database URLs, never showing a password.

#include "storage/database_url.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <boost/url/pct_string_view.hpp>
#include <cctype>
#include <memory>
#include <string_view>

#include "core/error.hpp"
#include "storage/postgres/pg_connection.hpp"

namespace phonechat {

namespace {

constexpr const char* kUrlForms = "sqlite:///path/to/file.db, a file path, or postgresql://user@host:port/dbname";

// The scheme of `url` when it has the form `scheme://...` (RFC 3986 scheme characters), else empty.
std::string_view SchemeOf(std::string_view url) {
  const auto separator = url.find("://");
  if (separator == std::string_view::npos || separator == 0) return {};
  const auto scheme = url.substr(0, separator);
  if (std::isalpha(static_cast<unsigned char>(scheme.front())) == 0) return {};
  const bool valid = std::all_of(scheme.begin(), scheme.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
  });
  return valid ? scheme : std::string_view{};
}

std::string Lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  return lower;
}

std::string SqlitePath(const std::string& url, std::string_view scheme) {
  const std::string_view rest = std::string_view(url).substr(scheme.size() + 3);
  if (rest.empty()) throw UsageError("database URL '" + url + "' names no file");
  const auto encoded = boost::urls::make_pct_string_view(rest);
  if (!encoded) throw UsageError("database URL '" + url + "' has an invalid percent-escape");
  std::string path = encoded->decode();
  if (path.find('\0') != std::string::npos) throw UsageError("database URL '" + url + "' decodes to a NUL byte");
  if (path == ":memory:") throw UsageError("an in-memory database cannot be shared by sessions: give a file path");
  return path;
}

// libpq recognises only the lower-case schemes; everything after them is its to parse.
std::string PostgresUri(const std::string& url, std::string_view scheme) {
  std::string uri = Lower(scheme) + url.substr(scheme.size());
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), &error);
  if (options == nullptr) {
    std::string reason = error != nullptr ? std::string(error) : "out of memory";
    if (error != nullptr) PQfreemem(error);
    reason = reason.substr(0, reason.find('\n'));
    throw UsageError("database URL '" + pg::MaskPassword(uri) + "' is not a valid PostgreSQL URI: " + reason);
  }
  PQconninfoFree(options);
  return uri;
}

}  // namespace

DatabaseLocation ParseDatabaseUrl(const std::string& url) {
  if (url.empty()) throw UsageError(std::string("no database given (use ") + kUrlForms + ")");
  const auto scheme = SchemeOf(url);
  DatabaseLocation location;
  if (scheme.empty()) {
    // A plain path, taken as it is (no percent-decoding).
    if (url == ":memory:") throw UsageError("an in-memory database cannot be shared by sessions: give a file path");
    location.sqlite_path = url;
    return location;
  }
  const auto lower = Lower(scheme);
  if (lower == "postgresql" || lower == "postgres") {
    location.kind = DatabaseLocation::Kind::kPostgres;
    location.postgres_uri = PostgresUri(url, scheme);
    return location;
  }
  if (lower != "sqlite") {
    throw UsageError("unsupported database URL scheme '" + std::string(scheme) + "' (use " + kUrlForms + ")");
  }
  location.sqlite_path = SqlitePath(url, scheme);
  return location;
}

std::string DisplayDatabaseUrl(const std::string& url) {
  const std::string_view scheme = SchemeOf(url);
  return scheme.empty() || Lower(scheme) == "sqlite" ? url : pg::MaskPassword(url);
}

}  // namespace phonechat
