#include "tests/fuzz/live_app.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstdio>
#include <cstdlib>
#include <future>
#include <optional>

#include "accounts/tokens.h"
#include "engine/engine.h"
#include "eventlog/data_dir.h"
#include "http/api/metrics.h"
#include "http/dialects/routes.h"

namespace eventsd::fuzz {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

struct LiveApp::Parts {
  explicit Parts(const std::filesystem::path& dir)
      : engine(data_dir::log_dir(dir), data_dir::read_dir(dir)), tokens(engine.store),
        app(engine.store, tokens, {}, {&engine}) {
    app.metrics = &metrics;
  }
  Engine engine;
  TokenStore tokens;
  http::Metrics metrics;
  http::App app;
};

// The engine wired as eventsd's main() wires it (engine/engine.h), without the server.
std::unique_ptr<LiveApp::Parts> LiveApp::open(const std::filesystem::path& dir) {
  auto p = std::make_unique<Parts>(dir);
  p->engine.start();
  return p;
}

namespace {

[[noreturn]] void broken(const std::string& what) {
  std::fprintf(stderr, "fuzz: the live app cannot be set up: %s\n", what.c_str());
  std::abort();
}

// A history with every kind of fact (as the tests' populate() makes), for queries to walk.
constexpr std::pair<const char*, const char*> kHistory[] = {
    {"PUT /v1/scoring/rules", R"({"rules":[{"event":"view","points":2},{"event":"click","points":-1}]})"},
    {"PUT /v1/suppression/rules", R"({"rules":[{"kind":"velocity","max_events":3,"window_seconds":60,"keep_first":true},
        {"kind":"metadata","key":"bot","equals":true},{"kind":"metadata","key":"ua","contains":"crawler"}]})"},
    {"POST /v1/events", R"({"batch":[
        {"id":"e1","event":"view","contact_id":"ct_1","url":"https://d1.com/pricing?a=1","timestamp":"2026-02-01T10:00:00Z","campaign_id":"cmp_1","step_id":"s1","email":"a@d1.com","data":{"n":1.5,"note":"a, \"q\"\nline"}},
        {"id":"e2","event":"click","contact_id":"ct_2","url":"http://D2.com:8080/x","referrer":"https://r.example/","timestamp":"2026-02-01T10:00:01.250Z","utm_source":"news","utm_medium":"mail","utm_campaign":"spring"},
        {"id":"e3","event":"view","contact_id":"ct_1","session_id":"s-1","data":{"bot":true}},
        {"id":"e4","event":"opened","campaign_id":"cmp_1","contact_id":"ct_3","email":"c@d3.org","timestamp":"2026-01-15T00:00:00Z"},
        {"id":"e5","event":"view","timestamp":"2025-12-31T23:59:59.999Z","data":{"ua":"Crawler/1.0"}},
        {"event":"Page View","contact_id":"ct_4","data":{"deep":{"a":[1,2,{"b":null}]}}}]})"},
    {"POST /v1/events", R"({"event":"view","contact_id":"ct_1","timestamp":"2026-02-01T10:00:02Z"})"},
    {"POST /v1/events", R"({"event":"view","contact_id":"ct_1","timestamp":"2026-02-01T10:00:03Z"})"},
    {"POST /v1/events", R"({"event":"view","contact_id":"ct_1","timestamp":"2026-02-01T10:00:04Z"})"},
    {"PUT /v1/contacts/ct_1", R"({"firstname":"Ada","lastname":"L","email":"ada@d1.com","company":{"name":"AE","domain":"d1.com"}})"},
    {"POST /v1/contacts/merge", R"({"from":"ct_2","into":"ct_3"})"},
    {"DELETE /v1/events/batch", R"({"event_ids":["e5","nope"]})"},
    {"POST /ingest", R"({"event_type":"signup","lead_id":"ct_2","metadata":{"plan":"pro"},"created_at":"2026-02-02T08:00:00Z"})"},
    {"POST /api/workspaces/fuzz/events", R"({"type":"pageview","contactId":"ct_5","pageUrl":"https://w.example/a","metadata":{}})"},
};

}  // namespace

