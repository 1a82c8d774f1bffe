// A fresh directory under the system's temporary directory, removed with everything in it when
// the object goes (scratch space of a tool, a test's data directory).
// Not thread-safe; the directory itself may be used from any thread while the object lives.
#pragma once

#include <filesystem>
#include <string>

namespace eventsd {

class TempDir {
 public:
  // Throws std::runtime_error when no directory can be made. `prefix` starts its name.
  explicit TempDir(const std::string& prefix = "eventsd-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace eventsd
