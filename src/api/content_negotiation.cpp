// Accept-header negotiation of JSON or XML by q-value (docs/api.md, "Content negotiation").

#include "api/content_negotiation.hpp"

#include "api/query_parameters.hpp"

namespace phonechat {
namespace {

constexpr NegotiatedFormat kJson{BodyFormat::kJson, "application/json"};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  }
  return true;
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )   (RFC 9110 §12.4.2), in thousandths;
// anything else is treated as 0, i.e. "not acceptable".
int ParseQuality(std::string_view text) {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return 0;
  int thousandths = (text[0] - '0') * 1000;
  if (text.size() == 1) return thousandths;
  if (text[1] != '.' || text.size() > 5) return 0;
  int scale = 100;
  for (char c : text.substr(2)) {
    if (c < '0' || c > '9') return 0;
    thousandths += (c - '0') * scale;
    scale /= 10;
  }
  return thousandths <= 1000 ? thousandths : 0;
}

std::optional<NegotiatedFormat> FormatOfMediaRange(std::string_view range) {
  for (const NegotiatedFormat candidate :
       {NegotiatedFormat{BodyFormat::kJson, "application/json"}, NegotiatedFormat{BodyFormat::kJson, "text/json"},
        NegotiatedFormat{BodyFormat::kXml, "application/xml"}, NegotiatedFormat{BodyFormat::kXml, "text/xml"}}) {
    if (EqualsIgnoreCase(range, candidate.media_type)) return candidate;
  }
  if (range == "*/*" || EqualsIgnoreCase(range, "application/*") || EqualsIgnoreCase(range, "text/*")) return kJson;
  return std::nullopt;
}

}  // namespace

// Accept = #( media-range [ weight ] ); media-range = type "/" subtype *( OWS ";" OWS parameter )
// Quoted parameter values holding a comma are not expected from clients of this API and are not handled.
NegotiatedFormat NegotiateFormat(std::optional<std::string_view> accept) {
  if (!accept) return kJson;
  NegotiatedFormat best = kJson;
  int best_quality = 0;
  std::string_view rest = *accept;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view element = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);

    const auto semicolon = element.find(';');
    const std::string_view range = TrimWhitespace(element.substr(0, semicolon));
    int quality = 1000;
    while (semicolon != std::string_view::npos && !element.empty()) {
      element = element.substr(element.find(';') + 1);
      const auto next = element.find(';');
      const std::string_view parameter = TrimWhitespace(element.substr(0, next));
      const auto eq = parameter.find('=');
      if (eq != std::string_view::npos && EqualsIgnoreCase(TrimWhitespace(parameter.substr(0, eq)), "q")) {
        quality = ParseQuality(TrimWhitespace(parameter.substr(eq + 1)));
      }
      if (next == std::string_view::npos) break;
    }

    const std::optional<NegotiatedFormat> format = FormatOfMediaRange(range);
    if (format && quality > best_quality) {
      best = *format;
      best_quality = quality;
    }
  }
  return best;
}

}  // namespace phonechat
