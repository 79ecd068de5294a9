// The export's JSON Lines: each record's fields in the order docs/import-format.md lists them, every field written
// (null for none), amounts as exact decimal strings with four fraction digits.

#include "importer/exporter.hpp"

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "domain/credits.hpp"
#include "domain/ledger.hpp"
#include "domain/local_date_time.hpp"
#include "serialization/body_writer.hpp"

namespace phonechat {

namespace {

// One JSON object on one line: `{"Kind":"…"`, then each field appended with a comma before it.
class JsonLine {
 public:
  JsonLine(std::string& out, std::string_view kind) : out_(out) {
    out_.clear();
    out_ += "{\"Kind\":";
    AppendJsonString(out_, kind);
  }

  void Int(std::string_view name, std::int64_t value) {
    Name(name);
    out_ += std::to_string(value);
  }
  void Bool(std::string_view name, bool value) {
    Name(name);
    out_ += value ? "true" : "false";
  }
  void Text(std::string_view name, std::string_view value) {
    Name(name);
    AppendJsonString(out_, value);
  }
  void OptionalText(std::string_view name, const std::optional<std::string>& value) {
    if (value) {
      Text(name, *value);
    } else {
      Null(name);
    }
  }
  // An amount as a string of four fraction digits: exact whatever reads it, and as the import takes it.
  void Amount(std::string_view name, std::optional<Credits> value) {
    if (!value) return Null(name);
    Name(name);
    out_ += '"';
    AppendCreditsXml(out_, *value);
    out_ += '"';
  }
  void Date(std::string_view name, std::optional<LocalDateTime> value) {
    if (!value) return Null(name);
    Name(name);
    out_ += '"';
    AppendLocalDateTime(out_, *value);
    out_ += '"';
  }
  void Null(std::string_view name) {
    Name(name);
    out_ += "null";
  }
  void Ids(std::string_view name, const std::vector<UserId>& ids) {
    Name(name);
    out_ += '[';
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) out_ += ',';
      out_ += std::to_string(ids[i]);
    }
    out_ += ']';
  }
  void Texts(std::string_view name, const std::vector<std::string>& texts) {
    Name(name);
    out_ += '[';
    for (std::size_t i = 0; i < texts.size(); ++i) {
      if (i > 0) out_ += ',';
      AppendJsonString(out_, texts[i]);
    }
    out_ += ']';
  }
  void End() { out_ += "}\n"; }

 private:
  void Name(std::string_view name) {
    out_ += ",\"";
    out_ += name;
    out_ += "\":";
  }

  std::string& out_;
};

class JsonLinesSink final : public ExportSink {
 public:
  explicit JsonLinesSink(std::ostream& output) : output_(output) {}

  void User(const UserRecord& user) override {
    JsonLine line(text_, "User");
    line.Int("UserID", user.user_id);
    line.Text("Nickname", user.nickname);
    line.OptionalText("PasswordHash", user.password_hash);
    line.OptionalText("EmailAddress", user.email_address);
    line.OptionalText("PhoneChatNumber", user.phonechat_number);
    line.OptionalText("SkypeName", user.skype_name);
    line.Int("Positive", user.positive);
    line.Int("Neutral", user.neutral);
    line.Int("Negative", user.negative);
    line.Int("Disputes", user.disputes);
    line.Bool("OffersPhoneChat", user.offers_phonechat);
    line.Amount("PhoneChatPPM", user.phonechat_ppm);
    line.Bool("OfferDirectChat", user.offer_direct_chat);
    line.Bool("DirectChatOnly", user.direct_chat_only);
    line.Amount("DirectChatPPM", user.direct_chat_ppm);
    line.Bool("ShowPhoneChatNumber", user.show_phonechat_number);
    Write(line);
    ++counts_.users;
  }

  void Group(const GroupRecord& group) override {
    JsonLine line(text_, "Group");
    line.Int("GroupID", group.group_id);
    line.Text("Name", group.name);
    line.Int("ManagerUserID", group.manager_user_id);
    line.Ids("MemberUserIDs", group.member_user_ids);
    Write(line);
    ++counts_.groups;
  }

