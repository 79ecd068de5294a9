#include <string>

#include "storage/database_url.hpp"
#include "storage/oauth_store.hpp"
#include "storage/sqlite/sqlite_oauth_store.hpp"

namespace phonechat {

std::unique_ptr<OAuthStore> OpenOAuthStore(const std::string& url) {
  return OpenSqliteOAuthStore(SqlitePathFromUrl(url));
}

}  // namespace phonechat
