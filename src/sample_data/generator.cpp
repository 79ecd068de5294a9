// `phonechat-api generate`: a synthetic data set of any size in the import format, written as it is drawn, the
// same bytes for the same options and seed: users, a project and bookings, and with `lifecycle` the candidates'
// PhoneChat settings and the clients' credits.
#include "sample_data/generator.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <stdexcept>
#include <string_view>

#include "domain/credits.hpp"
#include "domain/local_date_time.hpp"
#include "sample_data/split_mix64.hpp"

namespace phonechat {

namespace {

constexpr std::int64_t kMaxId = 2'147'483'647;
constexpr std::int64_t kSecond = 1000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;
// CreateDates fall in the two years from 2025-01-01T00:00 local: fixed, so the output never depends on the clock.
constexpr std::int64_t kFirstCreate = std::int64_t{20089} * kDay;
constexpr std::int64_t kCreateSpan = 730 * kDay;
// Every client's Credit is dated the day before the first CreateDate.
constexpr std::int64_t kCreditDate = kFirstCreate - kDay;
// Mixed into the seed for the second sequence (settings and credits), so that the users' and bookings' draws are
// the same with and without `lifecycle`.
constexpr std::uint64_t kSettingsSeedMix = 0x5E771465C4ED175ULL;
// The buffer is handed to the stream whenever it holds this much.
constexpr std::size_t kFlushBytes = std::size_t{1} << 16;

// A client's share of the ordinary bookings: a tier t with probability 2^-(t+1) (the last tier takes the rest)
// scales the client's range by 1.5^t, so most clients get around the mean and a few get many times it.
constexpr std::array<std::uint64_t, 13> kTierWeight{1024,  1536,  2304,  3456,  5184,  7776,  11664,
                                                    17496, 26244, 39366, 59049, 88574, 132860};
constexpr int kLastTier = static_cast<int>(kTierWeight.size()) - 1;
// The tier weights' expected value times 2^kLastTier.
constexpr std::uint64_t kTierMeanScaled = [] {
  std::uint64_t sum = kTierWeight[kLastTier];
  for (int t = 0; t < kLastTier; ++t) sum += kTierWeight[static_cast<std::size_t>(t)] << (kLastTier - 1 - t);
  return sum;
}();

constexpr std::array<const char*, 5> kStatuses{"Pending", "Accepted", "Rejected", "Confirmed", "Cancelled"};
enum StatusIndex { kPending, kAccepted, kRejected, kConfirmed, kCancelled };
// Status weights out of 16: mostly Confirmed, as on a live marketplace.
constexpr std::array<int, 16> kStatusDraw{kPending,   kPending,   kAccepted,  kAccepted,  kRejected,  kRejected,
                                          kConfirmed, kConfirmed, kConfirmed, kConfirmed, kConfirmed, kConfirmed,
                                          kConfirmed, kConfirmed, kCancelled, kCancelled};
constexpr std::array<int, 8> kDurations{5, 10, 15, 15, 30, 45, 60, 120};
// JSON literals, already escaped: markup, quotes, a backslash, non-ASCII text and an emoji among them.
constexpr std::array<std::string_view, 8> kComments{"null",
                                                    "null",
                                                    "null",
                                                    "null",
                                                    R"("Please call after 9pm.")",
                                                    R"("Call me <b>after</b> 9pm & \"not\" before\r\nThanks \\o/")",
                                                    "\"Zo\xC3\xAB asked for a follow-up \xF0\x9F\x99\x82\"",
                                                    R"("First session <3")"};
constexpr std::array<std::string_view, 3> kCancelledReasons{"null", R"("Something came up")",
                                                            R"("Sorry, I am unwell.")"};
constexpr std::array<std::string_view, 3> kRejectedReasons{"null", R"("Not available then")",
                                                           R"("Fully booked that evening, sorry.")"};
// Nickname stems: every candidate's nickname ties, ignoring ASCII case, with two others.
constexpr std::array<std::string_view, 6> kStems{"anna", "mia_rose", "zed", "_shadow", "booked", "emile"};

// Appends JSON text to a bounded buffer that it hands to the stream as it fills.
class Writer {
 public:
  explicit Writer(std::ostream& out) : out_(out) { buffer_.reserve(kFlushBytes + 4096); }

