-- What the wrk scripts share, loaded from beside them with
--   dofile(debug.getinfo(1, "S").source:match("^@(.-)[^/]*$") .. "expect_status.lua")
-- (wrk loads a script from the path -s names, which is its chunk's source after the "@").

-- Makes wrk count the answers whose status is not `expected` and print the first three of them
-- (per thread) on standard error.
function expect_status(expected)
  local failures = 0
  function response(status, headers, body)
    if status ~= expected then
      failures = failures + 1
      if failures <= 3 then io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n") end
    end
  end
end
