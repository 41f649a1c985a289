/* libFuzzer target: the time, TimeSpan and UUID parsers on arbitrary input;
 * whatever they accept must survive format -> parse unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/timefmt.h"
#include "util/uuid.h"

static void check_time(const char *s, size_t n)
{
	int64_t us, back;
	char out[TIME_STR_MAX];
	if(time_parse(s, n, &us))
		return;
	size_t len = time_format(us, 6, out);
	if(len >= TIME_STR_MAX || len != strlen(out) || time_parse(out, len, &back) || back != us)
		abort();
	len = time_format(us, 7, out);
	if(time_parse(out, len, &back) || back != us)
		abort();
	len = time_format(us, 0, out);
	int64_t whole = us - (((us % 1000000) + 1000000) % 1000000);
	if(time_parse(out, len, &back) || back != whole)
		abort();
	if(time_format_plain(us, out) != 19)
		abort();
}

static void check_timespan(const char *s, size_t n)
{
	int64_t us, back;
	char out[40];
	if(timespan_parse(s, n, &us))
		return;
	size_t len = timespan_format(us, out);
	if(len >= sizeof out || len != strlen(out) || timespan_parse(out, len, &back) || back != us)
		abort();
}

static void check_uuid(const char *s, size_t n)
{
	struct uuid u, back;
	char out[UUID_STR_LEN + 1];
	if(uuid_parse(s, n, &u))
		return;
	uuid_format(&u, out);
	if(strlen(out) != UUID_STR_LEN || uuid_parse(out, UUID_STR_LEN, &back) || !uuid_eq(&u, &back))
		abort();
	for(size_t i = 0; i < UUID_STR_LEN; i++) {
		char c = s[i];
		if(c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if(c != out[i])
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	check_time(s, size);
	check_timespan(s, size);
	check_uuid(s, size);
	return 0;
}
