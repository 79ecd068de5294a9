// The booking store on PostgreSQL, and a read replica of it.
#pragma once

#include <memory>
#include <string>

#include "storage/store.hpp"

namespace phonechat {

// Opens (creating or migrating) the PostgreSQL database at `uri` (a libpq connection URI). Sessions and write
// batches open connections of their own; a lost connection throws StoreUnavailable and the next call reconnects.
// A write batch is one transaction, streams its bookings with COPY, and checks whether their IDs are taken in bulk
// at Commit() (RecordRejected). Throws UsageError naming the server (never the password)
// when it cannot connect, the URI is malformed, or the schema is newer than this program.
std::unique_ptr<Store> OpenPostgresStore(const std::string& uri);

// Opens the hot standby at `uri` for sessions only (see OpenReadReplica in store.hpp).
std::unique_ptr<Store> OpenPostgresReadReplica(const std::string& uri);

}  // namespace phonechat
