-- wrk script for ballot intake: POST a random JSON ballot to the path in args[1].
-- A fraction args[2] of requests re-vote: they carry a reader cookie the server
-- issued earlier on this thread, so the replace path is exercised too. The rest
-- carry no cookie, so each is a new reader. args[3..] are the poll's entry keys.
-- Prints one line, "WRK {json}", with the counts by outcome.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

local path, revote
local bodies = {}
local cookies = {}
created, replaced, failed = 0, 0, 0

function init(args)
  path = args[1]
  revote = tonumber(args[2])
  local keys = {}
  for i = 3, #args do
    keys[#keys + 1] = args[i]
  end
  math.randomseed(1000 + id)
  for b = 1, 1000 do
    local pool = {}
    for i, key in ipairs(keys) do
      pool[i] = key
    end
    local picked = {}
    for i = 1, math.random(1, #pool) do
      local j = math.random(i, #pool)
      pool[i], pool[j] = pool[j], pool[i]
      picked[i] = '"' .. pool[i] .. '"'
    end
    bodies[b] = '{"ranking":[' .. table.concat(picked, ",") .. ']}'
  end
end

function request()
  local headers = { ["Content-Type"] = "application/json" }
  if #cookies > 0 and math.random() < revote then
    headers["Cookie"] = cookies[math.random(#cookies)]
  end
  return wrk.format("POST", path, headers, bodies[math.random(#bodies)])
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  elseif status == 200 then
    replaced = replaced + 1
  else
    failed = failed + 1
  end
  local issued = headers["Set-Cookie"]
  if issued and #cookies < 20000 then
    cookies[#cookies + 1] = issued:match("^([^;]+)")
  end
end

function done(summary, latency, requests)
  local c, r, f = 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("created")
    r = r + thread:get("replaced")
    f = f + thread:get("failed")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK {"duration_us": %d, "requests": %d, "created": %d, "replaced": %d, "failed": %d, '
      .. '"socket_errors": %d, "p50_us": %d}\n',
    summary.duration, summary.requests, c, r, f,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50)
  ))
end
