// `credits add` and `ledger verify`: a Credit movement through one life-cycle transaction, and the ledger's audit
// read back and judged.
#include "app/ledger_commands.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "domain/credits.hpp"
#include "domain/ledger.hpp"
#include "service/service_clock.hpp"
#include "storage/store.hpp"
#include "storage/write_batch_rules.hpp"

namespace phonechat {
namespace {

// Transactions a conflict may abort before `credits add` gives up (PostgreSQL only; SQLite has one writer).
constexpr int kCreditAttempts = 5;

std::string AccountName(AccountId account) {
  if (account == kEscrowAccount) return "escrow";
  if (account == kExternalAccount) return "external";
  return "user " + std::to_string(account);
}

}  // namespace

std::vector<std::string> LedgerProblems(const LedgerAudit& audit) {
  std::vector<std::string> problems;
  for (const LedgerCheck& check : audit.mismatched) {
    problems.push_back(AccountName(check.account) + ": running balance " + CreditsText(check.running_balance) +
                       ", but its ledger rows add up to " + SignedCreditsText(check.from_rows_ten_thousandths));
  }
  if (audit.sum_of_all_ten_thousandths != 0) {
    problems.push_back("the ledger does not balance: its rows over every account add up to " +
                       SignedCreditsText(audit.sum_of_all_ten_thousandths) + " instead of 0");
  }
  if (audit.escrow != audit.unsettled_confirmed) {
    problems.push_back("escrow: running balance " + CreditsText(audit.escrow) +
                       ", but the Confirmed bookings not yet settled hold " + CreditsText(audit.unsettled_confirmed));
  }
  return problems;
}

int RunCreditsAdd(const CreditsAddCommand& command) {
  if (command.user_id < 1 || command.user_id > kMaxId) {
    throw UsageError("--user must be a user ID from 1 to " + std::to_string(kMaxId));
  }
  const auto amount = ParseCreditAmount(command.amount);
  if (!amount) throw UsageError("--amount " + amount.error());
  if (const std::string error = CreditDescriptionError(command.description); !error.empty()) {
    throw UsageError("--description " + error);
  }
  const ServiceClock clock(command.zone);
  const auto user = static_cast<UserId>(command.user_id);
  std::unique_ptr<Store> store = OpenStore(command.database_url);
  for (int attempt = 1;; ++attempt) {
    try {
      std::unique_ptr<LifecycleTransaction> transaction = store->BeginLifecycle();
      if (!transaction->LockUser(user)) throw UsageError("user " + std::to_string(user) + " does not exist");
      const LedgerEntry credit{LedgerKind::kCredit, std::nullopt,       kExternalAccount, user, *amount,
                               clock.LocalNow(),    command.description};
      // The external account may go below zero: only a paying user or escrow can be short.
      if (!transaction->Post(credit)) throw std::logic_error("the external account refused a Credit movement");
      const Credits balance = transaction->Balance(user);
      transaction->Commit();
      std::printf("user %d: balance %s\n", user, CreditsText(balance).c_str());
      return 0;
    } catch (const TransactionConflict&) {
      if (attempt == kCreditAttempts) throw;
    }
  }
}

int RunLedgerVerify(const LedgerVerifyCommand& command) {
  std::unique_ptr<Store> store = OpenStore(command.database_url);
  const LedgerAudit audit = store->AuditLedger();
  const std::vector<std::string> problems = LedgerProblems(audit);
  if (problems.empty()) {
    std::printf(
        "ledger verified: %lld entries, every running balance equals its rows, the rows sum to 0, escrow "
        "holds %s (the Confirmed bookings not yet settled)\n",
        static_cast<long long>(audit.entries), CreditsText(audit.escrow).c_str());
    return 0;
  }
  for (const std::string& problem : problems) std::fprintf(stderr, "phonechat-api: ledger: %s\n", problem.c_str());
  return 1;
}

}  // namespace phonechat
