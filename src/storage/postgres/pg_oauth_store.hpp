// The Unified Login's store on PostgreSQL.
#pragma once

#include <memory>
#include <string>

#include "storage/oauth_store.hpp"

namespace phonechat {

// Opens the Unified Login's store on the PostgreSQL database at `uri` (a libpq connection URI), creating or
// migrating the schema like the main PostgreSQL store, on a small pool of connections of its own. Every atomic
// step (code redemption, refresh rotation, revocations) stays atomic when several processes share the database.
// Throws UsageError naming the server (never the password) when it cannot connect or the schema is newer.
std::unique_ptr<OAuthStore> OpenPostgresOAuthStore(const std::string& uri);

}  // namespace phonechat
