-- wrk script: one request again and again, with a bearer token; any status but 200 is reported.
--
-- Environment:
--   EVENTSD_TOKEN  a token (optional: none for /healthz)
--   QUERY_METHOD   GET (default) or POST
--   QUERY_PATH     the path with its query string (default /healthz)
--   QUERY_BODY     a POST's JSON body (default {})
local token = os.getenv("EVENTSD_TOKEN")
local method = os.getenv("QUERY_METHOD") or "GET"
local path = os.getenv("QUERY_PATH") or "/healthz"
local headers = {}
local body = nil
if method == "POST" then
  headers["Content-Type"] = "application/json"
  body = os.getenv("QUERY_BODY") or "{}"
end
if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end

function request()
  return wrk.format(method, path, headers, body)
end

dofile(debug.getinfo(1, "S").source:match("^@(.-)[^/]*$") .. "expect_status.lua")
expect_status(200)
