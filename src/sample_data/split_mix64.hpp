#pragma once

// The pseudo-random numbers of the generated and the demo data sets: SplitMix64, the same sequence on every
// platform and standard library (the standard distributions are not specified bit for bit).

#include <array>
#include <cstddef>
#include <cstdint>

namespace phonechat {

// SplitMix64 from a seed: the same seed gives the same numbers everywhere.
class SplitMix64 {
 public:
  // A sequence that starts from `seed`.
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  // The next 64 random bits.
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // A number in [low, high].
  std::int64_t Between(std::int64_t low, std::int64_t high) {
    return low + static_cast<std::int64_t>(Next() % static_cast<std::uint64_t>(high - low + 1));
  }
  // True once in `n` draws on average.
  bool OneIn(std::uint64_t n) { return Next() % n == 0; }
  // One of `items`, each as likely (one Between draw).
  template <typename T, std::size_t N>
  const T& Pick(const std::array<T, N>& items) {
    return items[static_cast<std::size_t>(Between(0, N - 1))];
  }

 private:
  std::uint64_t state_;
};

}  // namespace phonechat
