#include "store/sqlgen.h"

#include <string.h>

#include "model/catalog.h"

static void placeholder(struct sqlgen *g, struct buf *b, int n)
{
	buf_printf(b, "%c%d", g->d->dollar ? '$' : '?', n);
}

static void add_param(struct sqlgen *g, const struct sqlgen_param *p)
{
	if(g->np >= SQLGEN_MAX_PARAMS) {
		g->bad = 1;
		return;
	}
	g->p[g->np++] = *p;
	placeholder(g, &g->where, g->np);
}

/* '*' becomes '%'; LIKE's own wildcards are escaped with '\'. */
static char *like_pattern(struct arena *a, const char *s)
{
	size_t n = strlen(s);
	char *out = arena_alloc(a, 2 * n + 1), *o = out;
	for(size_t i = 0; i < n; i++) {
		char c = s[i];
		if(c == '*')
			*o++ = '%';
		else if(c == '%' || c == '_' || c == '\\') {
			*o++ = '\\';
			*o++ = c;
		} else
			*o++ = c;
	}
	*o = 0;
	return out;
}

static const char *field_col(struct sqlgen *g, enum qfield f)
{
	return (unsigned)f < QF__COUNT ? g->t->field[f] : NULL;
}

/* A keyset continuation "f < v OR (f = v AND id < u)" (or with >) becomes the row value
 * "(f, id) < (v, u)": the database seeks to it in an index on (f, id), where it would
 * scan the whole index for the OR with bound parameters (exports read a million
 * sessions in chunks this way, and each chunk would rescan all the rows before it). */
static int keyset(struct sqlgen *g, const struct qexpr *e)
{
	if(e->op != Q_OR || !e->a || !e->b || e->b->op != Q_AND || !e->b->a || !e->b->b)
		return 0;
	const struct qexpr *lt = e->a, *eq = e->b->a, *id = e->b->b;
	if((lt->op != Q_LT && lt->op != Q_GT) || lt->kind != QV_INT || lt->field == QF_ID || eq->op != Q_EQ ||
	   eq->field != lt->field || eq->kind != QV_INT || eq->i != lt->i || id->op != lt->op || id->field != QF_ID ||
	   id->kind != QV_UUID)
		return 0;
	const char *col = field_col(g, lt->field), *idcol = field_col(g, QF_ID);
	if(!col || !idcol)
		return 0;
	struct sqlgen_param p1 = {.kind = QV_INT, .i = lt->i}, p2 = {.kind = QV_UUID, .u = id->u};
	buf_printf(&g->where, "((%s, %s) %s (", col, idcol, lt->op == Q_LT ? "<" : ">");
	add_param(g, &p1);
	buf_addstr(&g->where, ", ");
	add_param(g, &p2);
	buf_addstr(&g->where, "))");
	return 1;
}

/* Whether some test of e (below its AND, OR and NOT) is one fn accepts. */
static int any_test(const struct qexpr *e, int (*fn)(const struct qexpr *))
{
	if(!e)
		return 0;
	if(e->op == Q_AND || e->op == Q_OR)
		return any_test(e->a, fn) || any_test(e->b, fn);
	if(e->op == Q_NOT)
		return any_test(e->a, fn);
	return fn(e);
}

static int state_test(const struct qexpr *e)
{
	return e->field == QF_STATE;
}

/* Whether the predicate requires a comparison on field f (a test joined by AND alone). */
static int required(const struct qexpr *e, enum qfield f)
{
	if(!e)
		return 0;
	if(e->op == Q_AND)
		return required(e->a, f) || required(e->b, f);
	return e->field == f && e->op >= Q_EQ && e->op <= Q_GE;
}

/* Whether a test is written "+col …", which no index serves (SQLite): every filter test
 * once the page is better read in the order's index (sqlgen_unindexed), and a test on type,
 * state, result or end time when the predicate also tests a job or session id for equality.
 * Without statistics SQLite takes either equality as selective and may read the rows of the
 * most common result (85 % of the table) to find one job's, or the rows of every session
 * ended in a month (an end-time range, whose index has no job id). */
