-- Adds the VBR headers (x-api-version, Bearer token from BENCH_TOKEN) to every request.
-- Used for nginx too, so both servers receive byte-identical requests.
local token = os.getenv("BENCH_TOKEN")
wrk.headers["x-api-version"] = "1.3-rev2"
if token and token ~= "" then
	wrk.headers["Authorization"] = "Bearer " .. token
end
