// What the end-to-end harness itself promises (tests/support/server_process.h): a server that
// dies by itself during a test — a crash, or a sanitizer stopping it at its first report — fails
// that test, even when every answer the test checked came before.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace eventsd {
namespace {

// Waits until the process has exited, leaving it for its owner to reap.
void wait_until_gone(pid_t pid) {
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT), 0);
}

TEST(Harness, AServerThatDiesByItselfFailsTheTest) {
  test::TempDir dir;
  EXPECT_NONFATAL_FAILURE(
      {
        test::ServerProcess server(dir.path());
        // Killed behind the test's back (a signal no sanitizer can catch, so the same in every build).
        ::kill(server.pid(), SIGKILL);
        wait_until_gone(server.pid());
      },
      "eventsd exited by itself during the test, signal 9");
}

}  // namespace
}  // namespace eventsd
