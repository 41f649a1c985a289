-- GET a different session each request: ids one a line in BENCH_IDS, paths BENCH_PREFIX .. id,
-- walked in a random order per thread (so a server's cache of rendered bodies rarely answers).
-- The same paths for sessiond and nginx, which serves a file per session.
local token = os.getenv("BENCH_TOKEN")
local prefix = os.getenv("BENCH_PREFIX") or "/api/v1/sessions/"
wrk.headers["x-api-version"] = "1.3-rev2"
if token and token ~= "" then
	wrk.headers["Authorization"] = "Bearer " .. token
end
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do
	if #line > 0 then ids[#ids + 1] = line end
end
local nthreads = 0

function setup(thread)
	nthreads = nthreads + 1
	thread:set("seed", nthreads * 7919)
end

function init(args)
	math.randomseed(seed or 1)
end

function request()
	return wrk.format(nil, prefix .. ids[math.random(#ids)])
end
