// A thin C++ face on the NATS C client (cnats, Debian's libnats-dev): a connection to a NATS
// cluster, JetStream streams (create, publish fenced by the expected last sequence, read back in
// order), JetStream key-value buckets (get, create, compare-and-set update) and request/reply.
// Cluster mode (docs/cluster.md) is built on it; nothing else in eventsd talks to NATS.
//
// Errors: a call that cannot reach an answer (no server, no JetStream leader, a timeout) throws
// nats::Unavailable; one the server refuses for a reason the caller acts on is an outcome in the
// result type (the fence: WrongLastSequence; a key that exists: Exists; a revision that moved:
// Conflict). Everything else throws nats::Error.
//
// Thread safety: a Connection and its JetStream/KeyValue/StreamReader objects may be used from
// any thread (cnats is thread-safe); a StreamReader from one thread at a time. Handlers given to
// serve() run on cnats' threads and must not block.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace eventsd::nats {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// No answer within the time allowed, or no server / leader to give one.
struct Unavailable : Error {
  using Error::Error;
};

using Headers = std::map<std::string, std::string>;

struct Message {
  std::uint64_t seq = 0;  // stream sequence (0 for a message that is not from a stream)
  std::string subject;
  Headers headers;
  std::string data;
};

// How a connection proves who it is to the servers and keeps its traffic private (docs/cluster.md,
// "Securing NATS"): names of files, each read when a Connection is made (the credentials file
// again by cnats at each reconnect, so a renewed JWT is picked up). Empty: not used.
// At most one of creds_file, user_file and nkey_seed_file; cert_file and key_file together.
struct Security {
  std::string creds_file{};      // a user's JWT and nkey seed, as nsc writes them (a .creds file)
  std::string user_file{};       // a user name on its first line, its password on the second
  std::string nkey_seed_file{};  // a user's nkey seed ("SU..."): the server lists its public key
  // TLS, which is also on when a URL is tls://: the servers' certificates must chain to these CAs
  // (PEM; empty: the system's CAs) and name the host of the URL; a client certificate (PEM, the
  // chain from the leaf) and its key (PEM, unencrypted) for servers that verify clients.
  std::string ca_file{};
  std::string cert_file{};
  std::string key_file{};
};

struct ConnectOptions {
  std::vector<std::string> urls;  // nats://host:port or tls://host:port, tried in order, reconnected forever
  std::string name;               // the connection's name, as servers list it (the node's name)
  std::chrono::milliseconds timeout{5'000};  // connecting, and each JetStream API call
  Security security{};
};

struct StreamConfig {
  std::string name;                  // e.g. "EVENTSD_S0"
  std::vector<std::string> subjects;  // e.g. {"eventsd.s0"}
  int replicas = 3;
  std::chrono::seconds duplicate_window{120};
  // Always: file storage, limits retention, no limits, deletes and purges denied.
};

// The outcome of a fenced publish.
struct Published {
  std::uint64_t seq;
  bool duplicate;  // a message with this id was already stored (within the duplicate window)
};
// The fence refused the message: the stream's last sequence (or last message id) is not the
// one it expected.
struct WrongLastSequence {
  std::uint64_t last_seq;  // what the stream's last sequence is (0 when the server did not say)
};
using PublishResult = std::variant<Published, WrongLastSequence>;

// One message of a pipelined publish (Publisher).
struct Outgoing {
  Headers headers;
  std::string data;
  std::optional<std::uint64_t> expect_last_seq;  // the fence, as in Connection::publish
  std::string msg_id;
  // With it, stored only if the stream's last message has this id (checked after the
  // sequence): the fence that chains a message to the one sent before it.
  std::string expect_last_msg_id;
};
// No answer came within the wait (a leader election, a lost connection), or an error that does
// not say what happened: the message may or may not be stored.
struct UnknownOutcome {
  std::string why;
};
using PublishOutcome = std::variant<Published, WrongLastSequence, UnknownOutcome>;

struct KvEntry {
  std::string value;
  std::uint64_t revision;
  // When a server stored this revision, by that server's clock (the epoch when not known). For
  // display only: expiry never compares clocks (cluster/shard_ownership.h).
  std::chrono::system_clock::time_point written{};
};
struct Exists {};
struct Conflict {};
using KvWrite = std::variant<std::uint64_t /* new revision */, Exists, Conflict>;

class Connection;

// Publishes messages to one subject asynchronously (cnats' js_PublishMsgAsync on a JetStream
// context of its own): a call sends its messages one after the other without waiting for each
// acknowledgement — at most `max_pending` unanswered at a time — and returns once every one has
// an outcome. The stream checks each message's fences when it stores it, in the order sent; a
// message fenced with both the sequence and the id of the one before it is stored only if that
// one was (the sequence alone is not enough: after a refused message, another writer's could
// bring the stream to the sequence a later one expects). One call at a time.
class Publisher {
 public:
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;
  // The outcome of each of `messages`, in their order. Each waits at most `max_wait` for its
  // acknowledgement (then UnknownOutcome); a message that cannot even be sent (no room after
  // max_wait, no connection, one cnats cannot build) is UnknownOutcome too, and so is every
  // message after it. Returns only once every message sent has its answer.
  std::vector<PublishOutcome> publish(const std::vector<Outgoing>& messages, std::chrono::milliseconds max_wait);

