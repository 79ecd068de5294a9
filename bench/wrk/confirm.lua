-- wrk script for POST /v1/PhoneChat/ConfirmMadeBooking: every request confirms another Accepted booking, with the
-- token of that booking's client. The pool file holds one booking per line, TOKEN<TAB>BOOKING_ID; thread n of k
-- (WRK_THREADS, wrk's -t) takes lines n, n + k, n + 2k, ... so that no booking is sent twice. A thread whose lines
-- run out stops (wrk then still divides by the whole duration: the caller must treat it as a failed run and size
-- the pool up).
--
-- Every answer is tallied by status; done() prints one line
--   confirm: ok=N failed=N exhausted=N
-- (ok: 200 answers; failed: any other status; exhausted: threads whose lines ran out) and, for a failed answer,
-- the first one's status and body, so that the caller can show what the server said.
--
-- Settings (environment):
--   WRK_POOL     the pool file
--   WRK_THREADS  wrk's thread count (default 1)

local path = "/v1/PhoneChat/ConfirmMadeBooking"

local thread_count = 0
local threads = {}
local requests = {}
local next_request = 0
ok, failed, exhausted, first_failure = 0, 0, 0, ""

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
  threads[#threads + 1] = thread
end

function init(args)
  local file = os.getenv("WRK_POOL")
  local k = tonumber(os.getenv("WRK_THREADS") or "1")
  local n = thread_number or 1
  local handle = io.open(file or "", "r")
  if handle == nil then
    error("WRK_POOL: cannot read " .. tostring(file))
  end
  local line_number = 0
  for line in handle:lines() do
    line_number = line_number + 1
    if (line_number - 1) % k == n - 1 then
      local token, booking = line:match("^([^\t]+)\t(%d+)$")
      if token == nil then
        error("WRK_POOL: line " .. line_number .. " is not TOKEN<TAB>BOOKING_ID")
      end
      requests[#requests + 1] = wrk.format("POST", path, {
        ["Authorization"] = "Bearer " .. token,
        ["Content-Type"] = "application/json",
        ["Accept"] = "application/json",
      }, '{"BookingID":' .. booking .. '}')
    end
  end
  handle:close()
  if #requests == 0 then
    error("WRK_POOL: no bookings for thread " .. n .. " in " .. file)
  end
end

function request()
  next_request = next_request + 1
  if next_request > #requests then
    -- Out of bookings: stop this thread. The request returned here may still go out; sending the last booking
    -- again makes it a visible failure (409) rather than a silent success.
    if exhausted == 0 then
      exhausted = 1
      wrk.thread:stop()
    end
    return requests[#requests]
  end
  return requests[next_request]
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    if failed == 0 and exhausted == 0 then
      first_failure = status .. " " .. (body or ""):sub(1, 400)
    end
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_failed, total_exhausted, failure = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_failed = total_failed + thread:get("failed")
    total_exhausted = total_exhausted + thread:get("exhausted")
    if failure == "" then
      failure = thread:get("first_failure")
    end
  end
  io.write(string.format("confirm: ok=%d failed=%d exhausted=%d\n", total_ok, total_failed, total_exhausted))
  if failure ~= "" then
    io.write("confirm: first failure: " .. failure:gsub("[\r\n]", " ") .. "\n")
  end
end
