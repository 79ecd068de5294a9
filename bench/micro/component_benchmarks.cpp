#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "benchmarks.hpp"
#include "data_set.hpp"
#include "domain/local_date_time.hpp"
#include "serialization/body_writer.hpp"
#include "service/authentication.hpp"
#include "service/lookup_cache.hpp"
#include "service/made_bookings_cache.hpp"
#include "service/made_bookings_service.hpp"

namespace phonechat::micro {
namespace {

// As many lookups as a serving thread's LookupCache keeps (src/api/router.cpp).
constexpr std::size_t kLookupEntries = 50'000;

// One serving thread's session and caches, kept for the whole run as a serving thread keeps them.
struct Thread {
  explicit Thread(const DataSet& data)
      : session(data.GetStore().OpenSession()), lookups(kLookupEntries), lists(kListCacheBytes) {
    const std::optional<StoreVersion> version = session->Version();
    if (!version) throw std::logic_error("the SQLite store reports no version");
    lookups.Sync(version->credentials);
    lists.Sync(*version, *session);
  }

  std::unique_ptr<StoreSession> session;
  LookupCache lookups;
  MadeBookingsCache lists;
};

Thread& SharedThread() {
  static Thread thread(SharedDataSet());
  return thread;
}

// ---------------------------------------------------------------- token check

std::vector<std::string> Authorizations(const DataSet& data, bool known) {
  std::vector<std::string> headers;
  if (known) {
    for (const ClientToken& client : data.Typical()) headers.push_back("Bearer " + client.token);
  } else {
    for (const std::string& token : data.UnknownTokens()) headers.push_back("Bearer " + token);
  }
  return headers;
}

void CheckTokens(benchmark::State& state, bool cached, bool known) {
  const DataSet& data = SharedDataSet();
  Thread& thread = SharedThread();
  const std::vector<std::string> headers = Authorizations(data, known);
  const std::int64_t now_unix = ServiceClock::UnixSecondsNow();
  const auto check = [&](const std::string& header) {
    Credentials credentials;
    credentials.authorization = header;
    if (!cached) return Authenticate(*thread.session, credentials, now_unix);
    CachingStoreSession lookups(*thread.session, thread.lookups);
    return Authenticate(lookups, credentials, now_unix);
  };
  for (const std::string& header : headers) {
    if (check(header).has_value() != known) {
      state.SkipWithError(known ? "a stored token was refused" : "an unknown token was accepted");
      return;
    }
  }
  std::size_t next = 0;
  for (auto _ : state) {
    const Result<Principal> principal = check(headers[next]);
    if (++next == headers.size()) next = 0;
    benchmark::DoNotOptimize(&principal);
  }
}

void ReadVersion(benchmark::State& state) {
  Thread& thread = SharedThread();
  for (auto _ : state) {
    const std::optional<StoreVersion> version = thread.session->Version();
    benchmark::DoNotOptimize(&version);
  }
}

// ---------------------------------------------------------------- page query

struct PageCase {
  std::string name;
  bool typical = false;  // each typical client's first page in turn; otherwise the heavy client's
  BookingOrder order = BookingOrder::kDateDesc;
  bool since_start_date = false;
  std::int32_t page_number = 1;  // 0: the page nine tenths of the way through the filtered list
};

std::vector<MadeBookingsQuery> Queries(const DataSet& data, const PageCase& c) {
  MadeBookingsQuery query;
  query.bookings_per_page = 50;
  query.order = c.order;
  if (c.since_start_date) query.created_from = ParseLocalDay(kHeavyStartDate);
  query.page_number = c.page_number;
  if (c.page_number == 0) {
    const std::int64_t pages = (data.HeavyListedSince() + 49) / 50;
    query.page_number = static_cast<std::int32_t>(std::max<std::int64_t>(pages * 9 / 10, 1));
  }
  std::vector<MadeBookingsQuery> queries;
  if (!c.typical) {
    query.client_user_id = data.Heavy().user_id;
    queries.push_back(query);
    return queries;
  }
  for (const ClientToken& client : data.Typical()) {
    query.client_user_id = client.user_id;
    queries.push_back(query);
  }
  return queries;
}

std::int64_t Offset(const MadeBookingsQuery& query) {
  return static_cast<std::int64_t>(query.page_number - 1) * query.bookings_per_page;
}

void CountAndPageOnSqlite(benchmark::State& state, const PageCase& c) {
  Thread& thread = SharedThread();
  const std::vector<MadeBookingsQuery> queries = Queries(SharedDataSet(), c);
  std::size_t next = 0;
  std::int64_t rows = 0;
  for (auto _ : state) {
    const MadeBookingsQuery& query = queries[next];
    if (++next == queries.size()) next = 0;
    const CountedPage page = thread.session->CountAndPage(query, Offset(query), query.bookings_per_page);
    rows += static_cast<std::int64_t>(page.rows.size());
    benchmark::DoNotOptimize(&page);
  }
  state.SetItemsProcessed(rows);
}

void WritePageFromCache(benchmark::State& state, const PageCase& c, BodyFormat format) {
  const DataSet& data = SharedDataSet();
  Thread& thread = SharedThread();
  const std::vector<MadeBookingsQuery> queries = Queries(data, c);
  const LocalDateTime now = data.Clock().LocalNow();
  std::string out;
  // Every query once, untimed: loads the clients and writes their bookings, as earlier requests would have.
  for (const MadeBookingsQuery& query : queries) thread.lists.WritePage(*thread.session, query, now, format, out);
  std::size_t next = 0;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    const MadeBookingsQuery& query = queries[next];
    if (++next == queries.size()) next = 0;
    out.clear();
    thread.lists.WritePage(*thread.session, query, now, format, out);
    bytes += static_cast<std::int64_t>(out.size());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(bytes);
}

// ---------------------------------------------------------------- body writing

// A page of 50 bookings of one typical client, the rows its views point into, and each booking written alone.
struct WrittenPage {
  MadeBookingsAnswer answer;
  std::string whole;
  std::vector<std::string> pieces;
  PrerenderedPage prerendered;
};

WrittenPage BuildPage(BodyFormat format) {
  const DataSet& data = SharedDataSet();
  MadeBookingsQuery query;
  query.client_user_id = data.FullPage().user_id;
  query.bookings_per_page = 50;
  WrittenPage page;
  page.answer = ListMadeBookings(*SharedThread().session, query, data.Clock().LocalNow());
  WriteMadeBookings(page.whole, page.answer.page, format);
  for (const MadeBookingView& view : page.answer.page.bookings) {
    std::string& piece = page.pieces.emplace_back();
    if (format == BodyFormat::kXml) {
      AppendMadeBookingXml(piece, view);
    } else {
      AppendMadeBookingJson(piece, view);
    }
  }
  page.prerendered.totals = page.answer.page;
  page.prerendered.totals.bookings.clear();
  for (const std::string& piece : page.pieces) page.prerendered.bookings.emplace_back(piece);
  return page;
}

void WriteWholePage(benchmark::State& state, BodyFormat format) {
  const WrittenPage page = BuildPage(format);
  if (page.answer.page.bookings.size() != 50) {
    state.SkipWithError("the page does not hold 50 bookings");
    return;
  }
  std::string out;
  for (auto _ : state) {
    out.clear();
    WriteMadeBookings(out, page.answer.page, format);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * page.whole.size()));
}

void WritePrerenderedPage(benchmark::State& state, BodyFormat format) {
  const WrittenPage page = BuildPage(format);
  std::string out;
  WritePrerenderedMadeBookings(out, page.prerendered, format);
  if (out != page.whole) {
    state.SkipWithError("the prerendered page differs from the page written whole");
    return;
  }
  for (auto _ : state) {
    out.clear();
    WritePrerenderedMadeBookings(out, page.prerendered, format);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * page.whole.size()));
}

}  // namespace

