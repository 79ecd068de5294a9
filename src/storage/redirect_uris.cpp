// Writing and reading back the redirect-URI JSON column.

#include "storage/redirect_uris.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <stdexcept>

namespace phonechat {

std::string RedirectUrisJson(const std::vector<std::string>& uris) {
  return boost::json::serialize(boost::json::value_from(uris));
}

std::vector<std::string> ParseRedirectUris(std::string_view json) {
  std::vector<std::string> uris;
  boost::system::error_code error;
  const auto value = boost::json::parse(json, error);
  // The column is written only by this program: anything but an array of strings is a damaged database.
  if (error || !value.is_array()) throw std::runtime_error("projects.redirect_uris is not a JSON array");
  for (const auto& uri : value.get_array()) {
    if (!uri.is_string()) throw std::runtime_error("projects.redirect_uris holds a non-string");
    uris.emplace_back(uri.get_string().data(), uri.get_string().size());
  }
  return uris;
}

}  // namespace phonechat
