// The micro-benchmarks' data set: generated, imported once into a temporary SQLite database, with tokens minted for
// the clients every benchmark reads as.
#include "data_set.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>
#include <system_error>

#include "api/router.hpp"
#include "auth/secrets.hpp"
#include "domain/local_date_time.hpp"
#include "importer/importer.hpp"
#include "sample_data/generator.hpp"

namespace phonechat::micro {
namespace {

std::filesystem::path MakeTemporaryDirectory() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/phonechat-micro.XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "cannot create a directory from " + pattern);
  }
  return pattern;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

DataSet::DataSet() : directory_(MakeTemporaryDirectory()), clock_("Europe/London") {
  try {
    const auto started = std::chrono::steady_clock::now();
    store_ = OpenStore((directory_ / "micro.db").string());
    GeneratorOptions options;
    options.users = kUsers;
    options.bookings = kOrdinaryBookings;
    options.heavy_clients = 1;
    options.heavy_size = kHeavySize;
    // Through a file rather than memory: the import format of 200,000 bookings is about 100 MB.
    const std::filesystem::path lines = directory_ / "data-set.jsonl";
    {
      std::ofstream out(lines, std::ios::binary);
      GenerateDataSet(options, out);
      out.close();
      if (!out) throw std::runtime_error("cannot write " + lines.string());
    }
    std::ifstream in(lines, std::ios::binary);
    const ImportCounts counts = ImportJsonLines(*store_, in, /*replace=*/false, clock_.LocalNow());
    in.close();
    std::filesystem::remove(lines);

    const std::int64_t expires = ServiceClock::UnixSecondsNow() + std::int64_t{24} * 3600;
    const auto mint = [&](UserId user_id) {
      ClientToken client{user_id, GenerateToken(), 0};
      store_->InsertToken(
          NewToken{Sha256(client.token), user_id, kGeneratedClientId, std::string(kPhoneChatBookingsScope), expires});
      return client;
    };
    const auto session = store_->OpenSession();
    const auto first_client = static_cast<UserId>(GeneratedFirstClientId(kUsers));
    heavy_ = mint(first_client);
    heavy_.listed = session->CountMadeBookings(heavy_.user_id, std::nullopt);
    heavy_listed_since_ = session->CountMadeBookings(heavy_.user_id, ParseLocalDay(kHeavyStartDate));
    for (auto user_id = static_cast<UserId>(first_client + 1); user_id <= kUsers; ++user_id) {
      const std::int64_t listed = session->CountMadeBookings(user_id, std::nullopt);
      if (listed == 0) continue;
      ClientToken client = mint(user_id);
      client.listed = listed;
      typical_.push_back(std::move(client));
    }
    // A fixed order that is not the order of the IDs, so that consecutive requests touch unrelated rows.
    std::mt19937_64 shuffle(20250101);
    std::shuffle(typical_.begin(), typical_.end(), shuffle);
    const auto full = std::find_if(typical_.begin(), typical_.end(),
                                   [](const ClientToken& client) { return client.listed >= kDefaultBookingsPerPage; });
    if (full == typical_.end() || heavy_.listed != kHeavySize || heavy_listed_since_ == 0) {
      throw std::logic_error("the generated data set does not have the expected shape");
    }
    full_page_ = *full;
    for (std::size_t i = 0; i < kUnknownTokens; ++i) unknown_.push_back(GenerateToken());
    std::int64_t typical_listed = 0;
    for (const ClientToken& client : typical_) typical_listed += client.listed;
    std::fprintf(stderr,
                 "data set: %lld users, %lld bookings; %zu typical clients (%.1f listed bookings each on average), "
                 "one with %lld (%lld since %s); built in %.1f s in %s\n",
                 static_cast<long long>(counts.users), static_cast<long long>(counts.bookings), typical_.size(),
                 static_cast<double>(typical_listed) / static_cast<double>(typical_.size()),
                 static_cast<long long>(heavy_.listed), static_cast<long long>(heavy_listed_since_),
                 std::string(kHeavyStartDate).c_str(), SecondsSince(started), directory_.c_str());
  } catch (...) {
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
    throw;
  }
}

DataSet::~DataSet() {
  store_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

const DataSet& SharedDataSet() {
  static const DataSet data_set;
  return data_set;
}

}  // namespace phonechat::micro
