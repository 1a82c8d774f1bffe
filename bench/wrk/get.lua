-- wrk script: GET one path (QUERY_PATH) with a bearer token (EVENTSD_TOKEN, optional).
local token = os.getenv("EVENTSD_TOKEN")
local path = os.getenv("QUERY_PATH") or "/healthz"
local headers = {}
if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end

function request()
  return wrk.format("GET", path, headers)
end

local failures = 0
function response(status, headers, body)
  if status ~= 200 then
    failures = failures + 1
    if failures <= 3 then io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n") end
  end
end
