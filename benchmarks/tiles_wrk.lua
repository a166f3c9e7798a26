-- wrk script for the tile benchmark: each thread (one connection per thread) cycles through its share of
-- the paths in a file (every n-th line), as a browser would ask (Accept-Encoding: gzip), until wrk's -d
-- duration ends; the run ends with one machine-readable result line.
--   wrk -t4 -c4 -d15s -s benchmarks/tiles_wrk.lua http://127.0.0.1:PORT -- paths.txt 4

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(args[2])
  mine = {}
  local k = 0
  for line in io.lines(args[1]) do
    if #line > 0 then
      if k % nthreads == id then mine[#mine + 1] = line end
      k = k + 1
    end
  end
  i = 0
  statuses = {}
end

function request()
  i = i % #mine + 1
  return wrk.format("GET", mine[i], {["Accept-Encoding"] = "gzip"})
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local st = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do st[k] = (st[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(st) do parts[#parts + 1] = string.format('"%d": %d', k, v) end
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "max_us": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.mean, latency.max, table.concat(parts, ", ")))
end
