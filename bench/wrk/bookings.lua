-- wrk script for GET /v1/PhoneChat/MadeBookings: each request carries a token drawn at random from a pool and,
-- per case, a fixed query or (mixed case) a random order, page size, page within the client's range, StartDate
-- and format. Every thread builds its requests once, from a seeded generator, and then only hands them out, so
-- wrk spends the same small cost per request whatever the case, and two servers driven with the same settings
-- receive the same request stream.
--
-- Settings (environment):
--   WRK_TOKENS         file, one client per line: TOKEN<TAB>USER_ID<TAB>LISTED_BOOKINGS (the last two optional)
--   WRK_QUERY          query string sent as is (fixed cases), e.g. "BookingsPerPage=50&PageNumber=1500"
--   WRK_FORMAT         json (default) or xml: the Accept header
--   WRK_MIXED          1: random OrderBy, BookingsPerPage, PageNumber within the client's pages, StartDate on one
--                      request in four, JSON or XML; WRK_QUERY and WRK_FORMAT are then ignored
--   WRK_STATIC_PREFIX  for a static-file server: the path is this prefix followed by the token's line number
--                      (1-based) and no query; the headers stay those of the API request
--   WRK_SEED           seed of the generator (default 1); thread n uses WRK_SEED + n
--   WRK_REQUESTS       requests built per thread (default 4096), handed out in turn

local path_base = "/v1/PhoneChat/MadeBookings"
local orders = { "date-desc", "date-asc", "nickname-asc", "nickname-desc", "sessiondate-asc", "sessiondate-desc" }
local page_sizes = { 5, 10, 20, 25, 50, 100 }
local accepts = { json = "application/json", xml = "application/xml" }

local thread_count = 0
local requests = {}
local next_request = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
end

local function read_pool(file)
  local pool = {}
  local handle = io.open(file, "r")
  if handle == nil then
    error("WRK_TOKENS: cannot read " .. tostring(file))
  end
  for line in handle:lines() do
    local token, user, listed = line:match("^([^\t]+)\t?([^\t]*)\t?([^\t]*)$")
    if token ~= nil then
      pool[#pool + 1] = { token = token, user = tonumber(user), listed = tonumber(listed) or 0 }
    end
  end
  handle:close()
  if #pool == 0 then
    error("WRK_TOKENS: no tokens in " .. file)
  end
  return pool
end

-- A random mixed-case request for `client`: returns the query string and the format.
local function mixed_query(client)
  local order = orders[math.random(#orders)]
  local per_page = page_sizes[math.random(#page_sizes)]
  local pages = math.max(1, math.ceil(client.listed / per_page))
  local query = "OrderBy=" .. order .. "&BookingsPerPage=" .. per_page .. "&PageNumber=" .. math.random(pages)
  if math.random(4) == 1 then
    query = query .. string.format("&StartDate=%04d-%02d-%02d", math.random(2025, 2026), math.random(12),
      math.random(28))
  end
  local format = "json"
  if math.random(2) == 1 then
    format = "xml"
  end
  return query, format
end

function init(args)
  local pool = read_pool(os.getenv("WRK_TOKENS"))
  local seed = tonumber(os.getenv("WRK_SEED") or "1") + (thread_number or 1)
  math.randomseed(seed)
  local mixed = os.getenv("WRK_MIXED") == "1"
  local fixed_query = os.getenv("WRK_QUERY") or ""
  local fixed_format = os.getenv("WRK_FORMAT") or "json"
  local static_prefix = os.getenv("WRK_STATIC_PREFIX")
  local count = tonumber(os.getenv("WRK_REQUESTS") or "4096")
  if accepts[fixed_format] == nil then
    error("WRK_FORMAT must be json or xml, got " .. fixed_format)
  end
  for i = 1, count do
    local index = math.random(#pool)
    local client = pool[index]
    local query, format = fixed_query, fixed_format
    if mixed then
      query, format = mixed_query(client)
    end
    local path
    if static_prefix ~= nil and static_prefix ~= "" then
      path = static_prefix .. index
    elseif query == "" then
      path = path_base
    else
      path = path_base .. "?" .. query
    end
    requests[i] = wrk.format("GET", path, {
      ["Authorization"] = "Bearer " .. client.token,
      ["Accept"] = accepts[format],
    })
  end
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end
