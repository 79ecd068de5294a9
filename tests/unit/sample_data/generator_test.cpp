// The generated data set (sample_data/generator.hpp): the same bytes for the same options and seed, the counts and
// shapes asked for, option errors, and a clean import.
#include "sample_data/generator.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/local_date_time.hpp"
#include "importer_test_support.hpp"

namespace phonechat::testing {
namespace {

std::string Generate(const GeneratorOptions& options) {
  std::ostringstream out;
  GenerateDataSet(options, out);
  return out.str();
}

GeneratorOptions Small(std::uint64_t seed = 1) {
  GeneratorOptions options;
  options.users = 60;
  options.bookings = 1500;
  options.seed = seed;
  options.heavy_clients = 3;
  options.heavy_size = 120;
  return options;
}

std::vector<boost::json::object> Records(const std::string& text) {
  std::vector<boost::json::object> records;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) records.push_back(boost::json::parse(line).as_object());
  return records;
}

std::string Str(const boost::json::object& record, const char* field) {
  const auto& text = record.at(field).as_string();
  return {text.data(), text.size()};
}

std::map<std::string, int> CountKinds(const std::vector<boost::json::object>& records) {
  std::map<std::string, int> kinds;
  for (const auto& record : records) ++kinds[Str(record, "Kind")];
  return kinds;
}

TEST(Generator, SameOptionsAndSeedGiveTheSameBytes) {
  const auto first = Generate(Small());
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, Generate(Small()));
}

TEST(Generator, ADifferentSeedGivesADifferentDataSet) { EXPECT_NE(Generate(Small(1)), Generate(Small(2))); }

TEST(Generator, WritesExactlyTheUsersProjectAndBookingsAsked) {
  const auto options = Small();
  const auto kinds = CountKinds(Records(Generate(options)));
  EXPECT_EQ(kinds.at("User"), options.users);
  EXPECT_EQ(kinds.at("Project"), 1);
  EXPECT_EQ(kinds.at("Booking"), options.bookings + options.heavy_clients * options.heavy_size);
  EXPECT_EQ(kinds.size(), 3u);
}

TEST(Generator, WithoutLifecycleNoSettingOrCreditIsWritten) {
  const auto text = Generate(Small());
  for (const char* field : {"\"Credit\"", "OffersPhoneChat", "PhoneChatPPM", "ShowPhoneChatNumber", "DirectChat"}) {
    EXPECT_EQ(text.find(field), std::string::npos) << field;
  }
}

TEST(Generator, LifecycleAddsSettingsAndCreditsAndKeepsEverythingElse) {
  auto options = Small();
  options.lifecycle = true;
  const auto with = Records(Generate(options));
  const auto without = Records(Generate(Small()));
  const auto kinds = CountKinds(with);
  EXPECT_EQ(kinds.at("Credit"), options.users - GeneratedCandidateCount(options.users)) << "one per client";
  EXPECT_EQ(kinds.size(), 4u);
  // The records of before stand where they stood, the same but for the settings and the numbers some lose.
  ASSERT_EQ(with.size(), without.size() + static_cast<std::size_t>(kinds.at("Credit")));
  for (std::size_t i = 0; i < without.size(); ++i) {
    auto record = with[i];
    for (const char* field : {"OffersPhoneChat", "PhoneChatPPM", "ShowPhoneChatNumber", "OfferDirectChat",
                              "DirectChatPPM", "DirectChatOnly"}) {
      record.erase(field);
    }
    if (record.at("Kind").as_string() == "User" && record.at("PhoneChatNumber").is_null()) {
      record["PhoneChatNumber"] = without[i].at("PhoneChatNumber");
    }
    EXPECT_EQ(record, without[i]) << i;
  }
}

TEST(Generator, LifecycleGivesEveryClientACreditAfterTheBookings) {
  auto options = Small();
  options.lifecycle = true;
  const auto records = Records(Generate(options));
  const auto candidates = GeneratedCandidateCount(options.users);
  std::set<std::int64_t> credited;
  bool credits_started = false;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (Str(records[i], "Kind") != "Credit") {
      EXPECT_FALSE(credits_started) << "the Credits come last";
      continue;
    }
    credits_started = true;
    const std::int64_t user = records[i].at("UserID").as_int64();
    EXPECT_GT(user, candidates);
    const std::int64_t amount = std::stoll(Str(records[i], "Amount"));
    EXPECT_GE(amount, 1000);
    EXPECT_LE(amount, 20000);
    EXPECT_EQ(Str(records[i], "Description"), "Generated credits");
    EXPECT_TRUE(ParseLocalDateTime(Str(records[i], "Date")).has_value());
    credited.insert(user);
  }
  EXPECT_EQ(static_cast<std::int64_t>(credited.size()), options.users - candidates);
}

