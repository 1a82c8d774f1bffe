// The writer's thread: its start and stop, and the loop that takes a batch off the queue at a
// time and runs it — commands (writer_retry.cpp, writer_group_commit.cpp) or tasks
// (writer_tasks.cpp), never both in one transaction.
#include "commands/writer.h"

#include <pthread.h>

#include <cstdio>
#include <cstdlib>

namespace eventsd {

Writer::Writer(Store& store, Log& log, const WriteModel& model, WriterLimits limits, const Clock& clock)
    : store_(store), log_(log), model_(model), limits_(limits), clock_(clock) {
  stats_.head = log.head().position;
  fatal_ = [](const std::string& message) {
    std::fprintf(stderr, "eventsd: fatal: %s; exiting so that a supervisor restarts the service\n",
                 message.c_str());
    std::fflush(stderr);
    std::_Exit(70);
  };
}

Writer::~Writer() { stop(); }

void Writer::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "writer");
    run();
  });
}

void Writer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Writer::run() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything is done
    }
    if (throttle_) throttle_(log_.head().position);
    take_batch(batch);
    if (batch.front().task) {
      process_tasks(batch);
    } else {
      process(batch);
    }
    batch.clear();
  }
}

}  // namespace eventsd
