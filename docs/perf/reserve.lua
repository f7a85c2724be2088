-- wrk script for POST /v1/tickets/reserve (docs/performance.md).
-- Reads the event id and 1,000 bearer tokens written by docs/perf/reserve_wrk.py,
-- then sends, at random, either 1-4 explicit seats or a section quantity of 1-4,
-- from a random buyer, over a stadium of sections S1.. of 40 rows of 50 seats.
local tokens, event_id, sections = {}, nil, 1

function setup(thread)
  thread:set("id", math.random(1, 1000000))
end

function init(args)
  local dir = args[1] or "/tmp"
  event_id = io.open(dir .. "/event_id"):read("*l")
  sections = tonumber(io.open(dir .. "/sections"):read("*l"))
  for line in io.lines(dir .. "/tokens") do
    tokens[#tokens + 1] = "Bearer " .. line
  end
  math.randomseed(os.time() + id)
end

function request()
  local section = "S" .. math.random(1, sections)
  local n = math.random(1, 4)
  local body
  if math.random() < 0.5 then
    local row, first = math.random(1, 40), math.random(1, 51 - n)
    local seats = {}
    for i = 0, n - 1 do
      seats[#seats + 1] = string.format('"%s-%d-%d"', section, row, first + i)
    end
    body = string.format('{"event_id":"%s","seats":[%s]}', event_id, table.concat(seats, ","))
  else
    body = string.format('{"event_id":"%s","section":"%s","quantity":%d}', event_id, section, n)
  end
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = tokens[math.random(1, #tokens)],
  }
  return wrk.format("POST", "/v1/tickets/reserve", headers, body)
end

function done(summary, latency, requests)
  io.write(string.format("p50_ms %.2f p99_ms %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