static int plus(const struct sqlgen *g, const struct qexpr *e)
{
	if(e->kind == QV_TEXT && e->op != Q_IN)
		return g->unindexed;
	int tsr = e->field == QF_TYPE || e->field == QF_STATE || e->field == QF_RESULT;
	return (g->unindexed && (tsr || e->field == QF_JOB_ID || e->field == QF_SESSION_ID || e->field == QF_TASK_TYPE ||
	                         e->field == QF_SESSION_TYPE)) ||
	       (g->id_tested && (tsr || e->field == QF_END)) || (g->running_tested && tsr && e->field != QF_STATE);
}

/* Whether every state test of e names running states only (Stopped none of them); *seen
 * tells whether there was one. Running sessions are few, so the state index is the one to
 * serve such a predicate: without statistics SQLite would as soon read a result's or a
 * type's rows (Azure Status=Running: result None or Success, 85 % of the table). */
static int running_only(const struct qexpr *e, int *seen)
{
	if(!e)
		return 1;
	if(e->op == Q_AND || e->op == Q_OR)
		return running_only(e->a, seen) && running_only(e->b, seen);
	if(e->op == Q_NOT)
		return !any_test(e->a, state_test);
	if(e->field != QF_STATE)
		return 1;
	*seen = 1;
	if(e->op == Q_EQ && e->kind == QV_INT)
		return e->i != ST_STOPPED;
	if(e->op == Q_GT && e->kind == QV_INT)   /* ST_STOPPED is the least state code */
		return e->i >= ST_STOPPED;
	if(e->op != Q_IN || e->kind != QV_INT || !e->nlist)
		return 0;
	for(int i = 0; i < e->nlist; i++)
		if(e->list[i] == ST_STOPPED)
			return 0;
	return 1;
}

static int id_eq(const struct qexpr *e)
{
	if(!e)
		return 0;
	if(e->op == Q_AND)
		return id_eq(e->a) || id_eq(e->b);
	return e->op == Q_EQ && e->kind == QV_UUID && (e->field == QF_JOB_ID || e->field == QF_SESSION_ID);
}

static void compile(struct sqlgen *g, const struct qexpr *e, struct arena *a)
{
	static const char *const opsym[] = {
		[Q_EQ] = "=", [Q_NE] = "<>", [Q_LT] = "<", [Q_GT] = ">", [Q_LE] = "<=", [Q_GE] = ">=",
	};
	struct buf *w = &g->where;
	if(g->bad || (!g->subst && keyset(g, e)))
		return;
	if(e->op == Q_AND || e->op == Q_OR) {
		buf_addc(w, '(');
		compile(g, e->a, a);
		buf_addstr(w, e->op == Q_AND ? " AND " : " OR ");
		compile(g, e->b, a);
		buf_addc(w, ')');
		return;
	}
	if(e->op == Q_NOT) {
		buf_addstr(w, "NOT (");
		g->neg = !g->neg;
		compile(g, e->a, a);
		g->neg = !g->neg;
		buf_addc(w, ')');
		return;
	}
	if(g->subst && ((unsigned)e->field >= QF__COUNT || !g->t->group[e->field])) {
		/* a test the groups cannot tell: its most (SUBST_MAYBE) or least (SUBST_TRUE)
		 * value for the whole predicate, by the NOTs above it */
		buf_addc(w, (g->subst == SUBST_MAYBE) != g->neg ? '1' : '0');
		return;
	}
	const char *col = field_col(g, e->field);
	if(!col) {
		g->bad = 1;
		return;
	}
	struct sqlgen_param p = {.kind = e->kind, .i = e->i, .s = e->s, .u = e->u};
	switch(e->op) {
	case Q_NULL:
	case Q_NOTNULL:
		buf_printf(w, "%s IS %s", col, e->op == Q_NULL ? "NULL" : "NOT NULL");
		break;
	case Q_MATCH:
		buf_printf(w, "%s%s %s ", g->unindexed ? "+" : "", col, g->d->like);
		p.kind = QV_TEXT;
		p.s = like_pattern(a, e->s ? e->s : "");
		add_param(g, &p);
		buf_addstr(w, " ESCAPE '\\'");
		break;
	case Q_IN:
		if(e->nlist == 0) {
			buf_addstr(w, "1=0");
			break;
		}
		buf_printf(w, "%s%s IN (", plus(g, e) ? "+" : "", col);
		for(int i = 0; i < e->nlist; i++)
			buf_printf(w, "%s%lld", i ? "," : "", (long long)e->list[i]);
		buf_addc(w, ')');
		break;
	default:
		if(e->op < Q_EQ || e->op > Q_GE) {
			g->bad = 1;
			return;
		}
		if(e->kind == QV_TEXT && g->d->fold) {
			buf_printf(w, "lower(%s) %s lower(", col, opsym[e->op]);
			add_param(g, &p);
			buf_addstr(w, "::text)");
			break;
		}
		buf_printf(w, "%s%s %s ", plus(g, e) ? "+" : "", col, opsym[e->op]);
		add_param(g, &p);
		if(e->kind == QV_TEXT)
			buf_addstr(w, g->d->text_eq);
	}
}

