// The demo store of the fuzzing harnesses: made as the `serve` command makes the sandbox's, with fixed tokens.

#include "demo_store.hpp"

#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "api/router.hpp"
#include "auth/secrets.hpp"
#include "importer/importer.hpp"
#include "sample_data/demo_data.hpp"

namespace phonechat::fuzz {

DemoStore& DemoStore::Instance() {
  static DemoStore store;
  return store;
}

DemoStore::DemoStore() {
  // Logging each input's faults would cost more than the input: the harnesses check what they care about.
  spdlog::set_level(spdlog::level::off);
  std::string pattern = (std::filesystem::temp_directory_path() / "phonechat-fuzz-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  folder_ = pattern;
  const std::optional<LocalDateTime> start = ParseLocalDateTime("2026-03-02T10:00:00");
  clock_.emplace("UTC", *start);
  store_ = OpenStore("sqlite://" + folder_ + "/fuzz.db");
  std::istringstream demo(DemoDataJsonLines(clock_->LocalNow()));
  ImportJsonLines(*store_, demo, /*replace=*/false, clock_->LocalNow());
  const std::int64_t expires = ServiceClock::UnixSecondsNow() + std::int64_t{10} * 365 * 24 * 3600;
  const std::string both = std::string(kPhoneChatBookingsScope) + " " + std::string(kCreditsHistoryScope);
  store_->InsertToken(NewToken{Sha256(kClientToken), kDemoClientUserId, kDemoClientId, both, expires});
  store_->InsertToken(NewToken{Sha256(kManagerToken), kDemoManagerUserId, kDemoClientId, both, expires});
  store_->InsertToken(NewToken{Sha256(kCandidateToken), kDemoCandidateUserId, kDemoClientId, both, expires});
}

DemoStore::~DemoStore() {
  store_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(folder_, ignored);
}

}  // namespace phonechat::fuzz