LiveApp::LiveApp() : dir_("eventsd-fuzz-"), router_(http::make_router()) {
  try {
    parts_ = open(dir_.path());
    token_all_ = parts_->tokens.create(kTenant, {"events:read", "events:write", "campaigns:read", "admin"});
    token_read_ = parts_->tokens.create(kTenant, {"events:read"});
    token_other_ = parts_->tokens.create(kOtherTenant, {"events:read", "events:write", "campaigns:read", "admin"});
  } catch (const std::exception& e) {
    broken(e.what());
  }
  ingest_history();
}

LiveApp::~LiveApp() { parts_.reset(); }

void LiveApp::ingest_history() {
  auto run = [&](const std::string& method_target, const std::string& body, const std::string& token) {
    const auto space = method_target.find(' ');
    http::RawRequest req{bhttp::string_to_verb(method_target.substr(0, space)), method_target.substr(space + 1), 11};
    req.set(bhttp::field::authorization, "Bearer " + token);
    req.body() = body;
    req.prepare_payload();
    const Answer a = handle(req);
    if (a.status >= 300) broken(method_target + " answered " + std::to_string(a.status) + ": " + a.body);
  };
  for (const auto& [target, body] : kHistory) run(target, body, token_all_);
  run("POST /v1/events", R"({"id":"e1","event":"view","contact_id":"ct_9","campaign_id":"cmp_9"})", token_other_);
}

http::App& LiveApp::app() { return parts_->app; }

std::uintmax_t LiveApp::data_bytes() const {
  std::uintmax_t n = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path(), ec)) {
    if (entry.is_regular_file(ec)) n += entry.file_size(ec);
  }
  return n;
}

std::string LiveApp::with_tokens(std::string_view text) const {
  std::string out;
  out.reserve(text.size() + 64);
  for (std::size_t i = 0; i < text.size();) {
    if (text.substr(i).starts_with("$ALL")) {
      out += token_all_;
      i += 4;
    } else if (text.substr(i).starts_with("$READ")) {
      out += token_read_;
      i += 5;
    } else if (text.substr(i).starts_with("$OTHER")) {
      out += token_other_;
      i += 6;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

bool LiveApp::parse(std::string_view raw, http::RawRequest& out) const {
  const auto& options = parts_->app.options;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
  parser.body_limit(options.body_limit);
  parser.eager(true);
  boost::beast::error_code ec;
  while (!raw.empty() && !parser.is_done()) {
    const std::size_t used = parser.put(asio::buffer(raw.data(), raw.size()), ec);
    if (ec == bhttp::error::need_more && used == 0) break;
    if (ec && ec != bhttp::error::need_more) return false;
    raw.remove_prefix(used);
  }
  if (!parser.is_done()) return false;  // the server would wait for the rest, then time out
  out = parser.release();
  return true;
}

Answer LiveApp::handle(const http::RawRequest& request, std::size_t max_pieces) {
  http::App& app = parts_->app;
  CommitBroadcaster& commits = parts_->engine.commits;
  Answer answer;
  std::exception_ptr failure;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        http::Reply reply = co_await router_.handle(app, request);
        answer.status = reply.response.result_int();
        answer.content_type = std::string(reply.response[bhttp::field::content_type]);
        answer.body = std::move(reply.response.body());
        if (!reply.chunks) co_return;
        answer.streamed = true;
        try {
          for (std::size_t n = 0; n < max_pieces; ++n) {
            auto piece = co_await reply.chunks();
            if (!piece) break;
            answer.body += *piece;
          }
        } catch (const std::exception& e) {
          answer.stream_error = e.what();
        }
      },
      [&](std::exception_ptr e) { failure = e; });
  while (io_.poll() > 0) {
  }
  // What is left waits for the writer, which will answer, or for commits, which will not come:
  // closing the broadcaster ends those waits as a draining server does.
  commits.close();
  io_.run();
  io_.restart();
  commits.reopen();
  if (failure) std::rethrow_exception(failure);
  return answer;
}

Outcome LiveApp::submit(Command command) {
  std::promise<Outcome> promise;
  auto future = promise.get_future();
  parts_->engine.writer.submit(std::move(command), [&promise](Outcome o) { promise.set_value(std::move(o)); });
  return future.get();
}

LiveApp& live_app(std::uintmax_t max_bytes) {
  static std::unique_ptr<LiveApp> app;
  static unsigned calls = 0;
  if (!app || (++calls % 256 == 0 && app->data_bytes() > max_bytes)) {
    app.reset();
    app = std::make_unique<LiveApp>();
  }
  return *app;
}

}  // namespace eventsd::fuzz