static void compile_where(struct sqlgen *g, struct arena *a)
{
	if(g->pred) {
		buf_addstr(&g->where, " WHERE ");
		compile(g, g->pred, a);
	}
	if(g->where.failed)
		g->bad = 1;
}

void sqlgen_init(struct sqlgen *g, const struct sqlgen_dialect *d, const struct sqlgen_table *t,
                 const struct query *q, struct arena *a)
{
	memset(g, 0, sizeof(*g));
	g->d = d;
	g->t = t;
	g->pred = q->where;
	buf_init(&g->where, 1 << 20);
	g->id_tested = d->unary_plus && id_eq(q->where);
	int seen = 0;
	g->running_tested = d->unary_plus && running_only(q->where, &seen) && seen;
	compile_where(g, a);
}

/* Whether a test is one an index other than the order's may serve. */
static int indexed_test(const struct qexpr *e)
{
	return e->op == Q_MATCH || e->op == Q_IN || (e->op >= Q_EQ && e->op <= Q_GE && e->field != QF_CREATION &&
	                                             e->field != QF_END && e->field != QF_USN);
}

int sqlgen_filter_indexed(const struct sqlgen *g)
{
	return g->d->unary_plus && any_test(g->pred, indexed_test);
}

void sqlgen_unindexed(struct sqlgen *g, struct arena *a)
{
	buf_reset(&g->where);
	g->np = 0;
	g->unindexed = 1;
	compile_where(g, a);
}

void sqlgen_free(struct sqlgen *g)
{
	buf_free(&g->where);
}

/* Whether a predicate tests only type, state and result (and, with flags, is_canceled
 * and stop_requested), whose per-combination counts a counts table keeps. */
static int counts_only(const struct qexpr *e, int flags)
{
	if(!e)
		return 1;
	if(e->op == Q_AND || e->op == Q_OR)
		return counts_only(e->a, flags) && counts_only(e->b, flags);
	if(e->op == Q_NOT)
		return counts_only(e->a, flags);
	if(e->field != QF_TYPE && e->field != QF_STATE && e->field != QF_RESULT &&
	   !(flags && (e->field == QF_IS_CANCELED || e->field == QF_STOP_REQUESTED)))
		return 0;
	return e->op == Q_IN || e->op == Q_NULL || e->op == Q_NOTNULL ||
	       (e->op >= Q_EQ && e->op <= Q_GE && e->kind == QV_INT);
}

/* Whether a predicate tests only fields the groups table holds. Any test on them is
 * true or false for a whole group, so the sum over the matching groups is exact. */
static int groups_only(const struct sqlgen_table *t, const struct qexpr *e)
{
	if(!e)
		return 1;
	if(e->op == Q_AND || e->op == Q_OR)
		return groups_only(t, e->a) && groups_only(t, e->b);
	if(e->op == Q_NOT)
		return groups_only(t, e->a);
	return (unsigned)e->field < QF__COUNT && t->group[e->field] != NULL;
}

/* A predicate that is a conjunction of bounds on field f (creation or end time) and a rest
 * on type, state and result only: the bounds into [*lo, *hi] (inclusive; INT64_MIN/MAX
 * where none), the rest into *rest. 0 when the predicate has another shape or no bound. */
static int time_range(struct arena *a, enum qfield f, const struct qexpr *e, int64_t *lo, int64_t *hi,
                      const struct qexpr **rest, int *bounds)
{
	if(!e)
		return 1;
	if(e->op == Q_AND)
		return time_range(a, f, e->a, lo, hi, rest, bounds) && time_range(a, f, e->b, lo, hi, rest, bounds);
	if(e->field == f && e->kind == QV_INT && e->op >= Q_LT && e->op <= Q_GE) {
		int64_t v = e->i;
		if((e->op == Q_GT && v == INT64_MAX) || (e->op == Q_LT && v == INT64_MIN))
			return 0;
		if(e->op == Q_GE || e->op == Q_GT) {
			v += e->op == Q_GT;
			*lo = v > *lo ? v : *lo;
		} else {
			v -= e->op == Q_LT;
			*hi = v < *hi ? v : *hi;
		}
		(*bounds)++;
		return 1;
	}
	if(!counts_only(e, 0))
		return 0;
	*rest = q_and(a, *rest, e);
	return 1;
}

