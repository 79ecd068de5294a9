// One serving thread's token lookups, sent to the store together: the round trips of concurrent requests shared.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string_view>

#include "storage/store.hpp"

namespace phonechat {

// Sends the token lookups of one serving thread's concurrent requests to the store together. At most
// `max_in_flight` batches are in flight at once, each sent on its sender's own request session. A lookup that finds
// fewer sends one at once (itself alone); otherwise it queues and parks (IoWaiter::Park), and when a batch is
// answered, the first lookup still queued sends the next batch with every lookup queued behind it (at most
// `max_batch`). So a lookup waits at most for one batch in flight and its own, an idle thread pays no wait at all, and
// under load one round trip serves many requests. Without an IoWaiter installed (no coroutines: nothing runs
// meanwhile), a lookup goes straight to its session. Not thread-safe: one per serving thread.
class TokenLookupBatcher {
 public:
  explicit TokenLookupBatcher(std::size_t max_in_flight = 1, std::size_t max_batch = 128);
  ~TokenLookupBatcher();
  TokenLookupBatcher(const TokenLookupBatcher&) = delete;
  TokenLookupBatcher& operator=(const TokenLookupBatcher&) = delete;

  // As `session.FindToken(token_hash)`, in a batch; throws what the batch's StoreSession::FindTokens threw, and
  // StoreUnavailable when the thread shuts down while the lookup waits.
  std::optional<TokenRecord> Find(StoreSession& session, std::string_view token_hash);

 private:
  struct Lookup;
  // Sends the queue's first lookups (`own` first among them) on `session` and hands every answer out.
  void Send(StoreSession& session, const std::shared_ptr<Lookup>& own);
  // A batch's slot is free: the first lookup queued and not chosen already takes it (and is resumed to send), or the
  // slot goes.
  void PassSlot();

  std::size_t max_in_flight_;
  std::size_t max_batch_;
  // Batches in flight, and lookups chosen to send one that have yet to resume (each holds a slot). While the queue
  // holds a lookup not chosen, this is max_in_flight_.
  std::size_t in_flight_ = 0;
  std::deque<std::shared_ptr<Lookup>> queue_;
};

}  // namespace phonechat
