// The life-cycle routes: parse, check in the documented order, call the service in one transaction, render. The
// Idempotency-Key rule lives here because what it stores and replays is the HTTP answer itself.

#include "api/lifecycle_routes.hpp"

#include <array>
#include <utility>

#include "api/error_response.hpp"
#include "api/json_body.hpp"
#include "api/made_bookings_request.hpp"
#include "auth/secrets.hpp"
#include "serialization/body_writer.hpp"
#include "service/booking_lifecycle.hpp"
#include "service/made_bookings_service.hpp"
#include "service/received_bookings.hpp"

namespace phonechat {
namespace {

// How often a transaction the database aborted to resolve a conflict is run again before the answer is 503.
constexpr int kConflictRetries = 3;
constexpr std::size_t kMaxIdempotencyKey = 255;
constexpr std::size_t kMaxReason = 1000;
constexpr std::int32_t kMinDuration = 5;
constexpr std::int32_t kMaxDuration = 240;
constexpr Credits kMinCredits{100};  // 0.01
constexpr Credits kMaxBookingCredits{100'000 * 10'000LL};
constexpr Credits kMaxPricePerMinute{100 * 10'000LL};

http::Response Ok(const NegotiatedFormat& format) {
  http::Response response;
  SetApiHeaders(response, format);
  return response;
}

http::Response MadeBookingAnswer(const StoredBooking& booking, const LifecycleCall& call) {
  http::Response response = Ok(call.format);
  WriteMadeBooking(response.body, ViewMadeBooking(booking, call.now), call.format.format);
  return response;
}

http::Response ReceivedBookingAnswer(const StoredBooking& booking, const LifecycleCall& call) {
  http::Response response = Ok(call.format);
  WriteReceivedBooking(response.body, ViewReceivedBooking(booking, call.now), call.format.format);
  return response;
}

http::Response BookingAnswer(const Result<StoredBooking>& booking, BookingSide side, const LifecycleCall& call) {
  if (!booking) return RenderError(booking.error(), call.format);
  return side == BookingSide::kMade ? MadeBookingAnswer(*booking, call) : ReceivedBookingAnswer(*booking, call);
}

Error InvalidHeader(std::string_view header, std::string message) {
  ModelState errors;
  errors.Add(header, std::move(message));
  return std::move(errors).ToError();
}

// The Idempotency-Key header, if sent: 1-255 visible ASCII characters.
Result<std::optional<std::string>> IdempotencyKeyOf(const http::Request& request) {
  const std::optional<std::string_view> header = request.Header("Idempotency-Key");
  if (!header) return std::optional<std::string>{};
  const std::string_view key = TrimWhitespace(*header);
  bool visible = !key.empty() && key.size() <= kMaxIdempotencyKey;
  for (const char c : key) visible = visible && c > 0x20 && c < 0x7F;
  if (!visible) {
    return InvalidHeader("Idempotency-Key", "Idempotency-Key must be 1 to 255 visible ASCII characters.");
  }
  return std::optional<std::string>(std::string(key));
}

// The group check of a group route, recorded in the audit log; the member on success.
template <typename Directory>
Result<UserId> ActingAs(Directory& directory, const LifecycleCall& call, std::optional<UserId> member) {
  if (!call.group) return call.principal->user_id;
  *call.acting_as = *member;
  return AuthorizeImpersonation(directory, call.principal->user_id, *member, call.route, call.now);
}

// One attempt of RunWrite inside `transaction`: the stored answer, or `work`'s answer stored with its effect.
template <typename Work>
http::Response AnswerOnce(const LifecycleCall& call, const std::optional<std::string>& key, const std::string& digest,
                          const IdempotencyScope& scope, Work& work, LifecycleTransaction& transaction) {
  if (key) {
    const LocalDateTime oldest_kept = AddMinutes(call.now, -kIdempotencyKeptMinutes);
    if (std::optional<IdempotentAnswer> stored = transaction.LockIdempotencyKey(scope, oldest_kept)) {
      if (!ConstantTimeEquals(stored->body_digest, digest)) {
        return RenderError(Error{ErrorCode::kIdempotencyKeyReused,
                                 "The Idempotency-Key '" + *key +
                                     "' was already used with a different request body; use a new key.",
                                 {},
                                 {},
                                 false},
                           call.format);
      }
      http::Response replay;
      replay.status = stored->status;
      replay.content_type = std::move(stored->content_type);
      replay.body = std::move(stored->body);
      replay.headers.emplace_back("Cache-Control", "no-store");
      replay.headers.emplace_back("Idempotent-Replayed", "true");
      return replay;
    }
  }
  http::Response response = work(transaction);
  const bool kept = response.status == 200 || response.status == 404 || response.status == 409;
  if (key && kept) {
    transaction.StoreIdempotentAnswer(scope, {digest, response.status, response.content_type, response.body},
                                      call.now);
  }
  return response;
}

// Runs `work` in one life-cycle transaction under the Idempotency-Key rule (docs/lifecycle.md, "Idempotency-Key"): a
// stored answer is replayed (or a different body refused with 422) before `work` runs; a 200, 404 or 409 that
// `work` answers is stored with its effect. A transaction the database aborted for a conflict runs again.
template <typename Work>
http::Response RunWrite(const LifecycleCall& call, const std::optional<std::string>& key, const std::string& digest,
                        UserId acting_as, Work work) {
  IdempotencyScope scope;
  if (key) scope = IdempotencyScope{call.principal->user_id, acting_as, std::string(call.route), *key};
  for (int attempt = 0;; ++attempt) {
    try {
      http::Response response;
      call.runner->Run([&](LifecycleTransaction& transaction) { response = AnswerOnce(call, key, digest, scope, work, transaction); });
      return response;
    } catch (const TransactionConflict&) {
      if (attempt + 1 >= kConflictRetries) {
        return RenderError(
            Error{ErrorCode::kUnavailable, "The request met concurrent changes; retry it.", {}, {}, false},
            call.format);
      }
    }
  }
}

// Reads the bodies of every POST route: the media type, then the key, then JSON.
struct PostBody {
  JsonObject object;
  std::optional<std::string> key;
  std::string digest;
};

Result<PostBody> ReadPostBody(const LifecycleCall& call) {
  Result<JsonObject> object = ReadJsonBody(call.request->Header("Content-Type"), call.request->Body());
  if (!object) {
    if (object.error().code == ErrorCode::kUnsupportedMediaType) return object.error();
  }
  Result<std::optional<std::string>> key = IdempotencyKeyOf(*call.request);
  if (!key) return key.error();
  if (!object) return object.error();
  PostBody body{std::move(*object), std::move(*key), {}};
  body.digest = Sha256(CanonicalBody(body.object));
  return body;
}

// The acting-as user a group POST names in its body, read before validation (for the Idempotency-Key scope).
UserId ActingAsForScope(const LifecycleCall& call, const JsonObject& body) {
  if (!call.group) return call.principal->user_id;
  ModelState ignored;
  BodyBinder binder(body, ignored, call.zone);
  return static_cast<UserId>(binder.Id("UserID", false).value_or(0));
}

// Binds BookingID and, for actions with one, the reason and the accepted credits.
struct ActionInput {
  std::optional<BookingId> booking_id;
  std::optional<Credits> credits;
  std::optional<std::string> reason;
};

// The number of Unicode code points in valid UTF-8 `text`.
std::size_t CodePoints(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

std::optional<BookingId> BookingIdOf(BodyBinder& binder, std::string_view name, bool required = true) {
  const std::optional<std::int64_t> id = binder.Id(name, required);
  if (!id) return std::nullopt;
  return static_cast<BookingId>(*id);
}

ActionInput BindAction(BodyBinder& binder, LifecycleOperation operation) {
  ActionInput input;
  input.booking_id = BookingIdOf(binder, "BookingID");
  switch (operation) {
    case LifecycleOperation::kAcceptReceivedBooking:
      input.credits = binder.Decimal("Credits", true, kMinCredits, kMaxBookingCredits);
      break;
    case LifecycleOperation::kCancelMadeBooking:
    case LifecycleOperation::kRejectReceivedBooking:
    case LifecycleOperation::kCancelReceivedBooking:
      input.reason = binder.String("Reason", true, kMaxReason);
      break;
    case LifecycleOperation::kReInvite:
      input.reason = binder.String("Reason", false, kMaxReason);
      break;
    default:
      break;
  }
  return input;
}

BookingAction ActionOf(LifecycleOperation operation) {
  switch (operation) {
    case LifecycleOperation::kAcceptReceivedBooking:
      return BookingAction::kAccept;
    case LifecycleOperation::kRejectReceivedBooking:
      return BookingAction::kReject;
    case LifecycleOperation::kReInvite:
      return BookingAction::kReInvite;
    case LifecycleOperation::kConfirmMadeBooking:
      return BookingAction::kConfirm;
    case LifecycleOperation::kCancelMadeBooking:
      return BookingAction::kCancelByClient;
    default:
      return BookingAction::kCancelByCandidate;
  }
}

// The three calendar months after `now` a SessionDate may reach, clamped to the month's end.
LocalDateTime LatestSessionDate(LocalDateTime now) { return AddCalendarMonths(now, 3); }

// CreateBooking's body: every member rule that the request and the clock alone decide.
Result<NewBookingRequest> BindCreateBooking(BodyBinder& binder, ModelState& errors, const LifecycleCall& call) {
  NewBookingRequest request;
  request.client_user_id = call.principal->user_id;
  const std::optional<UserId> candidate = BookingIdOf(binder, "BookUserID");
  const std::optional<LocalDateTime> session_date = binder.LocalDateTimeInput("SessionDate", true);
  const std::optional<std::int64_t> duration = binder.IntegerInRange("Duration", true, kMinDuration, kMaxDuration);
  const std::optional<std::int64_t> method = binder.IntegerInRange("Method", true, 1, 3);
  // A contact member of another method is ignored, not validated: it is not part of this booking.
  std::optional<std::string> phone_number =
      method == 1 ? binder.String("PhoneNumber", false, kMaxReason) : std::nullopt;
  std::optional<std::string> skype_name = method == 3 ? binder.String("SkypeName", false, kMaxReason) : std::nullopt;
  const std::optional<Credits> credits = binder.Decimal("Credits", true, kMinCredits, kMaxBookingCredits);
  const std::optional<LocalDateTime> accept_by = binder.LocalDateTimeInput("AcceptBy", true);
  request.comments = binder.String("Comments", false, kMaxReason);
  binder.Finish();

  if (candidate && *candidate == call.principal->user_id) errors.Add("BookUserID", "You cannot book yourself.");
  if (session_date && *session_date <= call.now) errors.Add("SessionDate", "SessionDate must be in the future.");
  if (session_date && *session_date > LatestSessionDate(call.now)) {
    errors.Add("SessionDate", "SessionDate must be at most 3 months ahead, at the latest " +
                                  FormatLocalDateTime(LatestSessionDate(call.now)) + ".");
  }
  if (accept_by && *accept_by <= call.now) errors.Add("AcceptBy", "AcceptBy must be in the future.");
  if (accept_by && session_date && *accept_by >= *session_date) {
    errors.Add("AcceptBy", "AcceptBy must be before SessionDate.");
  }
  if (method == 1) {
    if (!phone_number) {
      errors.Add("PhoneNumber", "PhoneNumber is required with Method 1.");
    } else {
      std::string digits;
      bool plain = true;
      for (const char c : *phone_number) {
        if (c == ' ') continue;
        plain = plain && c >= '0' && c <= '9';
        digits.push_back(c);
      }
      if (!plain || digits.size() < 10 || digits.size() > 11) {
        errors.Add("PhoneNumber", "PhoneNumber must be 10 or 11 digits (spaces are ignored).");
      } else {
        request.phone_number = std::move(digits);
      }
    }
  }
  if (method == 3) {
    if (!skype_name) {
      errors.Add("SkypeName", "SkypeName is required with Method 3.");
    } else if (CodePoints(*skype_name) > 100) {
      errors.Add("SkypeName", "SkypeName must be at most 100 characters.");
    } else {
      request.skype_name = std::move(skype_name);
    }
  }
  if (!errors.Empty()) return std::move(errors).ToError();
  request.candidate_user_id = *candidate;
  request.session_date = *session_date;
  request.duration_minutes = static_cast<std::int32_t>(*duration);
  request.method = static_cast<ContactMethod>(*method);
  request.credits = *credits;
  request.accept_by = *accept_by;
  return request;
}

// A PhoneChat number as SaveSettings accepts it: an optional `+` or `00`, then 8-15 digits starting 1-9; `+<digits>`.
std::optional<std::string> NormalisedPhoneChatNumber(std::string_view text) {
  if (text.starts_with('+')) {
    text.remove_prefix(1);
  } else if (text.starts_with("00")) {
    text.remove_prefix(2);
  }
  if (text.size() < 8 || text.size() > 15 || text.front() < '1' || text.front() > '9') return std::nullopt;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return "+" + std::string(text);
}

// SaveSettings' body.
Result<PhoneChatSettings> BindSettings(BodyBinder& binder, ModelState& errors) {
  PhoneChatSettings settings;
  const std::optional<bool> offer_direct_chat = binder.Boolean("OfferDirectChat", true);
  const bool direct_chat_given = binder.Present("DirectChat");
  const std::optional<std::string> number = binder.String("PhoneChatNumber", false, 64);
  settings.phonechat_ppm = binder.Decimal("PhoneChatPPM", true, kMinCredits, kMaxPricePerMinute);
  if (offer_direct_chat == true && !direct_chat_given) {
    errors.Add("DirectChat", "DirectChat is required when OfferDirectChat is true.");
  }
  if (offer_direct_chat == false && direct_chat_given) {
    errors.Add("DirectChat", "DirectChat must be absent or null when OfferDirectChat is false.");
  }
  if (offer_direct_chat == true && direct_chat_given) {
    if (std::optional<BodyBinder> direct_chat = binder.Object("DirectChat", true)) {
      const std::optional<bool> only = direct_chat->Boolean("DirectChatOnly", true);
      const std::optional<Credits> ppm = direct_chat->Decimal("PPM", true, kMinCredits, kMaxPricePerMinute);
      direct_chat->Finish();
      if (only && ppm) settings.direct_chat = DirectChatSettings{*only, *ppm};
    }
  }
  if (number) {
    settings.phonechat_number = NormalisedPhoneChatNumber(*number);
    if (!settings.phonechat_number) {
      errors.Add("PhoneChatNumber",
                 "PhoneChatNumber must be an international number: an optional + or 00, then 8 to 15 digits, the "
                 "first 1-9.");
    }
  }
  binder.Finish();
  if (!errors.Empty()) return std::move(errors).ToError();
  settings.offer_direct_chat = *offer_direct_chat;
  return settings;
}

http::Response HandlePost(const LifecycleCall& call) {
  Result<PostBody> body = ReadPostBody(call);
  if (!body) return RenderError(body.error(), call.format);
  const UserId scope_user = ActingAsForScope(call, body->object);
  return RunWrite(call, body->key, body->digest, scope_user, [&](LifecycleTransaction& transaction) {
    ModelState errors;
    BodyBinder binder(body->object, errors, call.zone);
    switch (call.operation) {
      case LifecycleOperation::kCreateBooking: {
        Result<NewBookingRequest> request = BindCreateBooking(binder, errors, call);
        if (!request) return RenderError(request.error(), call.format);
        return BookingAnswer(CreateBooking(transaction, *request, call.now), BookingSide::kMade, call);
      }
      case LifecycleOperation::kRescheduleMadeBooking: {
        const std::optional<BookingId> source = BookingIdOf(binder, "BookingID");
        binder.Finish();
        if (!errors.Empty()) return RenderError(std::move(errors).ToError(), call.format);
        return BookingAnswer(RescheduleBooking(transaction, call.principal->user_id, *source, call.now),
                             BookingSide::kMade, call);
      }
      case LifecycleOperation::kDeleteMadeBookings:
      case LifecycleOperation::kDeleteReceivedBookings: {
        const std::optional<std::vector<std::int64_t>> listed = binder.IdList("BookingIDs", true);
        binder.Finish();
        if (!errors.Empty()) return RenderError(std::move(errors).ToError(), call.format);
        const BookingSide side = call.operation == LifecycleOperation::kDeleteMadeBookings ? BookingSide::kMade
                                                                                            : BookingSide::kReceived;
        http::Response response = Ok(call.format);
        const std::vector<BookingId> ids(listed->begin(), listed->end());
        WriteDeleteResults(response.body, DeleteBookings(transaction, side, call.principal->user_id, ids, call.now),
                           call.format.format);
        return response;
      }
      case LifecycleOperation::kSaveSettings: {
        const std::optional<UserId> member = call.group ? BookingIdOf(binder, "UserID") : std::nullopt;
        Result<PhoneChatSettings> input = BindSettings(binder, errors);
        if (!input) return RenderError(input.error(), call.format);
        Result<UserId> user = ActingAs(transaction, call, member);
        if (!user) return RenderError(user.error(), call.format);
        Result<PhoneChatSettings> saved = SaveSettings(transaction, *user, *input, call.now);
        if (!saved) return RenderError(saved.error(), call.format);
        http::Response response = Ok(call.format);
        WritePhoneChatSettings(response.body, *saved, call.format.format);
        return response;
      }
      default: {
        const ActionInput input = BindAction(binder, call.operation);
        binder.Finish();
        if (!errors.Empty()) return RenderError(std::move(errors).ToError(), call.format);
        const BookingAction action = ActionOf(call.operation);
        return BookingAnswer(ActOnBooking(transaction, action, call.principal->user_id, *input.booking_id,
                                          input.credits, input.reason, call.now),
                             SideOf(action), call);
      }
    }
  });
}

// GET details of either side: BookingID (and UserID on the group route).
http::Response HandleDetails(const LifecycleCall& call, BookingSide side) {
  ModelState errors;
  const std::optional<BookingId> booking_id = RequiredIdParameter(*call.parameters, "BookingID", errors);
  const std::optional<UserId> member =
      call.group ? RequiredIdParameter(*call.parameters, "UserID", errors) : std::nullopt;
  if (!errors.Empty()) return RenderError(std::move(errors).ToError(), call.format);
  Result<UserId> user = ActingAs(*call.session, call, member);
  if (!user) return RenderError(user.error(), call.format);
  const std::optional<StoredBooking> booking = call.session->FindBooking(*booking_id);
  if (!booking || !VisibleOnSide(*booking, *user, side)) {
    return RenderError(Error{ErrorCode::kNotFound, BookingNotFoundMessage(*booking_id, side), {}, {}, false},
                       call.format);
  }
  return side == BookingSide::kMade ? MadeBookingAnswer(*booking, call) : ReceivedBookingAnswer(*booking, call);
}

http::Response HandleReceivedBookings(const LifecycleCall& call) {
  Result<MadeBookingsRequest> parsed = ParseMadeBookingsRequest(*call.parameters, call.group);
  if (!parsed) return RenderError(parsed.error(), call.format);
  Result<UserId> user = ActingAs(*call.session, call, parsed->member_user_id);
  if (!user) return RenderError(user.error(), call.format);
  MadeBookingsQuery& query = parsed->query;
  query.side = BookingSide::kReceived;
  query.client_user_id = *user;
  const ReceivedBookingsAnswer answer = ListReceivedBookings(*call.session, query, call.now);
  http::Response response = Ok(call.format);
  WriteReceivedBookings(response.body, answer.page, call.format.format);
  return response;
}

http::Response HandleGetSettings(const LifecycleCall& call) {
  ModelState errors;
  const std::optional<UserId> member =
      call.group ? RequiredIdParameter(*call.parameters, "UserID", errors) : std::nullopt;
  if (!errors.Empty()) return RenderError(std::move(errors).ToError(), call.format);
  Result<UserId> user = ActingAs(*call.session, call, member);
  if (!user) return RenderError(user.error(), call.format);
  const std::optional<UserWithSettings> found = call.session->FindUser(*user);
  http::Response response = Ok(call.format);
  WritePhoneChatSettings(response.body, found ? found->settings : PhoneChatSettings{}, call.format.format);
  return response;
}

http::Response HandleRequirements(const LifecycleCall& call) {
  ModelState errors;
  const std::optional<UserId> user_id = RequiredIdParameter(*call.parameters, "BookUserID", errors);
  if (!errors.Empty()) return RenderError(std::move(errors).ToError(), call.format);
  const std::optional<UserWithSettings> candidate = call.session->FindUser(*user_id);
  if (!candidate) {
    return RenderError(
        Error{ErrorCode::kNotFound, "No user " + std::to_string(*user_id) + " was found.", {}, {}, false},
        call.format);
  }
  if (Result<void> bookable = CheckBookable(*candidate); !bookable) return RenderError(bookable.error(), call.format);
  http::Response response = Ok(call.format);
  WriteBookingRequirements(response.body, RequirementsOf(*candidate), call.format.format);
  return response;
}

http::Response HandleBalance(const LifecycleCall& call) {
  for (int attempt = 0;; ++attempt) {
    try {
      Credits balance;
      call.runner->Run([&](LifecycleTransaction& transaction) {
        balance = SettleAndReadBalance(transaction, call.principal->user_id, call.now);
      });
      http::Response response = Ok(call.format);
      WriteCreditBalance(response.body, balance, call.format.format);
      return response;
    } catch (const TransactionConflict&) {
      if (attempt + 1 >= kConflictRetries) throw StoreUnavailable("the balance met concurrent changes");
    }
  }
}

}  // namespace

http::Response HandleLifecycle(const LifecycleCall& call) {
  switch (call.operation) {
    case LifecycleOperation::kRequirements:
      return HandleRequirements(call);
    case LifecycleOperation::kMadeBookingDetails:
      return HandleDetails(call, BookingSide::kMade);
    case LifecycleOperation::kReceivedBookingDetails:
      return HandleDetails(call, BookingSide::kReceived);
    case LifecycleOperation::kReceivedBookings:
      return HandleReceivedBookings(call);
    case LifecycleOperation::kGetSettings:
      return HandleGetSettings(call);
    case LifecycleOperation::kCreditBalance:
      return HandleBalance(call);
    default:
      return HandlePost(call);
  }
}

}  // namespace phonechat
