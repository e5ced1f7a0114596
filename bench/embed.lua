-- wrk script for ballot intake through the embed: POST a random ballot to the
-- path in args[1] as the embed sends it. args[2] is the way:
--   "script": what the embed's script sends from WordPress's sandboxed frame
--     (fetch, JSON, "Origin: null", the page's reader key as Idempotency-Key);
--   "form": what its form sends with JavaScript off in a frame that allows forms
--     and kept the embed's cookie (a urlencoded form with the reader key the page
--     made from the cookie, the cookie with it, from the embed's own origin),
--     answered with a redirect to the page that shows the ballot;
--   "form-no-cookie": the same from a frame that kept no cookie, answered with
--     the page itself.
-- args[3] is the Origin header; a fraction args[4] of requests re-vote as a
-- reader sent earlier on this thread (the same reader, so replaced); the rest
-- are new readers. For "form", args[5] is where the readers come from:
-- "<args[5]>-<thread>.txt", a line per reader with the cookie's value and its
-- key (made by run.py with the servers' secret, as the embed's page makes
-- them); for the other ways it is "-". args[6..] are the poll's entry keys.
-- Prints one line, "WRK {json}", with the counts by outcome.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

local path, way, origin, revote
local rankings = {} -- each a ready body (script) or the ranks' part of one (form)
local readers = {} -- each {key, cookie header or nil}
local minted = {} -- the readers of args[5], for "form"
local serial = 0
local prefix -- each thread of each run its own, so that no run meets another's readers
created, replaced, failed = 0, 0, 0

function init(args)
  path, way, origin, revote = args[1], args[2], args[3], tonumber(args[4])
  if way == "form" then
    for line in io.lines(args[5] .. "-" .. id .. ".txt") do
      local cookie, key = line:match("^(%S+) (%S+)$")
      minted[#minted + 1] = { key, "pollapp_embed_reader=" .. cookie }
    end
  end
  local keys = {}
  for i = 6, #args do
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
  serial = serial + 1
  if way == "form" then
    -- The next reader made for this run (should the run outlast them, again from the first).
    return minted[(serial - 1) % #minted + 1]
  end
  -- As long as the page's key (64 hex digits), and never the same twice.
  return { string.format("%s%032x", prefix, serial), nil }
end

function request()
  local reader
  if #readers > 0 and math.random() < revote then
    reader = readers[math.random(#readers)]
  else
    reader = new_reader()
    if #readers < 20000 then
      readers[#readers + 1] = reader
    end
  end
  local key = reader[1]
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
  if reader[2] then
    headers["Cookie"] = reader[2]
  end
  return wrk.format("POST", path, headers, "reader_key=" .. key .. ranking)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  elseif status == 200 and way == "script" then
    replaced = replaced + 1
  elseif status == 200 and way == "form-no-cookie" then
    -- The answer is the page, 200 either way; its heading says which.
    if body:find("replaced your earlier one", 1, true) then
      replaced = replaced + 1
    else
      created = created + 1
    end
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
