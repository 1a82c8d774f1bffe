// Aggregates and funnels against a brute-force computation over the same random events: facts
// (events with data, profiles and companies, merges, deletions, suppressed events, a second
// tenant) go into the log and through ReadModels::apply; random aggregate and funnel requests
// must agree with filtering, grouping and counting the events in memory. Time buckets are
// computed here with the C library's localtime_r (TZ), independently of the engine's date/tz.h,
// over two windows that hold the 2026 daylight-saving changes of Europe/Berlin and
// America/New_York.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <map>
#include <random>
#include <set>

#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/aggregate.h"
#include "projections/aggregate_sources.h"
#include "projections/contacts.h"
#include "projections/funnel.h"
#include "projections/read_models.h"
#include "tests/support/logged_event.h"
#include "tests/support/temp_dir.h"

namespace eventsd {
namespace {

struct Ev : test::LoggedEvent {
  std::uint64_t seq = 0;
  std::map<std::string, std::string> members;  // data member -> its JSON text, as stored
};

struct Profile {
  std::optional<std::string> firstname, email, company_name, company_domain;
};

struct Company {
  std::string id, key;
  std::optional<std::string> name, domain;
};

// A brute-force value: absent, a string, or JSON text.
struct Val {
  Cell::Kind kind = Cell::Kind::null;
  std::string text;
};

constexpr Millis kHour = 3'600'000;

std::optional<double> number_of(const Val& v) {
  if (v.kind != Cell::Kind::json || v.text.empty() || !(v.text[0] == '-' || std::isdigit(static_cast<unsigned char>(v.text[0])))) {
    return std::nullopt;
  }
  return std::strtod(v.text.c_str(), nullptr);
}
std::optional<std::string> string_of(const Val& v) {
  if (v.kind == Cell::Kind::text) return v.text;
  if (v.kind != Cell::Kind::json || v.text[0] != '"') return std::nullopt;
  return std::string(boost::json::parse(v.text).as_string());
}
bool icontains(std::string hay, std::string needle) {
  for (auto* s : {&hay, &needle}) {
    for (auto& c : *s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return hay.find(needle) != std::string::npos;
}

// A value that exists: neither missing nor JSON null.
bool present(const Val& v) { return v.kind != Cell::Kind::null && !(v.kind == Cell::Kind::json && v.text == "null"); }
// What a dimension shows: JSON null as null.
Val shown(Val v) { return present(v) ? v : Val{}; }

bool holds(const Condition& c, const Val& v) {
  auto eq = [&] {
    if (v.kind == Cell::Kind::null) return false;
    switch (c.value) {
      case Condition::Value::string: return string_of(v) == c.text;
      case Condition::Value::number: return number_of(v) == c.number;
      default: return v.kind == Cell::Kind::json && v.text == c.text;
    }
  };
  switch (c.op) {
    case Op::eq: return eq();
    case Op::ne: return !eq();
    case Op::exists: return present(v) == c.exists;
    case Op::contains: {
      auto s = string_of(v);
      return s && icontains(*s, c.text);
    }
    default: {
      auto n = number_of(v);
      if (!n) return false;
      if (c.op == Op::gt) return *n > c.number;
      if (c.op == Op::gte) return *n >= c.number;
      if (c.op == Op::lt) return *n < c.number;
      return *n <= c.number;
    }
  }
}

Millis at(const char* iso) { return *parse_iso8601(iso); }

const Millis kWindows[][2] = {{at("2026-02-25T00:00:00Z"), at("2026-04-05T00:00:00Z")},
                              {at("2026-10-20T00:00:00Z"), at("2026-11-08T00:00:00Z")}};
// Around the transitions of 2026, to the millisecond.
const Millis kEdges[] = {at("2026-03-29T01:00:00Z"), at("2026-10-25T01:00:00Z"), at("2026-03-08T07:00:00Z"),
                         at("2026-11-01T06:00:00Z"), at("2026-03-29T00:00:00Z"), at("2026-03-28T23:00:00Z")};
const char* kZones[] = {"UTC", "Europe/Berlin", "America/New_York"};

// --- time buckets, the C library's way --------------------------------------------------------

struct LocalClock {
  explicit LocalClock(const std::string& zone) {
    ::setenv("TZ", zone.c_str(), 1);
    ::tzset();
  }
  std::tm local(Millis t) const {
    std::time_t s = static_cast<std::time_t>(t / 1000);
    std::tm tm{};
    ::localtime_r(&s, &tm);
    return tm;
  }
  std::string label(Millis t, Field unit) const {
    std::tm tm = local(t);
    char buf[64];
    switch (unit) {
      case Field::hour: {
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:00:00", &tm);
        const int off = static_cast<int>(tm.tm_gmtoff / 60);
        char tail[32];
        std::snprintf(tail, sizeof tail, "%c%02d:%02d", off < 0 ? '-' : '+', std::abs(off) / 60 % 24, std::abs(off) % 60);
        return std::string(buf) + tail;
      }
      case Field::day: std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm); return buf;
      case Field::month: std::strftime(buf, sizeof buf, "%Y-%m", &tm); return buf;
      default: {  // week: the local date of its Monday
        std::tm day{};
        day.tm_year = tm.tm_year;
        day.tm_mon = tm.tm_mon;
        day.tm_mday = tm.tm_mday - (tm.tm_wday + 6) % 7;
        std::time_t monday = ::timegm(&day);
        std::tm m{};
        ::gmtime_r(&monday, &m);
        std::strftime(buf, sizeof buf, "%Y-%m-%d", &m);
        return buf;
      }
    }
  }
};

// --- the fixture ------------------------------------------------------------------------------

class AggregateProperty : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.emplace(dir_.path());
    log_.emplace(*store_);
    models_.emplace(*store_, *log_);
    std::mt19937 rng(20261127);
    for (int i = 0; i < 20; ++i) upsert(rng, "ct_" + std::to_string(i), i);
    upsert(rng, "ct_29", 29);
    for (int batch = 0; batch < 50; ++batch) {
      ingest(rng, "t", 1 + static_cast<int>(rng() % 60), live_);
      if (batch % 10 == 3) ingest(rng, "other", 20, other_);
      if (batch == 20) merge("ct_20", "ct_1");
      if (batch == 30) merge("ct_19", "ct_3");
      if (batch % 7 == 6) remove(rng);
    }
    auto r = store_->read();
    tno_ = *models_->tenant_no(r.txn(), "t");
  }

