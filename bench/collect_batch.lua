-- wrk script: POST /v1/batch with BATCH track events per request (default 100),
-- each with a unique messageId, spread over USERS user ids (default 100000).
-- Used by bench/collect_bench.sh; the write key comes from WRITE_KEY.
local batch = tonumber(os.getenv("BATCH") or "100")
local users = tonumber(os.getenv("USERS") or "100000")
local key = os.getenv("WRITE_KEY") or "bench"
local counter = 0


local b64chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
local function base64(data)
  return ((data:gsub('.', function(x)
    local r, b = '', x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and '1' or '0') end
    return r
  end) .. '0000'):gsub('%d%d%d?%d?%d?%d?', function(x)
    if (#x < 6) then return '' end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == '1' and 2 ^ (6 - i) or 0) end
    return b64chars:sub(c + 1, c + 1)
  end) .. ({ '', '==', '=' })[#data % 3 + 1])
end

function setup(thread)
  thread:set("thread_id", math.random(1, 1000000000))
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Basic " .. base64(key .. ":")
end

function request()
  counter = counter + 1
  local parts = {}
  for i = 1, batch do
    local n = counter * batch + i
    parts[i] = string.format(
      '{"type":"track","messageId":"%d-%d-%d","userId":"user-%d","event":"Product Viewed",' ..
      '"properties":{"product_id":"sku-%d","price":%d.5,"category":"phones"},' ..
      '"timestamp":"2026-11-20T10:00:00.000Z","context":{"library":{"name":"wrk","version":"1"}}}',
      thread_id, counter, i, n % users, n % 5000, n % 900)
  end
  local body = '{"batch":[' .. table.concat(parts, ",") .. '],"sentAt":"2026-11-20T10:00:01.000Z"}'
  return wrk.format(nil, "/v1/batch", nil, body)
end
