#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/router.hpp"
#include "benchmarks.hpp"
#include "data_set.hpp"
#include "memory_request.hpp"

namespace phonechat::micro {
namespace {

// Passes every call to the SQLite session but reports no version, as a backend that cannot tell cheaply: the
// handler then caches no lookup and no list, and every request reads the database.
class VersionlessSession final : public ForwardingStoreSession {
 public:
  explicit VersionlessSession(std::unique_ptr<StoreSession> inner)
      : ForwardingStoreSession(*inner), owned_(std::move(inner)) {}

  std::optional<StoreVersion> Version() override { return std::nullopt; }

 private:
  std::unique_ptr<StoreSession> owned_;
};

// A Store whose sessions are VersionlessSessions of `inner`'s.
class VersionlessStore final : public Store {
 public:
  explicit VersionlessStore(Store& inner) : inner_(inner) {}

  std::unique_ptr<StoreSession> OpenSession() override {
    return std::make_unique<VersionlessSession>(inner_.OpenSession());
  }
  std::unique_ptr<WriteBatch> BeginWriteBatch() override { return inner_.BeginWriteBatch(); }
  void InsertToken(const NewToken& token) override { inner_.InsertToken(token); }
  bool RevokeToken(std::string_view token_hash) override { return inner_.RevokeToken(token_hash); }
  bool IsEmpty() override { return inner_.IsEmpty(); }
  std::unique_ptr<LifecycleTransaction> BeginLifecycle() override { return inner_.BeginLifecycle(); }
  LedgerAudit AuditLedger() override { return inner_.AuditLedger(); }

 private:
  Store& inner_;
};

ApiContext MakeContext(Store& store, const ServiceClock& clock) {
  ApiContext context;
  context.store = &store;
  context.clock = &clock;
  context.list_cache_bytes = kListCacheBytes;
  return context;
}

// One serving thread's handler with its caches, and one without; both live for the whole run, as a serving
// thread's handler lives for the whole server, so that what one case loads stays for the next.
struct Handlers {
  explicit Handlers(const DataSet& data)
      : versionless(data.GetStore()),
        cached_context(MakeContext(data.GetStore(), data.Clock())),
        uncached_context(MakeContext(versionless, data.Clock())),
        cached(cached_context),
        uncached(uncached_context) {}

  VersionlessStore versionless;
  ApiContext cached_context;
  ApiContext uncached_context;
  ApiHandler cached;
  ApiHandler uncached;
};

Handlers& SharedHandlers() {
  static Handlers handlers(SharedDataSet());
  return handlers;
}

// Whose tokens a case sends.
enum class Tokens {
  kTypical,  // each typical client's in turn
  kHeavy,    // the heavy client's
  kUnknown,  // each of the data set's unknown tokens in turn (the handler remembers them after the first)
  kFresh,    // a token never sent before on every request
};

struct Case {
  std::string name;
  Tokens tokens = Tokens::kTypical;
  std::string target;
  bool xml = false;
  int status = 200;
  std::optional<std::int64_t> bookings_total;  // checked in JSON answers
};

constexpr std::string_view kList = "/v1/PhoneChat/MadeBookings";

std::vector<MemoryRequest> Requests(const DataSet& data, const Case& c) {
  std::vector<MemoryRequest> requests;
  switch (c.tokens) {
    case Tokens::kTypical:
      for (const ClientToken& client : data.Typical()) requests.push_back(ListRequest(c.target, client.token, c.xml));
      break;
    case Tokens::kHeavy:
      requests.push_back(ListRequest(c.target, data.Heavy().token, c.xml));
      break;
    case Tokens::kUnknown:
      for (const std::string& token : data.UnknownTokens()) requests.push_back(ListRequest(c.target, token, c.xml));
      break;
    case Tokens::kFresh:
      requests.push_back(ListRequest(c.target, data.UnknownTokens().front(), c.xml));
      break;
  }
  return requests;
}

// Writes `counter` over the token's last 11 characters (66 bits of base64url), so that no token repeats.
void MakeFresh(MemoryRequest& request, std::uint64_t counter) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string& authorization = request.MutableHeader("Authorization");
  for (std::size_t i = 1; i <= 11; ++i, counter >>= 6) {
    authorization[authorization.size() - i] = kAlphabet[counter & 63];
  }
}

// Why `response` is not the case's answer, or an empty string when it is.
std::string Mismatch(const Case& c, const http::Response& response) {
  if (response.status != c.status) {
    return "status " + std::to_string(response.status) + ", expected " + std::to_string(c.status) + ": " +
           response.body.substr(0, 200);
  }
  if (c.bookings_total && !c.xml &&
      response.body.find("\"BookingsTotal\":" + std::to_string(*c.bookings_total) + ",") == std::string::npos) {
    return "BookingsTotal is not " + std::to_string(*c.bookings_total) + ": " + response.body.substr(0, 200);
  }
  return {};
}

void RunCase(benchmark::State& state, const Case& c, bool cached) {
  const DataSet& data = SharedDataSet();
  ApiHandler& handler = cached ? SharedHandlers().cached : SharedHandlers().uncached;
  std::vector<MemoryRequest> requests = Requests(data, c);
  // Every request once, untimed: loads what the caches keep, and checks the answers.
  for (const MemoryRequest& request : requests) {
    if (const std::string mismatch = Mismatch(c, handler.Handle(request)); !mismatch.empty()) {
      state.SkipWithError(mismatch.c_str());
      return;
    }
  }
  std::size_t next = 0;
  std::uint64_t fresh = 0;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    MemoryRequest& request = requests[next];
    if (++next == requests.size()) next = 0;
    if (c.tokens == Tokens::kFresh) MakeFresh(request, ++fresh);
    const http::Response response = handler.Handle(request);
    bytes += static_cast<std::int64_t>(response.body.size());
    benchmark::DoNotOptimize(response.body.data());
  }
  state.SetBytesProcessed(bytes);
  state.counters["body_bytes"] = benchmark::Counter(static_cast<double>(bytes), benchmark::Counter::kAvgIterations);
}

}  // namespace

