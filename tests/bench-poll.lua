-- wrk script for `AVA_BENCH_ROUTE=poll tests/bench.sh`: "anything new?" as a desktop window asks
-- it every 30 s — GET /api/v1/user/me with If-None-Match — as K users in turn. `*` matches the
-- current revision whatever it is, so every answer is the 304 a window gets when nothing
-- changed, at the same cost (one indexed read of the revision, then the comparison).
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
  return wrk.format("GET", "/api/v1/user/me",
    { ["Authorization"] = "Bearer " .. token, ["If-None-Match"] = "*" })
end

function response(status, headers, body)
  if status ~= 304 then
    error("expected 304, got " .. status)
  end
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    "ava-server GET /api/v1/user/me 304 (wrk): requests=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
