#pragma once

namespace phonechat::micro {

// Registers `http/...`: Beast's request parser on a typical GET of the list.
void RegisterParseBenchmarks();

// Registers `handler/...` and `handler_uncached/...`: ApiHandler::Handle on in-memory requests, with the serving
// thread's caches and without them (a store that reports no versions, so every request reads SQLite).
void RegisterHandlerBenchmarks();

// Registers `auth/...`, `query/...` and `write/...`: the token check, the page query and the body writers alone.
void RegisterComponentBenchmarks();

}  // namespace phonechat::micro
