-- wrk script for the on-sale spike (bench/spike_wrk.py writes the data file it loads).
--
-- Buyers, not connections: each wrk thread owns the buyers b = id, id + THREADS, ...,
-- each with its own token and an arrival time spread over RAMP_MS from the thread's
-- start. A buyer has at most one request out: it is due at its arrival, then again
-- THINK_MS after each answer, until the sale is sold out. A connection that becomes
-- free (delay()) takes the buyer due first, waiting for it if it is not due yet, so
-- buyers beyond the connections queue for one; that wait counts in the latency taken
-- from the due time ("due"), beside the latency from the send ("sent"). Answers come
-- back to their buyer by the X-Request-ID the API echoes ("b<number>").
--
-- A buyer asks for 1..MAX_SEATS seats: adjacent explicit seats in a random row, or a
-- quantity in a random section (SEATS_SHARE : 1 - SEATS_SHARE), among the sections not
-- known to be sold out. The thread learns a section's seats left from its 409 sold_out
-- answers ("available"), asks for no more than that, and once every section is known
-- sold out its buyers stop; when nothing is out any more the thread writes its
-- DONE_DIR/done-<id> marker and stops (bench/spike_wrk.py interrupts wrk once all
-- threads did). 201s are appended to DONE_DIR/holds-<id>.tsv (reservation id, seats)
-- for the audit. done() prints one "BENCH_JSON {...}" line with the merged counts and
-- latency histograms (ms -> count).

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } spike_timespec;
int clock_gettime(int clk_id, spike_timespec *tp);
]])
local ts = ffi.new("spike_timespec")

local function now_ms() -- CLOCK_MONOTONIC (1), the clock Python's time.monotonic reads
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

