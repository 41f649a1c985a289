#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/timefmt.h"

#define S INT64_C(1000000)
#define T0 (INT64_C(1709642096) * S) /* 2024-03-05T12:34:56Z */

static const struct {
	const char *in;
	int64_t us;
} good[] = {
	{"1970-01-01T00:00:00Z", 0},
	{"2024-03-05T12:34:56Z", T0},
	{"2024-03-05t12:34:56z", T0},
	{"2024-03-05 12:34:56Z", T0},
	{"2024-03-05T13:34:56+01:00", T0},
	{"2024-03-05T13:34:56+0100", T0},
	{"2024-03-05T13:34:56%2B01:00", T0},
	{"2024-03-05T13:34:56%2b01:00", T0},
	{"2024-03-05T13:34:56 01:00", T0},
	{"2024-03-05 13:34:56 01:00", T0},
	{"2024-03-05T07:04:56-05:30", T0},
	{"2024-03-05T12:34:56-00:00", T0},
	{"2024-03-06T00:34:56+12:00", T0},
	{"2024-03-05T12:34:56.1Z", T0 + 100000},
	{"2024-03-05T12:34:56.12Z", T0 + 120000},
	{"2024-03-05T12:34:56.123Z", T0 + 123000},
	{"2024-03-05T12:34:56.1234Z", T0 + 123400},
	{"2024-03-05T12:34:56.12345Z", T0 + 123450},
	{"2024-03-05T12:34:56.123456Z", T0 + 123456},
	{"2024-03-05T12:34:56.1234567Z", T0 + 123456},
	{"2024-03-05T12:34:56.12345678Z", T0 + 123456},
	{"2024-03-05T12:34:56.999999999Z", T0 + 999999},
	{"2024-03-05T13:34:56.5+01:00", T0 + 500000},
	{"2000-02-29T00:00:00Z", INT64_C(951782400) * S},
	{"1969-12-31T23:59:59.999999Z", -1},
	{"0001-01-01T00:00:00Z", INT64_C(-62135596800) * S},
	{"9999-12-31T23:59:59Z", INT64_C(253402300799) * S},
};

static void test_parse_good(void **state)
{
	for(size_t i = 0; i < sizeof good / sizeof *good; i++) {
		int64_t us = 42;
		int rc = time_parse(good[i].in, strlen(good[i].in), &us);
		if(rc || us != good[i].us)
			fail_msg("%s: rc %d us %lld want %lld", good[i].in, rc, (long long)us,
				 (long long)good[i].us);
	}
}

static const char *bad[] = {
	"",
	"2024-03-05T12:34:56",           /* no offset */
	"2024-03-05T12:34:56.123",       /* no offset */
	"2024-03-05",
	"2024-13-01T00:00:00Z",
	"2024-00-01T00:00:00Z",
	"2024-02-30T00:00:00Z",
	"2023-02-29T00:00:00Z",
	"1900-02-29T00:00:00Z",
	"2024-04-31T00:00:00Z",
	"2024-01-00T00:00:00Z",
	"2024-01-32T00:00:00Z",
	"2024-01-01T24:00:00Z",
	"2024-01-01T23:60:00Z",
	"2024-01-01T23:59:60Z",
	"2024-03-05T12:34:56.Z",
	"2024-03-05T12:34:56.1234567890Z",
	"2024-03-05T12:34:56+01",
	"2024-03-05T12:34:56+1:00",
	"2024-03-05T12:34:56+01:0",
	"2024-03-05T12:34:56+24:00",
	"2024-03-05T12:34:56+01:60",
	"2024-03-05T12:34:56%2C01:00",
	"2024-03-05T12:34:56%2B",
	"2024-03-05T12:34:56Z ",
	"2024-03-05T12:34:56ZZ",
	"2024-03-05X12:34:56Z",
	"2024-03-05T12:34Z",
	"24-03-05T12:34:56Z",
	"2024-3-5T12:34:56Z",
	"2024/03/05T12:34:56Z",
	"+2024-03-05T12:34:56Z",
	"2024-03-05T12:34:56+01:00:00",
	"0000-01-01T00:00:00+00:01",     /* before year 0 */
	"0000-06-15T12:00:00Z",          /* year 0: no dialect's date type has it */
	"0001-01-01T00:30:00+01:00",     /* year 1 in the offset, year 0 in UTC */
	"9999-12-31T23:59:59-00:01",     /* after year 9999 */
};

static void test_parse_bad(void **state)
{
	for(size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int64_t us = 42;
		if(time_parse(bad[i], strlen(bad[i]), &us) != -1)
			fail_msg("accepted %s", bad[i]);
		assert_int_equal(us, 42);
	}
}

static void test_parse_respects_length(void **state)
{
	const char *s = "2024-03-05T12:34:56Zjunk";
	int64_t us;
	assert_int_equal(time_parse(s, 20, &us), 0);
	assert_int_equal(us, T0);
	assert_int_equal(time_parse(s, 19, &us), -1);
	assert_int_equal(time_parse(s, 21, &us), -1);
	assert_int_equal(time_parse("2024-03-05T12:34:56+01:00", 24, &us), -1);
}

