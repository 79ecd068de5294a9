// The referential, uniqueness and ledger rules of a write batch, with their reasons, over any backend's BatchWriter.

#include "storage/write_batch_rules.hpp"

#include <algorithm>
#include <cassert>
#include <map>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <utility>

namespace phonechat {

namespace {

// Number of Unicode code points in valid UTF-8.
std::size_t CodePoints(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Longest chain of reschedules followed back when looking for a loop; real chains are a few bookings long.
constexpr int kMaxRescheduleChain = 10'000;

std::string Taken(BookingId booking_id) {
  return "Booking " + std::to_string(booking_id) + " already exists (use --replace)";
}

class RuledWriteBatch final : public WriteBatch {
 public:
  explicit RuledWriteBatch(std::unique_ptr<BatchWriter> writer) : writer_(std::move(writer)) {}

  bool UserExists(UserId user_id) override { return writer_->UserExists(user_id); }

  std::string PutUser(const UserRecord& user, bool replace) override {
    if (!Next()) return {};
    if (!replace && writer_->UserExists(user.user_id)) {
      return Refuse("User " + std::to_string(user.user_id) + " already exists (use --replace)");
    }
    writer_->WriteUser(user);
    return {};
  }

  std::string PutGroup(const GroupRecord& group, bool replace) override {
    if (!Next()) return {};
    // Every check comes before the first write, so that a refused record leaves the batch unchanged.
    const bool exists = writer_->GroupExists(group.group_id);
    if (exists && !replace) {
      return Refuse("Group " + std::to_string(group.group_id) + " already exists (use --replace)");
    }
    if (!writer_->UserExists(group.manager_user_id)) {
      return Refuse("Group.ManagerUserID " + std::to_string(group.manager_user_id) + " is not a known user");
    }
    std::unordered_set<UserId> seen;
    for (const UserId member : group.member_user_ids) {
      if (!seen.insert(member).second) {
        return Refuse("Group.MemberUserIDs lists user " + std::to_string(member) + " twice");
      }
      if (!writer_->UserExists(member)) {
        return Refuse("Group.MemberUserIDs: " + std::to_string(member) + " is not a known user");
      }
      const auto other = writer_->GroupOf(member);
      if (other && *other != group.group_id) {
        return Refuse("Group.MemberUserIDs: user " + std::to_string(member) + " already belongs to group " +
                      std::to_string(*other) + " (a user belongs to at most one group)");
      }
    }
    writer_->WriteGroup(group, exists);
    return {};
  }

  std::string PutProject(const ProjectRecord& project, bool replace) override {
    if (!Next()) return {};
    if (!writer_->UserExists(project.owner_user_id)) {
      return Refuse("Project.OwnerUserID " + std::to_string(project.owner_user_id) + " is not a known user");
    }
    if (!replace && writer_->ProjectExists(project.client_id)) {
      return Refuse("Project with ClientID \"" + project.client_id + "\" already exists (use --replace)");
    }
    const auto key_owner = writer_->ClientIdOfApiKey(project.api_key);
    if (key_owner && *key_owner != project.client_id) {
      return Refuse("Project.ApiKey is already used by another project");
    }
    writer_->WriteProject(project);
    return {};
  }

  std::string PutBooking(const BookingRecord& record, bool replace) override {
    if (!Next()) return {};
    const StoredBooking& booking = record.booking;
    if (!writer_->UserExists(booking.client_user_id)) {
      return Refuse("Booking.ClientUserID " + std::to_string(booking.client_user_id) + " is not a known user");
    }
    if (!writer_->UserExists(booking.candidate.user_id)) {
      return Refuse("Booking.CandidateUserID " + std::to_string(booking.candidate.user_id) + " is not a known user");
    }
    if (booking.rescheduled_from) {
      if (auto reason = RescheduleError(booking, replace); !reason.empty()) return Refuse(std::move(reason));
    }
    if (replace) {
      if (auto reason = ReplacedSourceError(booking); !reason.empty()) return Refuse(std::move(reason));
    }
    // Without replace a stored ID is refused anyway (kIdTaken or CheckBookingIds), and the look-up is spared.
    if (record.ledger && replace) {
      if (auto reason = GivenLedgerError(record); !reason.empty()) return Refuse(std::move(reason));
    }
    const BookingRecord* written = &record;
    BookingRecord as_the_ledger_says;
    if (replace) {
      if (const auto moved = writer_->MovedBookingOf(booking.booking_id)) {
        if (auto reason = MovedBookingReplaceError(*moved, booking); !reason.empty()) return Refuse(std::move(reason));
        // Escrow holds a Confirmed booking's credits exactly until its Earning: the ledger, not the import's now,
        // says whether it is settled. One still in escrow is paid out later, by the sweeper.
        if (booking.status == BookingStatus::kConfirmed && booking.settled != moved->earned) {
          as_the_ledger_says = record;
          as_the_ledger_says.booking.settled = moved->earned;
          written = &as_the_ledger_says;
        }
      }
    }
    if (writer_->WriteBooking(*written, replace, position_) == BookingWrite::kIdTaken) {
      return Refuse(Taken(booking.booking_id));
    }
    if (record.ledger) TrackMovements(record);
    return {};
  }

  std::string PutCredit(const CreditRecord& credit) override {
    if (!Next()) return {};
    if (!writer_->UserExists(credit.user_id)) {
      return Refuse("Credit.UserID " + std::to_string(credit.user_id) + " is not a known user");
    }
    if (credit.amount.ten_thousandths <= 0) return Refuse("Credit.Amount must be more than 0");
    writer_->WriteCredit(credit);
    balance_moves_[credit.user_id].delta += credit.amount.ten_thousandths;
    return {};
  }

  void Commit() override {
    assert(!committed_);
    if (rejected_) throw RecordRejected(rejected_->first, rejected_->second);
    if (const auto taken = writer_->CheckBookingIds()) throw RecordRejected(taken->position, Taken(taken->booking_id));
    CheckBalances();
    writer_->Commit();
    committed_ = true;
  }

 private:
  // Why the booking cannot be rescheduled from its RescheduledFromBookingID (docs/import-format.md, "Booking"), or
  // an empty string.
  std::string RescheduleError(const StoredBooking& booking, bool replace) {
    const BookingId source = *booking.rescheduled_from;
    const std::string field = "Booking.RescheduledFromBookingID " + std::to_string(source);
    const auto parties = writer_->PartiesOf(source);
    if (!parties) return field + " is not a known booking";
    if (parties->client_user_id != booking.client_user_id || parties->candidate_user_id != booking.candidate.user_id) {
      return field + " must name a booking of the same client and candidate";
    }
    if (booking.create_date < parties->create_date) return field + " must name a booking created before this one";
    if (const auto other = writer_->RescheduledInto(source, booking.booking_id)) {
      return field + " was already rescheduled, as booking " + std::to_string(*other) +
             " (a booking is rescheduled at most once)";
    }
    // Only a replaced booking can close a loop: a new one is named by no booking before it.
    if (replace) {
      std::optional<BookingId> earlier = parties->rescheduled_from;
      for (int step = 0; earlier && step < kMaxRescheduleChain; ++step) {
        if (*earlier == booking.booking_id) {
          return field + " was itself rescheduled, through earlier bookings, from booking " +
                 std::to_string(booking.booking_id) + " (reschedules cannot loop)";
        }
        const auto next = writer_->PartiesOf(*earlier);
        earlier = next ? next->rescheduled_from : std::nullopt;
      }
    }
    return {};
  }

  // Why `booking` cannot replace the booking with its ID when another booking was rescheduled from it, or an empty
  // string: a source keeps that booking's client and candidate and is created no later than it.
  std::string ReplacedSourceError(const StoredBooking& booking) {
    const auto into = writer_->RescheduledInto(booking.booking_id, booking.booking_id);
    if (!into) return {};
    const auto parties = writer_->PartiesOf(*into);
    if (!parties) return {};
    const bool same_parties = parties->client_user_id == booking.client_user_id &&
                              parties->candidate_user_id == booking.candidate.user_id;
    if (same_parties && booking.create_date <= parties->create_date) return {};
    return "Booking " + std::to_string(booking.booking_id) + " cannot be replaced so: booking " +
           std::to_string(*into) +
           " was rescheduled from it, and a source keeps that booking's client and candidate and is created no "
           "later than it";
  }

  // Why a record that gives its movements cannot be stored, or an empty string: it may not replace a booking, whose
  // movements the ledger (or an earlier record of the batch) already decided.
  std::string GivenLedgerError(const BookingRecord& record) {
    const BookingId booking_id = record.booking.booking_id;
    if (!writer_->PartiesOf(booking_id)) return {};
    return "Booking " + std::to_string(booking_id) +
           " already exists, and a record that gives its ledger (Settled, PaymentFrom, PaymentDate, RefundDate, "
           "EarningDate) cannot replace a booking: import it into a database without that booking";
  }

  // Adds the record's movements to the users' balance moves: a Payment from the client out of theirs, a Refund into
  // the client's, an Earning into the candidate's.
  void TrackMovements(const BookingRecord& record) {
    const StoredBooking& booking = record.booking;
    const BookingLedger& ledger = *record.ledger;
    const std::int64_t amount = booking.credits.ten_thousandths;
    if (ledger.payment && ledger.payment->from == PaymentSource::kClient) {
      auto& client = balance_moves_[booking.client_user_id];
      client.delta -= amount;
      client.last_payment = LastPayment{position_, booking.booking_id};
    }
    if (ledger.refund_date) balance_moves_[booking.client_user_id].delta += amount;
    if (ledger.earning_date) balance_moves_[booking.candidate.user_id].delta += amount;
  }

  // Refuses the batch when a user's balance would end below zero: the latest Payment from that user is reported.
  void CheckBalances() {
    for (const auto& [user_id, moves] : balance_moves_) {
      if (moves.delta >= 0 || !moves.last_payment) continue;
      const std::int64_t before = writer_->BalanceOf(user_id).ten_thousandths;
      if (before + moves.delta >= 0) continue;
      throw RecordRejected(moves.last_payment->position,
                           "Booking " + std::to_string(moves.last_payment->booking_id) +
                               ".PaymentFrom Client: the balance of user " + std::to_string(user_id) +
                               " would end the import at " + SignedCreditsText(before + moves.delta) + " (" +
                               SignedCreditsText(before) + " before it, " + SignedCreditsText(moves.delta) +
                               " moved by the file): a client pays only with credits they hold");
    }
  }

  // Counts the record; false when an earlier one was already rejected (the batch will not commit: nothing more
  // needs checking or writing).
  bool Next() {
    assert(!committed_);
    ++position_;
    return !rejected_;
  }

  // The reason the current record is refused, unless a booking written before it fails its deferred ID check: that
  // earlier record is the one to report, at Commit(), and this one is accepted meanwhile.
  std::string Refuse(std::string reason) {
    if (const auto taken = writer_->CheckBookingIds()) {
      rejected_.emplace(taken->position, Taken(taken->booking_id));
      return {};
    }
    return reason;
  }

  std::unique_ptr<BatchWriter> writer_;
  std::int64_t position_ = 0;  // Put* calls so far: the position of the current record
  bool committed_ = false;
  std::optional<std::pair<std::int64_t, std::string>> rejected_;  // the earliest refused record, for Commit()
  struct LastPayment {
    std::int64_t position = 0;
    BookingId booking_id = 0;
  };
  struct BalanceMoves {
    std::int64_t delta = 0;                  // ten-thousandths into the user's balance, less those out of it
    std::optional<LastPayment> last_payment;  // the batch's latest Payment from the user
  };
  std::map<UserId, BalanceMoves> balance_moves_;
};

}  // namespace

std::string MovedBookingReplaceError(const MovedBooking& moved, const StoredBooking& replacement) {
  const BookingStatus kept_status = moved.refunded ? BookingStatus::kCancelled : BookingStatus::kConfirmed;
  std::string change;
  if (replacement.client_user_id != moved.client_user_id) {
    change = "ClientUserID from " + std::to_string(moved.client_user_id) + " to " +
             std::to_string(replacement.client_user_id);
  } else if (replacement.candidate.user_id != moved.candidate_user_id) {
    change = "CandidateUserID from " + std::to_string(moved.candidate_user_id) + " to " +
             std::to_string(replacement.candidate.user_id);
  } else if (replacement.credits != moved.credits) {
    change = "Credits from " + CreditsText(moved.credits) + " to " + CreditsText(replacement.credits);
  } else if (replacement.status != kept_status) {
    change =
        "Status from " + std::string(StatusName(kept_status)) + " to " + std::string(StatusName(replacement.status));
  } else {
    return {};
  }
  const char* where = moved.refunded ? "were refunded to the client"
                      : moved.earned ? "were paid to the candidate"
                                     : "are held in escrow";
  return "Booking " + std::to_string(replacement.booking_id) + " cannot be replaced: its credits " + where +
         " and the ledger keeps that movement, but the record changes " + change +
         " (a booking whose credits have moved keeps its client, candidate, Credits and status)";
}

boost::system::result<Credits, std::string> ParseCreditAmount(std::string_view text) {
  const auto parsed = ParseCredits(text);
  if (!parsed) {
    return "\"" + std::string(text) + "\" " + parsed.error() +
           " (plain digits with at most 4 fraction digits, no sign, no exponent)";
  }
  if (parsed->ten_thousandths == 0) {
    return std::string("must be more than 0");
  }
  if (parsed->ten_thousandths > kMaxCreditsTenThousandths) {
    return std::string("is too large");
  }
  return *parsed;
}

std::string CreditDescriptionError(std::string_view description) {
  const std::size_t chars = CodePoints(description);
  if (chars < 1 || chars > kMaxCreditDescriptionChars) {
    return "must be 1 to " + std::to_string(kMaxCreditDescriptionChars) + " characters long";
  }
  return {};
}

std::optional<BookingParties> BatchWriter::PartiesOf(BookingId /*booking_id*/) {
  throw std::logic_error("BatchWriter::PartiesOf is not implemented by this backend");
}

Credits BatchWriter::BalanceOf(UserId /*user_id*/) {
  throw std::logic_error("BatchWriter::BalanceOf is not implemented by this backend");
}

std::optional<BookingId> BatchWriter::RescheduledInto(BookingId /*source*/, BookingId /*except*/) {
  throw std::logic_error("BatchWriter::RescheduledInto is not implemented by this backend");
}

std::optional<MovedBooking> BatchWriter::MovedBookingOf(BookingId /*booking_id*/) {
  throw std::logic_error("BatchWriter::MovedBookingOf is not implemented by this backend");
}

void BatchWriter::WriteCredit(const CreditRecord& /*credit*/) {
  throw std::logic_error("BatchWriter::WriteCredit is not implemented by this backend");
}

std::unique_ptr<WriteBatch> WithWriteRules(std::unique_ptr<BatchWriter> writer) {
  return std::make_unique<RuledWriteBatch>(std::move(writer));
}

}  // namespace phonechat
