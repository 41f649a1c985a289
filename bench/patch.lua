-- Ingest: PATCH {"progressPercent":k} cycling over the running sessions listed
-- one id a line in BENCH_IDS. Each thread starts at its own offset.
local token = os.getenv("BENCH_TOKEN")
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do
	if #line > 0 then ids[#ids + 1] = line end
end
local headers = {
	["x-api-version"] = "1.3-rev2",
	["Authorization"] = "Bearer " .. token,
	["Content-Type"] = "application/json",
}
local nthreads, i, k = 0, 0, 0

function setup(thread)
	thread:set("start", nthreads * 7919)
	nthreads = nthreads + 1
end

function init(args)
	i = start or 0
end

function request()
	i = i + 1
	k = (k + 1) % 101
	return wrk.format("PATCH", "/api/v1/sessions/" .. ids[(i % #ids) + 1], headers,
	                  '{"progressPercent":' .. k .. '}')
end