static void fmt(int64_t us, int digits, const char *want)
{
	char out[TIME_STR_MAX];
	size_t n = time_format(us, digits, out);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void test_format(void **state)
{
	fmt(0, 0, "1970-01-01T00:00:00Z");
	fmt(T0, 0, "2024-03-05T12:34:56Z");
	fmt(T0 + 123456, 0, "2024-03-05T12:34:56Z");
	fmt(T0 + 123456, 1, "2024-03-05T12:34:56.1Z");
	fmt(T0 + 123456, 3, "2024-03-05T12:34:56.123Z");
	fmt(T0 + 123456, 6, "2024-03-05T12:34:56.123456Z");
	fmt(T0 + 123456, 7, "2024-03-05T12:34:56.1234560Z");
	fmt(T0 + 5, 7, "2024-03-05T12:34:56.0000050Z");
	fmt(T0, 99, "2024-03-05T12:34:56.0000000Z");
	fmt(-1, 6, "1969-12-31T23:59:59.999999Z");
	fmt(INT64_C(951782400) * S, 0, "2000-02-29T00:00:00Z");
	fmt(INT64_C(-62135596800) * S, 0, "0001-01-01T00:00:00Z");
	fmt(INT64_C(253402300799) * S + 999999, 7, "9999-12-31T23:59:59.9999990Z");

	char out[TIME_STR_MAX];
	assert_true(time_format(INT64_MIN, 7, out) < TIME_STR_MAX);
	assert_true(time_format(INT64_MAX, 7, out) < TIME_STR_MAX);
	assert_int_equal(time_format_plain(T0 + 999999, out), 19);
	assert_string_equal(out, "2024-03-05 12:34:56");
	assert_int_equal(time_format_plain(-1, out), 19);
	assert_string_equal(out, "1969-12-31 23:59:59");
}

static void test_format_parse_roundtrip(void **state)
{
	uint64_t x = 88172645463325252u;
	for(int i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* spread over years 0001..9999 */
		int64_t us = INT64_C(-62135596800) * S + (int64_t)(x % (uint64_t)(INT64_C(315506275200) * S));
		char out[TIME_STR_MAX];
		int64_t back;
		size_t n = time_format(us, 6, out);
		assert_int_equal(time_parse(out, n, &back), 0);
		assert_int_equal(back, us);
		n = time_format(us, 0, out);
		assert_int_equal(time_parse(out, n, &back), 0);
		assert_int_equal(back, us - (((us % S) + S) % S));
	}
}

static void span(int64_t us, const char *want)
{
	char out[40];
	size_t n = timespan_format(us, out);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	int64_t back;
	assert_int_equal(timespan_parse(out, n, &back), 0);
	assert_int_equal(back, us);
}

static void test_timespan_format(void **state)
{
	span(31837093, "00:00:31.8370930");
	span(0, "00:00:00.0000000");
	span(1, "00:00:00.0000010");
	span(((INT64_C(1) * 86400 + 2 * 3600 + 3 * 60 + 4) * S), "1.02:03:04.0000000");
	span(INT64_C(86399999999), "23:59:59.9999990");
	span(INT64_C(86400) * S, "1.00:00:00.0000000");
	span(INT64_C(123) * 86400 * S + 1, "123.00:00:00.0000010");
	span(-1500000, "-00:00:01.5000000");
	span(-(INT64_C(90000) * S), "-1.01:00:00.0000000");
	char out[40];
	assert_int_equal(timespan_format(INT64_MIN, out), strlen("-106751991.04:00:54.7758080"));
	assert_string_equal(out, "-106751991.04:00:54.7758080");
	assert_string_equal((timespan_format(INT64_MAX, out), out), "106751991.04:00:54.7758070");
}

static void test_timespan_parse(void **state)
{
	static const struct {
		const char *in;
		int64_t us;
	} ok[] = {
		{"00:00:31.837093", 31837093},
		{"00:00:31.8370930", 31837093},
		{"00:00:31.837093999", 31837093},
		{"00:00:31", 31 * S},
		{"1:02:03", (3600 + 120 + 3) * S},
		{"1.02:03:04", (86400 + 7200 + 180 + 4) * S},
		{"1.2:03:04", (86400 + 7200 + 180 + 4) * S},
		{"-00:00:01.5", -1500000},
		{"-0:00:00", 0},
		{"106751990.23:59:59.9999999", INT64_C(106751990) * 86400 * S + INT64_C(86399999999)},
	};
	for(size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		int64_t us = 42;
		int rc = timespan_parse(ok[i].in, strlen(ok[i].in), &us);
		if(rc || us != ok[i].us)
			fail_msg("%s: rc %d us %lld", ok[i].in, rc, (long long)us);
	}
	static const char *no[] = {"", "-", "00:00", "00:00:00.", "24:00:00", "00:60:00",
				   "00:00:60", "000:00:00", "1:2:3", "1.:00:00", ".00:00:00",
				   "1.123:00:00", "00:00:00Z", " 00:00:00", "--00:00:00",
				   "106751991.00:00:00", "9999999999.00:00:00",
				   "00:00:00.1234567890", "+00:00:00"};
	for(size_t i = 0; i < sizeof no / sizeof *no; i++) {
		int64_t us = 42;
		if(timespan_parse(no[i], strlen(no[i]), &us) != -1)
			fail_msg("accepted %s", no[i]);
		assert_int_equal(us, 42);
	}
}

static void test_now(void **state)
{
	int64_t a = time_now_us(), b = time_now_us();
	assert_true(a > INT64_C(1700000000) * S);
	assert_true(b >= a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_respects_length),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_parse_roundtrip),
		cmocka_unit_test(test_timespan_format),
		cmocka_unit_test(test_timespan_parse),
		cmocka_unit_test(test_now),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
