#include "query.h"

#include "model/catalog.h"

#include <string.h>

static struct qexpr *node(struct arena *a, enum qop op, enum qfield f)
{
	struct qexpr *e = arena_zalloc(a, sizeof(*e));
	e->op = op;
	e->field = f;
	return e;
}

static const struct qexpr *join(struct arena *a, enum qop op, const struct qexpr *x, const struct qexpr *y)
{
	if(!x)
		return y;
	if(!y)
		return x;
	struct qexpr *e = node(a, op, 0);
	e->a = x;
	e->b = y;
	return e;
}

const struct qexpr *q_and(struct arena *a, const struct qexpr *x, const struct qexpr *y)
{
	return join(a, Q_AND, x, y);
}

const struct qexpr *q_or(struct arena *a, const struct qexpr *x, const struct qexpr *y)
{
	return join(a, Q_OR, x, y);
}

const struct qexpr *q_not(struct arena *a, const struct qexpr *x)
{
	if(!x)
		return NULL;
	struct qexpr *e = node(a, Q_NOT, 0);
	e->a = x;
	return e;
}

const struct qexpr *q_int(struct arena *a, enum qfield f, enum qop op, int64_t v)
{
	struct qexpr *e = node(a, op, f);
	e->kind = QV_INT;
	e->i = v;
	return e;
}

const struct qexpr *q_text(struct arena *a, enum qfield f, enum qop op, const char *s)
{
	struct qexpr *e = node(a, op, f);
	e->kind = QV_TEXT;
	e->s = arena_strdup(a, s);
	return e;
}

const struct qexpr *q_uuid(struct arena *a, enum qfield f, enum qop op, const struct uuid *u)
{
	struct qexpr *e = node(a, op, f);
	e->kind = QV_UUID;
	e->u = *u;
	return e;
}

const struct qexpr *q_match(struct arena *a, enum qfield f, const char *pattern)
{
	struct qexpr *e = node(a, Q_MATCH, f);
	e->kind = QV_TEXT;
	e->s = arena_strdup(a, pattern);
	return e;
}

const struct qexpr *q_in(struct arena *a, enum qfield f, const int64_t *list, int n)
{
	struct qexpr *e = node(a, Q_IN, f);
	int64_t *copy = arena_alloc(a, sizeof(*copy) * (size_t)(n > 0 ? n : 1));
	if(n > 0)
		memcpy(copy, list, sizeof(*copy) * (size_t)n);
	e->kind = QV_INT;
	e->list = copy;
	e->nlist = n;
	return e;
}

const struct qexpr *q_in_ints(struct arena *a, enum qfield f, const int *list, int n)
{
	int64_t *tmp = arena_alloc(a, sizeof(*tmp) * (size_t)(n > 0 ? n : 1));
	for(int i = 0; i < n; i++)
		tmp[i] = list[i];
	struct qexpr *e = node(a, Q_IN, f);
	e->kind = QV_INT;
	e->list = tmp;
	e->nlist = n;
	return e;
}

const struct qexpr *q_running(struct arena *a, enum qfield f)
{
	/* ST_STOPPED is the least state code (codes on disk are permanent): every other state is
	 * a running one. One range, which the state index serves and which still lets a lease or
	 * usn index serve a query that tests those too (tests/unit/test_sqlite_plans.c). */
	return q_int(a, f, Q_GT, ST_STOPPED);
}

const struct qexpr *q_null(struct arena *a, enum qfield f, int is_null)
{
	return node(a, is_null ? Q_NULL : Q_NOTNULL, f);
}

int q_op_holds(enum qop op, int c)
{
	switch(op) {
	case Q_EQ: return c == 0;
	case Q_NE: return c != 0;
	case Q_LT: return c < 0;
	case Q_GT: return c > 0;
	case Q_LE: return c <= 0;
	case Q_GE: return c >= 0;
	default: return 0;
	}
}
