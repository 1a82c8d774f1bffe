#!/usr/bin/env python3
"""Groups a perf profile of eventsd under ingest (bench/profile.sh) by stage of the write path.

usage: perf script -i OUT/perf.data -F comm,ip,sym | bench/profile_stages.py [US_PER_EVENT]

Each sample is given the stage of the innermost frame of its call chain (leaf to root) that a rule
of its thread names; a sample no rule names is "other". With US_PER_EVENT (the server's CPU per
event, bench/cpu_per_request.sh), each stage's share is also given in microseconds per event.
Threads: "io" and "eventsd" (the main thread runs an io_context too) are the I/O threads,
"writer" the writer, "projector" and "flush" the read side (docs/architecture.md).
"""
import collections
import re
import sys

IO, WRITER, READ = "io", "writer", "read"
THREADS = {"io": IO, "eventsd": IO, "writer": WRITER, "projector": READ, "flush": READ}

# (threads, pattern, stage), tried in order on each frame from the leaf up.
RULES = [
    # The I/O threads.
    (IO, r"http::authenticate|bearer_token|take_token_rate|Tokens?::|RateLimiter", "auth"),
    (IO, r"parse_ingest|parse_json|json_body|parse_event|EventInput|domain_of|host_is_utf8|"
         r"Builder::|basic_parser<eventsd|has_control_characters|take_text|JsonValue|FieldError",
     "JSON parse and validation"),
    (IO, r"Writer::submit|async_submit|command_from|http::submit|Command::", "queue to the writer"),
    (IO, r"with_position|json_response|write_whole|JsonWriter|append_json_string|format_http_date|"
         r"Metrics::observe|Ingested::|serializer|write_some_op|write_op<|tcp_sendmsg|sendmsg|"
         r"sendto|writev|Router::finish|awaitable_handler<[^>]*std::variant<eventsd::Rejection",
     "answer"),
    (IO, r"ingest_events|Router::dispatch", "route (rest of the handler)"),
    (IO, r"read_target|match_route|beast::http::basic_parser|beast::http::detail::read|"
         r"tcp_recvmsg|recvfrom|recvmsg|readv|Server::serve|sock_read|basic_flat_buffer",
     "HTTP read and parse"),
    # The writer.
    (WRITER, r"mdb_env_sync|fdatasync|fsync", "wait for the flush"),
    (WRITER, r"decide|Decider|IdGenerator|fill_event|Suppression|suppress|WriteModel::(?!apply|insert)",
     "decide"),
    (WRITER, r"WriteModel::apply|WriteModel::insert", "append: write model"),
    (WRITER, r"mdb_txn_commit", "append: commit (page writes)"),
    (WRITER, r"sha256|begin_record|Log::|Appender|capnp|Writer::commit", "append: log record"),
    (WRITER, r"Writer::finish|Pending::~|Step::~|CommitBroadcaster|Projector::", "answer"),
    # The read side.
    (READ, r"_Function_handler<void \(std::variant<eventsd::Rejection|Projector::deliver|CommitBroadcaster",
     "answer"),
    (READ, r"mdb_txn_commit|mdb_env_sync|fdatasync", "fold: commit and flush"),
    (READ, r"ReadModels|SessionsModel|fold_step|Fold::|RecordView|EventView|index_flags", "fold: index"),
    # Anyone: scheduling, sleeping and waking.
    ((IO, WRITER, READ), r"finish_task_switch|__schedule|futex|epoll_wait|scheduler::run|"
                         r"condition_variable|try_to_wake_up|do_idle",
     "hand-offs: scheduling and wake-ups"),
]
COMPILED = [((t,) if isinstance(t, str) else t, re.compile(p), s) for t, p, s in RULES]


def samples(lines):
    comm, frames = None, []
    for line in lines:
        if not line.strip():
            if comm is not None:
                yield comm, frames
            comm, frames = None, []
        elif not line.startswith(("\t", " " * 8)) or comm is None:
            comm, frames = line.split()[0], []
        else:
            parts = line.strip().split(" ", 1)
            frames.append(parts[1] if len(parts) > 1 else "")
    if comm is not None:
        yield comm, frames


def stage(group, frames):
    for f in frames:
        for threads, pattern, name in COMPILED:
            if group in threads and pattern.search(f):
                return name
    return "other"


def main():
    us = float(sys.argv[1]) if len(sys.argv) > 1 else None
    by_stage, by_thread = collections.Counter(), collections.Counter()
    total = 0
    for comm, frames in samples(sys.stdin):
        group = THREADS.get(comm, "other threads")
        total += 1
        by_thread[group] += 1
        by_stage[(group, stage(group, frames) if group in THREADS.values() else "other")] += 1
    print(f"{total} samples; by thread group: " +
          ", ".join(f"{g} {100 * n / total:.1f}%" for g, n in by_thread.most_common()))
    print(f"{'thread':8} {'stage':40} {'% CPU':>6} {'us/event':>9}")
    for (group, name), n in sorted(by_stage.items(), key=lambda kv: -kv[1]):
        share = n / total
        cost = f"{share * us:9.2f}" if us else ""
        print(f"{group:8} {name:40} {100 * share:6.1f} {cost}")
    print("by stage:")
    stages = collections.Counter()
    for (group, name), n in by_stage.items():
        stages[name.split(":")[0]] += n
    for name, n in stages.most_common():
        cost = f"{n / total * us:9.2f}" if us else ""
        print(f"  {name:47} {100 * n / total:6.1f} {cost}")


if __name__ == "__main__":
    main()
