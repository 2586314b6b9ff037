-- wrk script: simulated kiosks posting ratings to the kiosk API (or the empty view).
-- Each wrk thread takes its own kiosks from bench/out/kiosks.lua (thread i of WRK_THREADS
-- the kiosks i, i + WRK_THREADS, ...), in turn, so that no two threads send for the same
-- kiosk and, with enough kiosks for the rate (bench/steps.py), no kiosk rates again
-- within its misuse window: the run measures ratings that count, not flagged ones.
-- Replies saying "flagged" are counted, so a run that was not such a run says so.
-- Every rating has a fresh UUID. THINK_MS > 0 paces each connection like a kiosk
-- between citizens (latency without queueing); 0 = as fast as possible.
local kiosks = dofile(os.getenv("KIOSKS_LUA") or "bench/out/kiosks.lua")
local think = tonumber(os.getenv("THINK_MS") or "0")
local nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
local per_thread = math.max(1, math.floor(#kiosks / nthreads))
-- Where this run starts in each thread's turn: past where the furthest thread of the run
-- before ended (done() prints it, bench/run.py passes it on), so a run never begins with
-- the kiosks the last one (its warm-up) has just used. (Until 2026-12-07 the start was
-- estimated from the answered requests shared equally between the threads: the faster
-- thread had gone further, and the next run's first ratings from its kiosks were flagged.)
local offset = tonumber(os.getenv("KIOSK_OFFSET") or "0")
counter = 0  -- a global, so that done() can read how far each thread went
statuses = {}  -- globals: done() reads them from each thread
flagged = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + id)
  counter = offset
  statuses = {}
  flagged = 0
end

-- A rating id as the kiosk page makes it (static/surveys/kiosk.js): a UUID of version 7,
-- 48 bits of milliseconds, then random. wrk's Lua clock counts seconds, so the
-- milliseconds within a second are drawn at random.
local function uuid7()
  local time = string.format("%012x", os.time() * 1000 + math.random(0, 999))
  local rest = string.gsub("7xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end)
  return time:sub(1, 8) .. "-" .. time:sub(9, 12) .. "-" .. rest
end

local function score()
  local r = math.random()
  if r < 0.55 then return 5 elseif r < 0.85 then return 4 elseif r < 0.95 then return 3 end
  return 2
end

function request()
  local k = kiosks[(id % nthreads) + nthreads * (counter % per_thread) + 1]
  counter = counter + 1
  local now = os.time()
  local parts = {}
  for _, code in ipairs(k.scale) do
    parts[#parts + 1] = string.format('{"question":"%s","value":%d}', code, score())
  end
  for _, code in ipairs(k.yesno) do
    parts[#parts + 1] = string.format('{"question":"%s","value":%d}', code, math.random() < 0.9 and 1 or 0)
  end
  local body = string.format(
    '{"id":"%s","language":"vi","version":%d,"desk":%d,"staff":%d,'
      .. '"started_at":"%s","submitted_at":"%s","answers":[%s]}',
    uuid7(), k.version, k.desk, k.staff,
    os.date("!%Y-%m-%dT%H:%M:%SZ", now - 40), os.date("!%Y-%m-%dT%H:%M:%SZ", now),
    table.concat(parts, ","))
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Kiosk " .. k.credential,
    ["Host"] = "127.0.0.1",
  }, body)
end

function delay()
  if think > 0 then return math.random(math.floor(think / 2), math.floor(think * 1.5)) end
  return 0
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if string.find(body, '"flagged": true', 1, true) then  -- JsonResponse's spacing
    flagged = flagged + 1
  end
end

function done(summary, latency, requests)
  local counts, nflagged, furthest = {}, 0, 0
  for _, thread in ipairs(threads) do
    nflagged = nflagged + thread:get("flagged")
    furthest = math.max(furthest, thread:get("counter"))
    local s = thread:get("statuses")
    for code, n in pairs(s) do counts[code] = (counts[code] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(counts) do parts[#parts + 1] = string.format('"%d":%d', code, n) end
  io.write(string.format(
    'WRKJSON {"requests":%d,"seconds":%.3f,"p50_ms":%.2f,"p90_ms":%.2f,"p99_ms":%.2f,'
      .. '"max_ms":%.2f,"errors":%d,"timeouts":%d,"flagged":%d,"next_offset":%d,'
      .. '"statuses":{%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status,
    summary.errors.timeout, nflagged, furthest, table.concat(parts, ",")))
end
