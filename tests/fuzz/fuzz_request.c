/* libFuzzer target: the whole request path (method, URL, query string, headers,
 * body) through router_dispatch, every dialect's prepare/authenticate and the real
 * handlers on a temporary database. Input format and oracles: fuzz_req.h. */
#include "fuzz_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_init();
	if(size > 1 << 16)
		return 0;
	fz_request((const char *)data, size, NULL, NULL);
	return 0;
}
