#include "http/api/app.h"

#include "http/api/request.h"

namespace eventsd::http {

Engine& App::engine(std::string_view tenant) const {
  return *engines[engines.size() == 1 ? 0 : routing->shard(tenant)];
}

}  // namespace eventsd::http
