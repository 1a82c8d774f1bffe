// What a read handler sees: one snapshot of the read models and the tenant's number in it. Every
// query of a request runs inside one view, so its parts agree with each other; hold it only while
// reading and rendering (a snapshot pins pages the writer would otherwise reuse).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "eventlog/store.h"
#include "http/api.h"
#include "projections/read_models.h"

namespace eventsd::http {

class TenantView {
 public:
  TenantView(const App& app, std::string_view tenant)
      : models_(app.models), snapshot_(app.store.read()), read_{models_, txn(), txn()},
        tno_(models_.tenant_no(txn(), tenant)) {}

  // What the projections' queries read.
  const ReadView& read() const { return read_; }
  const ReadModels& models() const { return models_; }
  const lmdb::Txn& txn() const { return snapshot_.txn(); }
  // Unset while the tenant has recorded nothing.
  std::optional<std::uint32_t> tno() const { return tno_; }

 private:
  const ReadModels& models_;
  Store::Reader snapshot_;
  ReadView read_;
  std::optional<std::uint32_t> tno_;
};

}  // namespace eventsd::http
