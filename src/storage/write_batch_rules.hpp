// The write batch every backend offers, built from a backend's lookups and writes under the import's rules.
#pragma once

// The rules a write batch enforces (docs/import-format.md: references to records that exist, IDs taken only with
// --replace), written once above every backend with the reasons they give. Backends supply lookups and writes.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "storage/store.hpp"

namespace phonechat {

// What BatchWriter::WriteBooking did.
enum class BookingWrite {
  kWritten,  // stored, or staged with its ID to be checked later (BatchWriter::CheckBookingIds)
  kIdTaken,  // not stored: a booking with its ID exists and `replace` was false
};

// A booking staged without replace whose ID turned out to be taken: its position among the batch's records.
struct TakenBookingId {
  std::int64_t position = 0;
  BookingId booking_id = 0;
};

// A backend's half of a write batch: lookups that see the batch's own writes, and writes that assume the rules held
// (every reference exists) and check only what the database checks best (a taken booking ID). One transaction;
// destroying it without Commit() rolls back. Use it on one thread.
class BatchWriter {
 public:
  virtual ~BatchWriter() = default;

  // True when the user exists.
  virtual bool UserExists(UserId user_id) = 0;
  // True when the group exists.
  virtual bool GroupExists(GroupId group_id) = 0;
  // The group `user_id` belongs to, if any.
  virtual std::optional<GroupId> GroupOf(UserId user_id) = 0;
  // True when a project has `client_id`.
  virtual bool ProjectExists(std::string_view client_id) = 0;
  // The client ID of the project whose API key is `api_key`, if any.
  virtual std::optional<std::string> ClientIdOfApiKey(std::string_view api_key) = 0;

  // Stores the user, replacing the one with its ID if any.
  virtual void WriteUser(const UserRecord& user) = 0;
  // Stores the group; `exists` (as GroupExists said) replaces the group with its ID and its whole member list.
  virtual void WriteGroup(const GroupRecord& group, bool exists) = 0;
  // Stores the project, replacing the one with its client ID if any.
  virtual void WriteProject(const ProjectRecord& project) = 0;
  // Stores the booking, the `position`-th record of the batch (1-based), whose client and candidate exist. With
  // `replace` it replaces the booking with its ID; without, a taken ID is kIdTaken now or, where the backend
  // checks IDs in bulk, reported later by CheckBookingIds.
  virtual BookingWrite WriteBooking(const BookingRecord& booking, bool replace, std::int64_t position) = 0;
  // Checks the bookings written since the last call: the earliest written without replace whose ID the database
  // or an earlier booking of the batch already had, if any.
  virtual std::optional<TakenBookingId> CheckBookingIds() = 0;
  // Makes every write durable.
  virtual void Commit() = 0;
};

// A WriteBatch that enforces the rules on `writer` and reports refusals with their reasons (WriteBatch's contract).
std::unique_ptr<WriteBatch> WithWriteRules(std::unique_ptr<BatchWriter> writer);

}  // namespace phonechat
