// Cross-origin requests (docs/api.md "CORS"). Two kinds of page may call eventsd from a browser:
//  * the console, from eventsd's own origin, with its session cookie: answers to it allow
//    credentials; so do the workspace routes' answers to the web apps an operator named
//    (eventsd --console-origins; is_session_origin, auth.h);
//  * pages that carry a publishable key, from the key's origins, on the browser ingest routes:
//    answers allow the origin, never credentials.
// Any other origin gets no Access-Control-* header, so the browser withholds the answer.
#pragma once

#include <vector>

#include "http/api/api.h"
#include "http/api/auth.h"
#include "http/api/router.h"

namespace eventsd::http {

// The answer to OPTIONS on a known path: a CORS preflight (204 with the allowed methods and
// headers for an allowed origin, 403 cors_refused otherwise), or, without an Origin, 204 with an
// Allow header. `at_path` are the routes whose pattern matches the path.
Reply preflight(App& app, const RawRequest& raw, const std::vector<const Route*>& at_path,
                Dialect dialect);

// Adds the CORS headers `access` earns to an answer (also to errors, so a page can read them).
void allow_origin(App& app, const RawRequest& raw, const Access& access, Response& response);

}  // namespace eventsd::http