  Writer& operator<<(std::string_view text) {
    buffer_.append(text);
    return *this;
  }
  Writer& operator<<(std::int64_t number) {
    std::array<char, 24> digits{};
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), number).ptr;
    buffer_.append(digits.data(), end);
    return *this;
  }
  // A JSON string holding the API form of `millis`.
  void Date(std::int64_t millis) {
    buffer_ += '"';
    AppendLocalDateTime(buffer_, LocalDateTime{millis});
    buffer_ += '"';
  }
  // Credits with `fraction_digits` (0 to 4) of fraction, as a JSON number or string.
  void Credits(std::int64_t ten_thousandths, int fraction_digits, bool as_string) {
    if (as_string) buffer_ += '"';
    *this << ten_thousandths / 10'000;
    if (fraction_digits > 0) {
      std::array<char, 5> fraction{'.', '0', '0', '0', '0'};
      std::int64_t rest = ten_thousandths % 10'000;
      for (std::size_t i = 4; i >= 1; --i, rest /= 10) fraction[i] = static_cast<char>('0' + rest % 10);
      buffer_.append(fraction.data(), static_cast<std::size_t>(1 + fraction_digits));
    }
    if (as_string) buffer_ += '"';
  }
  // Ends the line and flushes a full buffer.
  void EndLine() {
    buffer_ += '\n';
    if (buffer_.size() >= kFlushBytes) Flush();
  }
  void Flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    if (!out_) throw std::runtime_error("cannot write the generated data set");
    buffer_.clear();
  }

 private:
  std::ostream& out_;
  std::string buffer_;
};

// A price per minute from `low` to `high` hundredths, as a decimal string with two fraction digits.
void Price(Writer& w, SplitMix64& settings, std::int64_t low, std::int64_t high) {
  w.Credits(settings.Between(low, high) * 100, 2, /*as_string=*/true);
}

// Writes one user; `settings`, when given, draws a candidate's PhoneChat settings, `prng` everything else.
void WriteUser(Writer& w, SplitMix64& prng, SplitMix64* settings, std::int64_t id, std::int64_t candidates) {
  const bool candidate = id <= candidates;
  // Most candidates have a PhoneChat number, and most offer PhoneChat.
  const bool has_number = candidate && (settings == nullptr || !settings->OneIn(5));
  w << R"({"Kind":"User","UserID":)" << id << R"(,"Nickname":")";
  if (candidate) {
    const std::int64_t group = (id - 1) / 3;
    std::string nickname(kStems[static_cast<std::size_t>(group % static_cast<std::int64_t>(kStems.size()))]);
    nickname += std::to_string(group);
    const auto variant = (id - 1) % 3;  // lower, Capitalised, UPPER: equal ignoring ASCII case
    const std::size_t initial = nickname[0] == '_' ? 1 : 0;
    if (variant == 1) nickname[initial] = static_cast<char>(nickname[initial] - 32);
    if (variant == 2)
      std::transform(nickname.begin(), nickname.end(), nickname.begin(),
                     [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; });
    w << nickname;
  } else {
    w << "client" << id;
  }
  w << R"(","EmailAddress":)";
  if (prng.OneIn(2)) {
    w << R"("user)" << id << R"(@example.com")";
  } else {
    w << "null";
  }
  w << R"(,"PhoneChatNumber":)";
  if (has_number) {
    w << R"("+44770)" << 1'000'000 + id % 1'000'000 << "\"";
  } else {
    w << "null";
  }
  w << R"(,"SkypeName":)";
  if (candidate && prng.OneIn(2)) {
    w << R"("live:cand)" << id << "\"";
  } else {
    w << "null";
  }
  const bool rated = candidate && !prng.OneIn(5);
  w << R"(,"Positive":)" << (rated ? prng.Between(0, 200) : 0) << R"(,"Neutral":)" << (rated ? prng.Between(0, 10) : 0)
    << R"(,"Negative":)" << (rated ? prng.Between(0, 10) : 0) << R"(,"Disputes":)" << (rated ? prng.Between(0, 3) : 0);
  if (candidate && settings != nullptr) {
    w << (settings->OneIn(8) ? R"(,"OffersPhoneChat":false)" : R"(,"OffersPhoneChat":true)") << R"(,"PhoneChatPPM":)";
    if (settings->OneIn(10)) {
      w << "null";
    } else {
      Price(w, *settings, 10, 300);
    }
    const bool show_number = has_number && settings->OneIn(2);
    w << (show_number ? R"(,"ShowPhoneChatNumber":true)" : R"(,"ShowPhoneChatNumber":false)");
    if (settings->OneIn(10)) {
      w << R"(,"OfferDirectChat":true,"DirectChatPPM":)";
      Price(w, *settings, 50, 500);
      w << (settings->OneIn(3) ? R"(,"DirectChatOnly":true)" : R"(,"DirectChatOnly":false)");
    }
  }
  w << "}";
  w.EndLine();
}