static int64_t floor_div(int64_t x, int64_t d)
{
	return x / d - (x % d < 0);
}

static void count_param(struct sqlgen *g, int64_t v)
{
	g->cp[g->ncp++] = (struct sqlgen_param){.kind = QV_INT, .i = v};
}

/* Totals under a creation range or an end-time range (with type/state/result tests) from
 * the days table of that field: the whole days inside the range summed there, the part
 * days at its ends counted in the field's index (each under a day of sessions), so the
 * cost does not grow with the range. A session not ended has no end day, and no end time
 * within any range. */
static int count_by_days(struct sqlgen *g, struct buf *out, struct arena *a, enum qfield f, const char *days)
{
	int64_t lo = INT64_MIN, hi = INT64_MAX;
	const struct qexpr *rest = NULL;
	int bounds = 0;
	if(!days || !g->pred || !time_range(a, f, g->pred, &lo, &hi, &rest, &bounds) || !bounds)
		return 0;
	if((lo != INT64_MIN && lo > INT64_MAX - 2 * SQLGEN_DAY_US) || (hi != INT64_MAX && hi < INT64_MIN + 2 * SQLGEN_DAY_US))
		return 0;   /* days at the ends of time: counted as rows */
	struct sqlgen sub;
	struct query q = {.where = rest};
	sqlgen_init(&sub, g->d, g->t, &q, a);
	if(f != QF_CREATION)
		sqlgen_unindexed(&sub, a);   /* the time index serves the part days, not a type's */
	if(sub.bad || sub.np > SQLGEN_MAX_PARAMS - 6) {
		sqlgen_free(&sub);
		return 0;
	}
	const char *r = rest ? buf_cstr(&sub.where) + 7 : "1";   /* past " WHERE " */
	g->ncp = 0;
	for(int i = 0; i < sub.np; i++)
		g->cp[g->ncp++] = sub.p[i];
	int k = sub.np;
	const char *name = g->t->name, *c = g->t->field[f];
	char ph = g->d->dollar ? '$' : '?';
	/* the whole days inside [lo, hi], d0 to d1 */
	int64_t d0 = lo == INT64_MIN ? INT64_MIN / SQLGEN_DAY_US - 1 : floor_div(lo - 1, SQLGEN_DAY_US) + 1;
	int64_t d1 = hi == INT64_MAX ? INT64_MAX / SQLGEN_DAY_US + 1 : floor_div(hi + 1, SQLGEN_DAY_US) - 1;
	if(d0 > d1) {
		/* within two days: counted in the index */
		count_param(g, lo);
		count_param(g, hi);
		buf_printf(out, "SELECT count(*) FROM %s WHERE %s BETWEEN %c%d AND %c%d AND (%s)", name, c, ph, k + 1, ph, k + 2,
		           r);
	} else {
		/* the part days at either end, [lo, d0) and (d1, hi]; empty where unbounded */
		count_param(g, d0);
		count_param(g, d1);
		count_param(g, lo == INT64_MIN ? 1 : lo);
		count_param(g, lo == INT64_MIN ? 0 : d0 * SQLGEN_DAY_US - 1);
		count_param(g, hi == INT64_MAX ? 1 : (d1 + 1) * SQLGEN_DAY_US);
		count_param(g, hi == INT64_MAX ? 0 : hi);
		buf_printf(out, "SELECT (SELECT coalesce(sum(n),0) FROM %s WHERE day BETWEEN %c%d AND %c%d AND (%s))"
		                " + (SELECT count(*) FROM %s WHERE %s BETWEEN %c%d AND %c%d AND (%s))"
		                " + (SELECT count(*) FROM %s WHERE %s BETWEEN %c%d AND %c%d AND (%s))",
		           days, ph, k + 1, ph, k + 2, r, name, c, ph, k + 3, ph, k + 4, r, name, c, ph, k + 5, ph, k + 6, r);
	}
	sqlgen_free(&sub);
	return 1;
}

