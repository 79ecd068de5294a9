// The export's queries and their rows' mapping to import records, written once for every backend.
#pragma once

// Every backend exports with the same SQL (both dialects read it alike) and the same row mapping: a backend only
// runs each query in one read snapshot and hands its rows over one by one (docs/import-format.md, "Export").

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "domain/ledger.hpp"
#include "storage/booking_row.hpp"
#include "storage/redirect_uris.hpp"
#include "storage/store.hpp"

namespace phonechat::export_rows {

inline constexpr std::string_view kUsersSql =
    "SELECT user_id, nickname, password_hash, email_address, phonechat_number, skype_name, positive, neutral, "
    "negative, disputes, offers_phonechat, phonechat_ppm, offer_direct_chat, direct_chat_only, direct_chat_ppm, "
    "show_phonechat_number FROM users ORDER BY user_id";

// One row per member (a group without members: one row with a NULL member), by group, then member.
inline constexpr std::string_view kGroupsSql =
    "SELECT g.group_id, g.name, g.manager_user_id, m.user_id FROM user_groups AS g "
    "LEFT JOIN group_members AS m ON m.group_id = g.group_id ORDER BY g.group_id, m.user_id";

inline constexpr std::string_view kProjectsSql =
    "SELECT name, owner_user_id, api_key, client_id, client_secret_hash, redirect_uris, implicit_grant, active "
    "FROM projects ORDER BY project_id";

inline constexpr std::string_view kCreditsSql =
    "SELECT to_account, amount, date, description FROM ledger_entries WHERE kind = 'Credit' ORDER BY entry_id";

// booking_row::kReadColumns (u: the candidate), then the booking's movements (kPaymentFrom on), by ID: the order a
// write batch stores fastest.
inline constexpr std::string_view kBookingsSql =
    "SELECT b.booking_id, b.client_user_id, b.duration_minutes, b.credits, b.status, b.method, b.phone_number, "
    "b.skype_name, b.create_date, b.session_date, b.accept_by, b.accepted_date, b.confirmed_date, "
    "b.cancelled_date, b.cancelled_reason, b.cancelled_by, b.rejected_reason, b.last_updated, b.comments, "
    "b.candidate_user_id, b.offered_credits, b.rejection_kind, b.deleted_by_client, b.deleted_by_candidate, "
    "b.rescheduled_from, b.settled, "
    "u.user_id, u.nickname, u.phonechat_number, u.skype_name, u.positive, u.neutral, u.negative, u.disputes, "
    "l.payment_from, l.payment_date, l.refund_date, l.earning_date FROM bookings AS b "
    "JOIN users AS u ON u.user_id = b.candidate_user_id "
    "LEFT JOIN (SELECT booking_id, max(CASE WHEN kind = 'Payment' THEN from_account END) AS payment_from, "
    "max(CASE WHEN kind = 'Payment' THEN date END) AS payment_date, "
    "max(CASE WHEN kind = 'Refund' THEN date END) AS refund_date, "
    "max(CASE WHEN kind = 'Earning' THEN date END) AS earning_date "
    "FROM ledger_entries WHERE kind IN ('Payment', 'Refund', 'Earning') GROUP BY booking_id) AS l "
    "ON l.booking_id = b.booking_id ORDER BY b.booking_id";

// Where kBookingsSql's movement columns start (after booking_row's read columns).
inline constexpr int kPaymentFrom = booking_row::kSecondPartyUserId;

template <typename Row>
std::optional<LocalDateTime> OptionalDate(const Row& row, int column) {
  if (row.IsNull(column)) return std::nullopt;
  return LocalDateTime{row.Int(column)};
}

template <typename Row>
std::optional<std::string> OptionalText(const Row& row, int column) {
  if (row.IsNull(column)) return std::nullopt;
  return std::string(row.Text(column));
}

template <typename Row>
std::optional<Credits> OptionalCredits(const Row& row, int column) {
  if (row.IsNull(column)) return std::nullopt;
  return Credits{row.Int(column)};
}

template <typename Row>
UserRecord ReadUser(const Row& row) {
  UserRecord user;
  user.user_id = static_cast<UserId>(row.Int(0));
  user.nickname = row.Text(1);
  user.password_hash = OptionalText(row, 2);
  user.email_address = OptionalText(row, 3);
  user.phonechat_number = OptionalText(row, 4);
  user.skype_name = OptionalText(row, 5);
  user.positive = static_cast<std::int32_t>(row.Int(6));
  user.neutral = static_cast<std::int32_t>(row.Int(7));
  user.negative = static_cast<std::int32_t>(row.Int(8));
  user.disputes = static_cast<std::int32_t>(row.Int(9));
  user.offers_phonechat = booking_row::Flag(row, 10);
  user.phonechat_ppm = OptionalCredits(row, 11);
  user.offer_direct_chat = booking_row::Flag(row, 12);
  user.direct_chat_only = booking_row::Flag(row, 13);
  user.direct_chat_ppm = OptionalCredits(row, 14);
  user.show_phonechat_number = booking_row::Flag(row, 15);
  return user;
}

template <typename Row>
ProjectRecord ReadProject(const Row& row) {
  ProjectRecord project;
  project.name = row.Text(0);
  project.owner_user_id = static_cast<UserId>(row.Int(1));
  project.api_key = row.Text(2);
  project.client_id = row.Text(3);
  project.client_secret_hash = OptionalText(row, 4);
  project.redirect_uris = ParseRedirectUris(row.Text(5));
  project.implicit_grant = booking_row::Flag(row, 6);
  project.active = booking_row::Flag(row, 7);
  return project;
}

template <typename Row>
CreditRecord ReadCredit(const Row& row) {
  CreditRecord credit;
  credit.user_id = static_cast<UserId>(row.Int(0));
  credit.amount = Credits{row.Int(1)};
  credit.date = LocalDateTime{row.Int(2)};
  credit.description = row.IsNull(3) ? std::string() : std::string(row.Text(3));
  return credit;
}

// The booking with its movements; throws std::runtime_error for a Payment from an account that is neither the
// client's nor the external one (a damaged ledger).
template <typename Row>
BookingRecord ReadBooking(const Row& row) {
  BookingRecord record;
  record.booking = booking_row::Read(row, BookingSide::kMade);
  BookingLedger ledger;
  if (!row.IsNull(kPaymentFrom + 1)) {
    const auto from = row.Int(kPaymentFrom);
    if (from != record.booking.client_user_id && from != kExternalAccount) {
      throw std::runtime_error("booking " + std::to_string(record.booking.booking_id) +
                               " has a Payment from account " + std::to_string(from) +
                               ", neither its client's nor the external one");
    }
    ledger.payment = BookingLedger::Payment{from == kExternalAccount ? PaymentSource::kExternal : PaymentSource::kClient,
                                            LocalDateTime{row.Int(kPaymentFrom + 1)}};
  }
  ledger.refund_date = OptionalDate(row, kPaymentFrom + 2);
  ledger.earning_date = OptionalDate(row, kPaymentFrom + 3);
  record.ledger = ledger;
  return record;
}

// Hands bookings that arrive by ID to `sink` so that a rescheduled booking always follows its source. A booking made
// by the life cycle has a greater ID than its source, so only an imported one may name a source not sent yet: it is
// held back until that source has gone (memory: the bookings held, none in a database the API made).
class RescheduleOrder {
 public:
  explicit RescheduleOrder(ExportSink& sink) : sink_(sink) {}

