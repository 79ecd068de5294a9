// The life cycle's bodies, byte for byte in both formats: a booking as the root, the received side, delete
// results, requirements, settings and the balance.

#include <gtest/gtest.h>

#include "serialization/body_writer.hpp"

namespace phonechat {
namespace {

LocalDateTime At(std::string_view text) { return *ParseLocalDateTime(text); }

StoredBooking Confirmed() {
  StoredBooking booking;
  booking.booking_id = 12;
  booking.client_user_id = 555;
  booking.duration_minutes = 15;
  booking.credits = Credits{80'000};
  booking.status = BookingStatus::kConfirmed;
  booking.method = ContactMethod::kClientCalls;
  booking.create_date = At("2018-01-20T12:34:56.789");
  booking.accept_by = At("2018-01-22T00:00:00");
  booking.session_date = At("2018-01-22T21:30:00");
  booking.accepted_date = At("2018-01-21T12:48:13.412");
  booking.confirmed_date = At("2018-01-21T13:24:05.987");
  booking.last_updated = booking.confirmed_date;
  booking.candidate = CandidateProfile{123456, "BookedUser", "+447700900123", std::nullopt, 7, 0, 1, 0};
  booking.client = PartyProfile{555, "Client", std::nullopt, std::nullopt, 2, 1, 0, 3};
  return booking;
}

std::string Write(auto write) {
  std::string out;
  write(out);
  return out;
}

TEST(LifecycleBodies, AMadeBookingAtTheRootUsesD2p1ForItsCandidate) {
  const StoredBooking booking = Confirmed();
  MadeBookingView view;
  view.stored = &booking;
  view.status = BookingStatus::kConfirmed;
  view.candidate_phone_number = "+447700900123";
  const std::string xml = Write([&](std::string& out) { WriteMadeBooking(out, view, BodyFormat::kXml); });
  EXPECT_TRUE(xml.starts_with(
      R"(<MadeBooking xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings.Made"><AcceptBy>2018-01-22T00:00:00</AcceptBy>)"))
      << xml;
  EXPECT_NE(xml.find(R"(<Candidate xmlns:d2p1="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings"><Disputes xmlns="http://schemas.datacontract.org/2004/07/API.Models.Profile">0</Disputes>)"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<d2p1:Nickname>BookedUser</d2p1:Nickname><d2p1:PhoneNumber>+447700900123</d2p1:PhoneNumber>"
                     "<d2p1:SkypeName i:nil=\"true\"/><d2p1:UserID>123456</d2p1:UserID></Candidate>"),
            std::string::npos)
      << xml;
  EXPECT_EQ(xml.find("d4p1"), std::string::npos);
  EXPECT_TRUE(xml.ends_with("<Status>Confirmed</Status></MadeBooking>"));
  const std::string json = Write([&](std::string& out) { WriteMadeBooking(out, view, BodyFormat::kJson); });
  EXPECT_TRUE(json.starts_with(R"({"BookingID":12,"Duration":15,"Credits":8,"Status":"Confirmed",)")) << json;
}

TEST(LifecycleBodies, AReceivedBookingMirrorsTheMadeOne) {
  const StoredBooking booking = Confirmed();
  ReceivedBookingView view;
  view.stored = &booking;
  view.status = BookingStatus::kConfirmed;
  view.action_candidate = "You need to carry out the session";
  const std::string json = Write([&](std::string& out) { WriteReceivedBooking(out, view, BodyFormat::kJson); });
  EXPECT_EQ(json,
            R"({"BookingID":12,"Duration":15,"Credits":8,"Status":"Confirmed","Method":2,"PhoneNumber":null,)"
            R"("SkypeName":null,"CreateDate":"2018-01-20T12:34:56.789","SessionDate":"2018-01-22T21:30:00",)"
            R"("AcceptBy":"2018-01-22T00:00:00","AcceptedDate":"2018-01-21T12:48:13.412",)"
            R"("ConfirmedDate":"2018-01-21T13:24:05.987","CancelledDate":null,"CancelledReason":null,)"
            R"("CancelledBy":null,"RejectedReason":null,"LastUpdated":"2018-01-21T13:24:05.987","Comments":null,)"
            R"("ActionCandidate":"You need to carry out the session","Client":{"UserID":555,"Nickname":"Client",)"
            R"("PhoneNumber":null,"SkypeName":null,"Total":2,"Positive":2,"Neutral":1,"Negative":0,"Ratings":3,)"
            R"("Disputes":3}})");
  const std::string xml = Write([&](std::string& out) { WriteReceivedBooking(out, view, BodyFormat::kXml); });
  EXPECT_TRUE(xml.starts_with(
      R"(<ReceivedBooking xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings.Received"><AcceptBy>2018-01-22T00:00:00</AcceptBy><AcceptedDate>2018-01-21T12:48:13.412</AcceptedDate><ActionCandidate>You need to carry out the session</ActionCandidate><BookingID>12</BookingID>)"))
      << xml;
  EXPECT_NE(xml.find(R"(<Client xmlns:d2p1="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings">)"),
            std::string::npos);

  ReceivedBookingsPage page;
  page.page_count = 1;
  page.bookings_total = 1;
  page.bookings.push_back(view);
  const std::string list = Write([&](std::string& out) { WriteReceivedBookings(out, page, BodyFormat::kXml); });
  EXPECT_TRUE(list.starts_with(
      R"(<BookingsResult xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings.Received"><Bookings><ReceivedBooking><AcceptBy>)"))
      << list;
  EXPECT_NE(list.find(R"(<Client xmlns:d4p1="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings">)"),
            std::string::npos);
  EXPECT_TRUE(list.ends_with(
      "</ReceivedBooking></Bookings><BookingsPerPage>50</BookingsPerPage><BookingsTotal>1</BookingsTotal><PageCount>1</"
      "PageCount><PageNumber>1</PageNumber></BookingsResult>"))
      << list;
  const std::string json_list =
      Write([&](std::string& out) { WriteReceivedBookings(out, page, BodyFormat::kJson); });
  EXPECT_TRUE(json_list.starts_with(R"({"PageCount":1,"PageNumber":1,"BookingsTotal":1,"BookingsPerPage":50,)"
                                    R"("Bookings":[{"BookingID":12,)"))
      << json_list;
}

TEST(LifecycleBodies, DeleteResultsAreAnArrayInBothFormats) {
  const std::vector<DeleteBookingResult> results{{101, true, "The booking was deleted."},
                                                 {7, false, "No PhoneChat booking 7 was found among your made bookings."}};
  EXPECT_EQ(Write([&](std::string& out) { WriteDeleteResults(out, {results[0]}, BodyFormat::kXml); }),
            R"(<ArrayOfDeleteBookingResult xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings"><DeleteBookingResult><BookingID>101</BookingID><Deleted>true</Deleted><Message>The booking was deleted.</Message></DeleteBookingResult></ArrayOfDeleteBookingResult>)");
  EXPECT_EQ(Write([&](std::string& out) { WriteDeleteResults(out, results, BodyFormat::kJson); }),
            R"([{"BookingID":101,"Deleted":true,"Message":"The booking was deleted."},)"
            R"({"BookingID":7,"Deleted":false,"Message":"No PhoneChat booking 7 was found among your made bookings."}])");
}

TEST(LifecycleBodies, RequirementsListTheThreeMethods) {
  BookingRequirements requirements;
  requirements.phonechat_ppm = Credits{15'000};
  requirements.methods = {MethodAvailability{ContactMethod::kCandidateCalls, true},
                          MethodAvailability{ContactMethod::kClientCalls, false},
                          MethodAvailability{ContactMethod::kSkype, true}};
  EXPECT_EQ(Write([&](std::string& out) { WriteBookingRequirements(out, requirements, BodyFormat::kJson); }),
            R"({"PhoneChatPPM":1.5,"Methods":[{"Method":1,"Available":true},{"Method":2,"Available":false},)"
            R"({"Method":3,"Available":true}]})");
  requirements.phonechat_ppm.reset();
  EXPECT_EQ(Write([&](std::string& out) { WriteBookingRequirements(out, requirements, BodyFormat::kXml); }),
            R"(<BookingRequirements xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Bookings"><Methods><PhoneChatMethod><Available>true</Available><Method>1</Method></PhoneChatMethod><PhoneChatMethod><Available>false</Available><Method>2</Method></PhoneChatMethod><PhoneChatMethod><Available>true</Available><Method>3</Method></PhoneChatMethod></Methods><PhoneChatPPM i:nil="true"/></BookingRequirements>)");
}

TEST(LifecycleBodies, SettingsWriteDirectChatOrItsNilElement) {
  PhoneChatSettings settings;
  EXPECT_EQ(Write([&](std::string& out) { WritePhoneChatSettings(out, settings, BodyFormat::kJson); }),
            R"({"OfferDirectChat":false,"DirectChat":null,"PhoneChatNumber":null,"ShowPhoneChatNumber":false,)"
            R"("PhoneChatPPM":null})");
  EXPECT_EQ(Write([&](std::string& out) { WritePhoneChatSettings(out, settings, BodyFormat::kXml); }),
            R"(<PhoneChatSettings xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Settings"><DirectChat xmlns:d2p1="http://schemas.datacontract.org/2004/07/API.Models.DirectChat" i:nil="true"/><OfferDirectChat>false</OfferDirectChat><PhoneChatNumber i:nil="true"/><PhoneChatPPM i:nil="true"/><ShowPhoneChatNumber>false</ShowPhoneChatNumber></PhoneChatSettings>)");
  settings.offer_direct_chat = true;
  settings.direct_chat = DirectChatSettings{true, Credits{25'000}};
  settings.phonechat_number = "+447700900123";
  settings.phonechat_ppm = Credits{10'000};
  EXPECT_EQ(Write([&](std::string& out) { WritePhoneChatSettings(out, settings, BodyFormat::kJson); }),
            R"({"OfferDirectChat":true,"DirectChat":{"DirectChatOnly":true,"PPM":2.5},)"
            R"("PhoneChatNumber":"+447700900123","ShowPhoneChatNumber":false,"PhoneChatPPM":1})");
  EXPECT_EQ(Write([&](std::string& out) { WritePhoneChatSettings(out, settings, BodyFormat::kXml); }),
            R"(<PhoneChatSettings xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/API.Models.PhoneChat.Settings"><DirectChat xmlns:d2p1="http://schemas.datacontract.org/2004/07/API.Models.DirectChat"><d2p1:DirectChatOnly>true</d2p1:DirectChatOnly><d2p1:PPM>2.5000</d2p1:PPM></DirectChat><OfferDirectChat>true</OfferDirectChat><PhoneChatNumber>+447700900123</PhoneChatNumber><PhoneChatPPM>1.0000</PhoneChatPPM><ShowPhoneChatNumber>false</ShowPhoneChatNumber></PhoneChatSettings>)");
}

TEST(LifecycleBodies, TheBalanceIsABareNumberOrADecimalRoot) {
  EXPECT_EQ(Write([](std::string& out) { WriteCreditBalance(out, Credits{2'990'000}, BodyFormat::kJson); }), "299");
  EXPECT_EQ(Write([](std::string& out) { WriteCreditBalance(out, Credits{125'000}, BodyFormat::kJson); }), "12.5");
  EXPECT_EQ(Write([](std::string& out) { WriteCreditBalance(out, Credits{2'990'000}, BodyFormat::kXml); }),
            R"(<decimal xmlns="http://schemas.microsoft.com/2003/10/Serialization/">299.0000</decimal>)");
}

}  // namespace
}  // namespace phonechat
