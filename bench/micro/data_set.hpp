#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "domain/booking.hpp"
#include "service/service_clock.hpp"
#include "storage/store.hpp"

namespace phonechat::micro {

// The shape of the generated data set every benchmark reads.
inline constexpr std::int64_t kUsers = 2223;                // 222 candidates, 2,001 clients
inline constexpr std::int64_t kOrdinaryBookings = 100'000;  // about 50 per ordinary client
inline constexpr std::int64_t kHeavySize = 100'000;         // the one heavy client's bookings
inline constexpr std::size_t kUnknownTokens = 1024;         // tokens stored nowhere, for 401s
// The StartDate of the heavy client's filtered cases: about half of its history is created on or after it.
inline constexpr std::string_view kHeavyStartDate = "2026-01-01";
// Memory for the list cache of the one serving thread: `serve`'s default (--list-cache-mb 512) for one thread.
inline constexpr std::size_t kListCacheBytes = std::size_t{512} << 20;

// A client with a stored access token.
struct ClientToken {
  UserId user_id = 0;
  std::string token;        // as sent after `Bearer `
  std::int64_t listed = 0;  // bookings its list shows (not deleted by the client)
};

// A SQLite store in a temporary directory filled with a generated data set (kUsers users, kOrdinaryBookings
// bookings over the ordinary clients, one client with kHeavySize), and an access token for the heavy client and each
// typical one. The directory is removed when the object is destroyed.
class DataSet {
 public:
  // Generates, imports and mints the tokens; throws what the generator, the importer or the store throw.
  DataSet();
  ~DataSet();
  DataSet(const DataSet&) = delete;
  DataSet& operator=(const DataSet&) = delete;

  // The store; thread-safe, as every Store.
  [[nodiscard]] Store& GetStore() const { return *store_; }
  // The service's clock (Europe/London, `serve`'s default zone).
  [[nodiscard]] const ServiceClock& Clock() const { return clock_; }
  // The client with kHeavySize bookings.
  [[nodiscard]] const ClientToken& Heavy() const { return heavy_; }
  // How many of the heavy client's bookings are created on or after kHeavyStartDate.
  [[nodiscard]] std::int64_t HeavyListedSince() const { return heavy_listed_since_; }
  // The ordinary clients with at least one listed booking, in a fixed shuffled order (as bench/run.sh's pool).
  [[nodiscard]] const std::vector<ClientToken>& Typical() const { return typical_; }
  // A typical client whose list fills a page of 50.
  [[nodiscard]] const ClientToken& FullPage() const { return full_page_; }
  // Well-formed tokens that no client holds.
  [[nodiscard]] const std::vector<std::string>& UnknownTokens() const { return unknown_; }

 private:
  std::filesystem::path directory_;
  std::unique_ptr<Store> store_;
  ServiceClock clock_;
  ClientToken heavy_;
  std::int64_t heavy_listed_since_ = 0;
  std::vector<ClientToken> typical_;
  ClientToken full_page_;
  std::vector<std::string> unknown_;
};

// The data set shared by every benchmark of this run, built on first use (a few seconds).
const DataSet& SharedDataSet();

}  // namespace phonechat::micro