  void Add(BookingRecord record) {
    const auto source = record.booking.rescheduled_from;
    const bool source_sent = !source || (*source < record.booking.booking_id && !held_ids_.contains(*source));
    if (!source_sent) {
      held_ids_.insert(record.booking.booking_id);
      held_.emplace(*source, std::move(record));
      return;
    }
    Send(std::move(record));
  }

  // Sends what is still held (a source that never came: the import will name it).
  void Flush() {
    for (auto& [source, record] : held_) sink_.Booking(record);
    held_.clear();
    held_ids_.clear();
  }

 private:
  // Sends the booking, then every booking held for it, recursively.
  void Send(BookingRecord record) {
    std::vector<BookingRecord> ready{std::move(record)};
    while (!ready.empty()) {
      BookingRecord next = std::move(ready.back());
      ready.pop_back();
      sink_.Booking(next);
      const auto held = held_.find(next.booking.booking_id);
      if (held != held_.end()) {
        held_ids_.erase(held->second.booking.booking_id);
        ready.push_back(std::move(held->second));
        held_.erase(held);
      }
    }
  }

  ExportSink& sink_;
  std::map<BookingId, BookingRecord> held_;  // by the source each waits for (a source is rescheduled at most once)
  std::unordered_set<BookingId> held_ids_;   // the bookings in held_
};

// Runs every export query through `run(sql, on_row)` (which calls on_row(row) for each row, in order, all queries in
// one snapshot) and hands the records to `sink` in ExportRecords' order.
template <typename Run>
void ExportAll(Run&& run, ExportSink& sink) {
  run(kUsersSql, [&](const auto& row) { sink.User(export_rows::ReadUser(row)); });
  std::optional<GroupRecord> group;
  run(kGroupsSql, [&](const auto& row) {
    const auto group_id = static_cast<GroupId>(row.Int(0));
    if (group && group->group_id != group_id) {
      sink.Group(*group);
      group.reset();
    }
    if (!group) group = GroupRecord{group_id, std::string(row.Text(1)), static_cast<UserId>(row.Int(2)), {}};
    if (!row.IsNull(3)) group->member_user_ids.push_back(static_cast<UserId>(row.Int(3)));
  });
  if (group) sink.Group(*group);
  run(kProjectsSql, [&](const auto& row) { sink.Project(export_rows::ReadProject(row)); });
  run(kCreditsSql, [&](const auto& row) { sink.Credit(export_rows::ReadCredit(row)); });
  RescheduleOrder bookings(sink);
  run(kBookingsSql, [&](const auto& row) { bookings.Add(export_rows::ReadBooking(row)); });
  bookings.Flush();
}

}  // namespace phonechat::export_rows