void RegisterHandlerBenchmarks() {
  // The heavy client's deep pages are those of bench/run.sh: three quarters of the way, and half way by nickname.
  const std::int64_t pages = (kHeavySize + 49) / 50;
  const std::string per_page = std::string(kList) + "?BookingsPerPage=50";
  const std::string start_date = per_page + "&StartDate=" + std::string(kHeavyStartDate);
  std::vector<Case> lists{
      {"list/typical/json_50", Tokens::kTypical, per_page, false, 200, std::nullopt},
      {"list/typical/json_10", Tokens::kTypical, std::string(kList) + "?BookingsPerPage=10", false, 200, std::nullopt},
      {"list/typical/xml_50", Tokens::kTypical, per_page, true, 200, std::nullopt},
      {"list/heavy/page_1", Tokens::kHeavy, per_page, false, 200, kHeavySize},
      {"list/heavy/page_" + std::to_string(pages * 3 / 4), Tokens::kHeavy,
       per_page + "&PageNumber=" + std::to_string(pages * 3 / 4), false, 200, kHeavySize},
      {"list/heavy/nickname_asc_page_" + std::to_string(pages / 2), Tokens::kHeavy,
       per_page + "&OrderBy=nickname-asc&PageNumber=" + std::to_string(pages / 2), false, 200, kHeavySize},
      {"list/heavy/start_date_page_1", Tokens::kHeavy, start_date, false, 200, std::nullopt},
      {"list/heavy/start_date_deep_page", Tokens::kHeavy, start_date, false, 200, std::nullopt},
      {"unauthorized/unknown_token", Tokens::kUnknown, per_page, false, 401, std::nullopt},
      {"unauthorized/fresh_token", Tokens::kFresh, per_page, false, 401, std::nullopt},
  };
  // The StartDate cases' total and deep page are known only once the data set exists: each run fills them in.
  for (const bool cached : {true, false}) {
    for (const Case& c : lists) {
      const std::string name = (cached ? "handler/" : "handler_uncached/") + c.name;
      benchmark::RegisterBenchmark(name.c_str(), [c, cached](benchmark::State& state) {
        Case resolved = c;
        if (resolved.name.starts_with("list/heavy/start_date")) {
          const std::int64_t since = SharedDataSet().HeavyListedSince();
          resolved.bookings_total = since;
          if (resolved.name.ends_with("deep_page")) {
            const std::int64_t pages_since = (since + 49) / 50;
            resolved.target += "&PageNumber=" + std::to_string(std::max<std::int64_t>(pages_since * 9 / 10, 1));
          }
        }
        RunCase(state, resolved, cached);
      });
    }
  }
  const Case not_found{"not_found", Tokens::kTypical, "/v1/PhoneChat/MadeBooking", false, 404, std::nullopt};
  benchmark::RegisterBenchmark("handler/not_found",
                               [not_found](benchmark::State& state) { RunCase(state, not_found, true); });
}

}  // namespace phonechat::micro
