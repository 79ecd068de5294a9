// The Unified Login's store on SQLite.
#pragma once

#include <memory>
#include <string>

#include "storage/oauth_store.hpp"

namespace phonechat {

// Opens the Unified Login's store on the SQLite file at `path` (creating and migrating it like
// OpenSqliteStore) on a connection of its own. Throws UsageError naming the file when it cannot be opened, is
// not a SQLite database, or has a schema newer than this program.
std::unique_ptr<OAuthStore> OpenSqliteOAuthStore(const std::string& path);

}  // namespace phonechat
