// TokenLookupBatcher: a leader per batch, parked followers, and leadership handed to the first lookup still queued.

#include "service/token_lookup_batcher.hpp"

#include <algorithm>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/io_wait.hpp"

namespace phonechat {

// One lookup. Shared with the batch that carries it, so that a lookup abandoned while its batch is in flight (the
// thread shutting down) leaves the batch nothing dangling to read or write.
struct TokenLookupBatcher::Lookup {
  std::string token_hash;
  IoWaiter* waiter = nullptr;
  bool sends = false;     // chosen to send the next batch
  bool answered = false;  // `record` or `failure` is set
  bool abandoned = false;
  std::optional<TokenRecord> record;
  std::exception_ptr failure;
};

TokenLookupBatcher::TokenLookupBatcher(std::size_t max_in_flight, std::size_t max_batch)
    : max_in_flight_(std::max<std::size_t>(1, max_in_flight)), max_batch_(std::max<std::size_t>(1, max_batch)) {}

TokenLookupBatcher::~TokenLookupBatcher() = default;

std::optional<TokenRecord> TokenLookupBatcher::Find(StoreSession& session, std::string_view token_hash) {
  IoWaiter* waiter = CurrentIoWaiter();
  if (waiter == nullptr) return session.FindToken(token_hash);
  auto own = std::make_shared<Lookup>();
  own->token_hash.assign(token_hash);
  own->waiter = waiter;
  queue_.push_back(own);
  if (in_flight_ < max_in_flight_) {
    ++in_flight_;  // no lookup queued is waiting for a slot
  } else {
    while (!own->answered && !own->sends) {
      if (waiter->Park()) continue;
      // Shutting down: leave the queue; a lookup chosen to send passes its slot on.
      own->abandoned = true;
      const auto queued = std::find(queue_.begin(), queue_.end(), own);
      if (queued != queue_.end()) queue_.erase(queued);
      if (own->sends) PassSlot();
      throw StoreUnavailable("the server is shutting down");
    }
  }
  if (!own->answered) Send(session, own);
  if (own->failure) std::rethrow_exception(own->failure);
  return std::move(own->record);
}

void TokenLookupBatcher::Send(StoreSession& session, const std::shared_ptr<Lookup>& own) {
  // The sender first (it is normally the queue's first, but need not be), then the queue's first others.
  std::vector<std::shared_ptr<Lookup>> batch{own};
  queue_.erase(std::find(queue_.begin(), queue_.end(), own));
  const std::size_t count = std::min(queue_.size(), max_batch_ - 1);
  batch.insert(batch.end(), queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(count));
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(count));
  // A lookup behind the sender may have been chosen to send too and not have resumed yet: this batch answers it,
  // and the slot it held goes on.
  for (const auto& lookup : batch) {
    if (lookup == own || !lookup->sends) continue;
    lookup->sends = false;
    PassSlot();
  }
  std::vector<std::string_view> hashes;
  hashes.reserve(batch.size());
  for (const auto& lookup : batch) hashes.push_back(lookup->token_hash);
  std::exception_ptr failure;
  std::vector<std::optional<TokenRecord>> records;
  try {
    records = session.FindTokens(hashes);
    if (records.size() != batch.size()) throw std::logic_error("FindTokens answered another number of tokens");
  } catch (...) {
    failure = std::current_exception();
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Lookup& lookup = *batch[i];
    if (failure) {
      lookup.failure = failure;
    } else {
      lookup.record = std::move(records[i]);
    }
    lookup.answered = true;
    if (&lookup != own.get() && !lookup.abandoned) lookup.waiter->Unpark();
  }
  PassSlot();
}

void TokenLookupBatcher::PassSlot() {
  // The first lookup queued that is not chosen already: two batches may end before the first one chosen resumes.
  const auto next = std::find_if(queue_.begin(), queue_.end(), [](const auto& lookup) { return !lookup->sends; });
  if (next == queue_.end()) {
    --in_flight_;
    return;
  }
  (*next)->sends = true;
  (*next)->waiter->Unpark();
}

}  // namespace phonechat
