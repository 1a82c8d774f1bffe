// eventsd without its sockets, for the fuzz targets that go through the router: a real store in a
// temporary directory (under $TMPDIR), wired as eventsd's main() wires it, with three tokens and a
// small history of every kind of fact to read. Requests run to completion on the calling thread,
// streamed bodies included.
//
// Thread safety: one thread uses a LiveApp at a time (the writer has its own thread inside).
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "commands/command.h"
#include "common/temp_dir.h"
#include "http/api/api.h"
#include "http/api/router.h"

namespace eventsd::fuzz {

// The tenants and ids of the history every LiveApp starts with.
inline constexpr std::string_view kTenant = "fuzz";
inline constexpr std::string_view kOtherTenant = "other";

// A response as a client would read it.
struct Answer {
  unsigned status = 0;
  std::string content_type;
  std::string body;          // the whole body; a streamed one as far as it was read
  bool streamed = false;
  std::string stream_error;  // what a streamed body threw (the server would cut the connection)
};

class LiveApp {
 public:
  LiveApp();   // a new directory, the write path opened on it, tokens made, the history ingested
  ~LiveApp();  // stops the writer; the directory goes with dir_
  LiveApp(const LiveApp&) = delete;
  LiveApp& operator=(const LiveApp&) = delete;

  // Bearer tokens: every scope of kTenant; events:read of kTenant; every scope of kOtherTenant.
  const std::string& token_all() const { return token_all_; }
  const std::string& token_read() const { return token_read_; }
  const std::string& token_other() const { return token_other_; }
  // `text` with the placeholders $ALL, $READ and $OTHER replaced by those tokens.
  std::string with_tokens(std::string_view text) const;

  // Runs one request through the router. A streamed body (export, event stream) is read until it
  // ends, `max_pieces` pieces were read, or it waits for commits that will not come.
  Answer handle(const http::RawRequest& request, std::size_t max_pieces = 64);
  // Parses `raw` (an HTTP/1.1 request, placeholders replaced) as the server would, with its
  // header and body limits; false when the server would refuse it before routing.
  bool parse(std::string_view raw, http::RawRequest& out) const;

  // Decides and commits one command, as the HTTP handlers and eventctl import do.
  Outcome submit(Command command);

  http::App& app();
  const http::Router& router() const { return router_; }
  // Bytes of the files of its data directory: the fuzzer writes, so a long run replaces the LiveApp.
  std::uintmax_t data_bytes() const;

 private:
  struct Parts;
  static std::unique_ptr<Parts> open(const std::filesystem::path& dir);
  void ingest_history();

  TempDir dir_;  // removed with the app
  http::Router router_;
  boost::asio::io_context io_;
  std::unique_ptr<Parts> parts_;
  std::string token_all_, token_read_, token_other_;
};

// The LiveApp of this process, made on first use and replaced by a fresh one once its data files
// outgrew `max_bytes` (a state that depends on earlier inputs is the price of a real store; a
// finding is reproduced from a fresh one).
LiveApp& live_app(std::uintmax_t max_bytes = std::uintmax_t{128} << 20);

}  // namespace eventsd::fuzz
