#include "app/configuration.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "storage/database_url.hpp"

namespace phonechat {
namespace {

constexpr std::size_t kMaxSecretFileBytes = 64 * 1024;
constexpr std::size_t kMaxConfigFileBytes = 1024 * 1024;

std::string Trimmed(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  const std::size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

// The whole file, or a UsageError that starts with `what`.
std::string ReadBoundedFile(const std::string& path, std::size_t limit, const std::string& what) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw UsageError(what + ": cannot read " + path + ": " + std::strerror(errno));
  std::string content;
  content.resize(limit + 1);
  file.read(content.data(), static_cast<std::streamsize>(content.size()));
  content.resize(static_cast<std::size_t>(file.gcount()));
  if (content.size() > limit) {
    throw UsageError(what + ": " + path + " is larger than " + std::to_string(limit / 1024) + " KiB");
  }
  return content;
}

// The option's name as a configuration key and in messages: its first long name.
std::string KeyOf(const CLI::Option& option) {
  const std::vector<std::string>& names = option.get_lnames();
  return names.empty() ? option.get_name() : names.front();
}

bool GivenAsFlag(const CLI::Option& option, const std::vector<std::string>& arguments) {
  for (const std::string& name : option.get_lnames()) {
    const std::string flag = "--" + name;
    for (const std::string& argument : arguments) {
      if (argument == flag || argument.rfind(flag + "=", 0) == 0) return true;
    }
  }
  return false;
}

bool VariableSet(const CLI::Option& option) {
  const std::string& name = option.get_envname();
  if (name.empty()) return false;
  const char* value = std::getenv(name.c_str());
  return value != nullptr && *value != '\0';
}

// The options that hold a setting: the long-named ones but --help and --print-config.
bool HoldsSetting(const CLI::Option& option) {
  const std::string key = KeyOf(option);
  return !option.get_lnames().empty() && key != "help" && key != "print-config";
}

// The settings a configuration file may hold: all but the path of the file itself.
bool IsFileSetting(const CLI::Option& option) { return HoldsSetting(option) && KeyOf(option) != "config"; }

std::string QuotedToml(std::string_view value) {
  std::string quoted = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + '"';
}

bool IsTomlBareValue(std::string_view value) {
  if (value == "true" || value == "false") return true;
  if (value.empty()) return false;
  char* end = nullptr;
  const std::string text(value);
  std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && text.find_first_of("xXnNiI") == std::string::npos;
}

std::string TomlValue(const std::vector<std::string>& values, bool list) {
  const auto one = [](const std::string& value) { return IsTomlBareValue(value) ? value : QuotedToml(value); };
  if (!list) return values.empty() ? std::string("\"\"") : one(values.back());
  std::string text = "[";
  for (std::size_t i = 0; i < values.size(); ++i) text += (i == 0 ? "" : ", ") + one(values[i]);
  return text + "]";
}

// One logical `key = value` line of a configuration file, with where it starts.
struct ConfigLine {
  std::size_t number = 0;
  std::string section;
  std::string text;
};

std::vector<ConfigLine> LogicalLines(const std::string& content, const std::string& path) {
  std::vector<ConfigLine> lines;
  std::istringstream input(content);
  std::string section;
  std::string line;
  for (std::size_t number = 1; std::getline(input, line); ++number) {
    const std::string trimmed = Trimmed(line);
    if (trimmed.empty() || trimmed.front() == '#' || trimmed.front() == ';') continue;
    if (trimmed.front() == '[') {
      if (trimmed.back() != ']') {
        throw UsageError(path + " line " + std::to_string(number) + ": a section header without its closing ]");
      }
      section = Trimmed(std::string_view(trimmed).substr(1, trimmed.size() - 2));
      continue;
    }
    ConfigLine logical{number, section, trimmed};
    const std::size_t equals = trimmed.find('=');
    const std::string value = equals == std::string::npos ? std::string() : Trimmed(trimmed.substr(equals + 1));
    // A list may go on over the next lines until its closing bracket.
    if (!value.empty() && value.front() == '[') {
      while (logical.text.back() != ']' && std::getline(input, line)) {
        ++number;
        logical.text += Trimmed(line);
      }
    }
    lines.push_back(std::move(logical));
  }
  return lines;
}

}  // namespace

std::vector<std::string> LoadSecretFiles(const std::vector<std::string_view>& variables) {
  std::vector<std::string> loaded;
  for (const std::string_view variable : variables) {
    const std::string name(variable);
    const std::string file_variable = name + "_FILE";
    const char* path = std::getenv(file_variable.c_str());
    if (path == nullptr || *path == '\0') continue;
    const char* direct = std::getenv(name.c_str());
    if (direct != nullptr && *direct != '\0') {
      throw UsageError("variable " + file_variable + ": " + name + " is set too; keep one of them");
    }
    std::string content = ReadBoundedFile(path, kMaxSecretFileBytes, "variable " + file_variable);
    std::string value;
    std::istringstream lines(content);
    for (std::string line; std::getline(lines, line);) {
      line = Trimmed(line);
      if (line.empty()) continue;
      value += (value.empty() ? "" : ",") + line;
    }
    if (value.empty()) throw UsageError("variable " + file_variable + ": " + std::string(path) + " is empty");
    ::setenv(name.c_str(), value.c_str(), 1);
    loaded.push_back(name);
  }
  return loaded;
}

std::string DescribeParseError(const CLI::App& command, const std::vector<std::string>& arguments,
                               const std::string& message) {
  for (const CLI::Option* option : command.get_options()) {
    if (option->get_lnames().empty()) continue;
    const std::string flag = "--" + KeyOf(*option);
    if (message.rfind(flag + ":", 0) != 0 && message.find(" " + flag) == std::string::npos) continue;
    std::string source;
    if (GivenAsFlag(*option, arguments)) {
      source = "the flag";
    } else if (VariableSet(*option)) {
      source = "variable " + option->get_envname();
    } else {
      continue;
    }
    std::string what = message.rfind(flag + ":", 0) == 0 ? Trimmed(message.substr(flag.size() + 1)) : message;
    return flag + " (" + source + "): " + what;
  }
  return message;
}

SettingSources FlagAndVariableSources(const CLI::App& command, const std::vector<std::string>& arguments,
                                      const std::vector<std::string>& from_files) {
  SettingSources sources;
  for (const CLI::Option* option : command.get_options()) {
    if (!HoldsSetting(*option) || option->count() == 0) continue;
    const std::string& variable = option->get_envname();
    if (GivenAsFlag(*option, arguments)) {
      sources[KeyOf(*option)] = "flag --" + KeyOf(*option);
    } else if (std::find(from_files.begin(), from_files.end(), variable) != from_files.end()) {
      sources[KeyOf(*option)] = "variable " + variable + "_FILE";
    } else if (VariableSet(*option)) {
      sources[KeyOf(*option)] = "variable " + variable;
    }
  }
  return sources;
}

void ApplyConfigFile(CLI::App& command, const std::string& path, SettingSources& sources) {
  const auto named = sources.find("config");
  const std::string content =
      ReadBoundedFile(path, kMaxConfigFileBytes, named != sources.end() ? named->second : "--config");
  std::set<std::string> seen;
  for (const ConfigLine& line : LogicalLines(content, path)) {
    const std::string where = path + " line " + std::to_string(line.number);
    if (!line.section.empty() && line.section != command.get_name()) {
      throw UsageError(where + ": section [" + line.section + "] is not one this file may have (only [" +
                       command.get_name() + "], or none)");
    }
    std::istringstream one(line.text);
    const std::vector<CLI::ConfigItem> items = CLI::ConfigTOML().from_config(one);
    if (items.size() != 1 || !items.front().parents.empty()) {
      throw UsageError(where + ": not a `key = value` line");
    }
    const CLI::ConfigItem& item = items.front();
    CLI::Option* option = command.get_option_no_throw("--" + item.name);
    if (option == nullptr || !IsFileSetting(*option)) {
      throw UsageError(where + ": unknown key '" + item.name + "' (the keys are the long flags of `" +
                       command.get_name() + " --help` without their dashes)");
    }
    const std::string key = KeyOf(*option);
    if (!seen.insert(key).second) throw UsageError(where + ": key '" + key + "' a second time");
    if (option->count() > 0) continue;  // a flag or a variable wins over the file
    try {
      option->add_result(item.inputs);
      option->run_callback();
    } catch (const CLI::Error& error) {
      const std::string message = error.what();
      const std::string flag = "--" + key + ":";
      throw UsageError(where + ": key '" + key + "': " +
                       (message.rfind(flag, 0) == 0 ? Trimmed(message.substr(flag.size())) : message));
    }
    sources[key] = where;
  }
}

std::string EffectiveConfiguration(const CLI::App& command, const SettingSources& sources,
                                   const std::vector<std::string>& secret_options, std::string_view heading) {
  std::string text(heading);
  for (const CLI::Option* option : command.get_options()) {
    if (!HoldsSetting(*option)) continue;
    const std::string key = KeyOf(*option);
    const bool list = option->get_expected_max() > 1;
    std::vector<std::string> values;
    std::string source;
    if (option->count() > 0) {
      values = option->results();
      const auto found = sources.find(key);
      source = found != sources.end() ? found->second : "set";
    } else if (!option->get_default_str().empty()) {
      values = {option->get_default_str()};
      source = "default";
    }
    const bool secret = std::find(secret_options.begin(), secret_options.end(), key) != secret_options.end();
    if (secret) {
      for (std::string& value : values) value = DisplayDatabaseUrl(value);
    }
    if (values.empty()) {
      text += "# " + key + " = " + (list ? "[]" : "\"\"") + "  # not set: " + option->get_description() + "\n";
      continue;
    }
    text += (IsFileSetting(*option) ? "" : "# ") + key + " = " + TomlValue(values, list) + "  # " + source + "\n";
  }
  return text;
}

}  // namespace phonechat
