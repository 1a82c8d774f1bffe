// A number is never changed on its way through (docs/api.md, "Numbers and JSON"): 100,000 doubles,
// each written two ways (shortest round-trip and 17 significant digits), are ingested as event
// data and read back through every route that shows data or metadata (the organizational-unit
// dialect's export and stream included). Each comes back spelled as
// sent, and so as the very same double (compared bit for bit, -0.0 included). Responses are read
// with the service's own exact reader (common/json_reader.h), never with a parser that could
// itself round a number.
#include <gtest/gtest.h>

#include <charconv>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <tuple>

#include "common/json_reader.h"
#include "tests/support/e2e.h"
#include "tests/support/lines.h"
#include "tests/support/sse_client.h"

namespace eventsd {
namespace {

using test::E2E;
using test::nonempty_lines;

constexpr int kDoubles = 100'000;
constexpr int kPerEvent = 200;  // numbers per event: 100 doubles, each spelled two ways
constexpr int kEvents = 2 * kDoubles / kPerEvent;
constexpr int kPerBatch = 100;
constexpr int kPerContact = 200;  // the workspace dialect lists at most 200 events per request

double from_bits(std::uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}
std::uint64_t bits_of(double d) {
  std::uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

// Random bit patterns, two-place decimals plus one ulp, subnormals, and the edges of the range.
std::vector<double> test_doubles() {
  std::mt19937_64 rng(20260429);
  const double fixed[] = {0.0, -0.0, DBL_MAX, -DBL_MAX, DBL_MIN, -DBL_MIN, DBL_TRUE_MIN, -DBL_TRUE_MIN,
                          std::nextafter(DBL_MAX, 0.0), std::nextafter(DBL_MIN, 0.0), 1.0, -1.0, 0.1,
                          18.990000000000002, 99.99, 9007199254740992.0, 9007199254740994.0, 1e308,
                          1e-308, 5e-324, 1e21, 1e22, 123456789012345680000.0};
  std::vector<double> out(std::begin(fixed), std::end(fixed));
  while (out.size() < static_cast<std::size_t>(kDoubles)) {
    const std::uint64_t r = rng();
    const std::uint64_t sign = r & (std::uint64_t{1} << 63);
    double d;
    switch (out.size() % 10) {
      case 0: case 1: case 2: case 3:  // any finite double
        d = from_bits(r);
        if (!std::isfinite(d)) continue;
        break;
      case 4: case 5: case 6: {  // a price one ulp off: 18.990000000000002
        const double price = static_cast<double>(r % 100'000'000) / 100.0;
        d = std::nextafter(price, sign ? -INFINITY : INFINITY);
        break;
      }
      case 7:  // subnormal
        d = from_bits(sign | ((r >> 1) & ((std::uint64_t{1} << 52) - 1)) | 1);
        break;
      default: {  // the largest and smallest exponents, random mantissa
        const std::uint64_t exponent = (r & 2) ? 0x7FE : 0x001;
        d = from_bits(sign | (exponent << 52) | ((r >> 2) & ((std::uint64_t{1} << 52) - 1)));
      }
    }
    out.push_back(d);
  }
  return out;
}

std::string shortest(double d) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}
std::string digits17(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

// What event `i` carries: its number texts, and the doubles they stand for.
struct Expected {
  std::vector<std::string> texts;
  std::vector<double> values;
};

JsonValue parse(std::string_view text) {
  auto r = parse_json(text);
  if (auto* e = std::get_if<JsonError>(&r)) {
    ADD_FAILURE() << "not JSON: " << e->message << ": " << text.substr(0, 200);
    return JsonValue();
  }
  return std::get<JsonValue>(std::move(r));
}

// RFC 4180 fields of one CSV record (no line breaks inside fields here).
std::vector<std::string> csv_fields(std::string_view line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') out.back().push_back(line[++i]);
      else if (c == '"') quoted = false;
      else out.back().push_back(c);
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back().push_back(c);
    }
  }
  return out;
}

class Numbers : public E2E {
 protected:
  void SetUp() override {
    E2E::SetUp();
    const auto doubles = test_doubles();
    expected_.resize(kEvents);
    for (int i = 0; i < kDoubles; ++i) {
      auto& e = expected_[static_cast<std::size_t>(2 * i / kPerEvent)];
      for (const auto& text : {shortest(doubles[i]), digits17(doubles[i])}) {
        e.texts.push_back(text);
        e.values.push_back(doubles[i]);
      }
    }
  }
  static std::string id(int i) { return "num-" + std::to_string(i); }