// Writes a client's Credit: enough to book and confirm for a while in a benchmark of the life cycle.
void WriteCredit(Writer& w, SplitMix64& settings, std::int64_t client) {
  w << R"({"Kind":"Credit","UserID":)" << client << R"(,"Amount":")" << settings.Between(1'000, 20'000)
    << R"(","Date":)";
  w.Date(kCreditDate);
  w << R"(,"Description":"Generated credits"})";
  w.EndLine();
}

void WriteProject(Writer& w) {
  w << R"({"Kind":"Project","Name":"Bench app","OwnerUserID":1,"ApiKey":")" << kGeneratedApiKey << R"(","ClientID":")"
    << kGeneratedClientId << R"(","ClientSecret":null,"RedirectURIs":["http://127.0.0.1:9/cb"],"ImplicitGrant":false})";
  w.EndLine();
}

// Writes the bookings of one client; only the previous CreateDate is kept, to repeat it now and then.
class BookingWriter {
 public:
  BookingWriter(Writer& w, SplitMix64& prng, std::int64_t candidates) : w_(w), prng_(prng), candidates_(candidates) {}

  void Client(std::int64_t client, std::int64_t count, bool may_delete) {
    std::int64_t previous_create = -1;
    for (std::int64_t i = 0; i < count; ++i) previous_create = Booking(client, previous_create, may_delete);
  }