/* The conjuncts of e that test only group fields, and-ed into *part. */
static void group_part(const struct sqlgen_table *t, struct arena *a, const struct qexpr *e, const struct qexpr **part)
{
	if(e->op == Q_AND) {
		group_part(t, a, e->a, part);
		group_part(t, a, e->b, part);
	} else if(groups_only(t, e))
		*part = q_and(a, *part, e);
}

/* A conjunction part of which the groups can count (a name with a time range): when that
 * part matches no group, nothing matches, and the rows are not counted at all. */
static int count_unless_no_group(struct sqlgen *g, struct buf *out, struct arena *a)
{
	const struct qexpr *part = NULL;
	if(!g->t->groups || !g->pred || g->pred->op != Q_AND)
		return 0;
	group_part(g->t, a, g->pred, &part);
	if(!part)
		return 0;
	struct sqlgen sub, all;
	struct query q = {.where = part};
	sqlgen_init(&sub, g->d, g->t, &q, a);
	/* the whole predicate again, its params numbered after the part's */
	memset(&all, 0, sizeof(all));
	all.d = g->d;
	all.t = g->t;
	all.pred = g->pred;
	all.id_tested = g->id_tested;
	all.running_tested = g->running_tested;
	buf_init(&all.where, 1 << 20);
	int ok = !sub.bad && sub.np <= SQLGEN_MAX_PARAMS / 2;
	if(ok) {
		memcpy(all.p, sub.p, sizeof(sub.p[0]) * (size_t)sub.np);
		all.np = sub.np;
		compile_where(&all, a);
		ok = !all.bad;
	}
	if(ok) {
		memcpy(g->cp, all.p, sizeof(all.p[0]) * (size_t)all.np);
		g->ncp = all.np;
		buf_printf(out, "SELECT CASE WHEN EXISTS (SELECT 1 FROM %s%s AND n > 0) THEN (SELECT count(*) FROM %s%s) ELSE 0 END",
		           g->t->groups, buf_cstr(&sub.where), g->t->name, buf_cstr(&all.where));
	}
	sqlgen_free(&sub);
	sqlgen_free(&all);
	return ok;
}

int sqlgen_count(struct sqlgen *g, struct buf *out, struct arena *a)
{
	g->ncp = 0;
	/* Totals under type/state/result filters come from the counts table: a full
	 * count(*) over a million sessions costs half a second. Under name and job filters
	 * (alone or with those) they come from the groups table, a few rows per distinct
	 * name: the same predicate, read against the groups instead of the sessions. */
	if(g->t->counts && counts_only(g->pred, g->t->counts_flags))
		buf_printf(out, "SELECT coalesce(sum(n),0) FROM %s%s", g->t->counts, buf_cstr(&g->where));
	else if(g->t->groups && groups_only(g->t, g->pred))
		buf_printf(out, "SELECT coalesce(sum(n),0) FROM %s%s", g->t->groups, buf_cstr(&g->where));
	else if(count_by_days(g, out, a, QF_CREATION, g->t->days) || count_by_days(g, out, a, QF_END, g->t->end_days))
		return 1;
	else if(count_unless_no_group(g, out, a))
		return 0;
	else {
		buf_printf(out, "SELECT count(*) FROM %s%s", g->t->name, buf_cstr(&g->where));
		return 0;
	}
	return 1;
}

