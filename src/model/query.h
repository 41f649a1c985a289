/* model/query: list queries, and building backend-neutral list predicates (struct qexpr) from the arena
 * of the request that runs the query. NULL operands are dropped, so filters can
 * be chained with q_and() whether or not each one is present. */
#ifndef SESSIOND_MODEL_QUERY_H
#define SESSIOND_MODEL_QUERY_H
#include <stdint.h>

#include "util/mem.h"
#include "util/uuid.h"

/* A list query: a backend-neutral predicate tree, an order and a page. */

enum qfield {
	/* sessions */
	QF_ID, QF_NAME, QF_TYPE, QF_STATE, QF_RESULT, QF_CREATION, QF_END, QF_JOB_ID,
	QF_JOB_NAME, QF_PARENT_ID, QF_RESOURCE_ID, QF_USN, QF_PROGRESS, QF_INITIATED_BY,
	QF_IS_RETRY, QF_BACKUP_SERVER, QF_PLATFORM, QF_IS_CANCELED,
	/* task sessions (QF_ID, QF_NAME, QF_STATE, QF_RESULT, QF_CREATION, QF_END, QF_USN apply too) */
	QF_SESSION_ID, QF_TASK_TYPE, QF_SESSION_TYPE,
	QF_STOP_REQUESTED,                     /* sessions: 0/1 */
	QF_LEASE,                              /* sessions: lease end, µs (NULL when none) */
	QF__COUNT
};

enum qop {
	Q_AND, Q_OR, Q_NOT,                    /* a, b (NOT uses a only) */
	Q_EQ, Q_NE, Q_LT, Q_GT, Q_LE, Q_GE,    /* field op value */
	Q_MATCH,                               /* text field matches s, '*' = any run, case-insensitive */
	Q_IN,                                  /* integer field is one of list[0..nlist) */
	Q_NULL, Q_NOTNULL,                     /* field absent / present */
};

enum qval { QV_INT, QV_TEXT, QV_UUID };    /* times are QV_INT microseconds */

struct qexpr {
	enum qop op;
	enum qfield field;
	enum qval kind;
	int64_t i;
	const char *s;
	struct uuid u;
	const int64_t *list;
	int nlist;
	const struct qexpr *a, *b;
};

enum qorder {
	QO_CREATION, QO_NAME, QO_TYPE, QO_END, QO_STATE, QO_RESULT, QO_INITIATED_BY,
	QO_USN, QO_TASK_TYPE, QO_SESSION_TYPE, QO_JOB_NAME, QO_PROGRESS, QO__COUNT
};

struct query {
	const struct qexpr *where;  /* NULL: everything */
	enum qorder order;
	int asc;
	int64_t skip;
	int64_t limit;              /* < 0: no limit */
	int want_total;             /* count every match into *total */
};


const struct qexpr *q_and(struct arena *a, const struct qexpr *x, const struct qexpr *y);
const struct qexpr *q_or(struct arena *a, const struct qexpr *x, const struct qexpr *y);
const struct qexpr *q_not(struct arena *a, const struct qexpr *x);
const struct qexpr *q_int(struct arena *a, enum qfield f, enum qop op, int64_t v);
const struct qexpr *q_text(struct arena *a, enum qfield f, enum qop op, const char *s);
const struct qexpr *q_uuid(struct arena *a, enum qfield f, enum qop op, const struct uuid *u);
const struct qexpr *q_match(struct arena *a, enum qfield f, const char *pattern);
/** field IN (list[0..n)); the list is copied. */
const struct qexpr *q_in(struct arena *a, enum qfield f, const int64_t *list, int n);
const struct qexpr *q_in_ints(struct arena *a, enum qfield f, const int *list, int n);
const struct qexpr *q_null(struct arena *a, enum qfield f, int is_null);
/** f (a session state field) is any state but Stopped, as a range of state codes, which an
 *  index on the state serves (state <> Stopped would read every row to find the few running). */
const struct qexpr *q_running(struct arena *a, enum qfield f);
/** Whether a comparison op (Q_EQ … Q_GE) holds for c, the sign of field minus value; 0 for
 *  any other op. */
int q_op_holds(enum qop op, int c);

/* Which estate objects a list reads. Without after_usn (-1), live objects ordered by
 * name; with after_usn >= 0, the change feed: objects and tombstones whose usn is
 * greater, by usn. */
struct estate_query {
	int kind;                   /* enum estate_kind; 0: every kind */
	struct uuid parent_id;      /* nil: any parent */
	const char *name;           /* NULL: any; else equal (case-insensitively), or a LIKE
	                               pattern (name_like; '\\' escapes) */
	int name_like;
	int64_t after_usn;
	int64_t offset, limit;      /* limit <= 0: no limit */
};

#endif
