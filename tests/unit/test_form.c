#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/form.h"

static struct arena a;

static const char *get(const char *body, const char *name)
{
	return form_get(body, strlen(body), name, &a);
}

static void test_decoding(void **state)
{
	arena_init(&a);
	const char *b = "grant_type=password&username=ad%6Din&password=p%40ss+w%2Brd%3D%26x";
	assert_string_equal(get(b, "grant_type"), "password");
	assert_string_equal(get(b, "username"), "admin");
	assert_string_equal(get(b, "password"), "p@ss w+rd=&x");
	assert_null(get(b, "refresh_token"));
	assert_null(get(b, "Password"));            /* names are case-sensitive */
	assert_null(get(b, "pass"));                /* and whole */
	assert_string_equal(get("a=%C3%A9", "a"), "\xc3\xa9");
	assert_string_equal(get("a=%e2%82%AC", "a"), "\xe2\x82\xac");
	/* Keys are decoded too. */
	assert_string_equal(get("user%5Fname=x&user+id=y", "user_name"), "x");
	assert_string_equal(get("user%5Fname=x&user+id=y", "user id"), "y");
	/* Empty values, missing '=', empty fields and '=' inside values. */
	assert_string_equal(get("a=&b=2", "a"), "");
	assert_string_equal(get("a&b=2", "a"), "");
	assert_string_equal(get("&&b=2&", "b"), "2");
	assert_string_equal(get("a=x=y", "a"), "x=y");
	assert_null(get("", "a"));
	assert_null(form_get(NULL, 0, "a", &a));
	/* Only len bytes count. */
	assert_string_equal(form_get("a=12345", 4, "a", &a), "12");
	assert_null(form_get("ab=1", 1, "ab", &a));
	arena_free(&a);
}

static void test_duplicates(void **state)
{
	arena_init(&a);
	assert_string_equal(get("a=1&a=2", "a"), "1");
	assert_string_equal(get("b=0&a=1&a=2", "a"), "1");
	/* A first field with a malformed value is absent, not replaced by a later one. */
	assert_null(get("a=%zz&a=2", "a"));
	arena_free(&a);
}

static void test_malformed(void **state)
{
	arena_init(&a);
	static const char *const bad[] = {
		"a=%", "a=%4", "a=x%", "a=%g1", "a=%1g", "a=%%41", "a=%00", "a=ab%0", "a=%-1", "a=% 1",
	};
	for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if(get(bad[i], "a"))
			fail_msg("%s decoded as '%s'", bad[i], get(bad[i], "a"));
	/* A well-formed escape at the very end still decodes. */
	assert_string_equal(get("a=x%41", "a"), "xA");
	assert_string_equal(get("a=%41", "a"), "A");
	/* A malformed key does not match, and does not hide later fields. */
	assert_null(get("%zz=1", "%zz"));
	assert_string_equal(get("%zz=1&a=2", "a"), "2");
	/* A malformed field elsewhere does not affect the one asked for. */
	assert_string_equal(get("x=%&a=ok", "a"), "ok");
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decoding),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
