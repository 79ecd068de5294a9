// Parsing of query strings and form bodies into QueryParameters.

#include "api/query_parameters.hpp"

#include <algorithm>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/pct_string_view.hpp>
#include <optional>

namespace phonechat {
namespace {

// Percent-decoding with `+` as space (HTML form encoding); nullopt for an invalid escape.
std::optional<std::string> DecodeComponent(std::string_view raw) {
  auto encoded = boost::urls::make_pct_string_view(raw);
  if (!encoded) return std::nullopt;
  return encoded->decode(boost::urls::encoding_opts(/*space_as_plus=*/true));
}

}  // namespace

std::string AsciiLower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
  return lower;
}

std::string_view TrimWhitespace(std::string_view text) {
  constexpr std::string_view kWhitespace = " \t\r\n";
  const auto first = text.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kWhitespace);
  return text.substr(first, last - first + 1);
}

QueryParameters QueryParameters::Parse(std::string_view query) {
  QueryParameters result;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;

    const auto eq = pair.find('=');
    const std::optional<std::string> name = DecodeComponent(pair.substr(0, eq));
    if (!name) continue;  // an undecodable name cannot be a parameter we know
    const std::string lower_name = AsciiLower(TrimWhitespace(*name));
    if (lower_name.empty()) continue;

    auto found = std::find_if(result.parameters_.begin(), result.parameters_.end(),
                              [&](const QueryParameter& p) { return p.lower_name == lower_name; });
    const auto entry = [&]() -> QueryParameter& {
      if (found == result.parameters_.end()) {
        result.parameters_.push_back(QueryParameter{lower_name, {}, false});
        found = std::prev(result.parameters_.end());
      }
      return *found;
    };

    const std::optional<std::string> value =
        DecodeComponent(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!value) {
      entry().malformed = true;
      continue;
    }
    QueryParameter& parameter = entry();
    const std::string_view trimmed = TrimWhitespace(*value);
    if (trimmed.empty()) continue;  // an empty value counts as absent
    parameter.values.emplace_back(trimmed);
  }
  return result;
}

const QueryParameter* QueryParameters::Find(std::string_view lower_name) const {
  for (const QueryParameter& parameter : parameters_) {
    if (parameter.lower_name == lower_name) return &parameter;
  }
  return nullptr;
}

}  // namespace phonechat