  template <class Fill>
  void append(const std::string& tenant, Fill fill) {
    LogHead head;
    store_->write([&](lmdb::Txn& txn) {
      Log::Appender appender(*log_, txn);
      capnp::MallocMessageBuilder message;
      auto record = message.initRoot<schema::LogRecord>();
      record.setTenant(tenant);
      fill(record);
      const auto position = appender.append(message);
      models_->apply(txn, txn, position, message.getRoot<schema::LogRecord>().asReader());
      head = appender.head();
    });
    log_->advance(head);
  }

  void upsert(std::mt19937& rng, const std::string& id, int i) {
    static const char* domains[] = {"acme.com", "globex.com", "initech.com", "gmail.com"};
    Profile p;
    p.firstname = "F" + std::to_string(i % 7);
    if (rng() % 5) p.email = "u" + std::to_string(i) + "@" + domains[i % 4];
    if (i % 3 == 0) p.company_name = "Acme", p.company_domain = "acme.com";
    if (i % 3 == 2) p.company_name = "Globex", p.company_domain = "globex.com";
    if (i % 5 == 4) p.company_name = "NoDomain", p.company_domain.reset();
    append("t", [&](schema::LogRecord::Builder r) {
      auto f = r.initFact().initContactUpserted();
      f.setContactId(id);
      if (p.firstname) f.setFirstname(*p.firstname);
      if (p.email) f.setEmail(*p.email);
      if (p.company_name) f.setCompanyName(*p.company_name);
      if (p.company_domain) f.setCompanyDomain(*p.company_domain);
    });
    profiles_[id] = p;
    if (p.company_name || p.company_domain) {
      const std::string key = company_key(p.company_name, p.company_domain);
      companies_[key] = Company{company_id(key), key, p.company_name, p.company_domain};
    }
  }

  Millis random_time(std::mt19937& rng) {
    if (rng() % 12 == 0) return kEdges[rng() % 6] + static_cast<Millis>(rng() % 3) - 1;
    const auto& w = kWindows[rng() % 2];
    const Millis t = w[0] + static_cast<Millis>(rng() % static_cast<std::uint64_t>(w[1] - w[0]));
    return rng() % 4 ? t / 1000 * 1000 : t / kHour * kHour;  // many on whole hours
  }

  void ingest(std::mt19937& rng, const std::string& tenant, int n, std::vector<Ev>& into) {
    static const char* types[] = {"page_view", "page_view", "signup", "purchase", "email_open", "Page View"};
    static const char* plans[] = {"\"pro\"", "\"free\"", "\"Pro Plus\"", "null", "7", "true", "{\"x\":1}"};
    std::vector<Ev> batch;
    for (int i = 0; i < n; ++i) {
      Ev e;
      e.id = tenant + "-e" + std::to_string(next_id_++);
      e.type = types[rng() % 6];
      if (rng() % 4) {
        std::string c = "ct_" + std::to_string(rng() % 30);
        if (aliases_.count(c)) c = aliases_[c];
        e.contact = c;
      }
      if (rng() % 4) {
        e.domain = "d" + std::to_string(rng() % 4) + ".com";
        e.url = "https://" + *e.domain + "/Path" + std::to_string(rng() % 5) + (rng() % 2 ? "?q=1" : "");
      }
      if (rng() % 2) e.session_id = "s" + std::to_string(rng() % 25);
      if (rng() % 3 == 0) e.utm_source = rng() % 2 ? "google" : "news";
      if (rng() % 8 == 0) e.campaign = "cmp" + std::to_string(rng() % 2);
      e.ts = random_time(rng);
      e.created_at = e.ts;
      e.suppressed = rng() % 9 == 0;
      // data: a number under "amount" (canonical text: one text per value), a value of any
      // kind under "plan", sometimes spelt with an escape, a string that looks like a number, a
      // nested "amount" that is not the top-level one.
      std::vector<std::pair<std::string, std::string>> raw;  // key as written, value
      if (rng() % 5) {
        const long cents = static_cast<long>(rng() % 60000) - 5000;
        char buf[32];
        const long whole = std::labs(cents) / 100, frac = std::labs(cents) % 100;
        const char* sign = cents < 0 ? "-" : "";
        if (frac == 0) std::snprintf(buf, sizeof buf, "%s%ld", sign, whole);
        else if (frac % 10 == 0) std::snprintf(buf, sizeof buf, "%s%ld.%ld", sign, whole, frac / 10);
        else std::snprintf(buf, sizeof buf, "%s%ld.%02ld", sign, whole, frac);
        raw.emplace_back("amount", buf);
      } else if (rng() % 2) {
        raw.emplace_back("amount", "\"12\"");
      }
      if (rng() % 3) {
        const std::string value = plans[rng() % 7];
        raw.emplace_back(rng() % 6 == 0 ? "pl\\u0061n" : "plan", value);
      }
      if (rng() % 4 == 0) raw.emplace_back("nested", "{\"amount\":3,\"s\":\"a,b}\"}");
      e.data = "{";
      for (std::size_t k = 0; k < raw.size(); ++k) {
        if (k) e.data += ",";
        e.data += "\"" + raw[k].first + "\":" + raw[k].second;
        const std::string key = raw[k].first == "pl\\u0061n" ? "plan" : raw[k].first;
        e.members[key] = raw[k].second;
      }
      e.data += "}";
      batch.push_back(std::move(e));
    }
    append(tenant, [&](schema::LogRecord::Builder r) {
      auto events = r.initFact().initEventsIngested().initEvents(static_cast<unsigned>(batch.size()));
      for (unsigned i = 0; i < batch.size(); ++i) {
        Ev& m = batch[i];
        test::set_event(events[i], m);
        m.seq = event_seq(log_->head().position + 1, i);
      }
    });
    into.insert(into.end(), batch.begin(), batch.end());
  }

  void merge(const std::string& from, const std::string& into) {
    std::vector<std::string> moved;
    for (auto& e : live_) {
      if (e.contact == from) {
        moved.push_back(e.id);
        e.contact = into;
      }
    }
    append("t", [&](schema::LogRecord::Builder r) {
      auto f = r.initFact().initContactsMerged();
      f.setFrom(from);
      f.setInto(into);
      auto ids = f.initMoved(static_cast<unsigned>(moved.size()));
      for (unsigned i = 0; i < moved.size(); ++i) ids.set(i, moved[i]);
    });
    aliases_[from] = into;
  }

