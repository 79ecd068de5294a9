// Names of the ledger's movement kinds.

#include "domain/ledger.hpp"

namespace phonechat {

std::string_view LedgerKindName(LedgerKind kind) {
  switch (kind) {
    case LedgerKind::kCredit:
      return "Credit";
    case LedgerKind::kPayment:
      return "Payment";
    case LedgerKind::kRefund:
      return "Refund";
    case LedgerKind::kEarning:
      return "Earning";
  }
  return {};
}

std::string_view PaymentSourceName(PaymentSource source) {
  return source == PaymentSource::kClient ? "Client" : "External";
}

std::optional<PaymentSource> ParsePaymentSource(std::string_view name) {
  if (name == "Client") return PaymentSource::kClient;
  if (name == "External") return PaymentSource::kExternal;
  return std::nullopt;
}

}  // namespace phonechat
