// Parsing ingest bodies: what turning a client's JSON into the stored event costs per event, for
// the ways the service could do it (docs/performance.md, "Parsing ingest bodies"):
//
//  - boost_dom: boost::json::parse, then the data object serialized again (the former path: it
//    parses some decimals one ulp off and writes numbers in its own spelling);
//  - exact: parse_json (Boost.JSON's basic_parser lexing, numbers kept as their text), then the
//    data object written back compact (the path the service takes);
//  - simdjson: simdjson's On Demand parser (a padded copy of the body) into the same JsonValue
//    tree, numbers from their raw tokens, then the data written back compact;
//  - exact_validated: parse_json followed by the whole ingest validation (parse_ingest), for the
//    share of parsing in what the I/O thread does per event;
//  - lex_boost, lex_simdjson: each parser walking the body and building nothing (a handler that
//    does nothing; an On Demand walk touching every value): the floor under any design on it.
//
// Bodies: one event of ~450 bytes (a tracker's page view with a price, a list and a flag), and a
// batch of 100 such events. Counters report events per second; compare within one run.
#include <benchmark/benchmark.h>

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#ifdef EVENTSD_BENCH_SIMDJSON
#include <simdjson.h>
#endif

#include <random>

#include "commands/event_input.h"
#include "common/json_reader.h"

