// Loading, ordering and paging the cached bookings, with the read-time rules applied at the service clock's now.

#include "service/made_bookings_cache.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <limits>
#include <numeric>
#include <string_view>
#include <utility>
#include <vector>

#include "service/made_bookings_paging.hpp"
#include "service/made_bookings_service.hpp"

namespace phonechat {
namespace {

// Positions per block of an order index. A filtered page skips whole blocks by counting each block's matches
// with one binary search, then walks at most the blocks its own rows are in.
constexpr std::size_t kBlock = 128;

// One order of a client's bookings as indexes into the date-descending list, with what a StartDate filter needs.
struct OrderIndex {
  std::vector<std::uint32_t> positions;     // the order, ascending (its descending twin is the exact reverse)
  std::vector<std::int64_t> created;        // CreateDate of each position, in the order
  std::vector<std::int64_t> block_created;  // the same dates, sorted ascending within each block

  void Build(std::vector<std::uint32_t> order, const std::vector<StoredBooking>& bookings) {
    positions = std::move(order);
    created.resize(positions.size());
    for (std::size_t i = 0; i < positions.size(); ++i) created[i] = bookings[positions[i]].create_date.millis;
    block_created = created;
    for (std::size_t begin = 0; begin < block_created.size(); begin += kBlock) {
      const auto end = std::min(block_created.size(), begin + kBlock);
      std::sort(block_created.begin() + static_cast<std::ptrdiff_t>(begin),
                block_created.begin() + static_cast<std::ptrdiff_t>(end));
    }
  }

  // Appends the `count` positions that follow the first `skip` among those created at or after `from`, walking
  // the order forwards or backwards.
  void SelectCreatedFrom(std::int64_t from, std::int64_t skip, std::int64_t count, bool forwards,
                         std::vector<std::uint32_t>& out) const {
    const std::size_t size = positions.size();
    const std::size_t blocks = (size + kBlock - 1) / kBlock;
    for (std::size_t step = 0; step < blocks && count > 0; ++step) {
      const std::size_t block = forwards ? step : blocks - 1 - step;
      const std::size_t begin = block * kBlock;
      const std::size_t end = std::min(size, begin + kBlock);
      const auto first = block_created.begin() + static_cast<std::ptrdiff_t>(begin);
      const auto last = block_created.begin() + static_cast<std::ptrdiff_t>(end);
      const auto matches = static_cast<std::int64_t>(last - std::lower_bound(first, last, from));
      if (matches <= skip) {
        skip -= matches;
        continue;
      }
      for (std::size_t i = 0; i < end - begin && count > 0; ++i) {
        const std::size_t at = forwards ? begin + i : end - 1 - i;
        if (created[at] < from) continue;
        if (skip > 0) {
          --skip;
          continue;
        }
        out.push_back(positions[at]);
        --count;
      }
    }
  }

  [[nodiscard]] std::size_t Bytes() const {
    return positions.capacity() * sizeof(std::uint32_t) + (created.capacity() + block_created.capacity()) * 8;
  }
};

// One booking written in one format, and the instants between which that text is its view.
struct Rendered {
  std::string text;
  LocalDateTime written_at{std::numeric_limits<std::int64_t>::max()};  // never written: never valid
  LocalDateTime valid_until{std::numeric_limits<std::int64_t>::min()};

  [[nodiscard]] bool ValidAt(LocalDateTime now) const { return written_at <= now && now < valid_until; }
};

// Sorts `order` (positions in `bookings`) by `key`, then by BookingID: the ascending direction of every order on
// that key, exactly as the store sorts it.
void SortAscending(SortKey key, const std::vector<StoredBooking>& bookings, std::vector<std::uint32_t>& order) {
  const auto sort_by = [&](const auto& key_of) {
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      const auto by_key = key_of(a) <=> key_of(b);
      return by_key != 0 ? by_key < 0 : bookings[a].booking_id < bookings[b].booking_id;
    });
  };
  switch (key) {
    case SortKey::kCreateDate:
      sort_by([&](std::uint32_t at) -> const LocalDateTime& { return bookings[at].create_date; });
      return;
    case SortKey::kNickname: {
      std::vector<std::string> folded(bookings.size());
      for (std::size_t i = 0; i < bookings.size(); ++i) folded[i] = FoldNickname(bookings[i].candidate.nickname);
      sort_by([&](std::uint32_t at) -> const std::string& { return folded[at]; });
      return;
    }
    case SortKey::kSessionDate:
      sort_by([&](std::uint32_t at) -> const LocalDateTime& { return bookings[at].session_date; });
      return;
  }
}

