#pragma once

// The credits ledger's vocabulary: accounts, movement kinds and one movement (docs/lifecycle.md, "Credits").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/booking.hpp"
#include "domain/credits.hpp"
#include "domain/local_date_time.hpp"

namespace phonechat {

// A ledger account: a user's (their UserID, positive) or one of the two system accounts below.
using AccountId = std::int64_t;
// Credits paid for Confirmed sessions not yet settled.
inline constexpr AccountId kEscrowAccount = -1;
// Where purchases and imported credits come from; the only account allowed below zero.
inline constexpr AccountId kExternalAccount = -2;

enum class LedgerKind { kCredit, kPayment, kRefund, kEarning };

// `Credit`, `Payment`, `Refund` or `Earning`.
std::string_view LedgerKindName(LedgerKind kind);

// One movement of credits from one account to another.
struct LedgerEntry {
  LedgerKind kind = LedgerKind::kCredit;
  std::optional<BookingId> booking_id;
  AccountId from = kExternalAccount;
  AccountId to = kExternalAccount;
  Credits amount;  // > 0
  LocalDateTime date;
  std::optional<std::string> description;  // Credit movements only
};

// Whose account a booking's Payment came from: its client's (a Confirm), or the external account (an import that
// found the booking Confirmed and unsettled).
enum class PaymentSource { kClient, kExternal };

// `Client` or `External`.
std::string_view PaymentSourceName(PaymentSource source);
// The source named `Client` or `External`; nullopt for any other text.
std::optional<PaymentSource> ParsePaymentSource(std::string_view name);

// Every movement the ledger holds for one booking, each of the booking's Credits: at most one Payment into escrow,
// then at most one of a Refund (escrow to the client) and an Earning (escrow to the candidate).
struct BookingLedger {
  struct Payment {
    PaymentSource from = PaymentSource::kClient;
    LocalDateTime date;

    friend bool operator==(const Payment&, const Payment&) = default;
  };
  std::optional<Payment> payment;
  std::optional<LocalDateTime> refund_date;
  std::optional<LocalDateTime> earning_date;

  friend bool operator==(const BookingLedger&, const BookingLedger&) = default;
};

}  // namespace phonechat
