// A request's query string (or form body) as the API reads it: names case-insensitive, values decoded and trimmed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace phonechat {

// One query parameter as the API sees it: name matched case-insensitively, values decoded and trimmed.
struct QueryParameter {
  std::string lower_name;           // decoded, ASCII-lower-cased
  std::vector<std::string> values;  // decoded (`+` as space), trimmed, empty ones dropped
  bool malformed = false;           // some occurrence was not valid percent-encoding
};

// The parameters of a query string (docs/api.md, "Parameters"), in first-seen order.
class QueryParameters {
 public:
  // Parses the part of a request-target after `?` (without the `?`).
  static QueryParameters Parse(std::string_view query);
  // The parameter whose name equals `lower_name` ignoring ASCII case, or null.
  [[nodiscard]] const QueryParameter* Find(std::string_view lower_name) const;

 private:
  std::vector<QueryParameter> parameters_;
};

// Lower-cases ASCII letters and leaves every other byte alone.
std::string AsciiLower(std::string_view text);

// `text` without leading and trailing white space (SP, HTAB, CR, LF).
std::string_view TrimWhitespace(std::string_view text);

}  // namespace phonechat