  void remove(std::mt19937& rng) {
    std::vector<std::string> victims;
    for (int k = 0; k < 4 && !live_.empty(); ++k) {
      auto it = live_.begin() + static_cast<long>(rng() % live_.size());
      victims.push_back(it->id);
      live_.erase(it);
    }
    append("t", [&](schema::LogRecord::Builder r) {
      auto ids = r.initFact().initEventsDeleted().initIds(static_cast<unsigned>(victims.size()));
      for (unsigned k = 0; k < victims.size(); ++k) ids.set(k, victims[k]);
    });
  }

  // --- brute-force field values -----------------------------------------------------------------

  std::optional<Company> company_of(const std::string& contact) const {
    auto p = profiles_.find(contact);
    if (p == profiles_.end()) return std::nullopt;
    if (p->second.company_name || p->second.company_domain) {
      return companies_.at(company_key(p->second.company_name, p->second.company_domain));
    }
    if (p->second.email) {
      auto c = companies_.find(p->second.email->substr(p->second.email->find('@') + 1));
      if (c != companies_.end()) return c->second;
    }
    return std::nullopt;
  }

  Val contact_value(const FieldRef& f, const std::string& contact) const {
    auto text = [](const std::optional<std::string>& s) { return s ? Val{Cell::Kind::text, *s} : Val{}; };
    if (f.field == Field::contact_id) return Val{Cell::Kind::text, contact};
    if (is_company_field(f.field)) {
      auto c = company_of(contact);
      if (!c) return {};
      if (f.field == Field::company_id) return Val{Cell::Kind::text, c->id};
      return text(f.field == Field::company_name ? c->name : c->domain);
    }
    auto p = profiles_.find(contact);
    if (p == profiles_.end()) return {};
    return text(f.field == Field::contact_email ? p->second.email : p->second.firstname);
  }

  Val value(const Ev& e, const FieldRef& f) const {
    auto text = [](const std::optional<std::string>& s) { return s ? Val{Cell::Kind::text, *s} : Val{}; };
    switch (f.field) {
      case Field::event: return Val{Cell::Kind::text, e.type};
      case Field::contact_id: return text(e.contact);
      case Field::url: return text(e.url);
      case Field::path: {
        if (!e.url) return {};
        std::string p = e.url->substr(e.url->find('/', 8));
        return Val{Cell::Kind::text, p.substr(0, p.find('?'))};
      }
      case Field::domain: return text(e.domain);
      case Field::session_id: return text(e.session_id);
      case Field::utm_source: return text(e.utm_source);
      case Field::campaign_id: return text(e.campaign);
      case Field::data: {
        auto m = e.members.find(f.key);
        if (m == e.members.end()) return {};
        return Val{Cell::Kind::json, m->second};  // JSON null too: it equals null
      }
      default:
        if (is_profile_field(f.field)) return e.contact ? contact_value(f, *e.contact) : Val{};
        return {};
    }
  }

  // Whether an event passes the filter's event part and the conditions (`skip_contact`: leave
  // out the filter's contact_id and the contact-level conditions).
  bool passes(const Ev& e, const EventFilter& f, const std::vector<Condition>& where) const {
    if (f.event_type && e.type != *f.event_type) return false;
    if (f.contact_id && e.contact != f.contact_id) return false;
    if (f.domain && e.domain != f.domain) return false;
    if (f.campaign_id && e.campaign != f.campaign_id) return false;
    if (f.url_contains && (!e.url || e.url->find(*f.url_contains) == std::string::npos)) return false;
    if (f.search && !(icontains(e.type, *f.search) || (e.url && icontains(*e.url, *f.search)) ||
                      (e.domain && icontains(*e.domain, *f.search)))) {
      return false;
    }
    if (f.after && e.ts < *f.after) return false;
    if (f.before && e.ts > *f.before) return false;
    if (f.identified_only && !e.contact) return false;
    if (f.suppressed == SuppressedFilter::exclude && e.suppressed) return false;
    if (f.suppressed == SuppressedFilter::only && !e.suppressed) return false;
    return std::all_of(where.begin(), where.end(), [&](const Condition& c) { return holds(c, value(e, c.field)); });
  }

  // --- random requests --------------------------------------------------------------------------

  Condition random_condition(std::mt19937& rng) {
    Condition c;
    switch (rng() % 9) {
      case 0:
        c.field = *parse_field("data.plan");
        c.op = rng() % 2 ? Op::eq : Op::ne;
        if (rng() % 3 == 0) c.value = Condition::Value::literal, c.text = rng() % 2 ? "true" : "null";
        else c.text = rng() % 2 ? "pro" : "Pro Plus";
        break;
      case 1:
        c.field = *parse_field("data.amount");
        c.op = static_cast<Op>(static_cast<int>(Op::gt) + static_cast<int>(rng() % 4));
        c.value = Condition::Value::number;
        c.number = static_cast<double>(static_cast<int>(rng() % 500) - 50) + (rng() % 2 ? 0.5 : 0);
        break;
      case 2:
        c.field = *parse_field("data.amount");
        c.op = Op::eq;
        c.value = Condition::Value::number;
        c.number = 7;
        break;
      case 3:
        c.field = *parse_field(rng() % 2 ? "data.plan" : "utm_source");
        c.op = Op::exists;
        c.exists = rng() % 2;
        break;
      case 4:
        c.field = *parse_field("contact.email");
        c.op = Op::contains;
        c.text = rng() % 2 ? "ACME" : "u1";
        break;
      case 5:
        c.field = *parse_field("company.name");
        c.op = Op::eq;
        c.text = rng() % 2 ? "Acme" : "Globex";
        break;
      case 6:
        c.field = *parse_field("path");
        c.op = Op::eq;
        c.text = "/Path" + std::to_string(rng() % 5);
        break;
      case 7:
        c.field = *parse_field("data.plan");
        c.op = Op::contains;
        c.text = "pro";
        break;
      default:
        c.field = *parse_field("event");
        c.op = Op::eq;
        c.text = rng() % 2 ? "signup" : "page_view";
    }
    return c;
  }

