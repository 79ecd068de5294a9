// Chooses a /v1 answer's body format (JSON or XML) from the Accept header, with the media type to name.
#pragma once

#include <optional>
#include <string_view>

#include "serialization/body_writer.hpp"

namespace phonechat {

// The chosen body format and the media type to name in Content-Type.
struct NegotiatedFormat {
  BodyFormat format = BodyFormat::kJson;
  std::string_view media_type = "application/json";
};

// Chooses the response format from an Accept header (docs/api.md, "Content negotiation"): JSON or XML types
// by q-value, ties to the first listed; no header, wildcards only, or only unsupported types give JSON.
NegotiatedFormat NegotiateFormat(std::optional<std::string_view> accept);

}  // namespace phonechat
