// The ways an aggregate is answered (aggregate.cpp picks one), each filling a GroupTable.
#pragma once

#include <cstdint>

#include "projections/aggregate.h"
#include "projections/group_table.h"

namespace eventsd {

// Whether the counters hold the answer (aggregate.h says when).
bool counters_can_answer(const AggregateRequest& request);
void aggregate_from_counters(const ReadView& view, std::uint32_t tno, const AggregateRequest& request,
                             GroupTable& table, AggregateResult& result);
void aggregate_events(const ReadView& view, std::uint32_t tno, const AggregateRequest& request,
                      GroupTable& table, AggregateResult& result);
void aggregate_contacts(const ReadView& view, std::uint32_t tno, const AggregateRequest& request,
                        GroupTable& table, AggregateResult& result);
void aggregate_companies(const ReadView& view, std::uint32_t tno, const AggregateRequest& request,
                         GroupTable& table, AggregateResult& result);

}  // namespace eventsd