std::size_t HeapBytes(const std::string& text) { return text.capacity() > 15 ? text.capacity() + 1 : 0; }
std::size_t HeapBytes(const std::optional<std::string>& text) { return text ? HeapBytes(*text) : 0; }

std::size_t BookingBytes(const StoredBooking& booking) {
  return sizeof(StoredBooking) + HeapBytes(booking.phone_number) + HeapBytes(booking.skype_name) +
         HeapBytes(booking.cancelled_reason) + HeapBytes(booking.rejected_reason) + HeapBytes(booking.comments) +
         HeapBytes(booking.candidate.nickname) + HeapBytes(booking.candidate.phonechat_number) +
         HeapBytes(booking.candidate.skype_name);
}

}  // namespace

struct MadeBookingsCache::Client {
  std::vector<StoredBooking> bookings;  // CreateDate descending, then BookingID descending: the store's load order
  // Each key's ascending order (SortAscending); CreateDate's is `bookings` itself, so its index stays empty.
  std::array<OrderIndex, kSortKeyCount> by_key;
  std::array<std::vector<Rendered>, 2> rendered;  // [BodyFormat], indexed like `bookings`
  std::vector<UserId> candidates;                  // of `bookings`, ascending, each once
  std::size_t bytes = 0;

  // How many bookings pass the filter: they are a prefix of `bookings`.
  [[nodiscard]] std::int64_t CountCreatedFrom(const std::optional<LocalDateTime>& from) const {
    if (!from) return static_cast<std::int64_t>(bookings.size());
    const auto end = std::partition_point(bookings.begin(), bookings.end(),
                                          [&](const StoredBooking& b) { return b.create_date >= *from; });
    return end - bookings.begin();
  }

  // The positions [offset, offset + count) of the query's order among the `matching` bookings that pass its
  // filter, as indexes into `bookings`.
  [[nodiscard]] std::vector<std::uint32_t> Select(const MadeBookingsQuery& query, std::int64_t matching,
                                                  std::int64_t offset, std::int64_t count) const {
    std::vector<std::uint32_t> page;
    page.reserve(static_cast<std::size_t>(count));
    const auto size = static_cast<std::int64_t>(bookings.size());
    const bool ascending = !query.order.Descending();
    if (query.order.Key() == SortKey::kCreateDate) {
      // The matching bookings are a prefix of `bookings`, which is in this key's descending order.
      for (std::int64_t i = 0; i < count; ++i) {
        page.push_back(static_cast<std::uint32_t>(ascending ? matching - 1 - offset - i : offset + i));
      }
      return page;
    }
    const OrderIndex* index = &by_key[static_cast<std::size_t>(query.order.Key())];
    if (query.created_from) {
      index->SelectCreatedFrom(query.created_from->millis, offset, count, ascending, page);
      return page;
    }
    for (std::int64_t i = 0; i < count; ++i) {
      const std::int64_t at = ascending ? offset + i : size - 1 - offset - i;
      page.push_back(index->positions[static_cast<std::size_t>(at)]);
    }
    return page;
  }
};

MadeBookingsCache::MadeBookingsCache(std::size_t budget_bytes) : budget_bytes_(budget_bytes) {}

MadeBookingsCache::~MadeBookingsCache() = default;

void MadeBookingsCache::Sync(const StoreVersion& version, StoreSession& store) {
  if (synced_ && version.bookings == version_.bookings && version.list_changes == version_.list_changes) return;
  std::optional<std::vector<ListChange>> changes;
  if (synced_ && version.bookings == version_.bookings && !clients_.empty()) {
    changes = store.ListChangesSince(version_.list_changes, version.list_changes);
  }
  version_ = version;
  synced_ = true;
  if (!changes) {
    ForgetAll();
    return;
  }
  for (const ListChange& change : *changes) {
    if (change.kind == ListChange::Kind::kClient) {
      Forget(change.user_id);
      continue;
    }
    std::vector<UserId> clients_of_candidate;
    for (const auto& [client_user_id, entry] : clients_) {
      if (std::binary_search(entry.client->candidates.begin(), entry.client->candidates.end(), change.user_id)) {
        clients_of_candidate.push_back(client_user_id);
      }
    }
    for (const UserId client_user_id : clients_of_candidate) Forget(client_user_id);
  }
}

void MadeBookingsCache::ForgetAll() {
  clients_.clear();
  recency_.clear();
  bytes_held_ = 0;
}

void MadeBookingsCache::Forget(UserId client_user_id) {
  const auto found = clients_.find(client_user_id);
  if (found == clients_.end()) return;
  bytes_held_ -= found->second.client->bytes;
  recency_.erase(found->second.recency);
  clients_.erase(found);
}

