#include "storage/database_url.hpp"

#include <algorithm>
#include <boost/url/pct_string_view.hpp>
#include <cctype>
#include <string_view>

#include "core/error.hpp"

namespace phonechat {

namespace {

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

}  // namespace

std::string SqlitePathFromUrl(const std::string& url) {
  if (url.empty()) throw UsageError("no database given (use sqlite:///path/to/file.db or a file path)");
  const auto scheme = SchemeOf(url);
  if (scheme.empty()) {
    if (url == ":memory:") throw UsageError("an in-memory database cannot be shared by sessions: give a file path");
    return url;
  }
  const auto lower = Lower(scheme);
  if (lower == "postgresql" || lower == "postgres") {
    throw UsageError("PostgreSQL is not supported yet (database URL scheme '" + std::string(scheme) +
                     "'): use sqlite:///path/to/file.db");
  }
  if (lower != "sqlite") {
    throw UsageError("unsupported database URL scheme '" + std::string(scheme) + "' (use sqlite:///path/to/file.db)");
  }
  const std::string_view rest = std::string_view(url).substr(scheme.size() + 3);
  if (rest.empty()) throw UsageError("database URL '" + url + "' names no file");
  const auto encoded = boost::urls::make_pct_string_view(rest);
  if (!encoded) throw UsageError("database URL '" + url + "' has an invalid percent-escape");
  std::string path = encoded->decode();
  if (path.find('\0') != std::string::npos) throw UsageError("database URL '" + url + "' decodes to a NUL byte");
  if (path == ":memory:") throw UsageError("an in-memory database cannot be shared by sessions: give a file path");
  return path;
}

}  // namespace phonechat