 private:
  // Writes one booking and returns its CreateDate.
  std::int64_t Booking(std::int64_t client, std::int64_t previous_create, bool may_delete) {
    const std::int64_t id = ++last_id_;
    // The first fifteen bookings take every status with every method; the rest are drawn.
    const int status = id <= 15 ? static_cast<int>((id - 1) % 5) : kStatusDraw[prng_.Next() % kStatusDraw.size()];
    const std::int64_t method = id <= 15 ? (id - 1) / 5 + 1 : prng_.Between(1, 3);

    std::int64_t create = kFirstCreate + prng_.Between(0, kCreateSpan - 1);
    switch (prng_.Next() % 16) {
      case 0:  // the same CreateDate as the previous booking: ties broken by BookingID
        if (previous_create >= 0) create = previous_create;
        break;
      case 1:  // a day's 00:00 exactly
        create -= create % kDay;
        break;
      case 2:
      case 3:
      case 4:
      case 5:  // whole seconds
        create -= create % kSecond;
        break;
      default:
        break;
    }
    std::int64_t session = create + prng_.Between(1, 14 * 24 * 4) * 15 * kMinute;
    session = std::max(session - session % (15 * kMinute), create);
    const std::int64_t accept_by = std::max(create, session - prng_.Between(1, 24) * kHour);

    std::int64_t accepted = -1;
    std::int64_t confirmed = -1;
    std::int64_t cancelled = -1;
    std::int64_t last_updated = create;
    if (status == kAccepted || status == kConfirmed || (status == kCancelled && prng_.OneIn(2))) {
      accepted = std::min(create + prng_.Between(kMinute, 6 * kHour), accept_by);
      last_updated = accepted;
    }
    if (status == kConfirmed) {
      confirmed = std::min(accepted + prng_.Between(kMinute, 2 * kHour), session);
      last_updated = confirmed;
    }
    if (status == kCancelled) {
      cancelled = (accepted >= 0 ? accepted : create) + prng_.Between(kMinute, kDay);
      last_updated = cancelled;
    }
    if (status == kRejected) last_updated = std::min(create + prng_.Between(kMinute, 12 * kHour), accept_by);

    // Credits from 0 to 500.0000; as an integer, 2 or 4 fraction digits, a number or a string.
    const std::int64_t shape = prng_.Between(0, 3);
    std::int64_t credits = prng_.Between(0, 5'000'000);
    if (shape == 0) credits -= credits % 10'000;
    if (shape == 1) credits -= credits % 100;

    Writer& w = w_;
    w << R"({"Kind":"Booking","BookingID":)" << id << R"(,"ClientUserID":)" << client << R"(,"CandidateUserID":)"
      << prng_.Between(1, candidates_) << R"(,"Duration":)"
      << std::int64_t{kDurations[prng_.Next() % kDurations.size()]} << R"(,"Credits":)";
    w.Credits(credits, shape == 0 ? 0 : shape == 1 ? 2 : 4, shape != 3);
    w << R"(,"Status":")" << kStatuses[static_cast<std::size_t>(status)] << R"(","Method":)" << method;
    w << R"(,"PhoneNumber":)";
    if (method == 1) {
      w << R"("+44771)" << 1'000'000 + client % 1'000'000 << "\"";
    } else {
      w << "null";
    }
    w << R"(,"SkypeName":)";
    if (method == 3) {
      w << R"("live:client)" << client << "\"";
    } else {
      w << "null";
    }
    w << R"(,"CreateDate":)";
    w.Date(create);
    w << R"(,"SessionDate":)";
    w.Date(session);
    w << R"(,"AcceptBy":)";
    w.Date(accept_by);
    OptionalDate(R"(,"AcceptedDate":)", accepted);
    OptionalDate(R"(,"ConfirmedDate":)", confirmed);
    OptionalDate(R"(,"CancelledDate":)", cancelled);
    w << R"(,"CancelledReason":)"
      << (status == kCancelled ? kCancelledReasons[prng_.Next() % kCancelledReasons.size()] : "null");
    w << R"(,"CancelledBy":)" << (status != kCancelled ? "null" : prng_.OneIn(2) ? R"("Client")" : R"("Candidate")");
    w << R"(,"RejectedReason":)"
      << (status == kRejected ? kRejectedReasons[prng_.Next() % kRejectedReasons.size()] : "null");
    w << R"(,"LastUpdated":)";
    w.Date(last_updated);
    w << R"(,"Comments":)" << kComments[prng_.Next() % kComments.size()];
    const bool deleted = may_delete && (status == kCancelled || status == kRejected) && prng_.OneIn(10);
    w << (deleted ? R"(,"DeletedByClient":true})" : R"(,"DeletedByClient":false})");
    w.EndLine();
    return create;
  }

  void OptionalDate(std::string_view field, std::int64_t millis) {
    w_ << field;
    if (millis >= 0) {
      w_.Date(millis);
    } else {
      w_ << "null";
    }
  }

  Writer& w_;
  SplitMix64& prng_;
  std::int64_t candidates_;
  std::int64_t last_id_ = 0;
};

}  // namespace

std::int64_t GeneratedCandidateCount(std::int64_t users) { return std::max<std::int64_t>(1, users / 10); }

std::int64_t GeneratedFirstClientId(std::int64_t users) { return GeneratedCandidateCount(users) + 1; }

