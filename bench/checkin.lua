-- Each request scans the next unused ticket of this thread's share, with a fresh nonce.
local thread_id = 0
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
  thread_count = thread_id
end

function init(args)
  codes = {}
  local n = 0
  for line in io.lines(args[1]) do
    n = n + 1
    if (n - 1) % tonumber(args[3]) == tid then codes[#codes + 1] = line end
  end
  session = args[2]
  token = args[4]
  index = 0
  math.randomseed(os.time() * 1000 + tid)
end

local function uuid4()
  local t = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
  return (string.gsub(t, "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

function request()
  index = index + 1
  local code = codes[((index - 1) % #codes) + 1]
  local body = string.format('{"code":"%s","session":%s,"nonce":"%s"}', code, session, uuid4())
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Authorization"] = "Token " .. token}, body)
end