void sqlgen_page(struct sqlgen *g, const struct query *q, int64_t total, struct buf *out)
{
	const char *ocol = (unsigned)q->order < QO__COUNT && g->t->order[q->order] ? g->t->order[q->order] : "creation";
	const char *idcol = g->t->field[QF_ID];
	/* In usn order without a usn range (the lease sweep, the running sessions the alerts
	 * learn at start), sessions with a lapsed lease or running ones are few and an index
	 * finds them (the lease's, the state's); without statistics SQLite would rather walk
	 * the usn index over every session (2 s at a million) to save sorting them. "+col"
	 * keeps the order's index out. */
	const char *op = g->d->unary_plus && q->order == QO_USN && !required(g->pred, QF_USN) &&
	                 (required(g->pred, QF_LEASE) || g->running_tested) ? "+" : "";
	int64_t skip = q->skip > 0 ? q->skip : 0, limit = q->limit;
	g->reverse = 0;
	if(total >= 0 && limit >= 0 && limit <= 10000 && skip > total / 2) {
		/* A page in the far half of the list mirrors one in the near half: read that
		 * in the opposite order (NULLs sort first ascending, last descending, so the
		 * order reverses exactly) and hand its rows out backwards. */
		int64_t end = skip + limit < total ? skip + limit : total;
		limit = end > skip ? end - skip : 0;
		skip = total - end;
		g->reverse = 1;
	}
	int up = q->asc != g->reverse;
	const char *dir = g->d->nulls ? (up ? "ASC NULLS FIRST" : "DESC NULLS LAST") : up ? "ASC" : "DESC";
	const char *where = buf_cstr(&g->where);
	g->paged = limit >= 0 || skip > 0;
	g->limit = limit >= 0 ? limit : -1;
	g->offset = skip;
	if(skip > 0 || g->by_jobs) {
		/* Skipped rows are stepped over in the inner query, which reads only index
		 * entries where an index covers the filter; full rows are read for the page only. */
		buf_printf(out, "SELECT %s FROM %s WHERE %s IN (SELECT %s FROM %s%s ORDER BY %s%s %s, %s %s LIMIT ", g->t->cols,
		           g->t->name, idcol, idcol, g->by_jobs ? g->t->by_job : g->t->name, where, op, ocol, dir, idcol, dir);
		placeholder(g, out, g->np + 1);
		buf_addstr(out, " OFFSET ");
		placeholder(g, out, g->np + 2);
		buf_printf(out, ") ORDER BY %s%s %s, %s %s", op, ocol, dir, idcol, dir);
		return;
	}
	buf_printf(out, "SELECT %s FROM %s%s ORDER BY %s%s %s, %s %s", g->t->cols, g->t->name, where, op, ocol, dir, idcol,
	           dir);
	if(limit >= 0) {
		buf_addstr(out, " LIMIT ");
		placeholder(g, out, g->np + 1);
		buf_addstr(out, " OFFSET ");
		placeholder(g, out, g->np + 2);
	}
}

int sqlgen_page_empty(const struct query *q, int64_t total)
{
	return total >= 0 && (q->limit == 0 || (q->skip > 0 ? q->skip : 0) >= total);
}

void sqlgen_update(const struct sqlgen_dialect *d, const char *table, const char *cols, uint32_t mask,
                   struct buf *out)
{
	buf_printf(out, "UPDATE %s SET ", table);
	const char *c = cols, *first = cols;
	size_t first_len = strcspn(cols, ",");
	int any = 0;
	for(int i = 0; *c; i++) {
		size_t len = strcspn(c, ",");
		if(mask & (1u << i)) {
			buf_printf(out, "%s%.*s=%c%d", any ? "," : "", (int)len, c, d->dollar ? '$' : '?', i + 1);
			any = 1;
		}
		c += len + (c[len] == ',');
	}
	buf_printf(out, " WHERE %.*s=%c1", (int)first_len, first, d->dollar ? '$' : '?');
}

/* ---------- pages and totals read job by job (SQLite's session_names) ----------
 *
 * A predicate P is compiled against the groups table twice, each test the groups cannot
 * tell (a time, a flag) replaced by a constant: by TRUE where that makes P truer (M, "may
 * match") and by FALSE where that makes it falser (T, "matches whatever the rest"). In
 * SQL's three-valued logic AND, OR and NOT keep that order, so every session matching P
 * is in a group where M holds, and every session of a group where T holds matches P.
 * When no group where M holds lacks a job id, the sessions matching P are among those of
 * the jobs of those groups, which the job index (job_id, creation) gives: the cost is the
 * jobs' sessions, not the table. */

static int job_test(const struct qexpr *e)
{
	return e->field == QF_NAME || e->field == QF_JOB_NAME || e->field == QF_JOB_ID;
}

/* Appends e compiled into w's text (its params numbered after w's so far) to out. */
static void piece(struct sqlgen *w, const struct qexpr *e, int subst, struct buf *out, struct arena *a)
{
	buf_reset(&w->where);
	w->subst = subst;
	w->neg = 0;
	if(e)
		compile(w, e, a);
	else
		buf_addc(&w->where, '1');
	w->subst = 0;
	buf_addstr(out, buf_cstr(&w->where));
}

