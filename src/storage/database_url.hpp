#pragma once

#include <string>

namespace phonechat {

// The SQLite file named by a database URL: `sqlite:///abs/path.db` -> `/abs/path.db`, `sqlite://rel.db` ->
// `rel.db` (percent-escapes decoded), or a plain path taken as it is. Throws UsageError for an empty URL, an
// in-memory database, another scheme (PostgreSQL named as not supported yet) or a malformed URL.
std::string SqlitePathFromUrl(const std::string& url);

}  // namespace phonechat