TEST(Generator, CandidatesMostlyOfferPhoneChatWithSettingsOfEveryKind) {
  GeneratorOptions options;
  options.users = 2000;  // 200 candidates
  options.bookings = 0;
  options.lifecycle = true;
  int offering = 0, priced = 0, with_number = 0, shown = 0, skype = 0, direct = 0, direct_only = 0;
  for (const auto& record : Records(Generate(options))) {
    if (Str(record, "Kind") != "User") continue;
    const bool candidate = record.at("UserID").as_int64() <= GeneratedCandidateCount(options.users);
    if (!candidate) {
      EXPECT_FALSE(record.contains("OffersPhoneChat"));
      continue;
    }
    offering += record.at("OffersPhoneChat").as_bool() ? 1 : 0;
    if (!record.at("PhoneChatPPM").is_null()) {
      ++priced;
      const auto ppm = Str(record, "PhoneChatPPM");
      EXPECT_GE(std::stod(ppm), 0.1) << ppm;
      EXPECT_LE(std::stod(ppm), 3.0) << ppm;
    }
    const bool number = !record.at("PhoneChatNumber").is_null();
    with_number += number ? 1 : 0;
    if (record.at("ShowPhoneChatNumber").as_bool()) {
      ++shown;
      EXPECT_TRUE(number) << "a number is shown only when there is one";
    }
    skype += record.at("SkypeName").is_null() ? 0 : 1;
    if (record.contains("OfferDirectChat")) {
      ++direct;
      EXPECT_TRUE(record.at("OfferDirectChat").as_bool());
      EXPECT_FALSE(record.at("DirectChatPPM").is_null());
      direct_only += record.at("DirectChatOnly").as_bool() ? 1 : 0;
    }
  }
  EXPECT_GT(offering, 150);
  EXPECT_LT(offering, 200);
  EXPECT_GT(priced, 150);
  EXPECT_GT(with_number, 120);
  EXPECT_LT(with_number, 200);
  EXPECT_GT(shown, 30);
  EXPECT_GT(skype, 50);
  EXPECT_GT(direct, 5);
  EXPECT_LT(direct, 50);
  EXPECT_GT(direct_only, 0);
}

TEST(Generator, ATenthOfTheUsersAreCandidatesAndOnlyClientsBook) {
  const auto options = Small();
  const auto candidates = GeneratedCandidateCount(options.users);
  EXPECT_EQ(candidates, 6);
  EXPECT_EQ(GeneratedCandidateCount(2), 1);
  for (const auto& record : Records(Generate(options))) {
    if (Str(record, "Kind") != "Booking") continue;
    EXPECT_LE(record.at("CandidateUserID").as_int64(), candidates);
    EXPECT_GT(record.at("ClientUserID").as_int64(), candidates);
  }
}

TEST(Generator, EachHeavyClientHasExactlyHeavySizeBookings) {
  const auto options = Small();
  std::map<std::int64_t, int> per_client;
  for (const auto& record : Records(Generate(options))) {
    if (Str(record, "Kind") == "Booking") ++per_client[record.at("ClientUserID").as_int64()];
  }
  const auto first = GeneratedFirstClientId(options.users);
  for (std::int64_t k = 0; k < options.heavy_clients; ++k) EXPECT_EQ(per_client[first + k], options.heavy_size) << k;
  int ordinary = 0;
  for (const auto& [client, count] : per_client) {
    if (client >= first + options.heavy_clients) ordinary += count;
  }
  EXPECT_EQ(ordinary, options.bookings);
}

TEST(Generator, EveryStatusAndEveryMethodAppears) {
  std::set<std::string> statuses;
  std::set<std::int64_t> methods;
  for (const auto& record : Records(Generate(Small()))) {
    if (Str(record, "Kind") != "Booking") continue;
    statuses.insert(Str(record, "Status"));
    methods.insert(record.at("Method").as_int64());
  }
  EXPECT_EQ(statuses, (std::set<std::string>{"Pending", "Accepted", "Rejected", "Confirmed", "Cancelled"}));
  EXPECT_EQ(methods, (std::set<std::int64_t>{1, 2, 3}));
}

TEST(Generator, FifteenBookingsAreEnoughForEveryStatusWithEveryMethod) {
  GeneratorOptions options;
  options.users = 2;
  options.bookings = 15;
  std::set<std::pair<std::string, std::int64_t>> pairs;
  for (const auto& record : Records(Generate(options))) {
    if (Str(record, "Kind") == "Booking") pairs.emplace(Str(record, "Status"), record.at("Method").as_int64());
  }
  EXPECT_EQ(pairs.size(), 15u);
}

