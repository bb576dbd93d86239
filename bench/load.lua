-- wrk script: PUT a batch-job payload (bench/body.txt: 4 series + 2 timestamps = 6 series per
-- group) to groups host0..host(N-1), round robin. NGROUPS: number of groups.
local n = tonumber(os.getenv("NGROUPS") or "1000")
local counter = -1
local f = assert(io.open(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "body.txt", "rb"))
local body = f:read("*a")
f:close()
local hdrs = {["Content-Type"] = "text/plain; version=0.0.4"}
request = function()
  counter = counter + 1
  return wrk.format("PUT", "/metrics/job/bench/instance/host" .. (counter % n), hdrs, body)
end