-- A binary min-heap of {due, buyer}: buyers handed to connections that wait for them.
local heap = {}
local function push(item)
  heap[#heap + 1] = item
  local i = #heap
  while i > 1 and heap[math.floor(i / 2)][1] > heap[i][1] do
    local p = math.floor(i / 2)
    heap[p], heap[i] = heap[i], heap[p]
    i = p
  end
end
local function pop()
  local top, last = heap[1], heap[#heap]
  heap[#heap] = nil
  if #heap > 0 then
    heap[1] = last
    local i = 1
    while true do
      local l, r, m = 2 * i, 2 * i + 1, i
      if l <= #heap and heap[l][1] < heap[m][1] then m = l end
      if r <= #heap and heap[r][1] < heap[m][1] then m = r end
      if m == i then break end
      heap[m], heap[i] = heap[i], heap[m]
      i = m
    end
  end
  return top
end

function init(args)
  dofile(os.getenv("BENCH_WRK_DATA")) -- EVENT, TOKENS, ROWS, SECTIONS, BUYERS, THREADS, ...
  math.randomseed(id * 7919)
  counts, due_ms, sent_ms, wait_ms, holds_per_s = {}, {}, {}, {}, {}
  max_due_per_s, max_sent_per_s = {}, {} -- by the second of the answer: where the tail is
  slow = {} -- up to 200 answers over 2 s from the send: "sent at (ms from start):took (ms)"
  seats_held, polls, arrived, limited = 0, 0, 0, 0
  first_sent, last_hold = nil, nil
  holds = io.open(DONE_DIR .. "/holds-" .. id .. ".tsv", "w")
  by_section, open, left = {}, {}, {}
  for _, row in ipairs(ROWS) do
    by_section[row[1]] = by_section[row[1]] or {}
    table.insert(by_section[row[1]], row)
  end
  for _, s in ipairs(SECTIONS) do open[#open + 1] = s end
  -- arrivals: this thread's buyers, evenly spread over the ramp with a random jitter
  arrivals, next_arrival, ready, ready_head, ready_tail = {}, 1, {}, 1, 0
  local mine = {}
  for b = id, BUYERS, THREADS do mine[#mine + 1] = b end
  start_ms = now_ms()
  for k, b in ipairs(mine) do
    arrivals[k] = { start_ms + RAMP_MS * (k - 1 + math.random()) / #mine, b }
  end
  out, sold_out, stopped = {}, false, false -- out[b] = {due, sent}
end

local function add(hist, ms)
  local k = math.floor(ms)
  hist[k] = (hist[k] or 0) + 1
end

function delay()
  if sold_out then return 3600 * 1000 end -- idle until wrk is interrupted
  -- the next buyer due: the earliest of the next arrival and the first one answered
  local a, r = arrivals[next_arrival], ready[ready_head]
  local item
  if a and (not r or a[1] <= r[1]) then
    item, next_arrival = a, next_arrival + 1
    arrived = arrived + 1
  elseif r then
    item = r -- (one assignment a statement: Lua leaves the order of a multiple one open)
    ready[ready_head] = nil
    ready_head = ready_head + 1
  else
    item = { now_ms() + 20, 0 } -- nobody left to send: a seat-map poll in 20 ms
  end
  push(item)
  return math.max(0, math.ceil(item[1] - now_ms()))
end

local function body(n)
  local section = open[math.random(#open)]
  if left[section] then n = math.min(n, left[section]) end
  if math.random() < SEATS_SHARE then
    local rows = by_section[section]
    local row = rows[math.random(#rows)] -- {section, label, seats}
    local first = math.random(1, math.max(1, row[3] - n + 1))
    local picks = {}
    for k = first, math.min(row[3], first + n - 1) do
      picks[#picks + 1] = '"' .. row[1] .. "-" .. row[2] .. "-" .. k .. '"'
    end
    return '{"event_id":"' .. EVENT .. '","seats":[' .. table.concat(picks, ",") .. "]}", nil
  end
  local json = '{"event_id":"' .. EVENT .. '","section":"' .. section .. '","quantity":' .. n
  return json .. "}", section
end

function request()
  -- The earliest due: its timer (or an earlier one) has fired. None when wrk checks
  -- the script (it calls request() once before connecting) or when a connection that
  -- was closed while idle reconnects without a delay() of its own: a poll then.
  local item = pop()
  local b, now = item and item[2] or 0, now_ms()
  if b == 0 or sold_out then
    polls = polls + (item and 1 or 0)
    return wrk.format("GET", "/v1/events/" .. EVENT .. "/availability", { ["X-Request-ID"] = "p" })
  end
  first_sent = first_sent or now
  local json, section = body(math.random(1, MAX_SEATS))
  out[b] = { item[1], now, section } -- due, sent, the section asked a quantity of
  add(wait_ms, now - item[1])
  local headers = {
    ["Authorization"] = "Bearer " .. TOKENS[b],
    ["Content-Type"] = "application/json",
    ["X-Request-ID"] = "b" .. b,
  }
  return wrk.format("POST", "/v1/tickets/reserve", headers, json)
end

local function finish_if_idle()
  if sold_out and not stopped and next(out) == nil then
    stopped = true
    holds:close()
    io.open(DONE_DIR .. "/done-" .. id, "w"):close()
    wrk.thread:stop()
  end
end

local function close_section(section)
  for i, s in ipairs(open) do
    if s == section then
      open[i] = open[#open]
      open[#open] = nil
      break
    end
  end
  sold_out = #open == 0
end

function response(status, headers, body)
  local rid = headers["x-request-id"] or headers["X-Request-ID"] or ""
  local b = tonumber(string.match(rid, "^b(%d+)$"))
  local sent = b and out[b]
  if not sent then -- a seat-map poll (or an answer no buyer waits for)
    finish_if_idle()
    return
  end
  out[b] = nil
  local now = now_ms()
  add(due_ms, now - sent[1])
  add(sent_ms, now - sent[2])
  if now - sent[2] > 2000 and #slow < 200 then
    slow[#slow + 1] = string.format('"%d:%d"', sent[2] - start_ms, now - sent[2])
  end
  local second = math.floor((now - start_ms) / 1000)
  max_due_per_s[second] = math.max(max_due_per_s[second] or 0, math.floor(now - sent[1]))
  max_sent_per_s[second] = math.max(max_sent_per_s[second] or 0, math.floor(now - sent[2]))
  local code = string.match(body, '"code"%s*:%s*"([^"]*)"') or "-"
  local key = status == 201 and "201" or (status .. ":" .. code)
  counts[key] = (counts[key] or 0) + 1
  if status == 201 then
    local list = string.match(body, '"seats"%s*:%s*%[(.-)%]') or ""
    seats_held = seats_held + select(2, string.gsub(list, '"', "")) / 2
    holds:write(string.match(body, '"reservation_id"%s*:%s*"([^"]*)"') or "?", "\t",
      (string.gsub(list, '[%s"]', "")), "\n")
    last_hold = now
    holds_per_s[second] = (holds_per_s[second] or 0) + 1
  elseif code == "sold_out" and sent[3] then
    local n = tonumber(string.match(body, '"available"%s*:%s*(%d+)'))
    if n then
      left[sent[3]] = n
      if n == 0 then close_section(sent[3]) end
    end
  end
  if code == "limit_exceeded" then
    limited = limited + 1 -- this buyer has all it may hold: it leaves
  elseif not sold_out then
    ready_tail = ready_tail + 1 -- (not #ready: the front of the queue is holes)
    ready[ready_tail] = { now + THINK_MS, b }
  end
  finish_if_idle()
end

function done(summary, latency, requests)
  local merged = { counts = {}, due = {}, sent = {}, wait = {}, holds_per_s = {} }
  local max_due, max_sent, slow_all = {}, {}, {}
  local first, last, scalars = nil, nil, { seats_held = 0, polls = 0, arrived = 0, limited = 0 }
  local unanswered, knew = 0, 0
  for _, t in ipairs(threads) do
    for _, name in ipairs({ "counts", "due", "sent", "wait", "holds_per_s" }) do
      local src = t:get(name == "due" and "due_ms" or name == "sent" and "sent_ms"
        or name == "wait" and "wait_ms" or name)
      for k, n in pairs(src) do merged[name][k] = (merged[name][k] or 0) + n end
    end
    for k, ms in pairs(t:get("max_due_per_s")) do max_due[k] = math.max(max_due[k] or 0, ms) end
    for k, ms in pairs(t:get("max_sent_per_s")) do max_sent[k] = math.max(max_sent[k] or 0, ms) end
    for _, x in ipairs(t:get("slow")) do slow_all[#slow_all + 1] = x end
    for name in pairs(scalars) do scalars[name] = scalars[name] + t:get(name) end
    for _ in pairs(t:get("out")) do unanswered = unanswered + 1 end
    if t:get("sold_out") then knew = knew + 1 end
    local f, l = t:get("first_sent"), t:get("last_hold")
    if f and (not first or f < first) then first = f end
    if l and (not last or l > last) then last = l end
  end
  local function obj(tbl)
    local parts = {}
    for k, n in pairs(tbl) do parts[#parts + 1] = string.format('"%s":%d', tostring(k), n) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"duration_us":%d,"requests":%d,"first_sent_ms":%.3f,"last_hold_ms":%.3f,'
      .. '"seats_held":%d,"polls":%d,"arrived":%d,"limited":%d,"unanswered":%d,'
      .. '"threads_sold_out":%d,"threads":%d,"counts":%s,"due_ms":%s,"sent_ms":%s,'
      .. '"wait_ms":%s,"holds_per_s":%s,"max_due_per_s":%s,"max_sent_per_s":%s,"slow":[%s],'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d}}\n',
    summary.duration, summary.requests, first or 0, last or 0, scalars.seats_held,
    scalars.polls, scalars.arrived, scalars.limited, unanswered, knew, #threads,
    obj(merged.counts), obj(merged.due), obj(merged.sent), obj(merged.wait),
    obj(merged.holds_per_s), obj(max_due), obj(max_sent), table.concat(slow_all, ","), e.connect, e.read, e.write, e.timeout
  ))
end
