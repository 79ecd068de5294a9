// A project's redirect URIs as the projects table stores them: a JSON array of strings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace phonechat {

// A project's redirect URIs as the `projects.redirect_uris` column holds them: a JSON array of strings.
std::string RedirectUrisJson(const std::vector<std::string>& uris);

// The column read back; throws std::runtime_error when it is not an array of strings (a damaged database).
std::vector<std::string> ParseRedirectUris(std::string_view json);

}  // namespace phonechat