  struct Impl;  // (public for cnats' callback; defined in nats_publisher.cpp)

 private:
  friend class Connection;
  explicit Publisher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Reads a stream in sequence order from a given sequence on, through an ordered consumer (cnats
// recreates it after a server or leader change, so nothing is skipped or repeated).
class StreamReader {
 public:
  ~StreamReader();
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;
  // The next message, or nullopt when none arrived within `wait`.
  std::optional<Message> next(std::chrono::milliseconds wait);

 private:
  friend class Connection;
  struct Impl;
  explicit StreamReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Connection {
 public:
  // Connects (throws Unavailable when no server answers within options.timeout). Throws Error
  // when a file of options.security cannot be read or is not what it should be (before any
  // server is tried), and when the servers refuse the connection: its credentials or its
  // certificate, or TLS wanted on one side only (the message says which). What the servers
  // refuse later — a subject the user may not use, a login on reconnecting — is written to stderr.
  explicit Connection(ConnectOptions options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const;
  // The URL of the server currently connected to ("" while reconnecting).
  std::string server() const;
  // The largest message the connected server accepts (its max_payload); 0 while reconnecting.
  std::size_t max_payload() const;

  // --- JetStream streams ---
  // Creates the stream, or checks that the existing one has this configuration's subjects and
  // replicas (throws Error naming the difference otherwise).
  void ensure_stream(const StreamConfig& config);
  // The stream's last sequence (0: empty); nullopt when there is no such stream.
  std::optional<std::uint64_t> last_seq(const std::string& stream);
  // Publishes `data` with `headers` to `subject`. With expect_last_seq, the stream stores it only
  // if its last sequence is that (the fence); with msg_id, a second publish of the same id within
  // the duplicate window is not stored again (answered duplicate). Waits at most max_wait for
  // the acknowledgement (then throws Unavailable: the message may or may not be stored).
  PublishResult publish(const std::string& subject, const Headers& headers, std::string_view data,
                        std::optional<std::uint64_t> expect_last_seq, const std::string& msg_id,
                        std::chrono::milliseconds max_wait);
  // The same, for a message as a Publisher takes it (with its fences).
  PublishResult publish(const std::string& subject, const Outgoing& message, std::chrono::milliseconds max_wait);
  // A pipelined publisher to `subject` (above).
  std::unique_ptr<Publisher> publisher(const std::string& subject, std::size_t max_pending);
  // The message at `seq` of `stream`; nullopt when there is none.
  std::optional<Message> get(const std::string& stream, std::uint64_t seq);
  // Reads `stream` (its subject `subject`) from `start_seq` (>= 1) on.
  std::unique_ptr<StreamReader> read(const std::string& stream, const std::string& subject,
                                     std::uint64_t start_seq);

  // --- JetStream key-value buckets ---
  // Creates the bucket when missing (history 1, `replicas` replicas, file storage).
  void ensure_bucket(const std::string& bucket, int replicas);
  std::optional<KvEntry> kv_get(const std::string& bucket, const std::string& key);
  // Stores the key only if it does not exist (or was deleted).
  KvWrite kv_create(const std::string& bucket, const std::string& key, std::string_view value);
  // Stores the key only if its revision is still `revision`. Not exclusive on nats-server
  // 2.9.10 with replicas > 1: the check is JetStream's per-subject expected sequence (nats-server
  // issue 4320, fixed in 2.9.21), and two concurrent updates of one revision can both succeed.
  // Use it for advice (leases); fence what must be exclusive with publish(expect_last_seq).
  KvWrite kv_update(const std::string& bucket, const std::string& key, std::string_view value,
                    std::uint64_t revision);
  // Every key of the bucket with its entry.
  std::map<std::string, KvEntry> kv_all(const std::string& bucket);

  // --- Core NATS request/reply ---
  // Sends a request and waits at most `wait` for the reply (throws Unavailable on timeout or
  // when nobody serves the subject).
  Message request(const std::string& subject, std::string_view data, std::chrono::milliseconds wait);
  // Serves requests on `subject` until the returned handle is destroyed. `handler` runs on a
  // cnats thread and must not block: it is handed the request and a `reply` function, which it
  // (or whatever it hands the work to) calls once, from any thread, with the reply's data. A
  // request never replied to times out at the requester. A Reply keeps the NATS connection open
  // (even past the Connection's destruction) until it is destroyed itself; calling it after the
  // Service is gone still answers. When ~Service returns, the handler is not running and will
  // not run again; it must not be destroyed from inside its own handler. Interest travels
  // between servers asynchronously: a requester connected to another server of the cluster may
  // find nobody (Unavailable) for a moment after serve() returns.
  class Service;
  using Reply = std::function<void(std::string data)>;
  std::unique_ptr<Service> serve(const std::string& subject,
                                 std::function<void(Message request, Reply reply)> handler);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Connection::Service {
 public:
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

 private:
  friend class Connection;
  struct Impl;
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace eventsd::nats
