// Validation of POST /v1/aggregate and POST /v1/aggregate/funnel bodies into requests. Every
// error is an ApiError 400 `invalid_request` naming the field as a path into the body
// ("group_by[1]", "filters.conditions[0].value", "steps[2].event"). docs/api.md lists the rules.
#pragma once

#include "common/json_reader.h"
#include "common/time.h"
#include "http/api/api.h"
#include "projections/aggregate.h"
#include "projections/funnel.h"

namespace eventsd::http {

// `req` gives the clock (for filters.range).
AggregateRequest parse_aggregate(const JsonValue& body, const Request& req);
FunnelRequest parse_funnel(const JsonValue& body, const Request& req);

}  // namespace eventsd::http
