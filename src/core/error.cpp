// ModelState's collection of field errors into one Error, and Error as an exception for Result::value().

#include "core/error.hpp"

#include <algorithm>

namespace phonechat {

void ModelState::Add(std::string_view field, std::string message) {
  auto found = std::find_if(fields_.begin(), fields_.end(), [&](const FieldErrors& f) { return f.field == field; });
  if (found == fields_.end()) {
    fields_.push_back(FieldErrors{std::string(field), {}});
    found = std::prev(fields_.end());
  }
  found->messages.push_back(std::move(message));
}

Error ModelState::ToError() && {
  return Error{ErrorCode::kInvalidRequest, "The request is invalid.", std::move(fields_), {}, false};
}

}  // namespace phonechat

#include "core/result.hpp"

namespace phonechat {

void throw_exception_from_error(const Error& error, const boost::source_location& /*location*/) {  // NOLINT
  throw std::logic_error("Result::value() on an error: " + error.message);
}

}  // namespace phonechat