MadeBookingsCache::Client& MadeBookingsCache::Load(StoreSession& store, UserId client_user_id,
                                                   const std::optional<ListStamp>& stamp) {
  MadeBookingsQuery everything;
  everything.client_user_id = client_user_id;
  everything.order = BookingOrder::kDateDesc;
  auto client = std::make_unique<Client>();
  // Booking IDs are 32-bit, so a client's history fits the largest page; one round trip where the backend has them.
  client->bookings = store.CountAndPage(everything, 0, std::numeric_limits<std::int32_t>::max()).rows;
  const auto& bookings = client->bookings;

  std::vector<std::uint32_t> order(bookings.size());
  std::iota(order.begin(), order.end(), 0U);
  std::size_t bytes = sizeof(Client);
  for (std::size_t key = 0; key < kSortKeyCount; ++key) {
    if (static_cast<SortKey>(key) == SortKey::kCreateDate) continue;
    SortAscending(static_cast<SortKey>(key), bookings, order);
    client->by_key[key].Build(order, bookings);
    bytes += client->by_key[key].Bytes();
  }
  for (auto& rendered : client->rendered) rendered.resize(bookings.size());

  for (const auto& booking : bookings) {
    bytes += BookingBytes(booking) + 2 * sizeof(Rendered);
    client->candidates.push_back(booking.candidate.user_id);
  }
  std::sort(client->candidates.begin(), client->candidates.end());
  client->candidates.erase(std::unique(client->candidates.begin(), client->candidates.end()),
                           client->candidates.end());
  bytes += client->candidates.capacity() * sizeof(UserId);
  client->bytes = bytes;

  // Another request of this thread may have loaded the client while the store calls above suspended this one.
  Forget(client_user_id);
  bytes_held_ += bytes;
  recency_.push_front(client_user_id);
  auto& entry = clients_[client_user_id];
  entry.client = std::move(client);
  entry.recency = recency_.begin();
  entry.stamp = stamp;
  return *entry.client;
}

bool MadeBookingsCache::Holds(UserId client_user_id, const ListStamp& stamp) const {
  const auto found = clients_.find(client_user_id);
  return found != clients_.end() && found->second.stamp == stamp;
}

bool MadeBookingsCache::WritePage(StoreSession& store, const MadeBookingsQuery& query, LocalDateTime now,
                                  BodyFormat format, std::string& out, const std::optional<ListStamp>& stamp) {
  assert(synced_ || stamp);
  Client* client = nullptr;
  const auto found = clients_.find(query.client_user_id);
  const bool load = found == clients_.end() || (stamp && found->second.stamp != stamp);
  if (load) {
    client = &Load(store, query.client_user_id, stamp);
  } else {
    recency_.splice(recency_.begin(), recency_, found->second.recency);
    client = found->second.client.get();
  }

  PrerenderedPage page;
  const std::int64_t total = client->CountCreatedFrom(query.created_from);
  page.totals = PageTotals(query, total);
  const PageSpan span = PageSpan::Of(query);
  const std::int64_t count = span.CountOf(total);

  auto& rendered = client->rendered[format == BodyFormat::kXml ? 1 : 0];
  page.bookings.reserve(static_cast<std::size_t>(count));
  for (const std::uint32_t at : client->Select(query, total, span.offset, count)) {
    Rendered& piece = rendered[at];
    if (!piece.ValidAt(now)) {
      const StoredBooking& booking = client->bookings[at];
      const std::size_t before = HeapBytes(piece.text);
      piece.text.clear();
      const MadeBookingView view = ViewMadeBooking(booking, now);
      if (format == BodyFormat::kXml) {
        AppendMadeBookingXml(piece.text, view);
      } else {
        AppendMadeBookingJson(piece.text, view);
      }
      piece.written_at = now;
      piece.valid_until = ViewValidUntil(booking, now);
      const std::size_t after = HeapBytes(piece.text);
      client->bytes = client->bytes - before + after;
      bytes_held_ = bytes_held_ - before + after;
    }
    page.bookings.push_back(piece.text);
  }
  WritePrerenderedMadeBookings(out, page, format);
  EvictBeyondBudget(query.client_user_id);
  return load;
}

void MadeBookingsCache::EvictBeyondBudget(UserId keep) {
  while (bytes_held_ > budget_bytes_ && clients_.size() > 1) {
    const UserId victim = recency_.back();
    if (victim == keep) break;
    Forget(victim);
  }
}

}  // namespace phonechat
