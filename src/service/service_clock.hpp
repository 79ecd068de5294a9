// The service clock: "now" in the service's zone, optionally started at a chosen local time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "domain/local_date_time.hpp"

namespace phonechat {

// "Now" for every rule: the wall clock of the service's zone, optionally started at a chosen local time
// (a sandbox aid that makes read-time rules reproducible) and advancing in real time from there.
class ServiceClock {
 public:
  // The real clock of `zone_name`; throws UsageError for an unknown zone.
  explicit ServiceClock(const std::string& zone_name);
  // A clock of `zone_name` that reads `start` now and advances in real time.
  ServiceClock(const std::string& zone_name, LocalDateTime start);

  // The current local wall-clock time.
  [[nodiscard]] LocalDateTime LocalNow() const { return LocalDateTime{zone_.Now().millis + offset_millis_}; }
  // The current real time in seconds since the Unix epoch (token expiry is real time, never shifted).
  [[nodiscard]] static std::int64_t UnixSecondsNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  // The zone's name.
  [[nodiscard]] const std::string& ZoneName() const { return zone_.Name(); }
  // The zone itself.
  [[nodiscard]] const ServiceZone& Zone() const { return zone_; }

 private:
  ServiceZone zone_;
  std::int64_t offset_millis_ = 0;
};

}  // namespace phonechat
