#include "projections/group_table.h"

#include <algorithm>
#include <numeric>

namespace eventsd {

namespace {

bool is_numeric(MetricKind k) { return k >= MetricKind::sum; }

Cell number_cell(std::string text, double value) { return Cell{Cell::Kind::number, std::move(text), value}; }
Cell count_cell(std::uint64_t n) { return number_cell(std::to_string(n), static_cast<double>(n)); }

// Nearest rank: the smallest value with at least p% of the values at or below it.
const DataNumber& percentile(std::vector<DataNumber>& values, int p) {
  std::sort(values.begin(), values.end(), [](const DataNumber& a, const DataNumber& b) { return a.value < b.value; });
  const std::size_t n = values.size();
  const std::size_t rank = std::max<std::size_t>(1, (n * static_cast<std::size_t>(p) + 99) / 100);
  return values[rank - 1];
}

// Where a data member's JSON value sorts: numbers (by value), then strings, then the rest (true,
// false, objects, arrays, by text).
int json_rank(std::string_view v) {
  if (read_number(v)) return 0;
  if (!v.empty() && v.front() == '"') return 1;
  return 2;
}

}  // namespace

std::uint32_t GroupTable::intern(Interner& m, std::string_view v) {
  if (m.last_id != 0 && v == m.last) return m.last_id;
  auto it = m.ids.find(v);
  if (it == m.ids.end()) it = m.ids.emplace(std::string(v), static_cast<std::uint32_t>(m.ids.size() + 1)).first;
  m.last = v;
  m.last_id = it->second;
  return it->second;
}

void GroupTable::Distinct::settle() {
  if (ids_.size() == settled_) return;
  std::sort(ids_.begin(), ids_.end());
  ids_.erase(std::unique(ids_.begin(), ids_.end()), ids_.end());
  settled_ = ids_.size();
}

GroupTable::GroupTable(const AggregateRequest& request) : request_(request) {
  for (std::size_t d = 0; d < request.group_by.size(); ++d) {
    Dim dim;
    dim.field = request.group_by[d];
    dim.json = dim.field.field == Field::data;
    if (is_time_bucket(dim.field.field)) {
      dim.bucketer.emplace(request.zone, time_unit(dim.field.field));
      time_dim_ = d;
    }
    dims_.push_back(std::move(dim));
  }
  for (const Metric& m : request.metrics) {
    wants_contacts_ = wants_contacts_ || m.kind == MetricKind::unique_contacts;
    wants_sessions_ = wants_sessions_ || m.kind == MetricKind::unique_sessions;
    std::size_t slot = 0;
    if (is_numeric(m.kind)) {
      auto it = std::find(numeric_keys_.begin(), numeric_keys_.end(), m.key);
      slot = static_cast<std::size_t>(it - numeric_keys_.begin());
      if (it == numeric_keys_.end()) {
        numeric_keys_.push_back(m.key);
        keep_values_.push_back(false);
      }
      if (m.kind == MetricKind::p50 || m.kind == MetricKind::p95) keep_values_[slot] = true;
    }
    metric_slot_.push_back(slot);
  }
}

std::uint32_t GroupTable::value_id(std::size_t d, FieldValue v) {
  if (!v.present()) return 0;
  Dim& dim = dims_[d];
  // A few values (event names, domains) are found faster by comparing than by hashing.
  constexpr std::size_t kFew = 16;
  if (dim.values.size() <= kFew) {
    for (std::size_t id = 1; id < dim.values.size(); ++id) {
      if (dim.values[id] == v.v) return static_cast<std::uint32_t>(id);
    }
  }
  auto it = dim.ids.find(v.v);
  if (it != dim.ids.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(dim.values.size());
  dim.values.emplace_back(v.v);
  dim.ids.emplace(std::string(v.v), id);
  return id;
}

std::uint32_t GroupTable::bucket_id(std::size_t d, Millis t) {
  Dim& dim = dims_[d];
  const Millis start = dim.bucketer->bucket_of(t).start;
  auto it = dim.bucket_ids.find(start);
  if (it != dim.bucket_ids.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(dim.starts.size());
  dim.starts.push_back(start);
  dim.bucket_ids.emplace(start, id);
  return id;
}

GroupTable::Acc* GroupTable::group(const Key& key) {
  auto it = index_.find(key);
  if (it != index_.end()) return &accs_[it->second];
  if (accs_.size() >= kMaxGroups) return nullptr;
  index_.emplace(key, static_cast<std::uint32_t>(accs_.size()));
  keys_.push_back(key);
  accs_.emplace_back().numbers.resize(numeric_keys_.size());
  return &accs_.back();
}

void GroupTable::add_number(Acc& acc, std::size_t slot, const DataNumber& n) const {
  Numbers& x = acc.numbers[slot];
  if (x.n == 0 || n.value < x.min.value) x.min = n;
  if (x.n == 0 || n.value > x.max.value) x.max = n;
  ++x.n;
  x.sum.add(n);
  if (keep_values_[slot]) x.values.push_back(n);
}

Cell GroupTable::dim_cell(std::size_t d, std::uint32_t id) const {
  const Dim& dim = dims_[d];
  if (id == 0) return {};
  if (dim.bucketer) {
    const Millis start = dim.starts[id];
    return Cell{Cell::Kind::time, dim.bucketer->label(start), static_cast<double>(start)};
  }
  return Cell{dim.json ? Cell::Kind::json : Cell::Kind::text, dim.values[id], 0};
}

std::vector<Cell> GroupTable::metric_cells(const Acc* acc) const {
  std::vector<Cell> out;
  for (std::size_t i = 0; i < request_.metrics.size(); ++i) {
    const Metric& m = request_.metrics[i];
    if (!acc) {  // a zero-filled bucket
      const bool zero = m.kind <= MetricKind::unique_sessions || m.kind == MetricKind::sum;
      out.push_back(zero ? count_cell(0) : Cell{});
      continue;
    }
    switch (m.kind) {
      case MetricKind::count: out.push_back(count_cell(acc->count)); continue;
      // Counting settles the lists in place: finish() is the table's last step.
      case MetricKind::unique_contacts: out.push_back(count_cell(const_cast<Acc*>(acc)->contacts.count())); continue;
      case MetricKind::unique_sessions: out.push_back(count_cell(const_cast<Acc*>(acc)->sessions.count())); continue;
      default: break;
    }
    // Percentiles sort the values in place: finish() is the table's last step.
    auto& x = const_cast<Numbers&>(acc->numbers[metric_slot_[i]]);
    if (m.kind == MetricKind::sum) {
      out.push_back(number_cell(x.sum.text(), x.sum.value()));
      continue;
    }
    if (x.n == 0) {
      out.emplace_back();
      continue;
    }
    switch (m.kind) {
      case MetricKind::avg: {
        const double avg = x.sum.value() / static_cast<double>(x.n);
        out.push_back(number_cell(number_text(avg), avg));
        break;
      }
      case MetricKind::min: out.push_back(number_cell(std::string(x.min.text), x.min.value)); break;
      case MetricKind::max: out.push_back(number_cell(std::string(x.max.text), x.max.value)); break;
      default: {
        const DataNumber& p = percentile(x.values, m.kind == MetricKind::p50 ? 50 : 95);
        out.push_back(number_cell(std::string(p.text), p.value));
      }
    }
  }
  return out;
}

std::size_t count_buckets(Bucketer& bucketer, Millis lo, Millis hi, std::size_t cap) {
  std::size_t n = 0;
  for (Bucket b = bucketer.bucket_of(lo); b.start <= hi && n <= cap; b = bucketer.bucket_of(b.end)) ++n;
  return n;
}

bool GroupTable::zero_fill(std::vector<std::pair<Key, const Acc*>>& rows) {
  const std::size_t t = *time_dim_;
  Dim& dim = dims_[t];
  std::optional<Millis> lo = request_.filter.after, hi = request_.filter.before;
  for (const Key& k : keys_) {
    if (k[t] == 0) continue;  // no time (a contact without a matching event)
    const Millis start = dim.starts[k[t]];
    if (!request_.filter.after) lo = lo ? std::min(*lo, start) : start;
    if (!request_.filter.before) hi = hi ? std::max(*hi, start) : start;
  }
  if (!lo || !hi || *lo > *hi) return true;  // no data and an open range: nothing is missing
  std::vector<Key> tuples;
  for (Key k : keys_) {
    k[t] = 0;
    tuples.push_back(k);
  }
  if (keys_.empty() && dims_.size() == 1) tuples.push_back(Key{});
  std::sort(tuples.begin(), tuples.end());
  tuples.erase(std::unique(tuples.begin(), tuples.end()), tuples.end());
  const std::size_t buckets = count_buckets(*dim.bucketer, *lo, *hi, kMaxBuckets);
  if (buckets > kMaxBuckets || buckets * tuples.size() > kMaxFilledRows) return false;
  for (Bucket b = dim.bucketer->bucket_of(*lo); b.start <= *hi; b = dim.bucketer->bucket_of(b.end)) {
    const std::uint32_t id = bucket_id(t, b.start);
    for (Key k : tuples) {
      k[t] = id;
      if (!index_.contains(k)) rows.emplace_back(k, nullptr);
    }
  }
  return true;
}

void GroupTable::finish(AggregateResult& result) {
  std::vector<std::pair<Key, const Acc*>> rows;
  rows.reserve(keys_.size());
  for (std::size_t i = 0; i < keys_.size(); ++i) rows.emplace_back(keys_[i], &accs_[i]);
  // Without dimensions the answer is one row, of zeros when nothing matched.
  if (dims_.empty() && rows.empty()) rows.emplace_back(Key{}, nullptr);
  result.zero_filled = time_dim_ && zero_fill(rows);

  // Each dimension's ids ranked in value order, so that rows compare by two integers.
  std::vector<std::vector<std::uint32_t>> rank(dims_.size());
  for (std::size_t d = 0; d < dims_.size(); ++d) {
    const Dim& dim = dims_[d];
    const std::size_t n = dim.bucketer ? dim.starts.size() : dim.values.size();
    std::vector<std::uint32_t> ids(n);
    std::iota(ids.begin(), ids.end(), 0);
    // Data members: (kind rank, number) per id, then the text.
    std::vector<std::pair<int, double>> json_key(dim.json ? n : 0);
    for (std::size_t id = 1; id < json_key.size(); ++id) {
      const int r = json_rank(dim.values[id]);
      json_key[id] = {r, r == 0 ? read_number(dim.values[id])->value : 0.0};
    }
    std::sort(ids.begin() + 1, ids.end(), [&](std::uint32_t a, std::uint32_t b) {
      if (dim.bucketer) return dim.starts[a] < dim.starts[b];
      if (dim.json && json_key[a] != json_key[b]) return json_key[a] < json_key[b];
      return dim.values[a] < dim.values[b];
    });
    rank[d].resize(n);
    for (std::size_t r = 0; r < n; ++r) rank[d][ids[r]] = static_cast<std::uint32_t>(r);
  }

  AggregateOrder order;
  if (request_.order) order = *request_.order;
  else if (time_dim_) order = {false, *time_dim_, false};
  std::vector<Cell> sort_metric;  // per row, when ordered by a metric
  if (order.by_metric) {
    for (const auto& [key, acc] : rows) sort_metric.push_back(std::move(metric_cells(acc)[order.index]));
  }
  std::vector<std::size_t> idx(rows.size());
  std::iota(idx.begin(), idx.end(), 0);
  auto dims_less = [&](const Key& a, const Key& b, std::size_t first, bool descending) {
    const std::uint32_t ra = rank[first][a[first]], rb = rank[first][b[first]];
    if (ra != rb) return descending ? ra > rb : ra < rb;
    for (std::size_t d = 0; d < dims_.size(); ++d) {
      if (rank[d][a[d]] != rank[d][b[d]]) return rank[d][a[d]] < rank[d][b[d]];
    }
    return false;
  };
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    if (order.by_metric) {
      const Cell &ma = sort_metric[a], &mb = sort_metric[b];
      const bool na = ma.kind == Cell::Kind::null, nb = mb.kind == Cell::Kind::null;
      if (na != nb) return nb;  // nulls last, whichever the direction
      if (!na && ma.number != mb.number) return order.descending ? ma.number > mb.number : ma.number < mb.number;
      return dims_.empty() ? false : dims_less(rows[a].first, rows[b].first, 0, false);
    }
    return dims_less(rows[a].first, rows[b].first, order.index, order.descending);
  });
  result.total_rows = rows.size();
  const std::size_t shown = std::min<std::size_t>(rows.size(), request_.limit);
  result.rows.clear();
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& [key, acc] = rows[idx[i]];
    AggregateRow row;
    for (std::size_t d = 0; d < dims_.size(); ++d) row.dims.push_back(dim_cell(d, key[d]));
    row.metrics = metric_cells(acc);
    result.rows.push_back(std::move(row));
  }
}

}  // namespace eventsd
