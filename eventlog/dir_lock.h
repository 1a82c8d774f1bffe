// An exclusive advisory lock (flock) on DIR/eventsd.lock, held by the process that writes the
// log: the server, or a tool that must not run beside it (replay). The kernel drops the lock when
// the process dies, so a crash never leaves the directory locked.
#pragma once

#include <filesystem>
#include <optional>

namespace eventsd {

class DirLock {
 public:
  // Returns nullopt when another process holds the lock.
  static std::optional<DirLock> try_acquire(const std::filesystem::path& dir);
  DirLock(DirLock&& other) noexcept;
  DirLock& operator=(DirLock&&) = delete;
  DirLock(const DirLock&) = delete;
  ~DirLock();

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace eventsd
