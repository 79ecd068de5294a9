#include "core/process_counters.hpp"

namespace phonechat {

ProcessCounters& Counters() {
  static ProcessCounters counters;
  return counters;
}

}  // namespace phonechat