  EventFilter random_filter(std::mt19937& rng) {
    EventFilter f;
    f.suppressed = static_cast<SuppressedFilter>(rng() % 3);
    if (rng() % 5 == 0) f.event_type = rng() % 2 ? "page_view" : "signup";
    if (rng() % 6 == 0) f.domain = "d" + std::to_string(rng() % 4) + ".com";
    if (rng() % 8 == 0) f.contact_id = "ct_" + std::to_string(rng() % 30);
    if (rng() % 10 == 0) f.url_contains = "Path1";
    if (rng() % 12 == 0) f.search = "PAGE";
    if (rng() % 12 == 0) f.campaign_id = "cmp1";
    f.identified_only = rng() % 6 == 0;
    if (rng() % 3 == 0) {
      const auto& w = kWindows[rng() % 2];
      const Millis a = w[0] + static_cast<Millis>(rng() % static_cast<std::uint64_t>(w[1] - w[0]));
      const Millis b = a + static_cast<Millis>(rng() % (12 * kMillisPerDay));
      switch (rng() % 3) {
        case 0: f.after = a, f.before = b; break;
        case 1: f.after = a; break;
        default: f.before = b;
      }
      if (rng() % 2 && f.after) f.after = day_start(*f.after);  // UTC midnights: the counters
      if (rng() % 2 && f.before) f.before = day_start(*f.before) + kMillisPerDay - 1;
    }
    return f;
  }

  test::TempDir dir_;
  std::optional<Store> store_;
  std::optional<Log> log_;
  std::optional<ReadModels> models_;
  std::vector<Ev> live_, other_;
  std::map<std::string, Profile> profiles_;
  std::map<std::string, Company> companies_;
  std::map<std::string, std::string> aliases_;
  std::uint32_t tno_ = 0;
  int next_id_ = 0;
};

// --- brute-force aggregation -----------------------------------------------------------------

struct Group {
  std::uint64_t count = 0;
  std::set<std::string> contacts, sessions;
  std::vector<std::pair<double, std::string>> numbers;
  bool zero = false;
};

std::string exact_sum(const std::vector<std::pair<double, std::string>>& numbers) {
  // Every amount is a multiple of 0.01 with a canonical text of scale 0, 1 or 2.
  long long cents = 0;
  int scale = 0;
  for (const auto& [v, text] : numbers) {
    cents += std::llround(v * 100);
    const auto dot = text.find('.');
    if (dot != std::string::npos) scale = std::max(scale, static_cast<int>(text.size() - dot - 1));
  }
  const long long mag = std::llabs(cents);
  std::string out = (cents < 0 ? "-" : "") + std::to_string(mag / 100);
  if (scale == 1) out += "." + std::to_string(mag % 100 / 10);
  if (scale == 2) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%02lld", mag % 100);
    out += std::string(".") + buf;
  }
  return out;
}

