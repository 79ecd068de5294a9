#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "storage/store.hpp"

namespace phonechat::testing {

// A directory under the system temp directory, removed with everything in it on destruction.
class TempDir {
 public:
  // Creates a fresh, empty directory.
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // The directory's absolute path.
  [[nodiscard]] const std::string& Path() const { return path_; }
  // `name` inside the directory.
  [[nodiscard]] std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// One storage backend as the contract suite sees it.
struct Backend {
  std::string name;
  // The database location for a fresh database inside `dir` (a URL or path OpenStore accepts).
  std::function<std::string(const TempDir& dir)> location;
  // Opens the database at a location.
  std::function<std::unique_ptr<Store>(const std::string& location)> open;
  // The audit log as stored, oldest first (the Store interface has no reader for it).
  std::function<std::vector<AuditEntry>(const std::string& location)> read_audit;
};

// Prints a backend by its name in test output.
inline void PrintTo(const Backend& backend, std::ostream* out) { *out << backend.name; }

// Every backend the contract suite runs against.
std::vector<Backend> AllBackends();

}  // namespace phonechat::testing
