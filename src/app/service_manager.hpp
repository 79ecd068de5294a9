// Readiness and stopping reported to the service manager (systemd's sd_notify protocol, Type=notify units): each
// call does nothing when the process was not started with NOTIFY_SOCKET.
#pragma once

#include <string_view>

namespace phonechat {

// Tells the service manager that the service accepts requests (READY=1, MAINPID) with `status` as its status line.
void NotifyReady(std::string_view status);

// Tells the service manager that the service is stopping (STOPPING=1) with `status` as its status line.
void NotifyStopping(std::string_view status);

}  // namespace phonechat
