-- wrk script: POST a distinct Voicenter CDR (JSON) per request, so that every durable request
-- inserts one new row. ivruniqueid = BENCH_PREFIX .. "t" .. thread .. "n" .. counter.
-- done() prints one JSON line (prefixed "WRKJSON ") that run.py parses.

local prefix = os.getenv("BENCH_PREFIX") or ("20231115092000wrk" .. os.time())
local template = '{"caller":"0722776772","target":"97250%07d","time":1700040000,"duration":11,'
  .. '"ivruniqueid":"%s","type":"Extension Outgoing","status":"ANSWER","targetextension":"",'
  .. '"callerextension":"SIPSIP","did":"","queueid":0,"queuename":"",'
  .. '"record":"https://cpanel.voicenter.co.il/CallsHistory/PlayRecord/%s-aws.mp3","price":7,'
  .. '"dialtime":2,"representative_name":"Walter Melon","representative_code":"9996",'
  .. '"targetextension_name":"","callerextension_name":"Walter Melon","target_country":"Israel",'
  .. '"caller_country":"Israel","DepartmentName":"Voicenter Account","DepartmentID":123456,'
  .. '"TopDepartmentName":"Voicenter Top Account","TopDepartmentID":7654321}'

local next_thread = 0
function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_no", next_thread)
end

counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
  counter = counter + 1
  local id = prefix .. "t" .. (thread_no or 0) .. "n" .. counter
  return wrk.format(nil, nil, nil, string.format(template, counter % 10000000, id, id))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,'
      .. '"write_errors":%d,"non_2xx":%d,"timeouts":%d,"p50_ms":%.3f,"p99_ms":%.3f,'
      .. '"max_ms":%.3f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