  void ingest() {
    auto c = client();
    for (int b = 0; b < kEvents / kPerBatch; ++b) {
      std::string body = R"({"batch":[)";
      for (int i = b * kPerBatch; i < (b + 1) * kPerBatch; ++i) {
        body += (i % kPerBatch ? "," : "") + std::string(R"({"id":")") + id(i) +
                R"(","event":"measure","campaign_id":"cmp_n","contact_id":"ct_)" +
                std::to_string(i / kPerContact) + R"(","data":{"v":[)";
        const auto& texts = expected_[static_cast<std::size_t>(i)].texts;
        for (std::size_t k = 0; k < texts.size(); ++k) body += (k ? "," : "") + texts[k];
        body += "]}}";
      }
      auto r = c.post("/v1/events", body + "]}");
      ASSERT_EQ(r.status, 201) << r.body.substr(0, 300);
    }
  }

  // Checks one event's data (or metadata) object as a route showed it; counts it as seen.
  void check(const std::string& route, std::string_view event_id, const JsonValue& data) {
    const std::string prefix = "num-";
    ASSERT_EQ(event_id.substr(0, prefix.size()), prefix) << route;
    const int i = std::stoi(std::string(event_id.substr(prefix.size())));
    ASSERT_TRUE(i >= 0 && i < kEvents) << route;
    const JsonValue* v = data.find("v");
    ASSERT_TRUE(v && v->is_array()) << route << " " << event_id;
    const auto& want = expected_[static_cast<std::size_t>(i)];
    ASSERT_EQ(v->items().size(), want.texts.size()) << route << " " << event_id;
    for (std::size_t k = 0; k < want.texts.size(); ++k) {
      const JsonValue& n = v->items()[k];
      ASSERT_TRUE(n.is_number()) << route << " " << event_id << "[" << k << "]";
      // Spelled as sent, hence the same double (bit for bit: -0.0 stays -0.0).
      EXPECT_EQ(n.number_text(), want.texts[k]) << route << " " << event_id << "[" << k << "]";
      double back = 0;
      const auto text = n.number_text();
      std::from_chars(text.data(), text.data() + text.size(), back);
      ASSERT_EQ(bits_of(back), bits_of(want.values[k])) << route << " " << event_id << "[" << k << "]: sent "
                                                      << want.texts[k] << ", got " << text;
    }
    ++seen_[route];
  }
  void expect_all_seen(const std::string& route) { EXPECT_EQ(seen_[route], kEvents) << route; }

  std::vector<Expected> expected_;
  std::map<std::string, int> seen_;
};

TEST_F(Numbers, EveryDoubleComesBackUnchangedFromEveryRoute) {
  ingest();
  auto c = client();

  // Native list, a page at a time by cursor.
  std::string cursor;
  for (int page = 0; page < kEvents; ++page) {
    auto r = c.get("/v1/events?limit=100&sort_dir=asc" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200);
    const JsonValue body = parse(r.body);
    for (const auto& e : body.find("events")->items()) check("native list", e.find("_id")->get_string(), *e.find("data"));
    const JsonValue* next = body.find("pagination")->find("next_cursor");
    if (!next || next->is_null()) break;
    cursor = test::url_encode(std::string(next->get_string()));
  }
  expect_all_seen("native list");

  // Native get, every event.
  for (int i = 0; i < kEvents; ++i) {
    auto r = c.get("/v1/events/" + id(i));
    ASSERT_EQ(r.status, 200);
    const JsonValue body = parse(r.body);
    const JsonValue* e = body.find("event");
    check("native get", e->find("_id")->get_string(), *e->find("data"));
  }
  expect_all_seen("native get");

  // Organizational-unit list (seeds 000/002), by page.
  for (int page = 1; page <= kEvents / 100; ++page) {
    auto r = c.get("/events?limit=100&page=" + std::to_string(page));
    ASSERT_EQ(r.status, 200);
    const JsonValue body = parse(r.body);
    for (const auto& e : body.find("events")->items()) check("org unit list", e.find("id")->get_string(), *e.find("metadata"));
  }
  expect_all_seen("org unit list");

  // Campaign stream (seed 003), by page.
  for (int page = 1; page <= kEvents / 100; ++page) {
    auto r = c.get("/v1/campaigns/cmp_n/events?per_page=100&page=" + std::to_string(page));
    ASSERT_EQ(r.status, 200);
    const JsonValue body = parse(r.body);
    for (const auto& e : body.find("data")->find("events")->items()) {
      check("campaign list", e.find("id")->get_string(), *e.find("metadata"));
    }
  }
  expect_all_seen("campaign list");

  // Workspace list (seed 004): at most 200 a request, so one contact at a time.
  for (int contact = 0; contact < kEvents / kPerContact; ++contact) {
    auto r = c.get("/api/workspaces/acme/events?limit=200&contactId=ct_" + std::to_string(contact));
    ASSERT_EQ(r.status, 200);
    const JsonValue body = parse(r.body);
    for (const auto& e : body.items()) check("workspace list", e.find("id")->get_string(), *e.find("metadata"));
  }
  expect_all_seen("workspace list");

  // Export as JSON lines and as CSV.
  {
    auto r = c.get("/v1/events/export?format=jsonl");
    ASSERT_EQ(r.status, 200);
    for (const auto& line : nonempty_lines(r.body)) {
      const JsonValue e = parse(line);
      check("export jsonl", e.find("_id")->get_string(), *e.find("data"));
    }
    expect_all_seen("export jsonl");
  }
  // CSV: the native export, and the organizational-unit dialect's (its data column is "metadata").
  for (const auto& [route, target, id_name, data_name] :
       {std::tuple{"export csv", "/v1/events/export?format=csv", "id", "data"},
        std::tuple{"org unit export csv", "/events/export", "id", "metadata"}}) {
    auto r = c.get(target);
    ASSERT_EQ(r.status, 200) << route;
    const auto rows = nonempty_lines(r.body);
    ASSERT_FALSE(rows.empty());
    const auto header = csv_fields(rows[0]);
    const auto column = [&](const std::string& name) {
      return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
    };
    const std::size_t id_col = column(id_name), data_col = column(data_name);
    ASSERT_LT(id_col, header.size()) << route;
    ASSERT_LT(data_col, header.size()) << route;
    for (std::size_t k = 1; k < rows.size(); ++k) {
      const auto fields = csv_fields(rows[k]);
      ASSERT_EQ(fields.size(), header.size());
      check(route, fields[id_col], parse(fields[data_col]));
    }
    expect_all_seen(route);
  }

  // The event streams (native, and the organizational-unit dialect's), replayed from the start of the log.
  for (const auto& [route, target, id_name, data_name] :
       {std::tuple{"sse", "/v1/events/stream?last_event_id=0", "_id", "data"},
        std::tuple{"org unit sse", "/events/stream?last_event_id=0", "id", "metadata"}}) {
    test::SseClient stream(server_->port(), token_, target);
    ASSERT_EQ(stream.status(), 200) << route;
    const auto messages = stream.wait_for(kEvents / kPerBatch, std::chrono::seconds(60));
    ASSERT_EQ(messages.size(), static_cast<std::size_t>(kEvents / kPerBatch)) << route;
    for (const auto& m : messages) {
      const JsonValue record = parse(m.data);
      for (const auto& e : record.find("events")->items()) check(route, e.find(id_name)->get_string(), *e.find(data_name));
    }
    expect_all_seen(route);
  }

  // eventctl dump; and what eventctl import makes of that dump, dumped again.
  auto dump_events = [&](const std::filesystem::path& dir, const std::string& route) {
    auto dump = test::run_command({test::eventctl_binary(), "dump", "--data", dir.string()});
    ASSERT_EQ(dump.status, 0);
    for (const auto& line : nonempty_lines(dump.out)) {
      const JsonValue record = parse(line);
      if (record.find("kind")->get_string() != "events_ingested") continue;
      for (const auto& e : record.find("fact")->find("events")->items()) check(route, e.find("id")->get_string(), *e.find("data"));
    }
    expect_all_seen(route);
  };
  dump_events(dir_.path(), "eventctl dump");

  test::TempDir other;
  auto dump = test::run_command({test::eventctl_binary(), "dump", "--data", dir_.path().string()});
  std::ofstream(other.path() / "dump.jsonl") << dump.out;
  auto imported = test::run_command({test::eventctl_binary(), "import", "--data", (other.path() / "data").string(),
                                     "--create", (other.path() / "dump.jsonl").string()});
  ASSERT_EQ(imported.status, 0);
  dump_events(other.path() / "data", "eventctl import, then dump");
}

// Numbers the reader refuses, and those it keeps although a double cannot hold them exactly.
TEST_F(E2E, NumbersBeyondADoubleAreRefusedAndLongIntegersKeepTheirDigits) {
  auto c = client();
  for (const char* big : {"1e309", "-1e400", "1.7976931348623159e308"}) {
    auto r = c.post("/v1/events", std::string(R"({"event":"e","data":{"big":)") + big + "}}");
    EXPECT_EQ(r.status, 400) << big;
    EXPECT_EQ(r.json().at("error").at("field"), "data.big") << big;
  }
  // An exponent too long to read is refused by the lexer itself.
  EXPECT_EQ(c.post("/v1/events", R"({"event":"e","data":{"big":1e999999999999999999999}})").status, 400);
  // Kept as sent: integers beyond 64 bits, more digits than a double holds, underflow, -0.
  const std::string kept =
      R"({"a":123456789012345678901234567890,"b":-18446744073709551617,"c":0.1000000000000000055511151231257827,)"
      R"("d":1e-400,"e":-0,"f":1.0,"g":1E+2,"h":9007199254740993})";
  auto r = c.post("/v1/events", R"({"id":"kept","event":"e","data":)" + kept + "}");
  ASSERT_EQ(r.status, 201) << r.body;
  auto got = c.get("/v1/events/kept");
  ASSERT_EQ(got.status, 200);
  EXPECT_NE(got.body.find(R"("data":)" + kept), std::string::npos) << got.body;
}

}  // namespace
}  // namespace eventsd