static void work_init(struct sqlgen *w, const struct sqlgen *g)
{
	memset(w, 0, sizeof(*w));
	w->d = g->d;
	w->t = g->t;
	w->pred = g->pred;
	w->id_tested = g->id_tested;
	w->running_tested = g->running_tested;
	buf_init(&w->where, 1 << 20);
}

/* The top-level conjuncts of e that test the groups' fields only into *grp, the others
 * into *rest. */
static void split(const struct sqlgen_table *t, struct arena *a, const struct qexpr *e, const struct qexpr **grp,
                  const struct qexpr **rest)
{
	if(e->op == Q_AND) {
		split(t, a, e->a, grp, rest);
		split(t, a, e->b, grp, rest);
	} else if(groups_only(t, e))
		*grp = q_and(a, *grp, e);
	else
		*rest = q_and(a, *rest, e);
}

/* Whether a predicate tests only columns the job index holds (creation, type, state,
 * result, end time), so that it is tested there without reading rows. */
static int job_index_only(const struct qexpr *e)
{
	if(!e)
		return 1;
	if(e->op == Q_AND || e->op == Q_OR)
		return job_index_only(e->a) && job_index_only(e->b);
	if(e->op == Q_NOT)
		return job_index_only(e->a);
	return (e->field == QF_CREATION || e->field == QF_TYPE || e->field == QF_STATE || e->field == QF_RESULT ||
	        e->field == QF_END) &&
	       e->kind == QV_INT;
}

/* The creation bounds among the top-level conjuncts of e, into [*lo, *hi]. */
static void creation_bounds(const struct qexpr *e, int64_t *lo, int64_t *hi)
{
	if(!e)
		return;
	if(e->op == Q_AND) {
		creation_bounds(e->a, lo, hi);
		creation_bounds(e->b, lo, hi);
	} else if(e->field == QF_CREATION && e->kind == QV_INT) {
		if((e->op == Q_GE || e->op == Q_GT || e->op == Q_EQ) && e->i > *lo)
			*lo = e->i;
		if((e->op == Q_LE || e->op == Q_LT || e->op == Q_EQ) && e->i < *hi)
			*hi = e->i;
	}
}

int sqlgen_jobs_stats(struct sqlgen *g, struct buf *out, struct arena *a)
{
	/* a creation range within a day (EM Name=="job@time"): its index range is read at
	 * once, cheaper than the groups */
	int64_t lo = INT64_MIN, hi = INT64_MAX;
	creation_bounds(g->pred, &lo, &hi);
	if(lo != INT64_MIN && hi != INT64_MAX && (hi < lo || (uint64_t)hi - (uint64_t)lo <= (uint64_t)SQLGEN_DAY_US))
		return 0;
	const struct sqlgen_table *t = g->t;
	/* not under a NOT at the top (which keeps the plain reading, as the tests compare
	 * with it), nor when a job or session id is tested: the job index serves that already */
	if(!t->groups || !t->group || !t->group[QF_JOB_ID] || !t->by_job || !g->pred || g->bad || g->pred->op == Q_NOT ||
	   g->id_tested || !any_test(g->pred, job_test))
		return 0;
	const struct qexpr *grp = NULL, *rest = NULL;
	split(t, a, g->pred, &grp, &rest);
	struct sqlgen w;
	work_init(&w, g);
	/* one pass over the groups, job by job: whether M holds for one of its groups (m),
	 * whether M holds and T does not (r), whether the group-only conjuncts fail (x) */
	buf_addstr(out, "SELECT coalesce(max(job_id IS NULL AND m), 0), coalesce(sum(CASE WHEN m THEN k END), 0),"
	                " coalesce(max(job_id IS NULL AND r), 0), coalesce(sum(CASE WHEN r THEN k END), 0),");
	buf_addstr(out, grp ? " coalesce(sum(m AND x), 0)" : " -1");
	buf_addstr(out, " FROM (SELECT job_id, max((");
	piece(&w, g->pred, SUBST_MAYBE, out, a);
	buf_addstr(out, ") IS 1) AS m, max((");
	piece(&w, g->pred, SUBST_MAYBE, out, a);
	buf_addstr(out, ") IS 1 AND (");
	piece(&w, g->pred, SUBST_TRUE, out, a);
	buf_addstr(out, ") IS NOT 1) AS r, max((");
	piece(&w, grp, 0, out, a);
	buf_printf(out, ") IS NOT 1) AS x, sum(n) AS k FROM %s GROUP BY job_id)", t->groups);
	int ok = !w.bad && !w.where.failed;
	memcpy(g->cp, w.p, sizeof(w.p[0]) * (size_t)w.np);
	g->ncp = w.np;
	sqlgen_free(&w);
	return ok;
}

