// The service clock's reading of the wall clock in its zone, from the chosen start when one is set.

#include "service/service_clock.hpp"

namespace phonechat {

ServiceClock::ServiceClock(const std::string& zone_name) : zone_(zone_name) {}

ServiceClock::ServiceClock(const std::string& zone_name, LocalDateTime start) : zone_(zone_name) {
  offset_millis_ = start.millis - zone_.Now().millis;
}

}  // namespace phonechat