std::string shortest(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

Cell metric_cell(const Metric& m, const Group& g) {
  auto num = [](std::string text, double v) { return Cell{Cell::Kind::number, std::move(text), v}; };
  switch (m.kind) {
    case MetricKind::count: return num(std::to_string(g.count), static_cast<double>(g.count));
    case MetricKind::unique_contacts: return num(std::to_string(g.contacts.size()), static_cast<double>(g.contacts.size()));
    case MetricKind::unique_sessions: return num(std::to_string(g.sessions.size()), static_cast<double>(g.sessions.size()));
    default: break;
  }
  if (m.kind == MetricKind::sum) {
    const std::string s = g.numbers.empty() ? "0" : exact_sum(g.numbers);
    return num(s, std::strtod(s.c_str(), nullptr));
  }
  if (g.numbers.empty()) return Cell{};
  auto sorted = g.numbers;
  std::sort(sorted.begin(), sorted.end());
  switch (m.kind) {
    case MetricKind::avg: {
      const double avg = std::strtod(exact_sum(g.numbers).c_str(), nullptr) / static_cast<double>(g.numbers.size());
      return num(shortest(avg), avg);
    }
    case MetricKind::min: return num(sorted.front().second, sorted.front().first);
    case MetricKind::max: return num(sorted.back().second, sorted.back().first);
    default: {
      const std::size_t p = m.kind == MetricKind::p50 ? 50 : 95;
      const std::size_t rank = std::max<std::size_t>(1, (sorted.size() * p + 99) / 100);
      return num(sorted[rank - 1].second, sorted[rank - 1].first);
    }
  }
}

// How the engine orders a dimension's values: null, then by kind, then by value.
struct DimOrder {
  int kind;  // 0 null, 1 number-like (json numbers, time), 2 json strings / text, 3 other json
  double number;
  std::string text;
  auto operator<=>(const DimOrder&) const = default;
};

class BruteAggregate {
 public:
  explicit BruteAggregate(const AggregateRequest& r) : r_(r) {
    for (std::size_t d = 0; d < r.group_by.size(); ++d) {
      if (is_time_bucket(r.group_by[d].field)) time_dim_ = d;
    }
    if (time_dim_) clock_.emplace(r.zone.name());
  }

  std::vector<Val> key_of(const std::function<Val(const FieldRef&)>& value, Millis ts) {
    std::vector<Val> key;
    for (std::size_t d = 0; d < r_.group_by.size(); ++d) {
      if (d == time_dim_) key.push_back(time_val(ts));
      else key.push_back(shown(value(r_.group_by[d])));
    }
    return key;
  }
  Val time_val(Millis ts) {
    Val v{Cell::Kind::time, clock_->label(ts, r_.group_by[*time_dim_].field)};
    auto [it, added] = first_seen_.emplace(v.text, ts);
    if (!added) it->second = std::min(it->second, ts);
    return v;
  }
  Group& group(const std::vector<Val>& key) {
    const std::string k = repr(key);
    keys_[k] = key;
    return groups_[k];
  }

  static std::string repr(const std::vector<Val>& key) {
    std::string s;
    for (const auto& v : key) s += std::to_string(static_cast<int>(v.kind)) + v.text + '\x01';
    return s;
  }

  // Returns whether the answer is zero-filled (false when the span is beyond the bounds).
  bool zero_fill(const std::optional<Millis>& data_lo, const std::optional<Millis>& data_hi) {
    if (!time_dim_) return false;
    std::optional<Millis> lo = r_.filter.after ? r_.filter.after : data_lo;
    std::optional<Millis> hi = r_.filter.before ? r_.filter.before : data_hi;
    if (!lo || !hi || *lo > *hi) return true;
    std::vector<std::vector<Val>> tuples;
    std::set<std::string> seen;
    for (auto& [repr_key, key] : keys_) {
      auto t = key;
      t[*time_dim_] = Val{};
      if (seen.insert(repr(t)).second) tuples.push_back(t);
    }
    if (keys_.empty() && r_.group_by.size() == 1) tuples.push_back({Val{}});
    std::vector<Val> buckets;
    std::set<std::string> labels;
    for (Millis t = *lo;; t = std::min(t + 15 * 60'000, *hi)) {
      Val v = time_val(t);
      if (labels.insert(v.text).second) buckets.push_back(v);
      if (t == *hi) break;
    }
    if (buckets.size() > kMaxBuckets || buckets.size() * tuples.size() > kMaxFilledRows) return false;
    for (const auto& tuple : tuples) {
      for (const auto& b : buckets) {
        auto k = tuple;
        k[*time_dim_] = b;
        if (!keys_.count(repr(k))) {
          keys_[repr(k)] = k;
          groups_[repr(k)].zero = true;
        }
      }
    }
    return true;
  }

  DimOrder order_of(const Val& v) const {
    switch (v.kind) {
      case Cell::Kind::null: return {0, 0, ""};
      case Cell::Kind::time: return {1, static_cast<double>(first_seen_.at(v.text)), ""};
      case Cell::Kind::text: return {2, 0, v.text};
      default:
        if (auto n = number_of(v)) return {1, *n, v.text};
        return {v.text[0] == '"' ? 2 : 3, 0, v.text};
    }
  }

  std::vector<AggregateRow> rows() {
    if (r_.group_by.empty() && keys_.empty()) {
      keys_[""] = {};
      groups_[""].zero = true;
    }
    struct R {
      std::vector<Val> key;
      const Group* g;
    };
    std::vector<R> all;
    for (auto& [k, key] : keys_) all.push_back({key, &groups_[k]});
    AggregateOrder order;
    if (r_.order) order = *r_.order;
    else if (time_dim_) order = {false, *time_dim_, false};
    auto metric = [&](const R& row) {
      if (row.g->zero) {
        const auto k = r_.metrics[order.index].kind;
        return k <= MetricKind::unique_sessions || k == MetricKind::sum ? Cell{Cell::Kind::number, "0", 0} : Cell{};
      }
      return metric_cell(r_.metrics[order.index], *row.g);
    };
    auto dims_less = [&](const R& a, const R& b, std::size_t first, bool desc) {
      const auto oa = order_of(a.key[first]), ob = order_of(b.key[first]);
      if (oa != ob) return desc ? ob < oa : oa < ob;
      for (std::size_t d = 0; d < a.key.size(); ++d) {
        const auto x = order_of(a.key[d]), y = order_of(b.key[d]);
        if (x != y) return x < y;
      }
      return false;
    };
    std::sort(all.begin(), all.end(), [&](const R& a, const R& b) {
      if (order.by_metric) {
        const Cell ma = metric(a), mb = metric(b);
        const bool na = ma.kind == Cell::Kind::null, nb = mb.kind == Cell::Kind::null;
        if (na != nb) return nb;
        if (!na && ma.number != mb.number) return order.descending ? ma.number > mb.number : ma.number < mb.number;
        return !a.key.empty() && dims_less(a, b, 0, false);
      }
      return dims_less(a, b, order.index, order.descending);
    });
    total_ = all.size();
    std::vector<AggregateRow> out;
    for (std::size_t i = 0; i < all.size() && i < r_.limit; ++i) {
      AggregateRow row;
      for (const auto& v : all[i].key) row.dims.push_back(Cell{v.kind, v.text, 0});
      for (const auto& m : r_.metrics) {
        if (all[i].g->zero) {
          const bool zero = m.kind <= MetricKind::unique_sessions || m.kind == MetricKind::sum;
          row.metrics.push_back(zero ? Cell{Cell::Kind::number, "0", 0} : Cell{});
        } else {
          row.metrics.push_back(metric_cell(m, *all[i].g));
        }
      }
      out.push_back(std::move(row));
    }
    return out;
  }
  std::size_t total() const { return total_; }

 private:
  const AggregateRequest& r_;
  std::optional<std::size_t> time_dim_;
  std::optional<LocalClock> clock_;
  std::map<std::string, Millis> first_seen_;
  std::map<std::string, std::vector<Val>> keys_;
  std::map<std::string, Group> groups_;
  std::size_t total_ = 0;
};

std::string show(const std::vector<AggregateRow>& rows) {
  std::string s;
  for (const auto& r : rows) {
    for (const auto& c : r.dims) s += (c.kind == Cell::Kind::null ? "null" : c.text) + " | ";
    s += "=>";
    for (const auto& c : r.metrics) s += " " + (c.kind == Cell::Kind::null ? "null" : c.text);
    s += "\n";
  }
  return s;
}

void expect_same(const AggregateResult& got, const std::vector<AggregateRow>& want, std::size_t total) {
  EXPECT_EQ(got.total_rows, total);
  EXPECT_EQ(show(got.rows), show(want));
  for (std::size_t i = 0; i < std::min(got.rows.size(), want.size()); ++i) {
    for (std::size_t d = 0; d < want[i].dims.size(); ++d) {
      EXPECT_EQ(got.rows[i].dims[d].kind, want[i].dims[d].kind) << "row " << i << " dimension " << d;
    }
  }
}

TEST_F(AggregateProperty, EventAggregatesAgreeWithBruteForce) {
  std::mt19937 rng(5);
  const char* dims[] = {"event", "domain", "path", "contact_id", "company.name", "contact.email", "utm_source",
                        "data.plan", "data.amount", "session_id", "campaign_id", "company.id"};
  const char* times[] = {"hour", "day", "week", "month"};
  const char* metrics[] = {"count", "unique_contacts", "unique_sessions", "sum(data.amount)", "avg(data.amount)",
                           "min(data.amount)", "max(data.amount)", "p50(data.amount)", "p95(data.amount)"};
  int counted = 0;
  std::map<std::string, int> plans;
  for (int round = 0; round < 400; ++round) {
    AggregateRequest r;
    r.filter = random_filter(rng);
    const int conditions = rng() % 3 == 0 ? 1 + static_cast<int>(rng() % 2) : 0;
    for (int i = 0; i < conditions; ++i) r.where.push_back(random_condition(rng));
    r.zone = *Zone::find(kZones[rng() % 3]);
    const std::size_t n_dims = rng() % 4;
    const bool with_time = rng() % 2;
    while (r.group_by.size() < n_dims) {
      const char* time = times[rng() % 4];
      if (std::string_view(time) == "hour" && !(r.filter.after && r.filter.before)) time = "day";
      FieldRef f = *parse_field(with_time && r.group_by.empty() && rng() % 2 ? time : dims[rng() % 12]);
      if (std::find(r.group_by.begin(), r.group_by.end(), f) == r.group_by.end()) r.group_by.push_back(f);
    }
    const bool counters_shape = rng() % 3 == 0;
    if (counters_shape) {
      r.group_by.clear();
      if (rng() % 3) r.zone = Zone{};
      for (const char* d : {"day", "event", "domain"}) {
        if (rng() % 2) r.group_by.push_back(*parse_field(d));
      }
      r.where.clear();
      r.filter.contact_id.reset(), r.filter.url_contains.reset(), r.filter.search.reset(), r.filter.campaign_id.reset();
    }
    r.metrics.push_back(*parse_metric(counters_shape && rng() % 3 ? "count" : metrics[rng() % 9]));
    if (counters_shape && rng() % 3 == 0) r.metrics.push_back(*parse_metric("unique_contacts"));  // two scans
    if (!counters_shape && rng() % 2) {
      auto m = *parse_metric(metrics[rng() % 9]);
      if (m != r.metrics[0]) r.metrics.push_back(m);
    }
    if (rng() % 3 == 0) {
      const bool by_metric = r.group_by.empty() || rng() % 2;
      r.order = AggregateOrder{by_metric, by_metric ? rng() % r.metrics.size() : rng() % r.group_by.size(), rng() % 2 == 0};
    }
    r.limit = rng() % 4 == 0 ? 1 + static_cast<std::uint32_t>(rng() % 10) : kDefaultAggregateLimit;
    r.use_counters = rng() % 2;

    BruteAggregate brute(r);
    std::optional<Millis> lo, hi;
    for (const Ev& e : live_) {
      if (!passes(e, r.filter, r.where)) continue;
      lo = lo ? std::min(*lo, e.ts) : e.ts;
      hi = hi ? std::max(*hi, e.ts) : e.ts;
      Group& g = brute.group(brute.key_of([&](const FieldRef& f) { return value(e, f); }, e.ts));
      ++g.count;
      if (e.contact) g.contacts.insert(*e.contact);
      if (e.session_id) g.sessions.insert(*e.session_id);
      const Val amount = value(e, *parse_field("data.amount"));
      if (auto n = number_of(amount)) g.numbers.emplace_back(*n, amount.text);
    }
    const bool filled = brute.zero_fill(lo, hi);
    const auto want = brute.rows();
    counted += lo.has_value();

    auto reader = store_->read();
    const AggregateResult got = run_aggregate({*models_, reader.txn(), reader.txn()}, tno_, r);
    SCOPED_TRACE("round " + std::to_string(round) + " plan " + got.plan);
    EXPECT_FALSE(got.truncated);
    EXPECT_EQ(got.zero_filled, filled);
    expect_same(got, want, brute.total());
    if (counters_can_answer(r)) {
      EXPECT_EQ(got.plan.rfind("rm_counts", 0), 0u);
    }
    ++plans[got.plan];
  }
  EXPECT_GT(counted, 200) << "most requests should match something";
  // Every way of answering was exercised.
  std::map<std::string, int> kinds;
  for (const auto& [plan, n] : plans) {
    const std::string kind = plan.starts_with("rm_counts") ? "counters" : plan.ends_with("+ log") ? "log" : "index";
    kinds[kind] += n;
    if (!plan.starts_with("rm_counts")) kinds[plan.substr(0, plan.find(' '))] += n;
    if (plan.find(", then ") != std::string::npos) kinds["two scans"] += n;
  }
  for (const char* k : {"counters", "log", "index", "rm_by_time", "rm_by_type", "rm_by_contact", "rm_by_domain",
                        "rm_events", "two scans"}) {
    EXPECT_GE(kinds[k], 5) << k;
  }
}

TEST_F(AggregateProperty, ContactAndCompanyAggregatesAgreeWithBruteForce) {
  std::mt19937 rng(9);
  // Every contact of the tenant: profiles and contacts with live events, aliases left out.
  std::set<std::string> contacts;
  for (const auto& [id, p] : profiles_) contacts.insert(id);
  for (const auto& e : live_) {
    if (e.contact) contacts.insert(*e.contact);
  }
  for (const auto& [from, into] : aliases_) contacts.erase(from);
  const char* contact_dims[] = {"contact_id", "contact.email", "company.name", "company.domain", "day", "week"};
  const char* company_dims[] = {"company.name", "company.domain", "company.id"};
  for (int round = 0; round < 200; ++round) {
    AggregateRequest r;
    r.source = rng() % 2 ? AggregateSource::contacts : AggregateSource::companies;
    r.filter = random_filter(rng);
    if (rng() % 2) r.filter = EventFilter{}, r.filter.suppressed = SuppressedFilter::exclude;
    if (rng() % 3 == 0) r.where.push_back(random_condition(rng));
    r.zone = *Zone::find(kZones[rng() % 3]);
    const bool people = r.source == AggregateSource::contacts;
    if (rng() % 3) r.group_by.push_back(*parse_field(people ? contact_dims[rng() % 6] : company_dims[rng() % 3]));
    r.metrics.push_back(Metric{});
    if (!people && rng() % 2) r.metrics.push_back(*parse_metric("unique_contacts"));
    const bool filters_events = r.filter.event_type || r.filter.domain || r.filter.campaign_id ||
                                r.filter.url_contains || r.filter.search || r.filter.after || r.filter.before ||
                                std::any_of(r.where.begin(), r.where.end(), [](const Condition& c) {
                                  return !(c.field.field == Field::contact_id || is_profile_field(c.field.field));
                                });
    // Which contacts count, and when each was first seen matching.
    std::map<std::string, std::optional<Millis>> counted;
    for (const auto& c : contacts) {
      if (r.filter.contact_id && c != *r.filter.contact_id) continue;
      bool ok = true, any = false;
      std::optional<Millis> first;
      std::vector<Condition> event_level;
      for (const auto& cond : r.where) {
        if (cond.field.field == Field::contact_id || is_profile_field(cond.field.field)) ok = ok && holds(cond, contact_value(cond.field, c));
        else event_level.push_back(cond);
      }
      if (!ok) continue;
      EventFilter ef = r.filter;
      ef.contact_id.reset();
      ef.identified_only = false;
      for (const auto& e : live_) {
        if (e.contact != c || !passes(e, ef, event_level)) continue;
        any = true;
        first = first ? std::min(*first, e.ts) : e.ts;
      }
      if (any || (!filters_events && profiles_.count(c))) counted[c] = first;
    }
    BruteAggregate brute(r);
    std::optional<Millis> lo, hi;
    if (people) {
      for (const auto& [c, first] : counted) {
        std::vector<Val> key;
        if (!r.group_by.empty()) {
          if (is_time_bucket(r.group_by[0].field)) key.push_back(first ? brute.time_val(*first) : Val{});
          else key.push_back(contact_value(r.group_by[0], c));
        }
        if (first) lo = lo ? std::min(*lo, *first) : *first, hi = hi ? std::max(*hi, *first) : *first;
        ++brute.group(key).count;
      }
    } else {
      const bool filters_contacts = filters_events || r.filter.contact_id ||
                                    std::any_of(r.where.begin(), r.where.end(), [](const Condition& c) {
                                      return (c.field.field == Field::contact_id || is_profile_field(c.field.field)) &&
                                             !is_company_field(c.field.field);
                                    });
      for (const auto& [key_text, company] : companies_) {
        bool ok = true;
        for (const auto& cond : r.where) {
          if (is_company_field(cond.field.field)) {
            Val v;
            if (cond.field.field == Field::company_id) v = Val{Cell::Kind::text, company.id};
            else if (cond.field.field == Field::company_name && company.name) v = Val{Cell::Kind::text, *company.name};
            else if (cond.field.field == Field::company_domain && company.domain) v = Val{Cell::Kind::text, *company.domain};
            ok = ok && holds(cond, v);
          }
        }
        if (!ok) continue;
        std::set<std::string> members;
        for (const auto& c : contacts) {
          auto co = company_of(c);
          if (!co || co->key != key_text) continue;
          if (!filters_contacts || counted.count(c)) members.insert(c);
        }
        if (filters_contacts && members.empty()) continue;
        std::vector<Val> key;
        if (!r.group_by.empty()) {
          const Field f = r.group_by[0].field;
          const std::optional<std::string>& v = f == Field::company_name ? company.name : company.domain;
          if (f == Field::company_id) key.push_back(Val{Cell::Kind::text, company.id});
          else key.push_back(v ? Val{Cell::Kind::text, *v} : Val{});
        }
        Group& g = brute.group(key);
        ++g.count;
        g.contacts.insert(members.begin(), members.end());
      }
    }
    brute.zero_fill(lo, hi);
    const auto want = brute.rows();
    auto reader = store_->read();
    const AggregateResult got = run_aggregate({*models_, reader.txn(), reader.txn()}, tno_, r);
    SCOPED_TRACE("round " + std::to_string(round));
    EXPECT_FALSE(got.truncated);
    expect_same(got, want, brute.total());
  }
}

TEST_F(AggregateProperty, FunnelsAgreeWithBruteForce) {
  std::mt19937 rng(13);
  const char* names[] = {"page_view", "signup", "purchase", "email_open"};
  const char* breakdowns[] = {"domain", "data.plan", "contact.email", "utm_source", "company.name"};
  for (int round = 0; round < 250; ++round) {
    FunnelRequest r;
    const std::size_t steps = 2 + rng() % 3;
    for (std::size_t k = 0; k < steps; ++k) {
      FunnelStep s;
      s.event = names[rng() % 4];
      if (rng() % 4 == 0) s.where.push_back(random_condition(rng));
      r.steps.push_back(std::move(s));
    }
    r.window = rng() % 2 ? static_cast<Millis>(1 + rng() % 48) * kHour : static_cast<Millis>(1 + rng() % 30) * kMillisPerDay;
    r.filter = random_filter(rng);
    r.filter.event_type.reset();
    if (rng() % 4 == 0) r.where.push_back(random_condition(rng));
    if (rng() % 2) r.breakdown = *parse_field(breakdowns[rng() % 5]);
    r.limit = rng() % 3 == 0 ? 2 : kDefaultAggregateLimit;

    // Brute force: per contact, every start, the greedy path, the best one.
    const Millis from = r.filter.after.value_or(std::numeric_limits<Millis>::min());
    const Millis to = r.filter.before.value_or(std::numeric_limits<Millis>::max());
    EventFilter scan = r.filter;
    scan.after.reset();
    scan.before.reset();
    std::map<std::string, std::vector<const Ev*>> by_contact;
    for (const Ev& e : live_) {
      if (!e.contact || e.ts < from || (to != std::numeric_limits<Millis>::max() && e.ts > to + r.window)) continue;
      if (passes(e, scan, r.where)) by_contact[*e.contact].push_back(&e);
    }
    auto matches = [&](const Ev& e, std::size_t k) {
      return e.type == r.steps[k].event &&
             std::all_of(r.steps[k].where.begin(), r.steps[k].where.end(),
                         [&](const Condition& c) { return holds(c, value(e, c.field)); });
    };
    struct T {
      std::vector<std::uint64_t> counts;
      std::vector<std::vector<Millis>> gaps;
    };
    auto tally = [&](T& t, const std::vector<Millis>& path) {
      t.counts.resize(steps);
      t.gaps.resize(steps);
      for (std::size_t k = 0; k < path.size(); ++k) {
        ++t.counts[k];
        if (k) t.gaps[k].push_back(path[k] - path[k - 1]);
      }
    };
    T total;
    total.counts.resize(steps);
    total.gaps.resize(steps);
    std::map<std::string, T> by_value;  // "" + kind: value
    std::map<std::string, Val> value_of_key;
    for (auto& [c, evs] : by_contact) {
      std::sort(evs.begin(), evs.end(), [](const Ev* a, const Ev* b) { return std::tie(a->ts, a->seq) < std::tie(b->ts, b->seq); });
      std::vector<Millis> best;
      std::map<std::string, std::vector<Millis>> best_by;
      for (std::size_t i = 0; i < evs.size(); ++i) {
        if (!matches(*evs[i], 0) || evs[i]->ts < from || evs[i]->ts > to) continue;
        std::vector<Millis> path{evs[i]->ts};
        std::size_t cur = i;
        for (std::size_t k = 1; k < steps; ++k) {
          const Millis deadline = evs[i]->ts + r.window;
          std::size_t j = cur + 1;
          while (j < evs.size() && evs[j]->ts <= deadline && !matches(*evs[j], k)) ++j;
          if (j >= evs.size() || evs[j]->ts > deadline) break;
          path.push_back(evs[j]->ts);
          cur = j;
        }
        if (path.size() > best.size()) best = path;
        if (r.breakdown) {
          const Val v = shown(value(*evs[i], *r.breakdown));
          const std::string k = std::to_string(static_cast<int>(v.kind)) + v.text;
          value_of_key[k] = v;
          if (path.size() > best_by[k].size()) best_by[k] = path;
        }
      }
      if (!best.empty()) tally(total, best);
      for (const auto& [k, p] : best_by) tally(by_value[k], p);
    }
    auto results = [&](T& t) {
      std::vector<FunnelStepResult> out(steps);
      for (std::size_t k = 0; k < steps; ++k) {
        out[k].count = t.counts[k];
        if (k && !t.gaps[k].empty()) {
          std::sort(t.gaps[k].begin(), t.gaps[k].end());
          out[k].median_from_previous = t.gaps[k][(t.gaps[k].size() + 1) / 2 - 1];
        }
      }
      return out;
    };
    const auto want_total = results(total);
    std::vector<FunnelSeries> want_series;
    for (auto& [k, t] : by_value) {
      FunnelSeries s;
      s.value = Cell{value_of_key[k].kind, value_of_key[k].text, 0};
      s.steps = results(t);
      want_series.push_back(s);
    }
    std::sort(want_series.begin(), want_series.end(), [](const FunnelSeries& a, const FunnelSeries& b) {
      if (a.steps[0].count != b.steps[0].count) return a.steps[0].count > b.steps[0].count;
      if ((a.value.kind == Cell::Kind::null) != (b.value.kind == Cell::Kind::null)) return a.value.kind == Cell::Kind::null;
      return a.value.text < b.value.text;
    });
    const std::size_t want_values = want_series.size();
    if (want_series.size() > r.limit) want_series.resize(r.limit);

    auto reader = store_->read();
    const FunnelResult got = run_funnel({*models_, reader.txn(), reader.txn()}, tno_, r);
    std::string steps_text;
    for (const auto& s : r.steps) steps_text += s.event + (s.where.empty() ? "" : "[" + field_name(s.where[0].field) + "]") + " ";
    SCOPED_TRACE("round " + std::to_string(round) + " plan " + got.plan + " steps " + steps_text + " window " +
                 std::to_string(r.window) + " where " + std::to_string(r.where.size()) +
                 (r.breakdown ? " by " + field_name(*r.breakdown) : ""));
    EXPECT_FALSE(got.truncated);
    auto show_steps = [](const std::vector<FunnelStepResult>& s) {
      std::string out;
      for (const auto& x : s) {
        out += std::to_string(x.count) + "/" + (x.median_from_previous ? std::to_string(*x.median_from_previous) : "-") + " ";
      }
      return out;
    };
    EXPECT_EQ(show_steps(got.steps), show_steps(want_total));
    EXPECT_EQ(got.breakdown_values, want_values);
    ASSERT_EQ(got.breakdown.size(), want_series.size());
    for (std::size_t i = 0; i < want_series.size(); ++i) {
      EXPECT_EQ(got.breakdown[i].value.kind, want_series[i].value.kind);
      EXPECT_EQ(got.breakdown[i].value.text, want_series[i].value.text);
      EXPECT_EQ(show_steps(got.breakdown[i].steps), show_steps(want_series[i].steps));
    }
  }
}

TEST_F(AggregateProperty, TheWorkBoundStopsAndSaysSo) {
  auto reader = store_->read();
  const ReadView view{*models_, reader.txn(), reader.txn()};
  AggregateRequest r;
  r.metrics.push_back(Metric{});
  r.group_by.push_back(*parse_field("data.plan"));
  r.max_examined = 50;
  const AggregateResult got = run_aggregate(view, tno_, r);
  EXPECT_EQ(got.truncated, "max_examined");
  EXPECT_EQ(got.examined, 50u);
  std::uint64_t counted = 0;
  for (const auto& row : got.rows) counted += static_cast<std::uint64_t>(row.metrics[0].number);
  EXPECT_LE(counted, 50u);
  EXPECT_GT(counted, 0u);

  r.max_examined = live_.size();  // exactly enough: every entry looked at, nothing left
  EXPECT_FALSE(run_aggregate(view, tno_, r).truncated);

  for (auto source : {AggregateSource::contacts, AggregateSource::companies}) {
    AggregateRequest people;
    people.source = source;
    people.metrics.push_back(Metric{});
    people.filter.event_type = "signup";  // every contact's events are looked at
    people.max_examined = 12;
    const AggregateResult part = run_aggregate(view, tno_, people);
    EXPECT_EQ(part.truncated, "max_examined");
    EXPECT_LE(part.examined, 12u);
  }

  FunnelRequest f;
  f.steps = {FunnelStep{"page_view", {}}, FunnelStep{"signup", {}}};
  f.max_examined = 10;
  const FunnelResult funnel = run_funnel(view, tno_, f);
  EXPECT_TRUE(funnel.truncated);
  EXPECT_EQ(funnel.examined, 10u);
}

TEST_F(AggregateProperty, AnotherTenantsEventsNeverCount) {
  auto reader = store_->read();
  const ReadView view{*models_, reader.txn(), reader.txn()};
  const auto other = *models_->tenant_no(reader.txn(), "other");
  for (bool counters : {true, false}) {
    AggregateRequest r;
    r.metrics.push_back(Metric{});
    r.filter.suppressed = SuppressedFilter::include;
    r.use_counters = counters;
    EXPECT_EQ(run_aggregate(view, other, r).rows.at(0).metrics.at(0).text, std::to_string(other_.size()));
    EXPECT_EQ(run_aggregate(view, tno_, r).rows.at(0).metrics.at(0).text, std::to_string(live_.size()));
  }
  AggregateRequest contacts;
  contacts.source = AggregateSource::contacts;
  contacts.filter.suppressed = SuppressedFilter::exclude;
  contacts.metrics.push_back(Metric{});
  std::set<std::string> with_events;
  for (const auto& e : other_) {
    if (e.contact && !e.suppressed) with_events.insert(*e.contact);
  }
  EXPECT_EQ(run_aggregate(view, other, contacts).rows.at(0).metrics.at(0).text, std::to_string(with_events.size()));
}

}  // namespace
}  // namespace eventsd
