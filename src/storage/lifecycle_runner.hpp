#pragma once

// How life-cycle work reaches the database: each request in a transaction of its own, or many requests in one
// transaction with one durable commit (group commit; docs/lifecycle.md, "Atomicity and durability").

#include <cstddef>
#include <functional>
#include <memory>

#include "storage/lifecycle_store.hpp"
#include "storage/store.hpp"

namespace phonechat {

// The work of one request: reads and writes through the transaction it is given, never commits it.
using LifecycleWork = std::function<void(LifecycleTransaction&)>;

// Runs life-cycle work and returns once its writes are durable. Thread-safe.
class LifecycleRunner {
 public:
  virtual ~LifecycleRunner() = default;
  // Runs `work` in a life-cycle transaction and commits it. Throws what `work` throws (none of its writes is kept),
  // and StoreUnavailable or TransactionConflict from the database (then nothing of it is kept either).
  virtual void Run(const LifecycleWork& work) = 0;
};

// Each piece of work on the calling thread, in a transaction of its own. `store` must outlive the runner.
std::unique_ptr<LifecycleRunner> NewDirectRunner(Store& store);

// Group commit: one writer thread takes every piece of work waiting (at most `max_batch`), runs each in a savepoint
// of one transaction, commits once and then wakes every caller. A caller waits through its thread's IoWaiter (a
// request's coroutine suspends) or in poll(). Work still queued at destruction is run before the thread ends.
// `store` must outlive the runner.
std::unique_ptr<LifecycleRunner> NewGroupCommitter(Store& store, std::size_t max_batch = 256);

}  // namespace phonechat
