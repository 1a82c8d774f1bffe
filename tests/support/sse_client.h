// Reads a Server-Sent Events stream for tests: opens GET target with a bearer token (and a
// Last-Event-ID when given), or with the headers given (a session's Cookie), and collects messages
// as the chunks arrive.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace eventsd::test {

struct SseMessage {
  std::string event;  // the `event:` field; empty for the default ("message")
  std::string id;
  std::string data;
};

class SseClient {
 public:
  SseClient(std::uint16_t port, const std::string& token, const std::string& target,
            std::optional<std::string> last_event_id = std::nullopt);
  SseClient(std::uint16_t port, const std::string& target,
            const std::vector<std::pair<std::string, std::string>>& headers);
  ~SseClient();
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  int status() const { return status_; }
  // Waits until `count` messages (comments and retry lines aside) have arrived, or `timeout`;
  // returns every message received so far.
  std::vector<SseMessage> wait_for(std::size_t count, std::chrono::milliseconds timeout);
  // True when the server ended the stream.
  bool ended() const { return ended_; }

 private:
  void read_some(std::chrono::milliseconds timeout);
  struct Impl;
  Impl* impl_;
  int status_ = 0;
  bool ended_ = false;
  std::string pending_;  // text of an incomplete message
  std::vector<SseMessage> messages_;
};

}  // namespace eventsd::test
