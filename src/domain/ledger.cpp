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

}  // namespace phonechat
