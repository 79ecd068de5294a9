// The store behind the fuzzing harnesses that reach the database: a SQLite file in a temporary folder, filled once
// with the sandbox's demo data and holding fixed bearer tokens, so that seeds can name them.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "service/service_clock.hpp"
#include "storage/store.hpp"

namespace phonechat::fuzz {

// Fixed tokens valid for years: the demo client's (both of its scopes), the demo manager's, the demo candidate's.
inline constexpr const char* kClientToken = "fuzz-client-token-0123456789abcdefghijklmnopq";
inline constexpr const char* kManagerToken = "fuzz-manager-token-0123456789abcdefghijklmnop";
inline constexpr const char* kCandidateToken = "fuzz-candidate-token-0123456789abcdefghijklm";

// The process's demo store, made on first use (its folder is removed at exit); its clock starts at a fixed time.
class DemoStore {
 public:
  static DemoStore& Instance();
  ~DemoStore();
  DemoStore(const DemoStore&) = delete;
  DemoStore& operator=(const DemoStore&) = delete;

  [[nodiscard]] Store& Primary() { return *store_; }
  [[nodiscard]] const ServiceClock& Clock() const { return *clock_; }

 private:
  DemoStore();

  std::string folder_;
  std::optional<ServiceClock> clock_;
  std::unique_ptr<Store> store_;
};

}  // namespace phonechat::fuzz