  void Project(const ProjectRecord& project) override {
    JsonLine line(text_, "Project");
    line.Text("Name", project.name);
    line.Int("OwnerUserID", project.owner_user_id);
    line.Text("ApiKey", project.api_key);
    line.Text("ClientID", project.client_id);
    line.OptionalText("ClientSecretHash", project.client_secret_hash);
    line.Texts("RedirectURIs", project.redirect_uris);
    line.Bool("ImplicitGrant", project.implicit_grant);
    line.Bool("Active", project.active);
    Write(line);
    ++counts_.projects;
  }

  void Credit(const CreditRecord& credit) override {
    JsonLine line(text_, "Credit");
    line.Int("UserID", credit.user_id);
    line.Amount("Amount", credit.amount);
    line.Date("Date", credit.date);
    line.Text("Description", credit.description);
    Write(line);
    ++counts_.credits;
  }

  void Booking(const BookingRecord& record) override {
    const StoredBooking& b = record.booking;
    JsonLine line(text_, "Booking");
    line.Int("BookingID", b.booking_id);
    line.Int("ClientUserID", b.client_user_id);
    line.Int("CandidateUserID", b.candidate.user_id);
    line.Int("Duration", b.duration_minutes);
    line.Amount("Credits", b.credits);
    line.Text("Status", StatusName(b.status));
    line.Int("Method", static_cast<std::int64_t>(b.method));
    line.OptionalText("PhoneNumber", b.phone_number);
    line.OptionalText("SkypeName", b.skype_name);
    line.Date("CreateDate", b.create_date);
    line.Date("SessionDate", b.session_date);
    line.Date("AcceptBy", b.accept_by);
    line.Date("AcceptedDate", b.accepted_date);
    line.Date("ConfirmedDate", b.confirmed_date);
    line.Date("CancelledDate", b.cancelled_date);
    line.OptionalText("CancelledReason", b.cancelled_reason);
    if (b.cancelled_by) {
      line.Text("CancelledBy", CancelledByName(*b.cancelled_by));
    } else {
      line.Null("CancelledBy");
    }
    line.OptionalText("RejectedReason", b.rejected_reason);
    line.Date("LastUpdated", b.last_updated);
    line.OptionalText("Comments", b.comments);
    line.Bool("DeletedByClient", b.deleted_by_client || record.deleted_by_client);
    line.Bool("DeletedByCandidate", b.deleted_by_candidate);
    line.Amount("OfferedCredits", b.offered_credits);
    if (b.rejection_kind) {
      line.Text("RejectionKind", RejectionKindName(*b.rejection_kind));
    } else {
      line.Null("RejectionKind");
    }
    if (b.rescheduled_from) {
      line.Int("RescheduledFromBookingID", *b.rescheduled_from);
    } else {
      line.Null("RescheduledFromBookingID");
    }
    // Given for every booking the ledger has an opinion on: a Confirmed one (settled or not) and a paid one.
    const BookingLedger ledger = record.ledger.value_or(BookingLedger{});
    if (b.status == BookingStatus::kConfirmed || ledger.payment) {
      line.Bool("Settled", b.status == BookingStatus::kConfirmed && b.settled);
      if (ledger.payment) {
        line.Text("PaymentFrom", PaymentSourceName(ledger.payment->from));
        line.Date("PaymentDate", ledger.payment->date);
      } else {
        line.Null("PaymentFrom");
        line.Null("PaymentDate");
      }
      line.Date("RefundDate", ledger.refund_date);
      line.Date("EarningDate", ledger.earning_date);
    }
    Write(line);
    ++counts_.bookings;
  }

  [[nodiscard]] const ExportCounts& Counts() const { return counts_; }

 private:
  void Write(JsonLine& line) {
    line.End();
    output_.write(text_.data(), static_cast<std::streamsize>(text_.size()));
    if (!output_) throw std::runtime_error("cannot write the export's output");
  }

  std::ostream& output_;
  std::string text_;
  ExportCounts counts_;
};

}  // namespace

ExportCounts ExportJsonLines(Store& store, std::ostream& output) {
  JsonLinesSink sink(output);
  store.ExportRecords(sink);
  output.flush();
  if (!output) throw std::runtime_error("cannot write the export's output");
  return sink.Counts();
}

}  // namespace phonechat
