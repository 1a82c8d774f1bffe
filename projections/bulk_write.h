// Pass 2 of the bulk fold (bulk_fold.h): every database the collected events fill (bulk_collect.h)
// — rm_tenants, rm_events, rm_ids, the indexes, rm_campaigns, rm_campaign_expiry, rm_counts, the
// sessions' databases and rm_meta's next tenant number — written once each, in key order, with
// MDB_APPEND: no search, full pages. Each database is committed every couple of million entries,
// so that no transaction's dirty pages grow large. Internal to projections/.
//
// The keys and values are those of read_model_keys.h, byte for byte what the record-by-record
// fold writes (tests/projections/bulk_fold_test.cpp).
//
// Thread safety: on the folding thread, the generation's only writer.
#pragma once

#include "projections/bulk_collect.h"
#include "projections/generations.h"

namespace eventsd::bulk {

// Writes what `collected` holds into the empty generation. Sorts the collected groups in place.
void write_databases(Collected& collected, Generation& generation);

}  // namespace eventsd::bulk