TEST(Generator, SeveralCandidatesHaveNicknamesEqualIgnoringCase) {
  std::map<std::string, int> folded;
  for (const auto& record : Records(Generate(Small()))) {
    if (Str(record, "Kind") != "User") continue;
    std::string nickname = Str(record, "Nickname");
    for (char& c : nickname) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ++folded[nickname];
  }
  int ties = 0;
  for (const auto& [nickname, count] : folded) ties += count > 1 ? 1 : 0;
  EXPECT_GE(ties, 2);
}

TEST(Generator, ALifecycleDataSetIsTheSameForTheSameSeed) {
  auto options = Small();
  options.lifecycle = true;
  EXPECT_EQ(Generate(options), Generate(options));
  auto other = options;
  other.seed = 2;
  EXPECT_NE(Generate(options), Generate(other));
}

TEST(Generator, ImportsCleanlyWithTheCountsAsked) {
  const auto options = Small();
  TempStore db;
  const auto counts = db.Import(Generate(options));
  EXPECT_EQ(counts.users, options.users);
  EXPECT_EQ(counts.projects, 1);
  EXPECT_EQ(counts.groups, 0);
  EXPECT_EQ(counts.bookings, options.bookings + options.heavy_clients * options.heavy_size);
  const auto heavy = db.Bookings(static_cast<UserId>(GeneratedFirstClientId(options.users)));
  EXPECT_EQ(static_cast<std::int64_t>(heavy.size()), options.heavy_size);
}

TEST(Generator, ALifecycleDataSetImportsWithACreditPerClient) {
  auto options = Small();
  options.lifecycle = true;
  TempStore db;
  const auto counts = db.Import(Generate(options));
  EXPECT_EQ(counts.users, options.users);
  EXPECT_EQ(counts.credits, options.users - GeneratedCandidateCount(options.users));
  EXPECT_EQ(counts.bookings, options.bookings + options.heavy_clients * options.heavy_size);
}

TEST(Generator, SomeBookingsOfAClientShareTheirCreateDate) {
  const auto options = Small();
  TempStore db;
  db.Import(Generate(options));
  std::set<std::int64_t> dates;
  const auto heavy = db.Bookings(static_cast<UserId>(GeneratedFirstClientId(options.users)));
  for (const auto& booking : heavy) dates.insert(booking.create_date.millis);
  EXPECT_LT(dates.size(), heavy.size());
}

TEST(Generator, DatesFollowTheOrderTheImporterChecks) {
  for (const auto& record : Records(Generate(Small()))) {
    if (Str(record, "Kind") != "Booking") continue;
    const auto create = ParseLocalDateTime(Str(record, "CreateDate"));
    const auto accept_by = ParseLocalDateTime(Str(record, "AcceptBy"));
    const auto session = ParseLocalDateTime(Str(record, "SessionDate"));
    ASSERT_TRUE(create && accept_by && session);
    EXPECT_LE(*create, *accept_by);
    EXPECT_LE(*accept_by, *session);
  }
}

TEST(Generator, RejectsOptionsItCannotHonour) {
  GeneratorOptions options = Small();
  EXPECT_EQ(GeneratorOptionsError(options), "");
  options.users = 1;
  EXPECT_NE(GeneratorOptionsError(options).find("--users"), std::string::npos);
  options = Small();
  options.bookings = -1;
  EXPECT_NE(GeneratorOptionsError(options).find("--bookings"), std::string::npos);
  options = Small();
  options.heavy_size = 0;
  EXPECT_NE(GeneratorOptionsError(options).find("--heavy-size"), std::string::npos);
  options = Small();
  options.heavy_clients = options.users - GeneratedCandidateCount(options.users) + 1;
  EXPECT_NE(GeneratorOptionsError(options).find("--heavy-clients"), std::string::npos);
  options.heavy_clients = -1;
  EXPECT_NE(GeneratorOptionsError(options).find("--heavy-clients"), std::string::npos);
  options = Small();
  options.bookings = 2'147'483'600;  // plus 3 x 120 heavy bookings: past the largest BookingID
  EXPECT_FALSE(GeneratorOptionsError(options).empty());
  std::ostringstream out;
  EXPECT_THROW(GenerateDataSet(options, out), std::invalid_argument);
  EXPECT_TRUE(out.str().empty());
}

TEST(Generator, ZeroBookingsWritesOnlyUsersAndTheProject) {
  GeneratorOptions options;
  options.users = 5;
  const auto kinds = CountKinds(Records(Generate(options)));
  EXPECT_EQ(kinds.at("User"), 5);
  EXPECT_EQ(kinds.at("Project"), 1);
  EXPECT_EQ(kinds.count("Booking"), 0u);
}

}  // namespace
}  // namespace phonechat::testing
