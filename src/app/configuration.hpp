// Where `serve` takes its settings from, beyond CLI11's flags and variables: secrets read from files, the
// configuration file, the source of each setting, and the effective configuration printed with secrets masked
// (docs/operations.md, "Configuration").
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace phonechat {

// The variables whose value may instead be read from the file that `<NAME>_FILE` names (database URLs, which may
// hold a password).
inline constexpr std::string_view kSecretVariables[] = {"PHONECHAT_DB", "PHONECHAT_DB_READ"};

// For each of `variables` whose `<NAME>_FILE` is set, sets NAME to that file's content (its trailing line break
// dropped; several lines become one comma-separated list), and returns the names so set. Throws UsageError naming
// the variable when the file cannot be read, is empty or larger than 64 KiB, or when NAME is set too.
std::vector<std::string> LoadSecretFiles(const std::vector<std::string_view>& variables);

// Rewrites a CLI11 parse error of `command` as one line that names the option, where its value came from (the
// flag or the variable) and what is wrong, e.g. `--threads (variable PHONECHAT_THREADS): Value 0 not in range 1 to
// 256`; `arguments` are the command line's arguments.
std::string DescribeParseError(const CLI::App& command, const std::vector<std::string>& arguments,
                               const std::string& message);

// Where each of the settings came from: option name -> "flag --x", "variable PHONECHAT_X", "FILE line N".
using SettingSources = std::map<std::string, std::string>;

// The sources of the options of `command` that its flags and variables set (`arguments`: the command line's;
// `from_files`: the variables LoadSecretFiles set, named by their `_FILE` variable).
SettingSources FlagAndVariableSources(const CLI::App& command, const std::vector<std::string>& arguments,
                                      const std::vector<std::string>& from_files);

// Applies the TOML/INI file `path` to the options of `command` that no flag or variable has set (keys named like
// the long flags, at the top or under `[serve]`), running each option's checks, and adds their sources to
// `sources`. Throws UsageError naming the file, the line, the key and what is wrong (unreadable file, unknown key,
// a key twice, a value an option refuses); an unreadable file is named with the source of the path,
// `sources["config"]`.
void ApplyConfigFile(CLI::App& command, const std::string& path, SettingSources& sources);

// The effective configuration of `command` as a configuration file it would read: one `key = value` line per set
// option with its source, unset ones and the configuration file's own path commented out; the values of
// `secret_options` (database URLs) with their passwords masked.
std::string EffectiveConfiguration(const CLI::App& command, const SettingSources& sources,
                                   const std::vector<std::string>& secret_options, std::string_view heading);

}  // namespace phonechat
