-- wrk script for POST /v1/tickets/reserve (bench/wrk.py writes the data file it loads).
--
-- Each request: a random pre-minted buyer token, then either random explicit seats
-- (a run of 1..MAX_SEATS adjacent seats in a random row) or a quantity in a random
-- section, in the share SEATS_SHARE : 1 - SEATS_SHARE. Answers are counted per
-- "status:code" (the problem's stable code), and the seats granted by 201s are
-- summed from their "seats" lists, so the bench can audit the server afterwards.
-- done() prints one line "BENCH_JSON {...}" that bench/wrk.py parses.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  dofile(os.getenv("BENCH_WRK_DATA")) -- TOKENS, ROWS, SECTIONS, EVENT, MAX_SEATS, SEATS_SHARE
  math.randomseed(os.time() * 1000 + id)
  counts = {}
  seats_granted = 0
end

local function body()
  local n = math.random(1, MAX_SEATS)
  if math.random() < SEATS_SHARE then
    local row = ROWS[math.random(#ROWS)] -- {section, label, seats}
    local first = math.random(1, math.max(1, row[3] - n + 1))
    local picks = {}
    for k = first, math.min(row[3], first + n - 1) do
      picks[#picks + 1] = '"' .. row[1] .. "-" .. row[2] .. "-" .. k .. '"'
    end
    return '{"event_id":"' .. EVENT .. '","seats":[' .. table.concat(picks, ",") .. "]}"
  end
  local section = SECTIONS[math.random(#SECTIONS)]
  return '{"event_id":"' .. EVENT .. '","section":"' .. section .. '","quantity":' .. n .. "}"
end

function request()
  local headers = {
    ["Authorization"] = "Bearer " .. TOKENS[math.random(#TOKENS)],
    ["Content-Type"] = "application/json",
  }
  return wrk.format("POST", "/v1/tickets/reserve", headers, body())
end

function response(status, headers, body)
  local key
  if status == 201 then
    key = "201"
    -- the granted seat ids: count the quoted strings of the "seats" array
    local list = string.match(body, '"seats"%s*:%s*%[(.-)%]') or ""
    seats_granted = seats_granted + select(2, string.gsub(list, '"', "")) / 2
  else
    key = status .. ":" .. (string.match(body, '"code"%s*:%s*"([^"]*)"') or "-")
  end
  counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
  local total, granted = {}, 0
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("counts")) do
      total[key] = (total[key] or 0) + n
    end
    granted = granted + thread:get("seats_granted")
  end
  local parts = {}
  for key, n in pairs(total) do
    parts[#parts + 1] = string.format('"%s":%d', key, n)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"duration_us":%d,"requests":%d,"seats_granted":%d,"counts":{%s},'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},'
      .. '"latency_us":{"p50":%d,"p99":%d,"max":%d}}\n',
    summary.duration, summary.requests, granted, table.concat(parts, ","),
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max
  ))
end
