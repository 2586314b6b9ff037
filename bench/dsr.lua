-- wrk script: anonymous submissions to django-survey-and-report's survey form.
-- QUESTIONS="12,13,..." (the last one yes/no). The CSRF cookie and form token carry the
-- same secret, as after a GET of the form; THINK_MS paces like kiosk.lua.
local ids = {}
for id in string.gmatch(os.getenv("QUESTIONS") or "", "%d+") do ids[#ids + 1] = id end
local think = tonumber(os.getenv("THINK_MS") or "0")
local secret = "benchcsrfsecret0123456789abcdefg"  -- 32 characters
statuses = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time())
  statuses = {}
end

function request()
  local parts = {"csrfmiddlewaretoken=" .. secret}
  for k, id in ipairs(ids) do
    local value = (k == #ids) and (math.random() < 0.9 and "yes" or "no") or tostring(math.random(3, 5))
    parts[#parts + 1] = "question_" .. id .. "=" .. value
  end
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=" .. secret,
    ["Host"] = "127.0.0.1",
  }, table.concat(parts, "&"))
end

function delay()
  if think > 0 then return math.random(math.floor(think / 2), math.floor(think * 1.5)) end
  return 0
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do counts[code] = (counts[code] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(counts) do parts[#parts + 1] = string.format('"%d":%d', code, n) end
  io.write(string.format(
    'WRKJSON {"requests":%d,"seconds":%.3f,"p50_ms":%.2f,"p90_ms":%.2f,"p99_ms":%.2f,'
      .. '"max_ms":%.2f,"errors":%d,"timeouts":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status,
    summary.errors.timeout, table.concat(parts, ",")))
end
