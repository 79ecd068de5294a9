-- wrk script for the list under life-cycle writes: GET /v1/PhoneChat/MadeBookings with a random client's token per
-- request and, on every WRK_WRITE_EVERY-th request, a POST /v1/PhoneChat/CreateBooking by a random client of the
-- pool with a random candidate (who must offer PhoneChat with a PhoneChat number, so that Method 2 is accepted).
-- With WRK_WRITE_EVERY=0 every request is the list: the read-only case, through the same script so that wrk
-- spends the same per request in both cases. Every thread builds its requests once, from a seeded generator, and
-- then hands them out in turn.
--
-- The requests of each kind are counted as they are handed out; done() prints one line
--   lifecycle: issued=N reads=N writes=N
-- so that the caller can split wrk's completed requests between reads and writes (those still in flight when wrk
-- stops, at most one per connection, are issued but not completed).
--
-- Settings (environment):
--   WRK_TOKENS          file, one client per line: TOKEN<TAB>USER_ID[<TAB>anything] (bench/lib/tokens.mjs's .tsv)
--   WRK_QUERY           the list's query string (default "BookingsPerPage=50")
--   WRK_WRITE_EVERY     one request in this many is a CreateBooking (default 20; 0: none)
--   WRK_CANDIDATES      FIRST_USER_ID:COUNT, the candidates to book (required when writing)
--   WRK_SESSION_DATE    the bookings' SessionDate, "yyyy-MM-dd HH:mm" in the service's zone (required when writing)
--   WRK_ACCEPT_BY       their AcceptBy, after now and before SessionDate (required when writing)
--   WRK_CREDITS         their Credits (default 30; at least the candidates' price per minute times 15 minutes)
--   WRK_SEED            seed of the generator (default 1); thread n uses WRK_SEED + n
--   WRK_REQUESTS        requests built per thread (default 4000), handed out in turn

local list_path = "/v1/PhoneChat/MadeBookings"
local create_path = "/v1/PhoneChat/CreateBooking"

local thread_count = 0
local threads = {}
local requests = {}
local kinds = {}
local next_request = 0
issued, reads, writes = 0, 0, 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
  threads[#threads + 1] = thread
end

local function read_pool(file)
  local pool = {}
  local handle = io.open(file or "", "r")
  if handle == nil then
    error("WRK_TOKENS: cannot read " .. tostring(file))
  end
  for line in handle:lines() do
    local token, user = line:match("^([^\t]+)\t?([^\t]*)")
    if token ~= nil then
      pool[#pool + 1] = { token = token, user = tonumber(user) }
    end
  end
  handle:close()
  if #pool == 0 then
    error("WRK_TOKENS: no tokens in " .. file)
  end
  return pool
end

local function required(name)
  local value = os.getenv(name)
  if value == nil or value == "" then
    error(name .. " is required when WRK_WRITE_EVERY is not 0")
  end
  return value
end

function init(args)
  local pool = read_pool(os.getenv("WRK_TOKENS"))
  math.randomseed(tonumber(os.getenv("WRK_SEED") or "1") + (thread_number or 1))
  local query = os.getenv("WRK_QUERY") or "BookingsPerPage=50"
  local every = tonumber(os.getenv("WRK_WRITE_EVERY") or "20")
  local count = tonumber(os.getenv("WRK_REQUESTS") or "4000")
  local first_candidate, candidates, session_date, accept_by, credits
  if every > 0 then
    local first, n = required("WRK_CANDIDATES"):match("^(%d+):(%d+)$")
    if first == nil then
      error("WRK_CANDIDATES must be FIRST_USER_ID:COUNT")
    end
    first_candidate, candidates = tonumber(first), tonumber(n)
    session_date = required("WRK_SESSION_DATE")
    accept_by = required("WRK_ACCEPT_BY")
    credits = os.getenv("WRK_CREDITS") or "30"
  end
  local path = list_path
  if query ~= "" then
    path = list_path .. "?" .. query
  end
  for i = 1, count do
    local client = pool[math.random(#pool)]
    if every > 0 and i % every == 0 then
      local body = string.format(
        '{"BookUserID":%d,"SessionDate":"%s","Duration":15,"Method":2,"Credits":%s,"AcceptBy":"%s"}',
        first_candidate + math.random(candidates) - 1, session_date, credits, accept_by)
      requests[i] = wrk.format("POST", create_path, {
        ["Authorization"] = "Bearer " .. client.token,
        ["Content-Type"] = "application/json",
        ["Accept"] = "application/json",
      }, body)
      kinds[i] = true
    else
      requests[i] = wrk.format("GET", path, {
        ["Authorization"] = "Bearer " .. client.token,
        ["Accept"] = "application/json",
      })
      kinds[i] = false
    end
  end
end

function request()
  next_request = next_request % #requests + 1
  issued = issued + 1
  if kinds[next_request] then
    writes = writes + 1
  else
    reads = reads + 1
  end
  return requests[next_request]
end

function done(summary, latency, requests)
  local total_issued, total_reads, total_writes = 0, 0, 0
  for _, thread in ipairs(threads) do
    total_issued = total_issued + thread:get("issued")
    total_reads = total_reads + thread:get("reads")
    total_writes = total_writes + thread:get("writes")
  end
  io.write(string.format("lifecycle: issued=%d reads=%d writes=%d\n", total_issued, total_reads, total_writes))
end
