#pragma once

// The synthetic data set of `phonechat-api generate` and the benchmarks: users, a project and bookings in the
// import format (with the life cycle's settings and credits on request), of any size, deterministic for given
// options.

#include <cstdint>
#include <ostream>
#include <string>

namespace phonechat {

// What `GenerateDataSet` writes: user, booking and heavy-client counts and the PRNG seed.
struct GeneratorOptions {
  std::int64_t users = 0;          // clients and candidates in all (at least 2)
  std::int64_t bookings = 0;       // bookings spread over the ordinary clients
  std::uint64_t seed = 1;          // same options and seed, same bytes
  std::int64_t heavy_clients = 0;  // clients that get exactly `heavy_size` bookings each, on top of `bookings`
  std::int64_t heavy_size = 0;
  // Adds what the booking life cycle needs: candidates' PhoneChat settings (a fifth of them without a PhoneChat
  // number) and a Credit for every client, after the bookings. Off: the data set of before, byte for byte.
  bool lifecycle = false;
};

// The project every generated data set registers.
inline constexpr const char* kGeneratedClientId = "bench-app";
inline constexpr const char* kGeneratedApiKey = "bench-key";

// Candidates among `users`: a tenth of them, at least one. Candidates are users 1..count.
std::int64_t GeneratedCandidateCount(std::int64_t users);

// The first client's user ID; the heavy clients are the first `heavy_clients` clients from there.
std::int64_t GeneratedFirstClientId(std::int64_t users);

// Why `options` cannot be generated (one line naming the option), or an empty string when they can.
std::string GeneratorOptionsError(const GeneratorOptions& options);

// Streams a synthetic data set in the import format (docs/import-format.md) to `out`: the users, project
// `bench-app` owned by user 1, every booking, then (with `lifecycle`) every client's Credit, written through a
// bounded buffer with no per-booking state.
// Deterministic for given options. Throws std::invalid_argument when GeneratorOptionsError names a problem.
void GenerateDataSet(const GeneratorOptions& options, std::ostream& out);

}  // namespace phonechat
