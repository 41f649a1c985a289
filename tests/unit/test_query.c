#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "model/query.h"

static void test_leaves(void **state)
{
	struct arena a;
	arena_init(&a);
	const struct qexpr *e = q_int(&a, QF_STATE, Q_NE, 5);
	assert_int_equal(e->op, Q_NE);
	assert_int_equal(e->field, QF_STATE);
	assert_int_equal(e->kind, QV_INT);
	assert_int_equal(e->i, 5);
	assert_null(e->a);
	assert_null(e->b);

	char text[] = "Nightly";
	e = q_text(&a, QF_NAME, Q_EQ, text);
	text[0] = 'X';                       /* the text is copied */
	assert_int_equal(e->kind, QV_TEXT);
	assert_string_equal(e->s, "Nightly");

	struct uuid u;
	memset(&u, 0xab, sizeof(u));
	e = q_uuid(&a, QF_JOB_ID, Q_EQ, &u);
	memset(&u, 0, sizeof(u));
	assert_int_equal(e->kind, QV_UUID);
	assert_int_equal(e->u.b[15], 0xab);

	char pat[] = "a*b";
	e = q_match(&a, QF_NAME, pat);
	pat[0] = 'z';
	assert_int_equal(e->op, Q_MATCH);
	assert_int_equal(e->kind, QV_TEXT);
	assert_string_equal(e->s, "a*b");

	e = q_null(&a, QF_END, 1);
	assert_int_equal(e->op, Q_NULL);
	assert_int_equal(e->field, QF_END);
	e = q_null(&a, QF_END, 0);
	assert_int_equal(e->op, Q_NOTNULL);
	arena_free(&a);
}

static void test_in(void **state)
{
	struct arena a;
	arena_init(&a);
	int64_t list[3] = {1, 5, 9};
	const struct qexpr *e = q_in(&a, QF_TYPE, list, 3);
	list[1] = 0;                         /* the list is copied */
	assert_int_equal(e->op, Q_IN);
	assert_int_equal(e->kind, QV_INT);
	assert_int_equal(e->nlist, 3);
	assert_int_equal(e->list[1], 5);
	int ints[2] = {-3, 7};
	e = q_in_ints(&a, QF_RESULT, ints, 2);
	ints[0] = 0;
	assert_int_equal(e->nlist, 2);
	assert_int_equal(e->list[0], -3);
	assert_int_equal(e->list[1], 7);
	e = q_in(&a, QF_TYPE, NULL, 0);
	assert_non_null(e);
	assert_int_equal(e->nlist, 0);
	e = q_in_ints(&a, QF_TYPE, NULL, 0);
	assert_int_equal(e->nlist, 0);
	arena_free(&a);
}

static void test_combinators(void **state)
{
	struct arena a;
	arena_init(&a);
	const struct qexpr *x = q_int(&a, QF_STATE, Q_EQ, 1), *y = q_int(&a, QF_RESULT, Q_EQ, 2);
	const struct qexpr *e = q_and(&a, x, y);
	assert_int_equal(e->op, Q_AND);
	assert_ptr_equal(e->a, x);
	assert_ptr_equal(e->b, y);
	e = q_or(&a, x, y);
	assert_int_equal(e->op, Q_OR);
	assert_ptr_equal(e->a, x);
	assert_ptr_equal(e->b, y);
	e = q_not(&a, x);
	assert_int_equal(e->op, Q_NOT);
	assert_ptr_equal(e->a, x);
	/* NULL operands drop out, so absent filters chain. */
	assert_ptr_equal(q_and(&a, NULL, y), y);
	assert_ptr_equal(q_and(&a, x, NULL), x);
	assert_null(q_and(&a, NULL, NULL));
	assert_ptr_equal(q_or(&a, NULL, y), y);
	assert_ptr_equal(q_or(&a, x, NULL), x);
	assert_null(q_or(&a, NULL, NULL));
	assert_null(q_not(&a, NULL));
	const struct qexpr *chain = NULL;
	chain = q_and(&a, chain, NULL);
	chain = q_and(&a, chain, x);
	chain = q_and(&a, chain, NULL);
	assert_ptr_equal(chain, x);
	chain = q_and(&a, chain, y);
	assert_int_equal(chain->op, Q_AND);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaves),
		cmocka_unit_test(test_in),
		cmocka_unit_test(test_combinators),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
