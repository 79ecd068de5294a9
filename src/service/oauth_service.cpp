// The scopes the marketplace knows, with the words the consent page shows.

#include "service/oauth_service.hpp"

namespace phonechat {

const std::vector<ScopeDescription>& KnownScopes() {
  static const std::vector<ScopeDescription> scopes{
      {"account_phonechat_bookings", "See the PhoneChat bookings you made"},
      {"account_information", "See your nickname, your group and whether you manage a group"},
      {"account_webcam_bookings", "See your webcam bookings"},
      {"account_escort_bookings", "See your escort bookings"},
      {"account_communications", "See your messages and other communications"},
      {"account_credits_history", "See the history of your credits"},
      {"profile_hotlist", "See your hotlist"},
      {"profile_blacklist", "See your blacklist"},
      {"profile_services", "See the services on your profile"},
      {"profile_gallery", "See your profile gallery"},
  };
  return scopes;
}

}  // namespace phonechat
