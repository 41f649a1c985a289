-- Sends the Enterprise Manager session id (BENCH_EMSESSION) on every request, to
-- sessiond and to nginx alike, so both servers receive byte-identical requests.
local sid = os.getenv("BENCH_EMSESSION")
if sid and sid ~= "" then
	wrk.headers["X-RestSvcSessionId"] = sid
end
