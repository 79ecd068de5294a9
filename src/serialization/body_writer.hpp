// The JSON and DataContract XML bodies of the API's answers, written from one field table per body.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "domain/made_bookings_query.hpp"
#include "domain/phonechat_settings.hpp"

namespace phonechat {

// The two body formats of the API.
enum class BodyFormat { kJson, kXml };

// Appends the compact JSON of a MadeBookings page (docs/api.md, "The response"): fields in the published order.
void WriteMadeBookingsJson(std::string& out, const MadeBookingsPage& page);

// Appends the compact DataContract XML of a MadeBookings page: root `BookingsResult`, namespaces and
// alphabetical element order of docs/api.md, "The response", no XML declaration.
void WriteMadeBookingsXml(std::string& out, const MadeBookingsPage& page);

// Appends a page in `format`.
void WriteMadeBookings(std::string& out, const MadeBookingsPage& page, BodyFormat format);

// Appends one booking of a page as JSON: the object the page's `Bookings` array holds.
void AppendMadeBookingJson(std::string& out, const MadeBookingView& view);

// Appends one booking of a page as XML: its `<MadeBooking>` element.
void AppendMadeBookingXml(std::string& out, const MadeBookingView& view);

// A page whose bookings were written beforehand, each in the body's format by AppendMadeBooking{Json,Xml}.
struct PrerenderedPage {
  MadeBookingsPage totals;                 // the counts; its `bookings` are not used
  std::vector<std::string_view> bookings;  // in page order
};

// Appends `page` in `format`: byte for byte what WriteMadeBookings writes for the same page.
void WritePrerenderedMadeBookings(std::string& out, const PrerenderedPage& page, BodyFormat format);

// Appends one made booking as the whole answer (details, actions): JSON as in a page; XML root `MadeBooking` with
// its namespaces, the candidate's prefix `d2p1` (docs/lifecycle.md).
void WriteMadeBooking(std::string& out, const MadeBookingView& view, BodyFormat format);

// Appends one received booking as the whole answer: JSON members in the published order with `ActionCandidate`
// and `Client`; XML root `ReceivedBooking` in namespace API.Models.PhoneChat.Bookings.Received, alphabetical.
void WriteReceivedBooking(std::string& out, const ReceivedBookingView& view, BodyFormat format);

// Appends a ReceivedBookings page: the made page's shape, items `ReceivedBooking`, the Received namespace.
void WriteReceivedBookings(std::string& out, const ReceivedBookingsPage& page, BodyFormat format);

// Appends the results of a delete request: a JSON array of {BookingID, Deleted, Message}, or XML
// `ArrayOfDeleteBookingResult` of `DeleteBookingResult` items in namespace API.Models.PhoneChat.Bookings.
void WriteDeleteResults(std::string& out, const std::vector<DeleteBookingResult>& results, BodyFormat format);

// Appends a candidate's BookingRequirements: `PhoneChatPPM`, `Methods` (three `PhoneChatMethod` items).
void WriteBookingRequirements(std::string& out, const BookingRequirements& requirements, BodyFormat format);

// Appends PhoneChatSettings, `DirectChat` in namespace API.Models.DirectChat (its nil element keeps the declaration).
void WritePhoneChatSettings(std::string& out, const PhoneChatSettings& settings, BodyFormat format);

// Appends a credit balance: the bare JSON number (shortest exact), or XML `<decimal>` in the serialization
// namespace with four fraction digits.
void WriteCreditBalance(std::string& out, Credits balance, BodyFormat format);

// The user behind a token, as `GET /v1/Account/VerifyCredentials` shows it.
struct AccountCredentials {
  UserId user_id = 0;
  std::string nickname;
  bool with_group = false;  // the token has account_information: the group fields below are shown
  std::optional<GroupId> group_id;
  std::optional<std::string> group_name;
  bool is_group_manager = false;
};

// Appends an account in `format`: JSON `{"UserID":…,"Nickname":…}` (then `GroupID`, `GroupName`, `IsGroupManager`
// when `with_group`, nulls as null), or DataContract XML: root `AccountCredentials` in namespace API.Models.Account,
// members in alphabetical order, nulls as i:nil, the group members only when `with_group`.
void WriteAccountCredentials(std::string& out, const AccountCredentials& account, BodyFormat format);

// Appends the permissions of a token, each of `granted` with status `granted`, in `format`: JSON
// `{"Permissions":[{"Permission":…,"Status":"granted"},…]}`, or DataContract XML: root `PermissionsResult` in
// namespace API.Models.Account holding `Permissions`, a list of `PermissionStatus` items (the item type's name, as
// DataContract names collection items); an empty list is `<Permissions/>`.
void WritePermissions(std::string& out, const std::vector<std::string_view>& granted, BodyFormat format);

// Appends an error body (docs/api.md, "Errors"): `{"Message":…,"ModelState":{…}}` or `<Error><Message>…</Message>
// <ModelState>…</ModelState></Error>` (a field's messages joined by a space in XML).
void WriteErrorBody(std::string& out, const Error& error, BodyFormat format);

// Appends `text` as XML character data: `&`, `<`, `>` escaped, CR as `&#xD;`, characters XML 1.0 forbids
// (and invalid UTF-8) dropped.
void AppendXmlText(std::string& out, std::string_view text);

// Appends `text` as a JSON string literal (quotes included); invalid UTF-8 becomes U+FFFD.
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace phonechat
