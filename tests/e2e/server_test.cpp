// The HTTP server's framing and limits over real sockets against a real eventsd: flags checked at
// start, idle and request deadlines, HEAD, answers sent before the request was read, Expect on
// HTTP/1.0, stream slots, the open-file limit, URL hosts and CSV cells.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <barrier>
#include <filesystem>
#include <memory>
#include <thread>

#include "tests/support/e2e.h"
#include "tests/support/sse_client.h"

namespace eventsd {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using test::E2E;
using test::HttpClient;

// ------------------------------------------------------------------------------ flags

struct Exit {
  int status = -1;  // -1: still running when given up on (it was killed)
  std::string err;
};

// Runs eventsd with `args` and collects its stderr until it exits; one that is still running
// after a minute (a server that started instead of refusing its flags) is killed.
Exit run_eventsd(const std::vector<std::string>& args) {
  std::vector<std::string> argv{test::eventsd_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargs;
  for (auto& a : argv) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDERR_FILENO);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::execv(cargs[0], cargs.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  Exit out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fds[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      ::close(fds[0]);
      return out;
    }
    char buf[1024];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    out.err.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  out.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return out;
}

TEST(Flags, EveryValueOutOfRangeIsRefusedAtStartWithItsRange) {
  test::TempDir dir;
  const auto data = (dir.path() / "never-created").string();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--campaign-retention-days", "9223372036854775807"}, "--campaign-retention-days"},
      {{"--campaign-retention-days", "200000000"}, "--campaign-retention-days"},
      {{"--retention-interval-ms", "0"}, "--retention-interval-ms"},
      {{"--read-timeout-ms", "0"}, "--read-timeout-ms"},
      {{"--idle-timeout-ms", "0"}, "--idle-timeout-ms"},
      {{"--read-timeout-ms", "-1"}, "--read-timeout-ms"},
      {{"--read-timeout-ms", " 500"}, "--read-timeout-ms"},
      {{"--read-timeout-ms", "+500"}, "--read-timeout-ms"},
      {{"--read-timeout-ms", "18446744073709551616"}, "--read-timeout-ms"},
      {{"--max-connections", "0"}, "--max-connections"},
      {{"--max-connections", "-1"}, "--max-connections"},
      {{"--max-streams", "0"}, "--max-streams"},
      {{"--max-streams-per-tenant", "0"}, "--max-streams-per-tenant"},
      {{"--threads", "0"}, "--threads"},
      {{"--threads", "100000"}, "--threads"},
      {{"--rate-limit", "-1"}, "--rate-limit"},
      {{"--rate-limit", "nan"}, "--rate-limit"},
      {{"--rate-limit", "1e400"}, "--rate-limit"},
      {{"--listen", "127.0.0.1:70000"}, "--listen"},
      {{"--listen", "localhost-ish:80"}, "--listen"},
      {{"--read-timeout-ms", "1000", "--read-timeout-ms", "2000"}, "more than once"},
  };
  for (const auto& [flags, named] : cases) {
    std::vector<std::string> args{"--data", data, "--listen", "127.0.0.1:0"};
    if (flags[0] == "--listen") args.resize(2);
    args.insert(args.end(), flags.begin(), flags.end());
    SCOPED_TRACE(flags[0] + " " + flags[1]);
    const Exit r = run_eventsd(args);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find(named), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(data)) << "started before checking its flags";
  }
  // --help names every flag with its range.
  auto out = test::run_command({test::eventsd_binary(), "--help"});
  EXPECT_EQ(out.status, 0);
  for (const char* flag : {"--idle-timeout-ms N", "--read-timeout-ms N", "--max-connections N", "--max-streams N",
                           "--max-streams-per-tenant", "--retention-interval-ms", "--campaign-retention-days",
                           "--threads N", "--rate-limit RPS"}) {
    EXPECT_NE(out.out.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(out.out.find("0-36500"), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("100-3600000"), std::string::npos) << out.out;
}

// ------------------------------------------------------------------------------ raw connections

// A blocking client connection that sends raw bytes and reads whole responses. All share one
// io_context (blocking calls never run it), so that hundreds of them cost a socket each.
class Raw {
 public:
  explicit Raw(std::uint16_t port) : socket_(shared_context()) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  void send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  // One response; status 0 when the server closed the connection instead, or sent nothing for a
  // minute (a safety net: a server that is not deaf answers at once).
  bhttp::response<bhttp::string_body> read(bool head = false) {
    pollfd p{socket_.native_handle(), POLLIN, 0};
    if (buffer_.size() == 0 && ::poll(&p, 1, 60'000) <= 0) return {};
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(head);
    parser.body_limit(boost::none);
    beast::error_code ec;
    bhttp::read(socket_, buffer_, parser, ec);
    if (ec) return bhttp::response<bhttp::string_body>{};
    return parser.release();
  }
  // Everything until the server closes (or a minute passes, as a safety net).
  std::string read_to_end() {
    std::string out(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.clear();
    for (;;) {
      pollfd p{socket_.native_handle(), POLLIN, 0};
      if (::poll(&p, 1, 60'000) <= 0) return out;
      char buf[4096];
      beast::error_code ec;
      const std::size_t n = socket_.read_some(asio::buffer(buf), ec);
      if (ec || n == 0) return out;
      out.append(buf, n);
    }
  }
  tcp::socket& socket() { return socket_; }

 private:
  static asio::io_context& shared_context() {
    static asio::io_context ioc;
    return ioc;
  }
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

std::string post_head(const std::string& target, const std::string& token, std::size_t length,
                      const std::string& extra = "") {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(length) + "\r\n" + extra + "\r\n";
}

// POST /v1/events of `body` on a new connection, written whole before anything is read (as
// Node's fetch writes a body), then everything the server sent until it closed.
std::string post_whole(std::uint16_t port, const std::string& token, const std::string& body) {
  Raw c(port);
  beast::error_code ec;
  asio::write(c.socket(), asio::buffer(post_head("/v1/events", token, body.size()) + body), ec);
  EXPECT_FALSE(ec) << ec.message();
  return c.read_to_end();
}

// ------------------------------------------------------------------------------ deadlines

class RequestDeadline : public E2E {
  std::vector<std::string> server_args() const override { return {"--read-timeout-ms", "3000"}; }
};

TEST_F(RequestDeadline, TimeSpentIdleIsNotTakenFromTheNextRequest) {
  // Idle for 2 s on a keep-alive connection, then a request whose body follows 1.5 s after its
  // header: each is within its own deadline (idle 30 s, request 3 s), though together they
  // exceed the request's.
  Raw c(server_->port());
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(c.read().result_int(), 200u);
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  const std::string body = R"({"event":"late"})";
  c.send(post_head("/v1/events", token_, body.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  c.send(body);
  EXPECT_EQ(c.read().result_int(), 201u);
}

class ShortIdle : public E2E {
  std::vector<std::string> server_args() const override {
    return {"--idle-timeout-ms", "300", "--read-timeout-ms", "600000"};
  }
};

TEST_F(ShortIdle, AnIdleConnectionIsClosedByTheIdleDeadline) {
  EXPECT_TRUE(test::server_hangs_up(server_->port(), ""));
  Raw c(server_->port());
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(c.read().result_int(), 200u);
  EXPECT_EQ(c.read_to_end(), "");  // closed, after the idle deadline, without a word
}

class ShortRequest : public E2E {
  std::vector<std::string> server_args() const override {
    return {"--idle-timeout-ms", "600000", "--read-timeout-ms", "300"};
  }
};

TEST_F(ShortRequest, ASlowRequestIsCutByTheRequestDeadlineHoweverLongTheIdleOne) {
  EXPECT_TRUE(test::server_hangs_up(server_->port(), "GET /v1/events HTTP/1.1\r\nHost: x\r\n"));
  EXPECT_EQ(client("").get("/healthz").status, 200);
}

// ------------------------------------------------------------------------------ framing

TEST_F(E2E, AnswersToHeadCarryNoBody) {
  const auto get404 = HttpClient(server_->port()).get("/nowhere");
  // Pipelined on one connection: a body after any HEAD answer would be read as the next answer.
  Raw c(server_->port());
  c.send("HEAD /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
         "HEAD /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token_ + "\r\n\r\n"
         "HEAD /v1/events/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token_ + "\r\n\r\n"
         "HEAD /v1/events/export HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token_ + "\r\n\r\n"
         "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
         "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string wire = c.read_to_end();
  std::vector<std::string> heads;
  std::size_t at = 0;
  for (int i = 0; i < 5; ++i) {
    const auto end = wire.find("\r\n\r\n", at);
    ASSERT_NE(end, std::string::npos) << wire;
    heads.push_back(wire.substr(at, end + 4 - at));
    at = end + 4;
    ASSERT_EQ(wire.compare(at, 9, "HTTP/1.1 "), 0) << "bytes after the answer to HEAD #" << i << ":\n" << wire;
  }
  EXPECT_EQ(heads[0].rfind("HTTP/1.1 404", 0), 0u) << heads[0];
  EXPECT_NE(heads[0].find("Content-Length: " + std::to_string(get404.body.size()) + "\r\n"), std::string::npos)
      << heads[0];
  const std::string last = wire.substr(at);
  EXPECT_EQ(last.rfind("HTTP/1.1 200", 0), 0u) << last;
  EXPECT_NE(last.find(R"("status")"), std::string::npos) << last;
}

TEST_F(E2E, Http10RequestsIgnoreExpectContinue) {
  const std::string body = R"({"event":"a"})";
  const std::string answer = test::raw_exchange(
      server_->port(), "POST /v1/events HTTP/1.0\r\nAuthorization: Bearer " + token_ +
                           "\r\nExpect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(answer.rfind("HTTP/1.0 201", 0), 0u) << answer;
  EXPECT_EQ(answer.find("100 Continue"), std::string::npos) << answer;
}

TEST_F(E2E, AnAnswerBeforeTheBodyIsNotLostToAReset) {
  // The client sends its whole 5 MB body without waiting (no Expect), and only then reads, as
  // Node's fetch does: the 413 went out before the body was read, and the server must read and
  // drop the rest rather than close on unread bytes (which resets the connection: the client's
  // write fails and the answer waiting in its socket is dropped).
  const std::string answer = post_whole(server_->port(), token_, std::string(5'000'000, 'x'));
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer.substr(0, 200);
  EXPECT_NE(answer.find("payload_too_large"), std::string::npos) << answer.substr(0, 400);
}

class OneConnection : public E2E {
  std::vector<std::string> server_args() const override { return {"--max-connections", "1"}; }
};

TEST_F(OneConnection, TheClientBeyondTheCapGetsItsAnswerAndRetryAfter) {
  auto holder = client("");
  ASSERT_EQ(holder.get("/healthz").status, 200);  // keeps the one connection
  const std::string answer =
      post_whole(server_->port(), token_, R"({"batch":[)" + std::string(200'000, ' ') + R"({"event":"a"}]})");
  EXPECT_EQ(answer.rfind("HTTP/1.1 503", 0), 0u) << answer.substr(0, 200);
  EXPECT_NE(answer.find("Retry-After: 1\r\n"), std::string::npos) << answer.substr(0, 400);
  EXPECT_NE(answer.find("overloaded"), std::string::npos) << answer.substr(0, 400);
}

// ------------------------------------------------------------------------------ streams

std::int64_t metric(std::uint16_t port, const std::string& name) {
  const auto text = HttpClient(port).get("/metrics").body;
  const auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + name.size() + 2));
}

class FewStreams : public E2E {
  std::vector<std::string> server_args() const override {
    return {"--max-streams", "3", "--max-streams-per-tenant", "2", "--threads", "4"};
  }
};

TEST_F(FewStreams, EachTenantHasItsShareBesideTheGlobalCap) {
  const std::string a = token_, b = token("beta"), c = token("gamma");
  test::SseClient a1(server_->port(), a, "/v1/events/stream"), a2(server_->port(), a, "/v1/events/stream");
  ASSERT_EQ(a1.status(), 200);
  ASSERT_EQ(a2.status(), 200);
  auto refused = client(a).get("/v1/events/stream");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.json().at("error").at("code"), "overloaded");
  EXPECT_FALSE(refused.header("Retry-After").empty());
  test::SseClient b1(server_->port(), b, "/v1/events/stream");
  EXPECT_EQ(b1.status(), 200);  // another tenant still gets one
  EXPECT_EQ(client(c).get("/v1/events/stream").status, 503);  // the global cap
  EXPECT_EQ(metric(server_->port(), "eventsd_stream_subscribers"), 3);
}

TEST_F(FewStreams, ConcurrentOpensNeverExceedTheCap) {
  constexpr int kClients = 24;
  std::vector<std::string> tokens;
  for (int i = 0; i < 4; ++i) tokens.push_back(token("t" + std::to_string(i)));
  std::vector<std::unique_ptr<test::SseClient>> streams(kClients);
  std::barrier start(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      streams[i] = std::make_unique<test::SseClient>(server_->port(), tokens[i % 4], "/v1/events/stream");
    });
  }
  for (auto& t : threads) t.join();
  int served = 0;
  for (auto& s : streams) served += s->status() == 200;
  EXPECT_EQ(served, 3);
  EXPECT_EQ(metric(server_->port(), "eventsd_stream_subscribers"), 3);
}

TEST_F(FewStreams, AClientThatLeavesGivesItsSlotBackAtOnce) {
  {
    test::SseClient a1(server_->port(), token_, "/v1/events/stream"), a2(server_->port(), token_, "/v1/events/stream");
    ASSERT_EQ(a2.status(), 200);
    ASSERT_EQ(metric(server_->port(), "eventsd_stream_subscribers"), 2);
  }  // both leave; no event is committed and the next heartbeat is 15 s away
  // The server sees the hang-up on the read side. Without that it would notice only when a
  // write fails, at the heartbeat: 10 s is the bound of this wait, far from both.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (metric(server_->port(), "eventsd_stream_subscribers") != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(metric(server_->port(), "eventsd_stream_subscribers"), 0);
  test::SseClient again(server_->port(), token_, "/v1/events/stream");
  EXPECT_EQ(again.status(), 200);
}

// ------------------------------------------------------------------------------ open files

// Opens keep-alive connections one at a time, each answering one request, until one is refused
// or `max` are open. Returns the statuses in order.
std::vector<unsigned> fill_connections(std::uint16_t port, std::size_t max, std::vector<std::unique_ptr<Raw>>& held) {
  std::vector<unsigned> statuses;
  for (std::size_t i = 0; i < max; ++i) {
    auto c = std::make_unique<Raw>(port);
    c->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    auto res = c->read();
    statuses.push_back(res.result_int());
    if (res.result_int() != 200) {
      EXPECT_EQ(res[bhttp::field::retry_after], "1");
      break;
    }
    held.push_back(std::move(c));
  }
  return statuses;
}

TEST(OpenFiles, TheSoftLimitIsRaisedToTheHardOne) {
  test::TempDir dir;
  // A soft limit of 200 as an ordinary shell would give; a hard limit that allows more.
  test::ServerProcess server(dir.path(), {"--idle-timeout-ms", "3600000"}, 0, 200, 4096);
  std::vector<std::unique_ptr<Raw>> held;
  const auto statuses = fill_connections(server.port(), 400, held);
  EXPECT_EQ(held.size(), 400u) << "refused (" << statuses.back() << ") after " << held.size();
}

TEST(OpenFiles, ConnectionsAreCappedBelowTheLimitAndTheNextClientGetsA503) {
  test::TempDir dir;
  // With no room to raise the limit, the server caps connections below it: a client beyond the
  // cap is answered (503), not left unanswered in the listen backlog.
  test::ServerProcess server(dir.path(), {"--idle-timeout-ms", "3600000"}, 0, 200, 200);
  std::vector<std::unique_ptr<Raw>> held;
  const auto statuses = fill_connections(server.port(), 400, held);
  ASSERT_FALSE(statuses.empty());
  EXPECT_EQ(statuses.back(), 503u) << "answered " << statuses.size() << " connections";
  EXPECT_LT(held.size(), 200u);
  held.clear();
  // Once the holders leave, it serves again.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline && (status = HttpClient(server.port()).get("/healthz").status) != 200) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(status, 200);
}

// ------------------------------------------------------------------------------ URLs and CSV

TEST_F(E2E, AUrlWhoseHostIsNotUtf8IsRefusedNamingTheField) {
  auto c = client();
  auto one = c.post("/v1/events", R"({"event":"a","url":"http://%FF.example/"})");
  EXPECT_EQ(one.status, 400);
  EXPECT_EQ(one.json().at("error").at("field"), "url");
  auto batch = c.post("/v1/events", R"({"batch":[{"event":"a"},{"event":"b","url":"https://x.%C3%28.com/p"}]})");
  EXPECT_EQ(batch.status, 400);
  EXPECT_EQ(batch.json().at("error").at("field"), "batch[1].url");
  auto ws = c.post("/api/workspaces/acme/events", R"({"type":"a","pageUrl":"http://%FF.example/"})");
  EXPECT_EQ(ws.status, 400);
  EXPECT_EQ(ws.json().at("error").at("field"), "pageUrl");
  EXPECT_EQ(c.get("/v1/events?count_only=true").json().at("count"), 0);
  // A host that is UTF-8 once decoded is kept, as its characters.
  ASSERT_EQ(c.post("/v1/events", R"({"id":"e1","event":"a","url":"http://%C3%A9t%C3%A9.example/"})").status, 201);
  EXPECT_EQ(c.get("/v1/events/e1").json().at("event").at("domain"), "\xC3\xA9t\xC3\xA9.example");
}

TEST_F(E2E, CsvCellsThatASpreadsheetWouldRunAreWrittenAsText) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/events", R"j({"id":"e1","event":"=HYPERLINK(\"http://evil\",\"x\")","contact_id":"+1+2",
                                     "url":"-2+3","referrer":"@SUM(A1:A9)","utm_source":"plain"})j").status, 201);
  auto csv = c.get("/v1/events/export?format=csv");
  ASSERT_EQ(csv.status, 200);
  const auto rows_start = csv.body.find("\r\n") + 2;
  const std::string row = csv.body.substr(rows_start);
  EXPECT_NE(row.find(R"j("'=HYPERLINK(""http://evil"",""x"")")j"), std::string::npos) << row;
  EXPECT_NE(row.find(R"j("'+1+2")j"), std::string::npos) << row;
  EXPECT_NE(row.find(R"j("'-2+3")j"), std::string::npos) << row;
  EXPECT_NE(row.find(R"j("'@SUM(A1:A9)")j"), std::string::npos) << row;
  EXPECT_NE(row.find(",plain,"), std::string::npos) << row;
  // JSON answers keep the values as sent.
  EXPECT_EQ(c.get("/v1/events/e1").json().at("event").at("internal_contact_id"), "+1+2");
}

}  // namespace
}  // namespace eventsd
