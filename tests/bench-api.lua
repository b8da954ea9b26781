-- wrk script for tests/bench.sh, as K users in turn; each wrk thread reads the bearer tokens
-- written by the profile_patch bench binary. The route is the second argument:
-- - patch: PATCH /api/v1/user/profile;
-- - poll: "anything new?" as a desktop window asks it every 30 s — GET /api/v1/user/me with
--   If-None-Match. `*` matches the current revision whatever it is, so every answer is the 304
--   a window gets when nothing changed, at the same cost (one indexed read, then the
--   comparison). No response() hook: it would make wrk parse every answer in Lua, on the same
--   two cores; a 4xx/5xx still counts in `errors`.
local tokens = {}
local route = "patch"
local n = 0

function init(args)
  for line in io.lines(args[1]) do
    tokens[#tokens + 1] = line
  end
  route = args[2] or "patch"
end

function request()
  n = n + 1
  local token = tokens[(n % #tokens) + 1]
  if route == "poll" then
    return wrk.format("GET", "/api/v1/user/me",
      { ["Authorization"] = "Bearer " .. token, ["If-None-Match"] = "*" })
  end
  local body = string.format('{"full_name":"Bench %d","marketing_opt_in":%s}', n, n % 2 == 0 and "true" or "false")
  return wrk.format("PATCH", "/api/v1/user/profile",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  -- done() runs in wrk's main script, which init() never saw: bench.sh names the route.
  io.write(string.format(
    "ava-server (wrk): requests=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
