// The booking store on a SQLite file.
#pragma once

#include <memory>
#include <string>

#include "storage/store.hpp"

namespace phonechat {

// Opens (creating and migrating) the SQLite database file at `path`. Throws UsageError naming the file when
// it cannot be opened, is not a SQLite database, or has a schema newer than this program.
std::unique_ptr<Store> OpenSqliteStore(const std::string& path);

}  // namespace phonechat