/* The rows of the jobs where M holds (and, for a total, T does not), tested by P, or by
 * its conjuncts that are not group-only when every group of those jobs passes those
 * (exact): written into w's where text. */
static void jobs_where(struct sqlgen *w, const struct sqlgen *g, int exact, int total, struct buf *out,
                       struct arena *a)
{
	const struct qexpr *grp = NULL, *rest = NULL;
	split(g->t, a, g->pred, &grp, &rest);
	buf_printf(out, " WHERE %s IN (SELECT job_id FROM %s WHERE (", g->t->field[QF_JOB_ID], g->t->groups);
	piece(w, g->pred, SUBST_MAYBE, out, a);
	buf_addstr(out, ") IS 1");
	if(total) {
		buf_addstr(out, " AND (");
		piece(w, g->pred, SUBST_TRUE, out, a);
		buf_addstr(out, ") IS NOT 1");
	}
	buf_addstr(out, ") AND (");
	w->unindexed = 1;   /* the job index serves; the other tests are tested */
	piece(w, exact ? rest : g->pred, 0, out, a);
	buf_addc(out, ')');
	if(total && !exact) {
		buf_addstr(out, " AND (");
		piece(w, g->pred, SUBST_TRUE, out, a);
		buf_addstr(out, ") IS NOT 1");
	}
	w->unindexed = 0;
}

int sqlgen_jobs_exact_cheap(struct sqlgen *g, struct arena *a)
{
	const struct qexpr *grp = NULL, *rest = NULL;
	split(g->t, a, g->pred, &grp, &rest);
	return job_index_only(rest);
}

int sqlgen_jobs_count(struct sqlgen *g, int exact, struct buf *out, struct arena *a)
{
	struct sqlgen w;
	work_init(&w, g);
	buf_printf(out, "SELECT (SELECT coalesce(sum(n),0) FROM %s WHERE ", g->t->groups);
	piece(&w, g->pred, SUBST_TRUE, out, a);
	buf_printf(out, ") + (SELECT count(*) FROM %s", g->t->by_job);
	jobs_where(&w, g, exact, 1, out, a);
	buf_addc(out, ')');
	int ok = !w.bad && !w.where.failed;
	memcpy(g->cp, w.p, sizeof(w.p[0]) * (size_t)w.np);
	g->ncp = w.np;
	sqlgen_free(&w);
	return ok;
}

int sqlgen_jobs_page(struct sqlgen *g, int exact, struct arena *a)
{
	struct sqlgen w;
	work_init(&w, g);
	struct buf text;
	buf_init(&text, 1 << 20);
	jobs_where(&w, g, exact, 0, &text, a);
	int ok = !w.bad && !w.where.failed && !text.failed;
	if(ok) {
		buf_reset(&g->where);
		buf_addstr(&g->where, buf_cstr(&text));
		memcpy(g->p, w.p, sizeof(w.p[0]) * (size_t)w.np);
		g->np = w.np;
		g->by_jobs = 1;
	}
	buf_free(&text);
	sqlgen_free(&w);
	return ok;
}

/* ---------- an end-time bound as a creation bound ---------- */

static int end_upper(const struct qexpr *e, int64_t *b)
{
	if(!e)
		return 0;
	if(e->op == Q_AND) {
		int64_t x, y;
		int hx = end_upper(e->a, &x), hy = end_upper(e->b, &y);
		if(hx && hy)
			*b = x < y ? x : y;
		else if(hx || hy)
			*b = hx ? x : y;
		return hx || hy;
	}
	if(e->field == QF_END && e->kind == QV_INT && (e->op == Q_LT || e->op == Q_LE)) {
		*b = e->i;
		return 1;
	}
	return 0;
}

int sqlgen_end_bound(const struct sqlgen *g, int64_t *b)
{
	return g->t->end_days && end_upper(g->pred, b);
}

void sqlgen_restrict(struct sqlgen *g, const struct qexpr *extra, struct arena *a)
{
	g->pred = q_and(a, g->pred, extra);
	buf_reset(&g->where);
	g->np = 0;
	compile_where(g, a);
}