namespace eventsd {
namespace {

std::string event_body(std::mt19937& rng) {
  const unsigned n = rng() % 1000000;
  char price[32];
  std::snprintf(price, sizeof price, "%.17g", static_cast<double>(n % 10000) / 100 + 0.001);
  return R"({"event":"page_view","contact_id":"ct_)" + std::to_string(n % 100000) +
         R"(","url":"https://shop.example.com/products/widget-)" + std::to_string(n % 500) +
         R"(?ref=home","referrer":"https://www.google.com/","session_id":"sess_)" + std::to_string(n) +
         R"(","utm_source":"newsletter","timestamp":"2026-04-29T11:23:45.123Z","data":{"title":"Widget )" +
         std::to_string(n % 500) + R"( \u2014 Example Shop","path":"/products/widget","price":)" + price +
         R"(,"quantity":)" + std::to_string(n % 7) +
         R"(,"currency":"USD","tags":["sale","summer"],"in_stock":true,"rating":4.75}})";
}

std::string body_of(int events) {
  std::mt19937 rng(42);
  if (events == 1) return event_body(rng);
  std::string body = R"({"batch":[)";
  for (int i = 0; i < events; ++i) body += (i ? "," : "") + event_body(rng);
  return body + "]}";
}

void report(benchmark::State& state, int events) {
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * events,
                                                  benchmark::Counter::kIsRate);
  state.counters["ns/event"] = benchmark::Counter(static_cast<double>(state.iterations()) * events,
                                                  benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Calls `each` with the data object of every event of a parsed body.
template <class Value, class Each>
void for_each_data(const Value& body, Each&& each) {
  if constexpr (std::is_same_v<Value, boost::json::value>) {
    const auto& o = body.get_object();
    if (auto* batch = o.if_contains("batch")) {
      for (const auto& e : batch->get_array()) each(e.get_object().at("data"));
    } else {
      each(o.at("data"));
    }
  } else {
    if (auto* batch = body.find("batch")) {
      for (const auto& e : batch->items()) each(*e.find("data"));
    } else {
      each(*body.find("data"));
    }
  }
}

void BM_Parse_boost_dom(benchmark::State& state) {
  const int events = static_cast<int>(state.range(0));
  const std::string body = body_of(events);
  for (auto _ : state) {
    const auto v = boost::json::parse(body);
    for_each_data(v, [](const boost::json::value& data) {
      std::string text = boost::json::serialize(data);
      benchmark::DoNotOptimize(text);
    });
  }
  report(state, events);
}

void BM_Parse_exact(benchmark::State& state) {
  const int events = static_cast<int>(state.range(0));
  const std::string body = body_of(events);
  for (auto _ : state) {
    auto parsed = parse_json(body);
    for_each_data(std::get<JsonValue>(parsed), [](const JsonValue& data) {
      std::string text = data.compact();
      benchmark::DoNotOptimize(text);
    });
  }
  report(state, events);
}

#ifdef EVENTSD_BENCH_SIMDJSON
// simdjson On Demand into the JsonValue tree.
simdjson::error_code build(simdjson::ondemand::value value, JsonValue& out, int depth) {
  using simdjson::ondemand::json_type;
  if (depth > static_cast<int>(kMaxJsonDepth)) return simdjson::DEPTH_ERROR;
  json_type type;
  if (auto e = value.type().get(type)) return e;
  switch (type) {
    case json_type::object: {
      simdjson::ondemand::object object;
      if (auto e = value.get_object().get(object)) return e;
      JsonValue::Object members;
      for (auto field : object) {
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        JsonValue child;
        if (auto e = build(field.value(), child, depth + 1)) return e;
        members.emplace_back(std::string(key), std::move(child));
      }
      out = JsonValue::object(std::move(members));
      return simdjson::SUCCESS;
    }
    case json_type::array: {
      simdjson::ondemand::array array;
      if (auto e = value.get_array().get(array)) return e;
      JsonValue::Array items;
      for (auto item : array) {
        simdjson::ondemand::value v;
        if (auto e = item.get(v)) return e;
        JsonValue child;
        if (auto e = build(v, child, depth + 1)) return e;
        items.push_back(std::move(child));
      }
      out = JsonValue::array(std::move(items));
      return simdjson::SUCCESS;
    }
    case json_type::number: {
      std::string_view raw = value.raw_json_token();
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t')) {
        raw.remove_suffix(1);
      }
      double d;
      if (auto e = value.get_double().get(d)) return e;  // validates the token; refuses overflow
      out = JsonValue::number(std::string(raw));
      return simdjson::SUCCESS;
    }
    case json_type::string: {
      std::string_view s;
      if (auto e = value.get_string().get(s)) return e;
      out = JsonValue::string(std::string(s));
      return simdjson::SUCCESS;
    }
    case json_type::boolean: {
      bool b;
      if (auto e = value.get_bool().get(b)) return e;
      out = JsonValue::boolean(b);
      return simdjson::SUCCESS;
    }
    case json_type::null:
      out = JsonValue();
      return simdjson::SUCCESS;
  }
  return simdjson::INCORRECT_TYPE;
}

void BM_Parse_simdjson(benchmark::State& state) {
  const int events = static_cast<int>(state.range(0));
  const std::string body = body_of(events);
  simdjson::ondemand::parser parser;
  for (auto _ : state) {
    simdjson::padded_string padded(body);  // a request body has no padding: the copy is part of the cost
    // (simdjson 3.0.1's document has no at_end(): trailing bytes go unchecked here, which only
    // flatters simdjson.)
    simdjson::ondemand::document doc;
    simdjson::ondemand::value root;
    JsonValue tree;
    if (parser.iterate(padded).get(doc) || doc.get_value().get(root) || build(root, tree, 1)) {
      state.SkipWithError("simdjson refused the body");
      break;
    }
    for_each_data(tree, [](const JsonValue& data) {
      std::string text = data.compact();
      benchmark::DoNotOptimize(text);
    });
  }
  report(state, events);
}

#endif

void BM_Parse_exact_validated(benchmark::State& state) {
  const int events = static_cast<int>(state.range(0));
  const std::string body = body_of(events);
  for (auto _ : state) {
    auto parsed = parse_json(body);
    auto ingest = parse_ingest(std::get<JsonValue>(parsed), kNativeFieldNames, 0);
    benchmark::DoNotOptimize(ingest);
  }
  report(state, events);
}

struct NullHandler {
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  using ec = boost::system::error_code;
  bool on_document_begin(ec&) { return true; }
  bool on_document_end(ec&) { return true; }
  bool on_array_begin(ec&) { return true; }
  bool on_array_end(std::size_t, ec&) { return true; }
  bool on_object_begin(ec&) { return true; }
  bool on_object_end(std::size_t, ec&) { return true; }
  bool on_string_part(std::string_view, std::size_t, ec&) { return true; }
  bool on_string(std::string_view, std::size_t, ec&) { return true; }
  bool on_key_part(std::string_view, std::size_t, ec&) { return true; }
  bool on_key(std::string_view, std::size_t, ec&) { return true; }
  bool on_number_part(std::string_view, ec&) { return true; }
  bool on_int64(std::int64_t, std::string_view, ec&) { return true; }
  bool on_uint64(std::uint64_t, std::string_view, ec&) { return true; }
  bool on_double(double, std::string_view, ec&) { return true; }
  bool on_bool(bool, ec&) { return true; }
  bool on_null(ec&) { return true; }
  bool on_comment_part(std::string_view, ec&) { return true; }
  bool on_comment(std::string_view, ec&) { return true; }
};

void BM_Lex_boost(benchmark::State& state) {
  const int events = static_cast<int>(state.range(0));
  const std::string body = body_of(events);
  for (auto _ : state) {
    boost::json::basic_parser<NullHandler> parser(boost::json::parse_options{});
    boost::system::error_code ec;
    benchmark::DoNotOptimize(parser.write_some(false, body.data(), body.size(), ec));
  }
  report(state, events);
}

#ifdef EVENTSD_BENCH_SIMDJSON
// Touches every value (numbers as raw tokens, strings unescaped), keeps nothing.
simdjson::error_code walk(simdjson::ondemand::value value) {
  using simdjson::ondemand::json_type;
  json_type type;
  if (auto e = value.type().get(type)) return e;
  switch (type) {
    case json_type::object:
      for (auto field : value.get_object()) {
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        if (auto e = walk(field.value())) return e;
      }
      return simdjson::SUCCESS;
    case json_type::array:
      for (auto item : value.get_array()) {
        simdjson::ondemand::value v;
        if (auto e = item.get(v)) return e;
        if (auto e = walk(v)) return e;
      }
      return simdjson::SUCCESS;
    case json_type::number: {
      benchmark::DoNotOptimize(value.raw_json_token());
      double d;
      return value.get_double().get(d);
    }
    case json_type::string: {
      std::string_view s;
      return value.get_string().get(s);
    }
    default:
      return simdjson::SUCCESS;
  }
}

void BM_Lex_simdjson(benchmark::State& state) {
  const int events = static_cast<int>(state.range(0));
  const std::string body = body_of(events);
  simdjson::ondemand::parser parser;
  for (auto _ : state) {
    simdjson::padded_string padded(body);
    simdjson::ondemand::document doc;
    simdjson::ondemand::value root;
    if (parser.iterate(padded).get(doc) || doc.get_value().get(root) || walk(root)) {
      state.SkipWithError("simdjson refused the body");
      break;
    }
  }
  report(state, events);
}

#endif

BENCHMARK(BM_Lex_boost)->Arg(1)->Arg(100);
BENCHMARK(BM_Parse_boost_dom)->Arg(1)->Arg(100);
BENCHMARK(BM_Parse_exact)->Arg(1)->Arg(100);
BENCHMARK(BM_Parse_exact_validated)->Arg(1)->Arg(100);
#ifdef EVENTSD_BENCH_SIMDJSON
BENCHMARK(BM_Lex_simdjson)->Arg(1)->Arg(100);
BENCHMARK(BM_Parse_simdjson)->Arg(1)->Arg(100);
#endif

}  // namespace
}  // namespace eventsd

BENCHMARK_MAIN();
