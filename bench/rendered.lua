-- auth.lua's headers, and every request a query of its own (an extra parameter, n, that no
-- list reads), so no cached page answers: what rendering a list costs. nginx ignores it.
local token = os.getenv("BENCH_TOKEN")
wrk.headers["x-api-version"] = "1.3-rev2"
if token and token ~= "" then
	wrk.headers["Authorization"] = "Bearer " .. token
end
local threads = 0
function setup(thread)
	threads = threads + 1
	thread:set("tid", threads)
end
local n = 0
function request()
	n = n + 1
	local sep = string.find(wrk.path, "?", 1, true) and "&" or "?"
	return wrk.format(nil, wrk.path .. sep .. "n=" .. tid .. "-" .. n)
end
local sid = os.getenv("BENCH_EMSESSION")
if sid and sid ~= "" then
	wrk.headers["X-RestSvcSessionId"] = sid
	wrk.headers["x-api-version"] = nil
end
