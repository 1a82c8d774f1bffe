-- wrk script: POST one body read from a file, again and again (for bodies made beforehand, such
-- as gzip-compressed batches).
--
-- Environment:
--   EVENTSD_TOKEN     a token with events:write (required)
--   BODY_FILE         the body to send (required)
--   CONTENT_ENCODING  sent as Content-Encoding when set (e.g. gzip)
--   TARGET            the path (default /v1/events)
local f = assert(io.open(assert(os.getenv("BODY_FILE"), "BODY_FILE is required"), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.path = os.getenv("TARGET") or "/v1/events"
wrk.headers["Authorization"] = "Bearer " .. assert(os.getenv("EVENTSD_TOKEN"), "EVENTSD_TOKEN is required")
wrk.headers["Content-Type"] = "application/json"
local encoding = os.getenv("CONTENT_ENCODING")
if encoding and encoding ~= "" then wrk.headers["Content-Encoding"] = encoding end
