// Fuzzes the POST routes' bodies: ReadJsonBody (media type, one exact JSON object), CanonicalBody (the idempotency
// digest's input: a fixed point once canonical), and BodyBinder's readers on the members the routes bind.
// Input: the Content-Type value, a line feed, the body.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/json_body.hpp"
#include "domain/credits.hpp"
#include "domain/local_date_time.hpp"
#include "split_input.hpp"

namespace {

using phonechat::BodyBinder;

// Binds every member of `binder` the way the life-cycle routes do (src/api/lifecycle_routes.cpp), nested
// objects included.
void BindAll(BodyBinder& binder, int depth) {
  binder.Id("UserID", false);
  binder.IdList("BookingIDs", false);
  binder.IntegerInRange("Duration", false, 1, 600);
  binder.IntegerInRange("Method", false, 0, 3);
  binder.Id("BookUserID", false);
  binder.Id("BookingID", false);
  binder.Decimal("Credits", false, phonechat::Credits{1}, phonechat::Credits{phonechat::kMaxCreditsTenThousandths});
  binder.Decimal("PhoneChatPPM", false, phonechat::Credits{0}, phonechat::Credits{10'000'000});
  binder.Boolean("OfferDirectChat", false);
  binder.LocalDateTimeInput("SessionDate", false);
  binder.LocalDateTimeInput("AcceptBy", false);
  for (const char* name : {"Comments", "PhoneChatNumber", "PhoneNumber", "Reason", "SkypeName"}) {
    binder.String(name, false, 500);
  }
  static_cast<void>(binder.Present("DirectChat"));
  if (depth < 2) {
    if (auto nested = binder.Object("DirectChat", false)) BindAll(*nested, depth + 1);
  }
  binder.Finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const phonechat::ServiceZone zone("Europe/Berlin");
  const auto parts = phonechat::fuzz::SplitParts(phonechat::fuzz::AsText(data, size), 2);
  const auto body = phonechat::ReadJsonBody(parts[0], parts[1]);
  if (!body) return 0;

  // The canonical form is a JSON object whose own canonical form is itself.
  const std::string canonical = phonechat::CanonicalBody(*body);
  const auto reparsed = phonechat::ParseJsonObject(canonical);
  if (!reparsed || phonechat::CanonicalBody(*reparsed) != canonical) std::abort();

  phonechat::ModelState errors;
  BodyBinder binder(*body, errors, &zone);
  BindAll(binder, 0);
  return 0;
}