std::string GeneratorOptionsError(const GeneratorOptions& options) {
  if (options.users < 2 || options.users > kMaxId) {
    return "--users must be from 2 to " + std::to_string(kMaxId) + ", got " + std::to_string(options.users);
  }
  if (options.bookings < 0) return "--bookings must be 0 or more, got " + std::to_string(options.bookings);
  if (options.heavy_clients < 0) {
    return "--heavy-clients must be 0 or more, got " + std::to_string(options.heavy_clients);
  }
  if (options.heavy_size < 0) return "--heavy-size must be 0 or more, got " + std::to_string(options.heavy_size);
  const std::int64_t clients = options.users - GeneratedCandidateCount(options.users);
  if (options.heavy_clients > clients) {
    return "--heavy-clients must be at most the number of clients (" + std::to_string(clients) + " of " +
           std::to_string(options.users) + " users), got " + std::to_string(options.heavy_clients);
  }
  if (options.heavy_clients > 0 && options.heavy_size == 0) return "--heavy-clients needs --heavy-size of 1 or more";
  if (options.bookings > 0 && options.heavy_clients == clients) {
    return "--bookings needs a client that is not heavy: lower --heavy-clients or raise --users";
  }
  const std::int64_t room = kMaxId - options.bookings;
  if (room < 0 || (options.heavy_clients > 0 && options.heavy_size > room / options.heavy_clients)) {
    return "--bookings plus --heavy-clients times --heavy-size must be at most " + std::to_string(kMaxId);
  }
  return {};
}

void GenerateDataSet(const GeneratorOptions& options, std::ostream& out) {
  if (const auto error = GeneratorOptionsError(options); !error.empty()) throw std::invalid_argument(error);
  Writer w(out);
  SplitMix64 prng(options.seed);
  SplitMix64 settings(options.seed ^ kSettingsSeedMix);
  const std::int64_t candidates = GeneratedCandidateCount(options.users);
  SplitMix64* lifecycle = options.lifecycle ? &settings : nullptr;
  for (std::int64_t id = 1; id <= options.users; ++id) WriteUser(w, prng, lifecycle, id, candidates);
  WriteProject(w);

  BookingWriter bookings(w, prng, candidates);
  const std::int64_t first_client = GeneratedFirstClientId(options.users);
  // Heavy clients keep every booking listed, so that their BookingsTotal is exactly heavy_size.
  for (std::int64_t k = 0; k < options.heavy_clients; ++k) {
    bookings.Client(first_client + k, options.heavy_size, /*may_delete=*/false);
  }
  // Each ordinary client draws a share around the mean of what is left, so the shares add up to exactly
  // `bookings` with nothing kept per client; the last client takes the rest.
  std::uint64_t left = static_cast<std::uint64_t>(options.bookings);
  const std::int64_t first_ordinary = first_client + options.heavy_clients;
  for (std::int64_t client = first_ordinary; client <= options.users; ++client) {
    const auto clients_left = static_cast<std::uint64_t>(options.users - client + 1);
    std::uint64_t count = left;
    if (clients_left > 1 && left > 0) {
      const int tier = std::min(std::countr_zero(prng.Next()), kLastTier);
      // At most 2^31 * 2 * 2^17.1 * 2^12 < 2^64: no overflow.
      const std::uint64_t high = 2 * left * kTierWeight[static_cast<std::size_t>(tier)] *
                                 (std::uint64_t{1} << kLastTier) / (clients_left * kTierMeanScaled);
      count = std::min(left, prng.Next() % (high + 1));
    }
    left -= count;
    bookings.Client(client, static_cast<std::int64_t>(count), /*may_delete=*/true);
  }
  // Last, so that the users, the project and the bookings stand where they always stood.
  if (options.lifecycle) {
    for (std::int64_t client = first_client; client <= options.users; ++client) WriteCredit(w, settings, client);
  }
  w.Flush();
}

}  // namespace phonechat
