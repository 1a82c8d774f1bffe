#include "http/dialects/routes.h"

namespace eventsd::http {

Router make_router() {
  Router router;
  add_native_routes(router);
  add_native_stats_routes(router);
  add_native_aggregate_routes(router);
  add_native_contact_routes(router);
  add_native_rule_routes(router);
  add_native_stream_routes(router);
  add_org_unit_routes(router);
  add_campaign_routes(router);
  add_workspace_routes(router);
  add_operations_routes(router);
  add_audit_routes(router);
  add_admin_routes(router);
  add_visitor_session_routes(router);
  add_console_login_routes(router);
  add_token_routes(router);
  add_source_routes(router);
  add_hook_routes(router);
  add_identify_route(router);
  add_asset_routes(router);
  return router;
}

}  // namespace eventsd::http
