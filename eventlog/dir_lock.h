// An exclusive advisory lock (flock) on a file of a directory: DIR/eventsd.lock is held by the
// process that writes the log (the server, or a tool that must not run beside it);
// DIR/read/rebuild.lock by whoever folds a new read-model generation. The kernel drops the lock
// when the process dies, so a crash never leaves it held.
//
// Thread safety: try_acquire from any thread; a DirLock is owned by one thread at a time.
#pragma once

#include <filesystem>
#include <optional>

namespace eventsd {

class DirLock {
 public:
  // Returns nullopt when another process holds the lock.
  static std::optional<DirLock> try_acquire(const std::filesystem::path& dir,
                                            const char* name = "eventsd.lock");
  DirLock(DirLock&& other) noexcept;
  DirLock& operator=(DirLock&&) = delete;
  DirLock(const DirLock&) = delete;
  ~DirLock();

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace eventsd
