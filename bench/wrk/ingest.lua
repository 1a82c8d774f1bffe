-- wrk script for durable ingest: POST /v1/events, one event or {"batch": [BATCH_SIZE events]}.
--
-- Environment:
--   EVENTSD_TOKEN  a token with events:write (required unless EVENTSD_TOKENS is set)
--   EVENTSD_TOKENS tokens separated by commas (several tenants): requests take them in turn
--   BATCH_SIZE     events per request (default 100; 1 sends a bare event object)
--   WORKLOAD       "sessions" (default): a batch holds visits of 10 events each; 40% of visits
--                  are anonymous, the others belong to a contact drawn from 100,000 - how a
--                  tracker or an integration flushes events.
--                  "uniform": every event has its own contact drawn from 100,000 - the worst
--                  case for the per-contact index (one random page write per event).
-- Bodies are made once, at start-up, and cycled, so wrk spends its time on the wire; each pass
-- over them renames the contacts (a generation number in the id), so contacts do not come back
-- every half second as no real visitor would.
local tokens = {}
for t in string.gmatch(os.getenv("EVENTSD_TOKENS") or os.getenv("EVENTSD_TOKEN") or "", "[^,]+") do
  tokens[#tokens + 1] = t
end
local next_token = 1
local batch_size = tonumber(os.getenv("BATCH_SIZE") or "100")
local workload = os.getenv("WORKLOAD") or "sessions"
local types = {"page_view", "page_view", "page_view", "email_open", "form_submit",
               "button_click", "video_play", "email_click"}
local bodies = {}
local next_body = 1
local generation = 0

local function event(contact, n)
  local contact_field = ""
  if contact then contact_field = string.format('"contact_id":"ct_%d_#",', contact) end
  return string.format(
    '{"event":"%s",%s"url":"https://site%d.example.com/p/%d","data":{"n":%d,"title":"Page %d"}}',
    types[(n % #types) + 1], contact_field, n % 20, n % 500, n, n % 500)
end

function init(args)
  math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1000000))
  for b = 1, 256 do
    local events = {}
    local contact = nil
    for i = 1, batch_size do
      if workload == "uniform" then
        contact = math.random(1, 100000)
      elseif (i - 1) % 10 == 0 then
        -- (not "x and nil or y", which is always y in Lua)
        if math.random() < 0.4 then contact = nil else contact = math.random(1, 100000) end
      end
      events[i] = event(contact, math.random(1, 1000000))
    end
    if batch_size == 1 then
      bodies[b] = events[1]
    else
      bodies[b] = '{"batch":[' .. table.concat(events, ",") .. ']}'
    end
  end
end

function request()
  local body = bodies[next_body]:gsub("#", generation)
  next_body = next_body % #bodies + 1
  if next_body == 1 then generation = generation + 1 end
  local token = tokens[next_token]
  next_token = next_token % #tokens + 1
  return wrk.format("POST", "/v1/events",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end

dofile(debug.getinfo(1, "S").source:match("^@(.-)[^/]*$") .. "expect_status.lua")
expect_status(201)
