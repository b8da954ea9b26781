-- wrk script for tests/bench.sh: PATCH /api/v1/user/profile as K users in turn. Each wrk
-- thread reads the bearer tokens written by the profile_patch bench binary.
local tokens = {}
local n = 0

function init(args)
  for line in io.lines(args[1]) do
    tokens[#tokens + 1] = line
  end
end

function request()
  n = n + 1
  local token = tokens[(n % #tokens) + 1]
  local body = string.format('{"full_name":"Bench %d","marketing_opt_in":%s}', n, n % 2 == 0 and "true" or "false")
  return wrk.format("PATCH", "/api/v1/user/profile",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    "ava-server PATCH /api/v1/user/profile (wrk): requests=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
