#include "http/api/view.h"

#include <boost/asio/this_coro.hpp>


#include "common/parse.h"
#include "engine/commit_broadcaster.h"

namespace eventsd::http {

ApiError rebuilding_error(const Engine& engine) {
  const RebuildStatus r = engine.projector.rebuild_status();
  std::string message = "the read models are being rebuilt from the log";
  if (r.running) {
    message += ": position " + std::to_string(r.folded) + " of " + std::to_string(r.target);
  }
  message += "; retry later";
  ApiError error(503, "rebuilding", std::move(message));
  error.retry_after = 5;
  return error;
}

boost::asio::awaitable<void> await_min_position(Engine& engine, std::string_view value) {
  const auto parsed = parse_u64(value);
  if (!parsed) throw bad_param("min_position", "min_position must be a log position (a non-negative integer)");
  const std::uint64_t position = *parsed;
  if (!engine.replica && position > engine.writer.stats().head.load()) {
    throw bad_param("min_position", "min_position is beyond the end of the log");
  }
  const auto deadline = std::chrono::steady_clock::now() + kMinPositionWait;
  // (While the read models are rebuilt, this waits for the rebuilt generation too.)
  while (!engine.projector.current() || engine.projector.applied() < position) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 && !engine.projector.current()) throw rebuilding_error(engine);
    if (left.count() <= 0 ||
        co_await engine.commits.wait_beyond(position - 1, left) == CommitBroadcaster::Wake::closed) {
      ApiError error(503, "not_ready", "the read models have not reached position " + std::to_string(position) +
                                           " yet; retry later");
      error.retry_after = 1;
      throw error;
    }
  }
}

}  // namespace eventsd::http