void RegisterComponentBenchmarks() {
  for (const bool cached : {true, false}) {
    for (const bool known : {true, false}) {
      const std::string name =
          std::string("auth/") + (cached ? "cached/" : "sqlite/") + (known ? "stored_token" : "unknown_token");
      benchmark::RegisterBenchmark(name.c_str(),
                                   [cached, known](benchmark::State& state) { CheckTokens(state, cached, known); });
    }
  }
  benchmark::RegisterBenchmark("store/version", ReadVersion);

  const std::int32_t pages = static_cast<std::int32_t>((kHeavySize + 49) / 50);
  const std::vector<PageCase> pages_cases{
      {"typical/page_1", true, BookingOrder::kDateDesc, false, 1},
      {"heavy/page_1", false, BookingOrder::kDateDesc, false, 1},
      {"heavy/page_" + std::to_string(pages * 3 / 4), false, BookingOrder::kDateDesc, false, pages * 3 / 4},
      {"heavy/nickname_asc_page_" + std::to_string(pages / 2), false, BookingOrder::kNicknameAsc, false, pages / 2},
      {"heavy/start_date_page_1", false, BookingOrder::kDateDesc, true, 1},
      {"heavy/start_date_deep_page", false, BookingOrder::kDateDesc, true, 0},
  };
  for (const PageCase& c : pages_cases) {
    benchmark::RegisterBenchmark(("query/sqlite_count_and_page/" + c.name).c_str(),
                                 [c](benchmark::State& state) { CountAndPageOnSqlite(state, c); });
  }
  for (const PageCase& c : pages_cases) {
    benchmark::RegisterBenchmark(("query/cache_write_page/" + c.name).c_str(),
                                 [c](benchmark::State& state) { WritePageFromCache(state, c, BodyFormat::kJson); });
  }

  for (const BodyFormat format : {BodyFormat::kJson, BodyFormat::kXml}) {
    const std::string suffix = format == BodyFormat::kXml ? "xml_50" : "json_50";
    benchmark::RegisterBenchmark(("write/made_bookings/" + suffix).c_str(),
                                 [format](benchmark::State& state) { WriteWholePage(state, format); });
    benchmark::RegisterBenchmark(("write/prerendered/" + suffix).c_str(),
                                 [format](benchmark::State& state) { WritePrerenderedPage(state, format); });
  }
}

}  // namespace phonechat::micro
