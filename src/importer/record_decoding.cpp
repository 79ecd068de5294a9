// The import's record decoding: each record kind's fields read by their position in the kind's field list, then
// checked one by one and together (docs/import-format.md), every failure naming the kind, the field and the rule.
#include "importer/record_decoding.hpp"

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "auth/secrets.hpp"
#include "domain/booking.hpp"
#include "domain/credits.hpp"
#include "domain/ledger.hpp"
#include "domain/local_date_time.hpp"
#include "storage/write_batch_rules.hpp"

namespace phonechat::importer {

namespace {

constexpr std::int64_t kMaxInt32 = 2'147'483'647;
// The prices per minute a user may set, in ten-thousandths: 0.01 to 100 (docs/import-format.md, "User").
constexpr std::int64_t kMinPpm = 100;
constexpr std::int64_t kMaxPpm = 1'000'000;
// The RejectedReason of a booking that lapsed unanswered, as the API writes it: it implies RejectionKind Lapsed.
constexpr std::string_view kLapsedReason = "The booking was not accepted in time.";

// Number of Unicode code points in valid UTF-8 (the parser has already rejected invalid UTF-8).
std::size_t CodePoints(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::optional<std::string> Owned(std::optional<std::string_view> text) {
  if (!text) return std::nullopt;
  return std::string(*text);
}

// The fields a record kind may have.
template <std::size_t N>
using FieldNames = std::array<std::string_view, N>;

constexpr FieldNames<18> kUserFields{
    "Kind",          "UserID",          "Nickname",       "Password",     "PasswordHash",
    "EmailAddress",  "PhoneChatNumber", "SkypeName",      "Positive",     "Neutral",
    "Negative",      "Disputes",        "OffersPhoneChat", "PhoneChatPPM", "OfferDirectChat",
    "DirectChatOnly", "DirectChatPPM",  "ShowPhoneChatNumber"};
constexpr FieldNames<5> kGroupFields{"Kind", "GroupID", "Name", "ManagerUserID", "MemberUserIDs"};
constexpr FieldNames<10> kProjectFields{"Kind",         "Name",         "OwnerUserID",   "ApiKey", "ClientID",
                                        "ClientSecret", "ClientSecretHash", "RedirectURIs", "ImplicitGrant", "Active"};
constexpr FieldNames<31> kBookingFields{"Kind",
                                        "BookingID",
                                        "ClientUserID",
                                        "CandidateUserID",
                                        "Duration",
                                        "Credits",
                                        "Status",
                                        "Method",
                                        "PhoneNumber",
                                        "SkypeName",
                                        "CreateDate",
                                        "SessionDate",
                                        "AcceptBy",
                                        "AcceptedDate",
                                        "ConfirmedDate",
                                        "CancelledDate",
                                        "CancelledReason",
                                        "CancelledBy",
                                        "RejectedReason",
                                        "LastUpdated",
                                        "Comments",
                                        "DeletedByClient",
                                        "DeletedByCandidate",
                                        "OfferedCredits",
                                        "RejectionKind",
                                        "RescheduledFromBookingID",
                                        "Settled",
                                        "PaymentFrom",
                                        "PaymentDate",
                                        "RefundDate",
                                        "EarningDate"};
constexpr FieldNames<5> kCreditFields{"Kind", "UserID", "Amount", "Date", "Description"};

// The position of `name` among `names`, at compile time: a name that is not there does not compile.
template <std::size_t N>
consteval std::size_t FieldIndex(const FieldNames<N>& names, std::string_view name) {
  const auto found = std::find(names.begin(), names.end(), name);
  if (found == names.end()) throw std::invalid_argument("not a field of this record kind");
  return static_cast<std::size_t>(found - names.begin());
}

// The position of a field of each record kind, at compile time.
consteval std::size_t UserField(std::string_view name) { return FieldIndex(kUserFields, name); }
consteval std::size_t GroupField(std::string_view name) { return FieldIndex(kGroupFields, name); }
consteval std::size_t ProjectField(std::string_view name) { return FieldIndex(kProjectFields, name); }
consteval std::size_t BookingField(std::string_view name) { return FieldIndex(kBookingFields, name); }
consteval std::size_t CreditField(std::string_view name) { return FieldIndex(kCreditFields, name); }

// Reads the fields of one record, each named by its position in the kind's FieldNames; every failure names the
// record kind, the field and the rule.
template <std::size_t N>
class Fields {
 public:
  Fields(const RecordHandler& record, std::string_view kind, const FieldNames<N>& names)
      : record_(record), kind_(kind), names_(names) {
    values_.fill(nullptr);
    // Records usually list their fields in the format's order, so each search starts after the last field found.
    std::size_t next = 0;
    for (const auto& member : record.Members()) {
      const auto name = record.Key(member);
      std::size_t field = next;
      std::size_t tries = 0;
      while (tries < N && names_[field] != name) {
        field = field + 1 == N ? 0 : field + 1;
        ++tries;
      }
      if (tries == N) {
        Fail(std::string(kind_) + "." + std::string(name) + " is not a field of " + std::string(kind_) +
             " (check its spelling)");
      }
      values_[field] = &member.value;
      next = field + 1 == N ? 0 : field + 1;
    }
  }

  // The field's value, or nullptr when it is absent or null.
  [[nodiscard]] const JsonValue* Get(std::size_t field) const {
    const auto* value = values_[field];
    return (value == nullptr || value->type == JsonType::kNull) ? nullptr : value;
  }

  // A string's characters or a number's source text.
  [[nodiscard]] std::string_view Text(const JsonValue& value) const { return record_.Text(value); }

  [[noreturn]] void FailField(std::size_t field, std::string_view rule) const {
    Fail(std::string(kind_) + "." + std::string(names_[field]) + " " + std::string(rule));
  }

  std::int64_t Int(std::size_t field, std::int64_t min, std::int64_t max,
                   std::optional<std::int64_t> fallback = std::nullopt) const {
    const auto* value = Get(field);
    if (value == nullptr) {
      if (fallback) return *fallback;
      FailField(field, "is required");
    }
    return CheckInt(field, *value, min, max);
  }

  std::int32_t Id(std::size_t field) const { return static_cast<std::int32_t>(Int(field, 1, kMaxInt32)); }

  std::int32_t CheckId(std::size_t field, const JsonValue& value) const {
    return static_cast<std::int32_t>(CheckInt(field, value, 1, kMaxInt32));
  }

  std::optional<std::string_view> String(std::size_t field, bool required, std::size_t min_chars,
                                         std::size_t max_chars) const {
    const auto* value = Get(field);
    if (value == nullptr) {
      if (required) FailField(field, "is required");
      return std::nullopt;
    }
    if (value->type != JsonType::kString) FailField(field, "must be a string");
    const auto text = Text(*value);
    // A code point takes 1 to 4 bytes: most strings are decided by their size alone.
    const bool surely_valid = text.size() <= max_chars && (text.size() + 3) / 4 >= min_chars;
    if (!surely_valid) {
      const auto chars = CodePoints(text);
      if (chars < min_chars || chars > max_chars) {
        FailField(field, min_chars == 0 ? "must be at most " + std::to_string(max_chars) + " characters long"
                                        : "must be " + std::to_string(min_chars) + " to " + std::to_string(max_chars) +
                                              " characters long");
      }
    }
    return text;
  }

  std::string_view RequiredString(std::size_t field, std::size_t min_chars, std::size_t max_chars) const {
    return *String(field, true, min_chars, max_chars);
  }

  std::optional<LocalDateTime> Date(std::size_t field, bool required) const {
    const auto* value = Get(field);
    if (value == nullptr) {
      if (required) FailField(field, "is required");
      return std::nullopt;
    }
    std::optional<LocalDateTime> date;
    if (value->type == JsonType::kString) date = ParseLocalDateTime(Text(*value));
    if (!date) FailField(field, "must be a date yyyy-MM-ddTHH:mm:ss[.fff] naming a real moment");
    return date;
  }

  bool Bool(std::size_t field, bool fallback) const {
    const auto* value = Get(field);
    if (value == nullptr) return fallback;
    if (value->type != JsonType::kBool) FailField(field, "must be true or false");
    return value->boolean;
  }

  // A decimal field's text, taken from a JSON number's own source text or a string as it is (never through a
  // double); nullptr when it is absent or null.
  std::optional<std::string_view> DecimalText(std::size_t field) const {
    const auto* value = Get(field);
    if (value == nullptr) return std::nullopt;
    const bool textual = value->type == JsonType::kString || value->type == JsonType::kInt64 ||
                         value->type == JsonType::kUint64 || value->type == JsonType::kDouble;
    if (!textual) FailField(field, "must be a decimal number or a decimal string");
    return Text(*value);
  }

  // An amount of credits: plain digits with at most 4 fraction digits, at most kMaxCreditsTenThousandths.
  std::optional<Credits> Amount(std::size_t field) const {
    const auto text = DecimalText(field);
    if (!text) return std::nullopt;
    const auto parsed = ParseCredits(*text);
    if (!parsed) {
      FailField(field, "\"" + std::string(*text) + "\" " + parsed.error() +
                           " (plain digits with at most 4 fraction digits, no sign, no exponent)");
    }
    if (parsed->ten_thousandths > kMaxCreditsTenThousandths) FailField(field, "is too large");
    return *parsed;
  }

  // A price per minute from 0.01 to 100, or nullopt when absent or null.
  std::optional<Credits> Ppm(std::size_t field) const {
    const auto ppm = Amount(field);
    if (ppm && (ppm->ten_thousandths < kMinPpm || ppm->ten_thousandths > kMaxPpm)) {
      FailField(field, "must be from 0.01 to 100");
    }
    return ppm;
  }

  // The field's elements; empty when it is absent or null.
  std::span<const JsonValue> Array(std::size_t field) const {
    const auto* value = Get(field);
    if (value == nullptr) return {};
    if (value->type != JsonType::kArray) FailField(field, "must be an array");
    return record_.Elements(*value);
  }

 private:
  std::int64_t CheckInt(std::size_t field, const JsonValue& value, std::int64_t min, std::int64_t max) const {
    // A uint64 is beyond every range here; a double (1.0, 1e2) is not an integer as the API reads one.
    if (value.type != JsonType::kInt64 || value.int64 < min || value.int64 > max) {
      FailField(field, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return value.int64;
  }

  const RecordHandler& record_;
  std::string_view kind_;
  const FieldNames<N>& names_;
  std::array<const JsonValue*, N> values_;
};

// The stored hash of a secret the record gives either in clear (`clear_field`, hashed here) or as the hash export
// wrote (`hash_field`, checked to be one); nullopt when it gives neither.
template <std::size_t N>
std::optional<std::string> SecretHash(const Fields<N>& f, std::size_t clear_field, std::size_t hash_field) {
  const auto clear = f.String(clear_field, false, 1, 1000);
  const auto hash = f.String(hash_field, false, 1, 1000);
  if (clear && hash) f.FailField(hash_field, "must be null when the secret is given in clear (one of the two)");
  if (clear) return HashPassword(*clear);
  if (!hash) return std::nullopt;
  if (!IsPasswordHash(*hash)) f.FailField(hash_field, "must be an Argon2id hash as export writes it ($argon2id$v=19$...)");
  return std::string(*hash);
}

UserRecord ReadUser(const Fields<kUserFields.size()>& f) {
  UserRecord user;
  user.user_id = f.Id(UserField("UserID"));
  user.nickname = f.RequiredString(UserField("Nickname"), 1, 20);
  user.password_hash = SecretHash(f, UserField("Password"), UserField("PasswordHash"));
  user.email_address = Owned(f.String(UserField("EmailAddress"), false, 0, 254));
  user.phonechat_number = Owned(f.String(UserField("PhoneChatNumber"), false, 0, 50));
  user.skype_name = Owned(f.String(UserField("SkypeName"), false, 0, 100));
  user.positive = static_cast<std::int32_t>(f.Int(UserField("Positive"), 0, kMaxInt32, 0));
  user.neutral = static_cast<std::int32_t>(f.Int(UserField("Neutral"), 0, kMaxInt32, 0));
  user.negative = static_cast<std::int32_t>(f.Int(UserField("Negative"), 0, kMaxInt32, 0));
  user.disputes = static_cast<std::int32_t>(f.Int(UserField("Disputes"), 0, kMaxInt32, 0));
  user.offers_phonechat = f.Bool(UserField("OffersPhoneChat"), false);
  user.phonechat_ppm = f.Ppm(UserField("PhoneChatPPM"));
  user.offer_direct_chat = f.Bool(UserField("OfferDirectChat"), false);
  const bool direct_chat_only = f.Bool(UserField("DirectChatOnly"), false);
  const auto direct_chat_ppm = f.Ppm(UserField("DirectChatPPM"));
  user.show_phonechat_number = f.Bool(UserField("ShowPhoneChatNumber"), false);
  // DirectChat's settings count only while it is offered: without it they are checked, then dropped.
  if (user.offer_direct_chat) {
    if (!direct_chat_ppm) f.FailField(UserField("DirectChatPPM"), "is required when OfferDirectChat is true");
    user.direct_chat_only = direct_chat_only;
    user.direct_chat_ppm = direct_chat_ppm;
  }
  return user;
}

GroupRecord ReadGroup(const Fields<kGroupFields.size()>& f) {
  GroupRecord group;
  group.group_id = f.Id(GroupField("GroupID"));
  group.name = f.RequiredString(GroupField("Name"), 1, 100);
  group.manager_user_id = f.Id(GroupField("ManagerUserID"));
  const auto members = f.Array(GroupField("MemberUserIDs"));
  group.member_user_ids.reserve(members.size());
  for (const auto& member : members) group.member_user_ids.push_back(f.CheckId(GroupField("MemberUserIDs"), member));
  return group;
}

ProjectRecord ReadProject(const Fields<kProjectFields.size()>& f) {
  ProjectRecord project;
  project.name = f.RequiredString(ProjectField("Name"), 1, 100);
  project.owner_user_id = f.Id(ProjectField("OwnerUserID"));
  project.api_key = f.RequiredString(ProjectField("ApiKey"), 1, 200);
  project.client_id = f.RequiredString(ProjectField("ClientID"), 1, 200);
  project.client_secret_hash = SecretHash(f, ProjectField("ClientSecret"), ProjectField("ClientSecretHash"));
  for (const auto& uri : f.Array(ProjectField("RedirectURIs"))) {
    // A redirect URI is an absolute URI without a fragment.
    const bool valid = uri.type == JsonType::kString && boost::urls::parse_absolute_uri(f.Text(uri)).has_value();
    if (!valid) f.FailField(ProjectField("RedirectURIs"), "must hold absolute URIs without a fragment");
    project.redirect_uris.emplace_back(f.Text(uri));
  }
  project.implicit_grant = f.Bool(ProjectField("ImplicitGrant"), false);
  project.active = f.Bool(ProjectField("Active"), true);
  return project;
}

// The movements a booking record gives (docs/import-format.md, "The booking's ledger"), checked against its status,
// with b.settled as they say; nullopt, and `b` untouched, when it gives none of Settled, PaymentFrom, PaymentDate,
// RefundDate and EarningDate.
std::optional<BookingLedger> ReadBookingLedger(const Fields<kBookingFields.size()>& f, StoredBooking& b) {
  const auto settled_field = BookingField("Settled");
  const auto from_field = BookingField("PaymentFrom");
  const auto payment_field = BookingField("PaymentDate");
  const auto refund_field = BookingField("RefundDate");
  const auto earning_field = BookingField("EarningDate");
  const bool settled_given = f.Get(settled_field) != nullptr;
  const bool settled = f.Bool(settled_field, false);
  std::optional<PaymentSource> from;
  if (const auto* value = f.Get(from_field)) {
    if (value->type == JsonType::kString) from = ParsePaymentSource(f.Text(*value));
    if (!from) f.FailField(from_field, "must be Client or External");
  }
  const auto payment_date = f.Date(payment_field, false);
  BookingLedger ledger;
  ledger.refund_date = f.Date(refund_field, false);
  ledger.earning_date = f.Date(earning_field, false);
  if (!settled_given && !from && !payment_date && !ledger.refund_date && !ledger.earning_date) return std::nullopt;

  if (from && !payment_date) f.FailField(payment_field, "is required when PaymentFrom is given");
  if (payment_date && !from) f.FailField(from_field, "is required when PaymentDate is given");
  if (from) ledger.payment = BookingLedger::Payment{*from, *payment_date};
  for (const auto& [field, date] : {std::pair{refund_field, ledger.refund_date}, {earning_field, ledger.earning_date}}) {
    if (!date) continue;
    if (!ledger.payment) f.FailField(field, "needs PaymentDate (credits are refunded or earned only once paid)");
    if (*date < ledger.payment->date) f.FailField(field, "must not be before PaymentDate");
  }
  if (ledger.payment && b.credits.ten_thousandths == 0) {
    f.FailField(payment_field, "must be null when Credits is 0 (nothing is paid)");
  }
  switch (b.status) {
    case BookingStatus::kConfirmed:
      if (ledger.refund_date) f.FailField(refund_field, "must be null unless Status is Cancelled");
      if (!settled_given) break;
      if (settled && ledger.payment && !ledger.earning_date) {
        f.FailField(earning_field, "is required when a Confirmed booking with a Payment is Settled");
      }
      if (!settled && !ledger.payment && b.credits.ten_thousandths > 0) {
        f.FailField(payment_field, "is required when a Confirmed booking is not Settled (escrow holds its credits)");
      }
      if (!settled && ledger.earning_date) f.FailField(settled_field, "must be true when EarningDate is given");
      break;
    case BookingStatus::kCancelled:
      if (ledger.earning_date) f.FailField(earning_field, "must be null unless Status is Confirmed");
      if (ledger.payment && !ledger.refund_date) {
        f.FailField(refund_field, "is required when a Cancelled booking has a Payment (its credits went back)");
      }
      if (settled) f.FailField(settled_field, "must be false unless Status is Confirmed");
      break;
    default:
      if (ledger.payment) f.FailField(payment_field, "must be null unless Status is Confirmed or Cancelled");
      if (settled) f.FailField(settled_field, "must be false unless Status is Confirmed");
  }
  if (b.status == BookingStatus::kConfirmed && !settled_given && !ledger.payment) {
    f.FailField(settled_field, "is required on a Confirmed booking without a Payment (true: its session was paid for)");
  }
  // Settled, when given, agrees with the movements by the rules above (a booking of 0 credits aside, which escrow
  // never holds); else a Confirmed booking is settled once earned.
  b.settled = b.status == BookingStatus::kConfirmed && (settled_given ? settled : ledger.earning_date.has_value());
  return ledger;
}

// Fills `record`, a default one; `now` is the import's local time.
void ReadBooking(const Fields<kBookingFields.size()>& f, BookingRecord& record, LocalDateTime now) {
  StoredBooking& b = record.booking;
  b.booking_id = f.Id(BookingField("BookingID"));
  b.client_user_id = f.Id(BookingField("ClientUserID"));
  b.candidate.user_id = f.Id(BookingField("CandidateUserID"));
  b.duration_minutes = static_cast<std::int32_t>(f.Int(BookingField("Duration"), 1, 1440));

  const auto credits = f.Amount(BookingField("Credits"));
  if (!credits) f.FailField(BookingField("Credits"), "is required");
  b.credits = *credits;

  const auto* status = f.Get(BookingField("Status"));
  if (status == nullptr) f.FailField(BookingField("Status"), "is required");
  std::optional<BookingStatus> parsed_status;
  if (status->type == JsonType::kString) parsed_status = ParseStatus(f.Text(*status));
  if (!parsed_status)
    f.FailField(BookingField("Status"), "must be one of Pending, Accepted, Rejected, Confirmed, Cancelled");
  b.status = *parsed_status;

  b.method = static_cast<ContactMethod>(f.Int(BookingField("Method"), 1, 3));
  b.phone_number = Owned(f.String(BookingField("PhoneNumber"), false, 1, 50));
  b.skype_name = Owned(f.String(BookingField("SkypeName"), false, 1, 100));
  b.create_date = *f.Date(BookingField("CreateDate"), true);
  b.session_date = *f.Date(BookingField("SessionDate"), true);
  b.accept_by = *f.Date(BookingField("AcceptBy"), true);
  b.accepted_date = f.Date(BookingField("AcceptedDate"), false);
  b.confirmed_date = f.Date(BookingField("ConfirmedDate"), false);
  b.cancelled_date = f.Date(BookingField("CancelledDate"), false);
  b.cancelled_reason = Owned(f.String(BookingField("CancelledReason"), false, 0, 1000));
  if (const auto* by = f.Get(BookingField("CancelledBy"))) {
    if (by->type == JsonType::kString) b.cancelled_by = ParseCancelledBy(f.Text(*by));
    if (!b.cancelled_by) f.FailField(BookingField("CancelledBy"), "must be Client or Candidate");
  }
  b.rejected_reason = Owned(f.String(BookingField("RejectedReason"), false, 0, 1000));
  b.last_updated = f.Date(BookingField("LastUpdated"), false);
  b.comments = Owned(f.String(BookingField("Comments"), false, 0, 1000));
  record.deleted_by_client = f.Bool(BookingField("DeletedByClient"), false);
  b.deleted_by_candidate = f.Bool(BookingField("DeletedByCandidate"), false);
  b.offered_credits = f.Amount(BookingField("OfferedCredits")).value_or(b.credits);
  if (const auto* kind = f.Get(BookingField("RejectionKind"))) {
    if (kind->type == JsonType::kString) b.rejection_kind = ParseRejectionKind(f.Text(*kind));
    if (!b.rejection_kind) f.FailField(BookingField("RejectionKind"), "must be Candidate, Lapsed or ReInvited");
  }
  if (f.Get(BookingField("RescheduledFromBookingID")) != nullptr) {
    b.rescheduled_from = f.Id(BookingField("RescheduledFromBookingID"));
  }

  if (b.candidate.user_id == b.client_user_id) {
    f.FailField(BookingField("CandidateUserID"), "must differ from ClientUserID");
  }
  const bool calls_client = b.method == ContactMethod::kCandidateCalls;
  if (calls_client && !b.phone_number) f.FailField(BookingField("PhoneNumber"), "is required for Method 1");
  if (!calls_client && b.phone_number) f.FailField(BookingField("PhoneNumber"), "must be null unless Method is 1");
  const bool skype = b.method == ContactMethod::kSkype;
  if (skype && !b.skype_name) f.FailField(BookingField("SkypeName"), "is required for Method 3");
  if (!skype && b.skype_name) f.FailField(BookingField("SkypeName"), "must be null unless Method is 3");
  if (b.accept_by < b.create_date) f.FailField(BookingField("AcceptBy"), "must not be before CreateDate");
  if (b.session_date < b.accept_by) f.FailField(BookingField("AcceptBy"), "must not be after SessionDate");
  if (b.status == BookingStatus::kAccepted && !b.accepted_date) {
    f.FailField(BookingField("AcceptedDate"), "is required when Status is Accepted");
  }
  if (b.status == BookingStatus::kConfirmed && !b.confirmed_date) {
    f.FailField(BookingField("ConfirmedDate"), "is required when Status is Confirmed");
  }
  if (b.status == BookingStatus::kCancelled) {
    if (!b.cancelled_date) f.FailField(BookingField("CancelledDate"), "is required when Status is Cancelled");
    if (!b.cancelled_by) f.FailField(BookingField("CancelledBy"), "is required when Status is Cancelled");
  } else {
    if (b.cancelled_date) f.FailField(BookingField("CancelledDate"), "must be null unless Status is Cancelled");
    if (b.cancelled_by) f.FailField(BookingField("CancelledBy"), "must be null unless Status is Cancelled");
    if (b.cancelled_reason) f.FailField(BookingField("CancelledReason"), "must be null unless Status is Cancelled");
  }
  if (b.status != BookingStatus::kRejected && b.rejected_reason) {
    f.FailField(BookingField("RejectedReason"), "must be null unless Status is Rejected");
  }
  if (b.status == BookingStatus::kRejected) {
    if (!b.rejection_kind) {
      b.rejection_kind = b.rejected_reason == kLapsedReason ? RejectionKind::kLapsed : RejectionKind::kCandidate;
    }
  } else if (b.rejection_kind) {
    f.FailField(BookingField("RejectionKind"), "must be null unless Status is Rejected");
  }
  if (b.rescheduled_from == b.booking_id) {
    f.FailField(BookingField("RescheduledFromBookingID"), "must differ from BookingID");
  }
  record.ledger = ReadBookingLedger(f, b);
  if (!record.ledger) {
    // A Confirmed session over by the import was paid for before it: no payment is held for it
    // (docs/import-format.md).
    b.settled = b.status == BookingStatus::kConfirmed && AddMinutes(b.session_date, b.duration_minutes) <= now;
  }
}

CreditRecord ReadCredit(const Fields<kCreditFields.size()>& f) {
  CreditRecord credit;
  credit.user_id = f.Id(CreditField("UserID"));
  const auto amount_text = f.DecimalText(CreditField("Amount"));
  if (!amount_text) f.FailField(CreditField("Amount"), "is required");
  const auto amount = ParseCreditAmount(*amount_text);
  if (!amount) f.FailField(CreditField("Amount"), amount.error());
  credit.amount = *amount;
  credit.date = *f.Date(CreditField("Date"), true);
  credit.description = f.RequiredString(CreditField("Description"), 1, kMaxCreditDescriptionChars);
  return credit;
}

// The record's Kind; fails the line when it is absent or not a string.
std::string_view KindOf(const RecordHandler& record) {
  for (const auto& member : record.Members()) {
    if (record.Key(member) != "Kind") continue;
    if (member.value.type == JsonType::kString) return record.Text(member.value);
    break;
  }
  Fail("Kind is required: User, Group, Project, Booking or Credit");
}

}  // namespace

void DecodeRecord(const RecordHandler& record, DecodedRecord& out, LocalDateTime now) {
  const auto kind = KindOf(record);
  if (kind == "Booking") {
    const Fields fields(record, kind, kBookingFields);
    ReadBooking(fields, out.emplace<BookingRecord>(), now);
  } else if (kind == "User") {
    const Fields fields(record, kind, kUserFields);
    out = ReadUser(fields);
  } else if (kind == "Group") {
    const Fields fields(record, kind, kGroupFields);
    out = ReadGroup(fields);
  } else if (kind == "Project") {
    const Fields fields(record, kind, kProjectFields);
    out = ReadProject(fields);
  } else if (kind == "Credit") {
    const Fields fields(record, kind, kCreditFields);
    out = ReadCredit(fields);
  } else {
    Fail("Kind \"" + std::string(kind) + "\" is unknown: User, Group, Project, Booking or Credit");
  }
}

}  // namespace phonechat::importer
