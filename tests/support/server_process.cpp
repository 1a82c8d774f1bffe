#include "tests/support/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

namespace eventsd::test {

std::string eventsd_binary() { return EVENTSD_BIN; }
std::string eventctl_binary() { return EVENTCTL_BIN; }

namespace {

pid_t spawn(const std::vector<std::string>& argv, int stdout_fd, std::uint64_t max_file_size = 0,
            std::uint64_t open_files_soft = 0, std::uint64_t open_files_hard = 0) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // If the test process dies (a crash), its servers die with it instead of holding ctest's
    // output pipe open until the timeout.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (stdout_fd >= 0) ::dup2(stdout_fd, STDOUT_FILENO);
    if (max_file_size) {
      rlimit limit{max_file_size, max_file_size};
      ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    if (open_files_soft) {
      rlimit limit{open_files_soft, open_files_hard ? open_files_hard : open_files_soft};
      ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

int wait_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Reads from fd until a newline or the deadline.
std::string read_line(int fd, std::chrono::milliseconds timeout) {
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  return line;
}

}  // namespace

pid_t spawn_process(const std::vector<std::string>& argv, int stdout_fd) { return spawn(argv, stdout_fd); }
int wait_process(pid_t pid) { return wait_status(pid); }

RunResult run_command(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = spawn(argv, fds[1]);
  ::close(fds[1]);
  RunResult result;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    result.out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  result.status = wait_status(pid);
  return result;
}

RunResult eventctl(std::vector<std::string> args) {
  args.insert(args.begin(), eventctl_binary());
  return run_command(args);
}

std::string create_token(const std::filesystem::path& data_dir, const std::string& tenant,
                         const std::string& scopes) {
  auto r = run_command({eventctl_binary(), "token", "create", "--data", data_dir.string(),
                        "--tenant", tenant, "--scopes", scopes, "--create"});
  if (r.status != 0) throw std::runtime_error("eventctl token create failed");
  while (!r.out.empty() && (r.out.back() == '\n' || r.out.back() == '\r')) r.out.pop_back();
  return r.out;
}

std::string create_operator_token(const std::filesystem::path& data_dir) {
  auto r = run_command({eventctl_binary(), "token", "create", "--data", data_dir.string(), "--operator", "--create"});
  if (r.status != 0) throw std::runtime_error("eventctl token create --operator failed");
  while (!r.out.empty() && (r.out.back() == '\n' || r.out.back() == '\r')) r.out.pop_back();
  return r.out;
}

ServerProcess::ServerProcess(std::filesystem::path data_dir, std::vector<std::string> extra_args,
                             std::uint64_t max_file_size, std::uint64_t open_files_soft,
                             std::uint64_t open_files_hard)
    : data_dir_(std::move(data_dir)) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> argv = {eventsd_binary(), "--data", data_dir_.string(), "--listen",
                                   "127.0.0.1:0"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  pid_ = spawn(argv, fds[1], max_file_size, open_files_soft, open_files_hard);
  ::close(fds[1]);
  const std::string line = read_line(fds[0], std::chrono::seconds(30));
  ::close(fds[0]);  // later output goes nowhere; eventsd ignores SIGPIPE on stdout writes
  const std::string marker = "http://127.0.0.1:";
  auto at = line.find(marker);
  if (at == std::string::npos) {
    kill9();
    throw std::runtime_error("eventsd did not report its port; it printed: " + line);
  }
  port_ = static_cast<std::uint16_t>(std::stoi(line.substr(at + marker.size())));
}

ServerProcess::~ServerProcess() {
  if (pid_ <= 0) return;
  // A server gone before the test let it go crashed, or a sanitizer stopped it (its report is on
  // stderr): the test fails, even when every answer it checked came before.
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    ADD_FAILURE() << "eventsd exited by itself during the test, "
                  << (WIFEXITED(status) ? "status " + std::to_string(WEXITSTATUS(status))
                                        : "signal " + std::to_string(WTERMSIG(status)));
    return;
  }
  kill9();
}

int ServerProcess::terminate() {
  ::kill(pid_, SIGTERM);
  int status = wait_status(pid_);
  pid_ = -1;
  return status;
}

void ServerProcess::kill9() {
  ::kill(pid_, SIGKILL);
  wait_status(pid_);
  pid_ = -1;
}

}  // namespace eventsd::test
