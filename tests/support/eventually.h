// Waiting for a condition another thread or process makes true (a node taking a shard, a file
// going away): the condition synchronises the test, never a guessed time. Polls every 10 ms.
#pragma once

#include <chrono>
#include <thread>

namespace eventsd::test {

// Whether `done()` held before `limit` passed (it is asked once more at the end).
template <class F>
bool eventually(F done, std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

}  // namespace eventsd::test
