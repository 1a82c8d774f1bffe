// cluster/nats.h against real nats-server processes (tests/support/nats_cluster.h): a cluster of
// three, shared by the tests of this file (each uses streams and buckets of its own); the last
// test kills a stream's leader.
#include "cluster/nats.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <future>
#include <memory>
#include <thread>

#include "tests/support/eventually.h"
#include "tests/support/nats_cluster.h"
#include "tests/support/nats_suite.h"

namespace eventsd::nats {
namespace {

using namespace std::chrono_literals;
using test::NatsCluster;

class NatsTest : public test::NatsSuite {
 protected:
  static std::unique_ptr<Connection> connect(const std::string& name = "nats-test") {
    return std::make_unique<Connection>(ConnectOptions{cluster_->urls(), name, 5'000ms});
  }

  static StreamConfig stream(const std::string& name, int replicas = 3) {
    return StreamConfig{name, {"test." + name}, replicas, 120s};
  }
};

// Retries a publish that found no leader (an election) until it is answered.
PublishResult publish_retrying(Connection& c, const std::string& subject, const std::string& data,
                               std::optional<std::uint64_t> expect, const std::string& id) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    try {
      return c.publish(subject, {}, data, expect, id, 2'000ms);
    } catch (const Unavailable&) {
      if (std::chrono::steady_clock::now() > deadline) throw;
    }
    // Pacing only: while there is no leader a publish fails at once (no responders).
    std::this_thread::sleep_for(20ms);
  }
}

TEST_F(NatsTest, ConnectsAndNamesItsServer) {
  auto c = connect();
  EXPECT_TRUE(c->connected());
  const auto urls = cluster_->urls();
  EXPECT_NE(std::find(urls.begin(), urls.end(), c->server()), urls.end()) << c->server();
}

TEST_F(NatsTest, ConnectingToNoServerIsUnavailable) {
  // Port 1: nothing listens there.
  EXPECT_THROW(Connection(ConnectOptions{{"nats://127.0.0.1:1"}, "nobody", 1'000ms}), Unavailable);
}

TEST_F(NatsTest, EnsureStreamIsIdempotentAndDetectsAMismatch) {
  auto c = connect();
  EXPECT_EQ(c->last_seq("ENSURE"), std::nullopt);
  c->ensure_stream(stream("ENSURE"));
  c->ensure_stream(stream("ENSURE"));  // the same again: nothing to do
  EXPECT_EQ(c->last_seq("ENSURE"), 0u);

  auto other_subjects = stream("ENSURE");
  other_subjects.subjects = {"test.elsewhere"};
  try {
    c->ensure_stream(other_subjects);
    FAIL() << "a stream with other subjects was accepted";
  } catch (const Unavailable& e) {
    FAIL() << e.what();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("subjects"), std::string::npos) << e.what();
  }
  try {
    c->ensure_stream(stream("ENSURE", 1));
    FAIL() << "a stream with another number of replicas was accepted";
  } catch (const Unavailable& e) {
    FAIL() << e.what();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("replicas"), std::string::npos) << e.what();
  }
  // A different duplicate window is not a mismatch the caller is told about.
  auto other_window = stream("ENSURE");
  other_window.duplicate_window = 60s;
  EXPECT_NO_THROW(c->ensure_stream(other_window));
}

TEST_F(NatsTest, ExpectZeroFencesAnEmptyStream) {
  auto c = connect();
  c->ensure_stream(stream("EMPTY"));
  auto first = c->publish("test.EMPTY", {{"Eventsd-Position", "1"}}, "first", 0, "", 5'000ms);
  ASSERT_TRUE(std::holds_alternative<Published>(first));
  EXPECT_EQ(std::get<Published>(first).seq, 1u);
  EXPECT_FALSE(std::get<Published>(first).duplicate);
  auto again = c->publish("test.EMPTY", {}, "second", 0, "", 5'000ms);
  ASSERT_TRUE(std::holds_alternative<WrongLastSequence>(again));
  EXPECT_EQ(std::get<WrongLastSequence>(again).last_seq, 1u);
  EXPECT_EQ(c->last_seq("EMPTY"), 1u);

  auto m = c->get("EMPTY", 1);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->seq, 1u);
  EXPECT_EQ(m->data, "first");
  EXPECT_EQ(m->subject, "test.EMPTY");
  EXPECT_EQ(m->headers["Eventsd-Position"], "1");
  EXPECT_EQ(c->get("EMPTY", 2), std::nullopt);
}

TEST_F(NatsTest, ConcurrentFencedPublishesExactlyOneWins) {
  auto a = connect("writer-a");
  auto b = connect("writer-b");
  a->ensure_stream(stream("FENCE"));
  std::uint64_t last = 0;
  for (int round = 0; round < 20; ++round) {
    auto publish = [&](Connection& c, std::string who) {
      return c.publish("test.FENCE", {}, who + std::to_string(round), last, "", 5'000ms);
    };
    auto fa = std::async(std::launch::async, publish, std::ref(*a), "a");
    auto fb = std::async(std::launch::async, publish, std::ref(*b), "b");
    const PublishResult ra = fa.get();
    const PublishResult rb = fb.get();
    const int won = std::holds_alternative<Published>(ra) + std::holds_alternative<Published>(rb);
    ASSERT_EQ(won, 1) << "round " << round;
    const auto& winner = std::holds_alternative<Published>(ra) ? ra : rb;
    const auto& loser = std::holds_alternative<Published>(ra) ? rb : ra;
    EXPECT_EQ(std::get<Published>(winner).seq, last + 1);
    EXPECT_EQ(std::get<WrongLastSequence>(loser).last_seq, last + 1);
    last += 1;
  }
  EXPECT_EQ(a->last_seq("FENCE"), last);
}

TEST_F(NatsTest, AMessageIdIsStoredOnce) {
  auto c = connect();
  c->ensure_stream(stream("DEDUP"));
  auto first = c->publish("test.DEDUP", {}, "x", std::nullopt, "s0-e1-p1", 5'000ms);
  auto second = c->publish("test.DEDUP", {}, "x", std::nullopt, "s0-e1-p1", 5'000ms);
  auto other = c->publish("test.DEDUP", {}, "y", std::nullopt, "s0-e1-p2", 5'000ms);
  ASSERT_TRUE(std::holds_alternative<Published>(first));
  ASSERT_TRUE(std::holds_alternative<Published>(second));
  ASSERT_TRUE(std::holds_alternative<Published>(other));
  EXPECT_FALSE(std::get<Published>(first).duplicate);
  EXPECT_TRUE(std::get<Published>(second).duplicate);
  EXPECT_EQ(std::get<Published>(second).seq, std::get<Published>(first).seq);
  EXPECT_FALSE(std::get<Published>(other).duplicate);
  EXPECT_EQ(std::get<Published>(other).seq, 2u);
  EXPECT_EQ(c->last_seq("DEDUP"), 2u);
}

// Messages of a pipelined publish, the first fenced with `expect`, each next one with the
// sequence and id of the one before it; ids "<prefix><i>".
std::vector<Outgoing> chained(std::size_t count, std::uint64_t expect, const std::string& prefix) {
  std::vector<Outgoing> out;
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back({{{"Eventsd-Position", std::to_string(i + 1)}}, "m" + std::to_string(i), expect + i,
                   prefix + std::to_string(i), i ? prefix + std::to_string(i - 1) : ""});
  }
  return out;
}

TEST_F(NatsTest, APipelinedPublishStoresEveryFencedMessageInOrder) {
  auto c = connect();
  c->ensure_stream(stream("PIPE"));
  // More messages than may be unanswered at once: the publisher waits for room.
  auto publisher = c->publisher("test.PIPE", 4);
  const auto messages = chained(25, 0, "pipe-");
  const auto outcomes = publisher->publish(messages, 5'000ms);
  ASSERT_EQ(outcomes.size(), messages.size());
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    ASSERT_TRUE(std::holds_alternative<Published>(outcomes[i])) << i;
    EXPECT_EQ(std::get<Published>(outcomes[i]).seq, i + 1);
    EXPECT_FALSE(std::get<Published>(outcomes[i]).duplicate);
  }
  EXPECT_EQ(c->last_seq("PIPE"), 25u);
  for (std::uint64_t seq = 1; seq <= 25; ++seq) {
    auto m = c->get("PIPE", seq);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->data, "m" + std::to_string(seq - 1));
    EXPECT_EQ(m->headers["Eventsd-Position"], std::to_string(seq));
  }

  // The same messages again: each answered duplicate with its sequence, nothing stored twice.
  const auto again = publisher->publish(messages, 5'000ms);
  for (std::size_t i = 0; i < again.size(); ++i) {
    ASSERT_TRUE(std::holds_alternative<Published>(again[i])) << i;
    EXPECT_TRUE(std::get<Published>(again[i]).duplicate) << i;
    EXPECT_EQ(std::get<Published>(again[i]).seq, i + 1);
  }
  EXPECT_EQ(c->last_seq("PIPE"), 25u);
}

TEST_F(NatsTest, APipelinedPublishFencedOutStoresNothingAfterTheFence) {
  auto c = connect();
  c->ensure_stream(stream("PIPEFENCE"));
  auto publisher = c->publisher("test.PIPEFENCE", 8);
  ASSERT_TRUE(std::holds_alternative<Published>(c->publish("test.PIPEFENCE", {}, "a", 0, "a", 5'000ms)));
  // Fenced with 1: the first three are stored. Then another writer appends one message (the
  // stream is at 5 before the next window, fenced with 4): the whole window is refused — the
  // second message too, which expects 5 but not after another writer's message.
  auto first = publisher->publish(chained(3, 1, "w1-"), 5'000ms);
  for (const auto& o : first) ASSERT_TRUE(std::holds_alternative<Published>(o));
  ASSERT_TRUE(std::holds_alternative<Published>(c->publish("test.PIPEFENCE", {}, "b", 4, "b", 5'000ms)));
  const auto second = publisher->publish(chained(5, 4, "w2-"), 5'000ms);
  for (std::size_t i = 0; i < second.size(); ++i) {
    ASSERT_TRUE(std::holds_alternative<WrongLastSequence>(second[i])) << i;
  }
  EXPECT_EQ(std::get<WrongLastSequence>(second[0]).last_seq, 5u);
  EXPECT_EQ(c->last_seq("PIPEFENCE"), 5u);
  EXPECT_EQ(c->get("PIPEFENCE", 5)->data, "b");
}

TEST_F(NatsTest, AReaderReadsInOrderFromItsStart) {
  auto c = connect();
  c->ensure_stream(stream("READ"));
  for (int i = 1; i <= 20; ++i) {
    auto r = c->publish("test.READ", {{"N", std::to_string(i)}}, "m" + std::to_string(i),
                        static_cast<std::uint64_t>(i - 1), "", 5'000ms);
    ASSERT_TRUE(std::holds_alternative<Published>(r));
  }
  auto reader = c->read("READ", "test.READ", 5);
  for (std::uint64_t seq = 5; seq <= 20; ++seq) {
    auto m = reader->next(10s);
    ASSERT_TRUE(m) << "nothing at " << seq;
    EXPECT_EQ(m->seq, seq);
    EXPECT_EQ(m->data, "m" + std::to_string(seq));
    EXPECT_EQ(m->headers["N"], std::to_string(seq));
  }
  EXPECT_EQ(reader->next(200ms), std::nullopt);
  // What comes later arrives too.
  ASSERT_TRUE(std::holds_alternative<Published>(c->publish("test.READ", {}, "m21", 20, "", 5'000ms)));
  auto m = reader->next(10s);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->seq, 21u);
  EXPECT_EQ(m->data, "m21");
}

TEST_F(NatsTest, LargeMessagesGoThroughAndTooLargeOnesAreRefused) {
  auto c = connect();
  c->ensure_stream(stream("LARGE"));
  std::string big(6 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 251);
  for (std::uint64_t i = 0; i < 3; ++i) {
    big[0] = static_cast<char>('a' + i);
    auto r = c->publish("test.LARGE", {}, big, i, "", 10'000ms);
    ASSERT_TRUE(std::holds_alternative<Published>(r));
  }
  auto reader = c->read("LARGE", "test.LARGE", 1);
  for (std::uint64_t i = 0; i < 3; ++i) {
    auto m = reader->next(10s);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->seq, i + 1);
    big[0] = static_cast<char>('a' + i);
    EXPECT_TRUE(m->data == big) << "message " << i + 1 << " differs";
  }
  EXPECT_TRUE(c->get("LARGE", 3)->data == big);
  // Beyond the servers' max_payload (8MB): refused by the client, not Unavailable.
  const std::string too_big(9 * 1024 * 1024, 'x');
  try {
    c->publish("test.LARGE", {}, too_big, 3, "", 10'000ms);
    FAIL() << "a message beyond max_payload was published";
  } catch (const Unavailable& e) {
    FAIL() << e.what();
  } catch (const Error&) {
  }
  EXPECT_EQ(c->last_seq("LARGE"), 3u);
}

TEST_F(NatsTest, KeyValueCreateUpdateAndRead) {
  auto c = connect();
  c->ensure_bucket("test_kv", 3);
  c->ensure_bucket("test_kv", 3);  // idempotent
  EXPECT_TRUE(c->kv_all("test_kv").empty());
  EXPECT_EQ(c->kv_get("test_kv", "s0"), std::nullopt);

  const KvWrite created = c->kv_create("test_kv", "s0", "node-a 1");
  ASSERT_TRUE(std::holds_alternative<std::uint64_t>(created));
  const auto rev = std::get<std::uint64_t>(created);
  EXPECT_TRUE(std::holds_alternative<Exists>(c->kv_create("test_kv", "s0", "node-b 1")));

  auto entry = c->kv_get("test_kv", "s0");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->value, "node-a 1");
  EXPECT_EQ(entry->revision, rev);

  const KvWrite updated = c->kv_update("test_kv", "s0", "node-a 2", rev);
  ASSERT_TRUE(std::holds_alternative<std::uint64_t>(updated));
  const auto rev2 = std::get<std::uint64_t>(updated);
  EXPECT_GT(rev2, rev);
  EXPECT_TRUE(std::holds_alternative<Conflict>(c->kv_update("test_kv", "s0", "node-b 2", rev)));
  EXPECT_EQ(c->kv_get("test_kv", "s0")->value, "node-a 2");

  // Every acknowledged update is what the next read sees (not an older value from a replica
  // that is behind).
  std::uint64_t revision = rev2;
  for (int i = 3; i < 23; ++i) {
    const std::string value = "node-a " + std::to_string(i);
    const KvWrite w = c->kv_update("test_kv", "s0", value, revision);
    ASSERT_TRUE(std::holds_alternative<std::uint64_t>(w));
    revision = std::get<std::uint64_t>(w);
    const auto read = c->kv_get("test_kv", "s0");
    ASSERT_TRUE(read);
    EXPECT_EQ(read->value, value);
    EXPECT_EQ(read->revision, revision);
  }
  ASSERT_TRUE(std::holds_alternative<std::uint64_t>(c->kv_update("test_kv", "s0", "node-a 2", revision)));
  const auto rev_last = c->kv_get("test_kv", "s0")->revision;

  ASSERT_TRUE(std::holds_alternative<std::uint64_t>(c->kv_create("test_kv", "s1", std::string("\0bin", 4))));
  const auto all = c->kv_all("test_kv");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all.at("s0").value, "node-a 2");
  EXPECT_EQ(all.at("s0").revision, rev_last);
  EXPECT_EQ(all.at("s1").value, std::string("\0bin", 4));
}

// A request sent until it finds the service: interest travels between servers asynchronously.
Message request_when_served(Connection& c, const std::string& subject, const std::string& data) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    try {
      return c.request(subject, data, 5'000ms);
    } catch (const Unavailable&) {
      if (std::chrono::steady_clock::now() > deadline) throw;
    }
    std::this_thread::sleep_for(20ms);  // pacing only
  }
}

TEST_F(NatsTest, RequestIsAnsweredFromAnotherThread) {
  // The service and its client on different servers: the request travels over a route.
  Connection server(ConnectOptions{{cluster_->url(0)}, "server", 5'000ms});
  Connection client(ConnectOptions{{cluster_->url(1)}, "client", 5'000ms});
  std::vector<std::thread> workers;
  std::mutex mu;
  auto service = server.serve("test.echo", [&](Message request, Connection::Reply reply) {
    // The handler must not block: the answer is given later, by another thread.
    std::lock_guard lock(mu);
    workers.emplace_back([request = std::move(request), reply = std::move(reply)] {
      reply("echo:" + request.data);
    });
  });
  auto answer = request_when_served(client, "test.echo", "hello");
  EXPECT_EQ(answer.data, "echo:hello");
  auto second = client.request("test.echo", std::string("\0x", 2), 5'000ms);
  EXPECT_EQ(second.data, std::string("echo:\0x", 7));
  service.reset();
  EXPECT_THROW(client.request("test.echo", "gone", 2'000ms), Unavailable);
  std::lock_guard lock(mu);
  for (auto& w : workers) w.join();
}

TEST_F(NatsTest, ARequestNobodyServesIsUnavailable) {
  auto client = connect();
  EXPECT_THROW(client->request("test.nobody", "x", 2'000ms), Unavailable);
}

TEST_F(NatsTest, AReplyOutlivesItsConnection) {
  std::promise<Connection::Reply> handed;
  // Both on one server: the service is known there once serve() returns.
  auto client = std::make_unique<Connection>(ConnectOptions{{cluster_->url(2)}, "client", 5'000ms});
  auto server = std::make_unique<Connection>(ConnectOptions{{cluster_->url(2)}, "server", 5'000ms});
  auto service = server->serve("test.later", [&](Message, Connection::Reply reply) {
    handed.set_value(std::move(reply));
  });
  auto answer = std::async(std::launch::async, [&] { return client->request("test.later", "q", 10'000ms); });
  Connection::Reply reply = handed.get_future().get();
  service.reset();
  server.reset();  // the reply keeps what it needs
  reply("late");
  EXPECT_EQ(answer.get().data, "late");
}

TEST_F(NatsTest, AServerStoppedAndStartedAgainCatchesUp) {
  auto c = connect();
  c->ensure_stream(stream("RESTART"));
  std::uint64_t last = 0;
  auto publish = [&](int i) {
    const auto r = publish_retrying(*c, "test.RESTART", "m" + std::to_string(i), last, "restart-" + std::to_string(i));
    ASSERT_TRUE(std::holds_alternative<Published>(r));
    last = std::get<Published>(r).seq;
  };
  for (int i = 1; i <= 3; ++i) publish(i);
  cluster_->stop(2);  // SIGTERM
  EXPECT_FALSE(cluster_->running(2));
  for (int i = 4; i <= 6; ++i) publish(i);
  cluster_->start(2);
  // Through the restarted server alone, the whole stream.
  Connection through(ConnectOptions{{cluster_->url(2)}, "restarted", 5'000ms});
  EXPECT_EQ(through.server(), cluster_->url(2));
  auto reader = through.read("RESTART", "test.RESTART", 1);
  for (int i = 1; i <= 6; ++i) {
    auto m = reader->next(10s);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->seq, static_cast<std::uint64_t>(i));
    EXPECT_EQ(m->data, "m" + std::to_string(i));
  }
  EXPECT_EQ(through.get("RESTART", 6)->data, "m6");
}

// The stream's leader, as JetStream names it ("n0".."n2").
std::string stream_leader(Connection& c, const std::string& stream) {
  const auto answer = c.request("$JS.API.STREAM.INFO." + stream, "", 5'000ms);
  const auto info = boost::json::parse(answer.data);
  return std::string(info.at("cluster").at("leader").as_string());
}

TEST_F(NatsTest, NothingIsSkippedOrRepeatedAcrossALeadersDeath) {
  auto writer = connect("writer");
  auto reading = connect("reader");
  writer->ensure_stream(stream("FAILOVER"));
  constexpr int kBefore = 40, kAfter = 40, kTotal = kBefore + kAfter;

  std::vector<std::string> seen;
  std::vector<std::uint64_t> seqs;
  auto reader = reading->read("FAILOVER", "test.FAILOVER", 1);
  std::thread read_thread([&] {
    const auto deadline = std::chrono::steady_clock::now() + 90s;
    while (static_cast<int>(seen.size()) < kTotal && std::chrono::steady_clock::now() < deadline) {
      if (auto m = reader->next(500ms)) {
        seqs.push_back(m->seq);
        seen.push_back(m->data);
      }
    }
  });

  std::uint64_t last = 0;
  auto publish = [&](int i) {
    const auto r = publish_retrying(*writer, "test.FAILOVER", "m" + std::to_string(i), last,
                                    "failover-" + std::to_string(i));
    ASSERT_TRUE(std::holds_alternative<Published>(r)) << "message " << i << ": wrong last sequence "
                                                      << std::get<WrongLastSequence>(r).last_seq;
    EXPECT_EQ(std::get<Published>(r).seq, last + 1);
    last = std::get<Published>(r).seq;
  };
  for (int i = 1; i <= kBefore; ++i) publish(i);

  const std::string leader = stream_leader(*writer, "FAILOVER");
  int victim = -1;
  for (int i = 0; i < cluster_->size(); ++i) {
    if (NatsCluster::name(i) == leader) victim = i;
  }
  ASSERT_GE(victim, 0) << "leader " << leader;
  cluster_->kill(victim);
  for (int i = kBefore + 1; i <= kTotal; ++i) publish(i);

  read_thread.join();
  ASSERT_EQ(static_cast<int>(seen.size()), kTotal);
  for (int i = 0; i < kTotal; ++i) {
    EXPECT_EQ(seqs[static_cast<std::size_t>(i)], static_cast<std::uint64_t>(i + 1));
    EXPECT_EQ(seen[static_cast<std::size_t>(i)], "m" + std::to_string(i + 1));
  }
  EXPECT_NE(stream_leader(*writer, "FAILOVER"), leader);

  // The dead server comes back and catches up; a new reader sees the same log.
  cluster_->start(victim);
  // A reader asked for while the restarted server rejoins may time out waiting for the stream's
  // leader (a loaded machine, a sanitizer build): asked again until one is made.
  std::unique_ptr<StreamReader> again;
  ASSERT_TRUE(test::eventually([&] {
    try {
      again = reading->read("FAILOVER", "test.FAILOVER", 1);
      return true;
    } catch (const Unavailable&) {
      return false;
    }
  }));
  for (int i = 1; i <= kTotal; ++i) {
    auto m = again->next(10s);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->seq, static_cast<std::uint64_t>(i));
    EXPECT_EQ(m->data, "m" + std::to_string(i));
  }
  EXPECT_EQ(again->next(200ms), std::nullopt);
}

}  // namespace
}  // namespace eventsd::nats
