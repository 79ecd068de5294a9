// sd_notify from libsystemd: it knows NOTIFY_SOCKET's forms (a path, an abstract name) and the credentials systemd
// checks; with no NOTIFY_SOCKET it returns 0 without doing anything.
#include "app/service_manager.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace phonechat {
namespace {

// Status lines are one line each in the protocol.
std::string OneLine(std::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\n') c = ' ';
  }
  return line;
}

void Notify(const std::string& state) {
  // unset_environment 0: NOTIFY_SOCKET stays for the STOPPING=1 that follows READY=1.
  const int sent = sd_notify(0, state.c_str());
  // A manager that does not hear READY=1 kills the service after TimeoutStartSec: say why in the log.
  if (sent < 0) spdlog::warn("cannot notify the service manager: {}", std::strerror(-sent));
}

}  // namespace

void NotifyReady(std::string_view status) {
  Notify("READY=1\nSTATUS=" + OneLine(status) + "\nMAINPID=" + std::to_string(getpid()));
}

void NotifyStopping(std::string_view status) { Notify("STOPPING=1\nSTATUS=" + OneLine(status)); }

}  // namespace phonechat
