// A real eventsd process for end-to-end tests: started on an ephemeral port with its own data
// directory, its port read from the line it prints on stdout. One that exits by itself before the
// test ends it (terminate(), kill9(), the destructor) fails the test: a crash, or a sanitizer's
// report (tools/test.sh stops a sanitized program at its first).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace eventsd::test {

// Paths of the binaries under test, compiled in by CMake.
std::string eventsd_binary();
std::string eventctl_binary();

// Runs a command, returning its exit status and stdout.
struct RunResult {
  int status = -1;
  std::string out;
};
RunResult run_command(const std::vector<std::string>& argv);
// eventctl with `args` (its exit status and stdout).
RunResult eventctl(std::vector<std::string> args);

// Starts argv[0] (a path) with argv, its stdout on `stdout_fd` (-1: inherited); the child is
// killed when the test process dies. wait_process reaps it: its exit status, or 128 + signal.
pid_t spawn_process(const std::vector<std::string>& argv, int stdout_fd = -1);
int wait_process(pid_t pid);

// `eventctl token create`; returns the token (fails the test on error).
std::string create_token(const std::filesystem::path& data_dir, const std::string& tenant,
                         const std::string& scopes);
// `eventctl token create --operator` (fails the test on error).
std::string create_operator_token(const std::filesystem::path& data_dir);

class ServerProcess {
 public:
  // `max_file_size` (bytes, 0 = none) limits the files the server may write (RLIMIT_FSIZE): a way
  // to make the disk "full" for it without filling a real disk. `open_files_soft`/`_hard` (0 =
  // inherited) set its RLIMIT_NOFILE, as a shell's `ulimit -n` would.
  explicit ServerProcess(std::filesystem::path data_dir, std::vector<std::string> extra_args = {},
                         std::uint64_t max_file_size = 0, std::uint64_t open_files_soft = 0,
                         std::uint64_t open_files_hard = 0);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  pid_t pid() const { return pid_; }

  // Sends SIGTERM and waits; returns the exit status (or 128 + signal).
  int terminate();
  // SIGKILL, as a crash would.
  void kill9();

 private:
  std::filesystem::path data_dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace eventsd::test
