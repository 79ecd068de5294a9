// FoldNickname: the nickname sort key (ASCII letters folded to lower case).

#include "domain/made_bookings_query.hpp"

#include <string>

namespace phonechat {

std::string FoldNickname(std::string_view nickname) {
  // Only ASCII letters fold, exactly like SQLite's NOCASE: std::tolower would depend on the locale.
  std::string folded(nickname);
  for (char& c : folded) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return folded;
}

}  // namespace phonechat
