#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/timefmt.h"
#include "util/uuid.h"

static void test_parse_format(void **state)
{
	static const unsigned char want[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
					       0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
	struct uuid u;
	const char *s = "01234567-89AB-cdEF-FeDc-BA9876543210";
	assert_int_equal(uuid_parse(s, strlen(s), &u), 0);
	assert_memory_equal(u.b, want, 16);
	char out[UUID_STR_LEN + 1];
	uuid_format(&u, out);
	assert_string_equal(out, "01234567-89ab-cdef-fedc-ba9876543210");

	struct uuid back;
	assert_int_equal(uuid_parse(out, UUID_STR_LEN, &back), 0);
	assert_true(uuid_eq(&u, &back));
	assert_false(uuid_is_nil(&u));
}

static void test_parse_bad(void **state)
{
	static const char *bad[] = {
		"",
		"01234567-89ab-cdef-fedc-ba987654321",
		"01234567-89ab-cdef-fedc-ba98765432100",
		"{01234567-89ab-cdef-fedc-ba9876543210}",
		"0123456789ab-cdef-fedc-ba9876543210-",
		"01234567-89ab-cdef-fedc_ba9876543210",
		"0123456-789ab-cdef-fedc-ba9876543210",
		"01234567-89ab-cdef-fedc-ba987654321g",
		"g1234567-89ab-cdef-fedc-ba9876543210",
		"01234567-89ab-cdef-fedc-ba98765432 0",
		"0123456789abcdeffedcba9876543210",
		"01234567-89ab-cdef-fedc-ba98765432:0",
	};
	struct uuid u;
	memset(&u, 0x55, sizeof u);
	for(size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		if(uuid_parse(bad[i], strlen(bad[i]), &u) != -1)
			fail_msg("accepted %s", bad[i]);
		assert_int_equal(u.b[0], 0x55);
	}
	/* n is authoritative, not the NUL */
	const char *s = "01234567-89ab-cdef-fedc-ba9876543210";
	assert_int_equal(uuid_parse(s, 35, &u), -1);
}

static void test_nil_eq(void **state)
{
	struct uuid a, b;
	memset(&a, 0, sizeof a);
	assert_true(uuid_is_nil(&a));
	char out[UUID_STR_LEN + 1];
	uuid_format(&a, out);
	assert_string_equal(out, "00000000-0000-0000-0000-000000000000");
	b = a;
	assert_true(uuid_eq(&a, &b));
	b.b[15] = 1;
	assert_false(uuid_eq(&a, &b));
	assert_false(uuid_is_nil(&b));
}

static void test_v4(void **state)
{
	struct uuid a, b;
	uuid_v4(&a);
	uuid_v4(&b);
	assert_false(uuid_eq(&a, &b));
	assert_false(uuid_is_nil(&a));
	for(int i = 0; i < 100; i++) {
		uuid_v4(&a);
		assert_int_equal(a.b[6] >> 4, 4);
		assert_int_equal(a.b[8] >> 6, 2);
		char out[UUID_STR_LEN + 1];
		uuid_format(&a, out);
		assert_int_equal(out[14], '4');
		assert_true(strchr("89ab", out[19]) != NULL);
	}
}

static uint64_t ms_of(const struct uuid *u)
{
	uint64_t ms = 0;
	for(int i = 0; i < 6; i++)
		ms = ms << 8 | u->b[i];
	return ms;
}

static void test_v7(void **state)
{
	int64_t before = time_now_us() / 1000;
	struct uuid prev, u;
	uuid_v7(&prev);
	for(int i = 0; i < 2000; i++) {
		uuid_v7(&u);
		assert_int_equal(u.b[6] >> 4, 7);
		assert_int_equal(u.b[8] >> 6, 2);
		/* time prefix (48-bit ms + 12-bit sub-ms) never goes backwards */
		assert_true(memcmp(prev.b, u.b, 6) <= 0);
		if(memcmp(prev.b, u.b, 6) == 0)
			assert_true(((prev.b[6] & 15) << 8 | prev.b[7]) <= ((u.b[6] & 15) << 8 | u.b[7]));
		assert_false(uuid_eq(&prev, &u));
		prev = u;
	}
	int64_t after = time_now_us() / 1000;
	assert_true(ms_of(&u) >= (uint64_t)before);
	assert_true(ms_of(&u) <= (uint64_t)after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_nil_eq),
		cmocka_unit_test(test_v4),
		cmocka_unit_test(test_v7),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
