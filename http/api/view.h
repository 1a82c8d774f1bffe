// What a read handler sees: one snapshot of the live read-model generation, the log snapshot its
// events are read from, and the tenant's number. Every query of a request runs inside one view,
// so its parts agree with each other; hold it only while reading and rendering (a snapshot pins
// pages the projector would otherwise reuse). While no generation can be served (the read models
// are being rebuilt) it throws the 503 `rebuilding` error.
//
// Thread safety: a TenantView belongs to one request's coroutine (one thread at a time); views on
// different threads are independent.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "eventlog/store.h"
#include "http/api/api.h"
#include "projections/generations.h"
#include "projections/read_models.h"

namespace eventsd::http {

// The 503 a read gets while no read-model generation can be served, with the rebuild's progress.
ApiError rebuilding_error(const Engine& engine);

// How long a read with min_position waits for the read models to reach it.
inline constexpr std::chrono::milliseconds kMinPositionWait{5'000};
// Waits until the read models have folded the log position `value` (a read's min_position
// parameter): a client that wrote and got position P back reads its write with min_position=P,
// on any route. Positions are the engine's log's (in cluster mode: the tenant's shard's). Throws
// 400 for a position beyond the log (unless the engine is a replica, whose log may still receive
// it), 503 `not_ready` (Retry-After) when the wait runs out.
boost::asio::awaitable<void> await_min_position(Engine& engine, std::string_view value);

class TenantView {
 public:
  TenantView(const App& app, std::string_view tenant)
      : generation_(live(app.engine(tenant))), snapshot_(generation_->store().read()),
        log_snapshot_(app.engine(tenant).store.read()),
        read_{generation_->models(), snapshot_.txn(), log_snapshot_.txn(), [this] {
                snapshot_.renew();
                log_snapshot_.renew();
              }},
        tno_(read_.models.tenant_no(read_.txn, tenant)) {}
  TenantView(const TenantView&) = delete;  // the view's renew refers to this object
  TenantView& operator=(const TenantView&) = delete;

  // What the projections' queries read.
  const ReadView& read() const { return read_; }
  const ReadModels& models() const { return read_.models; }
  const lmdb::Txn& txn() const { return read_.txn; }
  // Unset while the tenant has recorded nothing.
  std::optional<std::uint32_t> tno() const { return tno_; }

 private:
  static std::shared_ptr<Generation> live(const Engine& engine) {
    auto generation = engine.projector.current();
    if (!generation) throw rebuilding_error(engine);
    return generation;
  }

  std::shared_ptr<Generation> generation_;  // kept while the snapshot lives
  Store::Reader snapshot_;
  Store::Reader log_snapshot_;
  ReadView read_;
  std::optional<std::uint32_t> tno_;
};

}  // namespace eventsd::http
