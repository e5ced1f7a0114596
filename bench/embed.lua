-- wrk script for ballot intake through the embed: POST a random ballot to the
-- path in args[1] as the embed sends it. args[2] is the way:
--   "script": what the embed's script sends from WordPress's sandboxed frame
--     (fetch, JSON, "Origin: null", the page's reader key as Idempotency-Key);
--   "form": what its form sends with JavaScript off in a frame that allows
--     forms (a urlencoded form with the reader key, from the embed's own origin,
--     with no cookie), answered with a redirect to the page that shows it.
-- args[3] is the Origin header; a fraction args[4] of requests re-vote with a
-- reader key sent earlier on this thread (the same reader, so replaced); the
-- rest carry a new key (a new reader). args[5..] are the poll's entry keys.
-- Prints one line, "WRK {json}", with the counts by outcome.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

local path, way, origin, revote
local rankings = {} -- each a ready body (script) or the ranks' part of one (form)
local readers = {}
local serial = 0
local prefix -- each thread of each run its own, so that no run meets another's readers
created, replaced, failed = 0, 0, 0

function init(args)
  path, way, origin, revote = args[1], args[2], args[3], tonumber(args[4])
  local keys = {}
  for i = 5, #args do
    keys[#keys + 1] = args[i]
  end
  local random = assert(io.open("/dev/urandom", "rb"))
  prefix = random:read(16):gsub(".", function(c) return string.format("%02x", c:byte()) end)
  random:close()
  math.randomseed(2000 + id)
  for b = 1, 1000 do
    local pool = {}
    for i, key in ipairs(keys) do
      pool[i] = key
    end
    local picked = {}
    for i = 1, math.random(1, #pool) do
      local j = math.random(i, #pool)
      pool[i], pool[j] = pool[j], pool[i]
      picked[i] = pool[i]
    end
    -- Each ballot's body made once, as vote.lua does, so that the load's own
    -- work per request (on the same processors as the server) is as small.
    if way == "script" then
      local quoted = {}
      for i, entry in ipairs(picked) do
        quoted[i] = '"' .. entry .. '"'
      end
      rankings[b] = '{"ranking":[' .. table.concat(quoted, ",") .. "]}"
    else
      local fields = {}
      for position, entry in ipairs(picked) do
        fields[position] = "&rank_" .. position .. "=" .. entry
      end
      rankings[b] = table.concat(fields)
    end
  end
end

local function new_reader()
  -- As long as the page's key (64 hex digits), and never the same twice.
  serial = serial + 1
  return string.format("%s%032x", prefix, serial)
end

function request()
  local key
  if #readers > 0 and math.random() < revote then
    key = readers[math.random(#readers)]
  else
    key = new_reader()
    if #readers < 20000 then
      readers[#readers + 1] = key
    end
  end
  local ranking = rankings[math.random(#rankings)]
  if way == "script" then
    local headers = {
      ["Content-Type"] = "application/json",
      ["Accept"] = "application/json",
      ["Origin"] = origin,
      ["Idempotency-Key"] = key,
    }
    return wrk.format("POST", path, headers, ranking)
  end
  local headers = { ["Content-Type"] = "application/x-www-form-urlencoded", ["Origin"] = origin }
  return wrk.format("POST", path, headers, "reader_key=" .. key .. ranking)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  elseif status == 200 and way == "script" then
    replaced = replaced + 1
  elseif status == 303 and way == "form" then
    -- The form's answer sends the frame on to the page; its address says which.
    local location = headers["Location"] or ""
    if location:find("taken=replaced", 1, true) then
      replaced = replaced + 1
    elseif location:find("taken=", 1, true) then
      created = created + 1
    else
      failed = failed + 1
    end
  else
    failed = failed + 1
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
