// Splits a fuzzing input into the parts a harness feeds to different parsers, so that seeds stay readable text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace phonechat::fuzz {

// The input as text.
inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The first `count - 1` lines of `text` (ended by LF) and the rest as the last part; parts that are missing are empty.
inline std::vector<std::string_view> SplitParts(std::string_view text, std::size_t count) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < count) {
    const std::size_t end = text.find('\n');
    if (end == std::string_view::npos) break;
    parts.push_back(text.substr(0, end));
    text.remove_prefix(end + 1);
  }
  parts.push_back(text);
  parts.resize(count);
  return parts;
}

}  // namespace phonechat::fuzz
