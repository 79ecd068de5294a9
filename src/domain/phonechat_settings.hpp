#pragma once

// A user's PhoneChat settings and what a would-be client may book with them (docs/lifecycle.md, "Bodies").

#include <array>
#include <optional>
#include <string>

#include "domain/booking.hpp"
#include "domain/credits.hpp"

namespace phonechat {

// The DirectChat part of the settings.
struct DirectChatSettings {
  bool direct_chat_only = false;
  Credits ppm;
};

// A user's PhoneChat settings as stored. `offers_phonechat` and `show_phonechat_number` are set by the import or
// the operator only; SaveSettings writes the rest.
struct PhoneChatSettings {
  bool offers_phonechat = false;
  bool offer_direct_chat = false;
  std::optional<DirectChatSettings> direct_chat;  // present exactly when offer_direct_chat
  std::optional<std::string> phonechat_number;    // `+<digits>`
  bool show_phonechat_number = false;
  std::optional<Credits> phonechat_ppm;
};

// A user as the life cycle reads them: the profile the other side sees, the Skype name and the settings.
struct UserWithSettings {
  PartyProfile profile;  // its phonechat_number and skype_name are the user's current contact details
  PhoneChatSettings settings;
};

// One contact method and whether the candidate can be booked with it now.
struct MethodAvailability {
  ContactMethod method = ContactMethod::kCandidateCalls;
  bool available = false;
};

// `GET /v1/PhoneChat/GetUserBookingRequirements`: the price per minute (null: none set) and Methods 1, 2, 3.
struct BookingRequirements {
  std::optional<Credits> phonechat_ppm;
  std::array<MethodAvailability, 3> methods{};
};

}  // namespace phonechat
