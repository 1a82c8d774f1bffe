// Every route of every dialect (the native API and the seeds' shapes), each module adding its own
// to the router (docs/api.md lists them).
#pragma once

#include "http/api/router.h"

namespace eventsd::http {

// The router eventsd serves: every route below.
Router make_router();

void add_native_routes(Router& router);             // native_events.cpp
void add_native_stats_routes(Router& router);       // native_stats.cpp
void add_native_aggregate_routes(Router& router);   // native_aggregate.cpp
void add_native_contact_routes(Router& router);     // native_contacts.cpp
void add_native_rule_routes(Router& router);        // native_rules.cpp
void add_native_stream_routes(Router& router);      // native_streams.cpp
void add_org_unit_routes(Router& router);           // org_unit.cpp
void add_campaign_routes(Router& router);           // campaign.cpp
void add_workspace_routes(Router& router);          // workspace.cpp
void add_operations_routes(Router& router);         // operations.cpp: /healthz, /metrics, /openapi.yaml
void add_audit_routes(Router& router);              // audit.cpp
void add_admin_routes(Router& router);              // admin.cpp
void add_console_login_routes(Router& router);      // console_login.cpp: console users' logins
void add_visitor_session_routes(Router& router);    // visitor_sessions.cpp: visitors' sessions
void add_token_routes(Router& router);              // token_routes.cpp
void add_source_routes(Router& router);             // source_routes.cpp: e-mail providers' webhook sources
void add_hook_routes(Router& router);               // hooks.cpp: POST /hooks/{source_id}
void add_identify_route(Router& router);            // identify.cpp
void add_asset_routes(Router& router);              // assets.cpp: the tracker and the console

}  // namespace eventsd::http
