-- Each request registers a new person: a unique email per run, thread and request.
local counter = 0
local threads = {}
local thread_id = 0

function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  run = args[1] or tostring(os.time())
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"name":"Bench %d-%d","email":"r%s-t%d-%d@bench.example","language":"en","consents":{"privacy":true}}', tid, counter, run, tid, counter)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
