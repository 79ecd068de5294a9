#pragma once

// The credits ledger's commands: `credits add` and `ledger verify` (README, "Commands").

#include <cstdint>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "storage/lifecycle_store.hpp"

namespace phonechat {

// `credits add`: the options after parsing.
struct CreditsAddCommand {
  std::string database_url = kDefaultDatabaseUrl;
  std::int64_t user_id = 0;
  std::string amount;                                         // as typed: checked as the import checks Credit.Amount
  std::string description = "Credits added by the operator";  // 1 to 200 characters
  std::string zone = "Europe/London";                         // the service's zone, for the movement's date
};

// `ledger verify`: the options after parsing.
struct LedgerVerifyCommand {
  std::string database_url = kDefaultDatabaseUrl;
};

// One line per problem `ledger verify` finds in `audit`: each account whose running balance differs from its rows,
// rows that do not sum to 0, escrow differing from the unsettled Confirmed bookings' Credits. Empty when it holds.
std::vector<std::string> LedgerProblems(const LedgerAudit& audit);

// Moves `amount` from the external account to the user in one life-cycle transaction and prints the user's new
// balance on stdout. Throws UsageError for a bad amount or description, or a user that does not exist. Returns the
// exit code.
int RunCreditsAdd(const CreditsAddCommand& command);

// Audits the whole ledger: prints a one-line summary on stdout and returns 0 when it holds, else prints each
// problem (LedgerProblems) on stderr and returns 1.
int RunLedgerVerify(const LedgerVerifyCommand& command);

}  // namespace phonechat
