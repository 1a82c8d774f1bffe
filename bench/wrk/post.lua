-- wrk script: POST a JSON body (QUERY_BODY) to one path (QUERY_PATH) with a bearer token
-- (EVENTSD_TOKEN).
local token = os.getenv("EVENTSD_TOKEN")
local path = os.getenv("QUERY_PATH") or "/v1/aggregate"
local body = os.getenv("QUERY_BODY") or "{}"
local headers = {["Content-Type"] = "application/json"}
if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end

function request()
  return wrk.format("POST", path, headers, body)
end

local failures = 0
function response(status, headers, body)
  if status ~= 200 then
    failures = failures + 1
    if failures <= 3 then io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n") end
  end
end
