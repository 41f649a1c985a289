-- wrk script for tests/reliability/test_soak.py: a mix of reads and writes against sessiond.
-- The test writes soak_ids.lua beside it with: token, ids (a Lua table of session ids).
-- Per request: 60% GET one session, 10% list, 5% logs, 15% PATCH progress, 10% POST a log record.
-- Each thread counts answers by status class; done() prints them for the test to read.
local dir = debug.getinfo(1, "S").source:match("@(.*/)") or "./"
local cfg = dofile(os.getenv("SOAK_IDS") or (dir .. "soak_ids.lua"))
local threads = {}
local counter = 0

function setup(thread)
	counter = counter + 1
	thread:set("id", counter)
	table.insert(threads, thread)
end

function init(args)
	s2, s4, s5, other = 0, 0, 0, 0
	math.randomseed(id * 7919)
	n = 0
end

local hdr = {["x-api-version"] = "1.3-rev2", ["Authorization"] = "Bearer " .. cfg.token,
             ["Content-Type"] = "application/json"}

function request()
	n = n + 1
	local sid = cfg.ids[math.random(#cfg.ids)]
	local p = math.random(100)
	if p <= 60 then
		return wrk.format("GET", "/api/v1/sessions/" .. sid, hdr)
	elseif p <= 70 then
		return wrk.format("GET", "/api/v1/sessions?limit=20&orderColumn=CreationTime", hdr)
	elseif p <= 75 then
		return wrk.format("GET", "/api/v1/sessions/" .. sid .. "/logs?limit=10", hdr)
	elseif p <= 90 then
		return wrk.format("PATCH", "/api/v1/sessions/" .. sid, hdr,
			'{"progressPercent":' .. (n % 100) .. '}')
	else
		return wrk.format("POST", "/api/v1/sessions/" .. sid .. "/logs", hdr,
			'{"records":[{"status":"Succeeded","title":"soak ' .. id .. "-" .. n .. '"}]}')
	end
end

function response(status, headers, body)
	if status >= 200 and status < 300 then s2 = s2 + 1
	elseif status >= 400 and status < 500 then s4 = s4 + 1
	elseif status >= 500 then s5 = s5 + 1
	else other = other + 1 end
end

function done(summary, latency, requests)
	local t2, t4, t5, to = 0, 0, 0, 0
	for _, t in ipairs(threads) do
		t2 = t2 + t:get("s2"); t4 = t4 + t:get("s4"); t5 = t5 + t:get("s5"); to = to + t:get("other")
	end
	local e = summary.errors
	io.write(string.format("SOAK requests=%d 2xx=%d 4xx=%d 5xx=%d other=%d connect=%d read=%d write=%d status=%d timeout=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f rps=%.0f\n",
		summary.requests, t2, t4, t5, to, e.connect, e.read, e.write, e.status, e.timeout,
		latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
		summary.requests / (summary.duration / 1e6)))
end
