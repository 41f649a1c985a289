/* sqlgen: list queries (model/query.h) to SQL text, written once for every SQL
 * backend. A backend describes its tables (which column serves each field and
 * order) and its dialect (placeholders, case-insensitive matching); sqlgen
 * writes the WHERE clause, the count and the page with keyset-friendly paging.
 * It never talks to a database: the driver prepares, binds params and steps. */
#ifndef SESSIOND_STORE_SQLGEN_H
#define SESSIOND_STORE_SQLGEN_H
#include <stdint.h>

#include "model/query.h"
#include "util/buf.h"

struct sqlgen_dialect {
	int dollar;                 /* placeholders: 0 "?N" (SQLite), 1 "$N" (PostgreSQL) */
	const char *like;           /* case-insensitive LIKE operator: "LIKE" or "ILIKE" */
	const char *text_eq;        /* appended to a text comparison: " COLLATE NOCASE" or "" */
	int fold;                   /* text comparisons as lower(col) op lower(param::text) */
	int nulls;                  /* say NULLS FIRST (ascending) / NULLS LAST (descending) in
	                               ORDER BY: the order SQLite gives NULLs by itself */
	int unary_plus;             /* "+col" keeps an index from serving a test (SQLite) */
};

struct sqlgen_table {
	const char *name;           /* table name */
	const char *cols;           /* the columns a row read returns, in the reader's order */
	const char *const *field;   /* [QF__COUNT]: column of each field, NULL where none */
	const char *const *order;   /* [QO__COUNT]: column of each order, NULL where none */
	const char *counts;         /* a table of counts per (type, state, result), or NULL */
	int counts_flags;           /* its rows also tell is_canceled and stop_requested apart */
	const char *groups;         /* a table of counts (column n) per distinct combination of the
	                               fields group[] marks, under the same column names, or NULL */
	const char *const *group;   /* [QF__COUNT]: non-NULL for each field the groups table holds */
	const char *days;           /* a table of counts (n) per (day, type, state, result), day being
	                               creation / SQLGEN_DAY_US, or NULL */
	const char *end_days;       /* the same per day of end_time (ended sessions only), or NULL */
	const char *by_job;         /* the table read through its index on (job id, creation) */
};

#define SQLGEN_DAY_US 86400000000LL

struct sqlgen_param {
	enum qval kind;
	int64_t i;
	const char *s;
	struct uuid u;
};

#define SQLGEN_MAX_PARAMS 256

struct sqlgen {
	const struct sqlgen_dialect *d;
	const struct sqlgen_table *t;
	const struct qexpr *pred;   /* the query's predicate */
	struct buf where;           /* " WHERE …" or empty */
	struct sqlgen_param p[SQLGEN_MAX_PARAMS];
	int np;                     /* params of the WHERE clause, numbered 1..np */
	int bad;                    /* the query names a field the table lacks, or is too large */
	int unindexed;              /* filter tests written "+col …" (SQLite: no index serves them) */
	int running_tested;         /* every state test names running states: the state index serves */
	int id_tested;              /* the predicate tests a job or session id for equality: its
	                               type/state/result tests are written "+col …" */
	/* after sqlgen_count: when ncp > 0, the count statement's params are cp[0..ncp), not p */
	struct sqlgen_param cp[SQLGEN_MAX_PARAMS];
	int ncp;
	/* the page, after sqlgen_page */
	int paged;                  /* params np+1 (limit, -1 for none) and np+2 (offset) follow */
	int64_t limit, offset;
	int reverse;                /* rows come in the opposite order: hand them out backwards */
	/* the job-by-job reading (sqlgen_jobs_*) */
	int subst;                  /* compiling against the groups table: SUBST_MAYBE or SUBST_TRUE */
	int neg;                    /* under an odd number of NOTs while compiling */
	int by_jobs;                /* the page is read by job (sqlgen_jobs_page) */
};

enum { SUBST_MAYBE = 1, SUBST_TRUE = 2 };

/** Compiles q's predicate for table t; g->bad says whether it could be. Strings in
 *  params come from a. Call sqlgen_free when done. */
void sqlgen_init(struct sqlgen *g, const struct sqlgen_dialect *d, const struct sqlgen_table *t,
                 const struct query *q, struct arena *a);
void sqlgen_free(struct sqlgen *g);
/** Whether the predicate has a test that an index other than the order's may serve
 *  (SQLite: on text, type, state, result, a job or session id). */
int sqlgen_filter_indexed(const struct sqlgen *g);
/** Compiles the predicate again with those tests kept from index use (SQLite's unary
 *  "+"), so that the page is read in the order's index. Without statistics SQLite serves
 *  such a test from its index and sorts every match for the page (a prefix of a name, a
 *  type that stands for several codes): right when few sessions match, a sort of most of
 *  the table when most do. The caller decides by the total (see sqlite.c). */
void sqlgen_unindexed(struct sqlgen *g, struct arena *a);
/** The statement counting every match into its one column: a sum over the counts or
 *  groups table when the predicate tests only fields that table holds (every session of a
 *  group then matches alike), else a count of the rows. 1 when it is a sum over kept counts,
 *  0 when it counts rows. */
int sqlgen_count(struct sqlgen *g, struct buf *out, struct arena *a);
/** The statement reading the page of q; total is the count (or -1 when unknown), which
 *  lets a page in the far half of a list be read from its near end. */
void sqlgen_page(struct sqlgen *g, const struct query *q, int64_t total, struct buf *out);
/** Whether the page of q holds no row for a list of total matches (total >= 0), so that
 *  it need not be read (a page of a filter that matches little would scan the table). */
int sqlgen_page_empty(const struct query *q, int64_t total);
/** Whether the sessions matching the predicate could be read job by job (sessions with a
 *  name, job name or job id test; SQLite's groups table): if so, out is a statement of
 *  one row, params g->cp[0..ncp): [0] the groups that may match without a job id, [1] the
 *  sessions of the jobs of the groups that may match, [2], [3] the same for the groups
 *  whose sessions need not all match, [4] the groups of the jobs of [1] that fail the
 *  predicate's group-only conjuncts (-1 when it has none). See sqlgen.c. */
int sqlgen_jobs_stats(struct sqlgen *g, struct buf *out, struct arena *a);
/** Whether the conjuncts that are not group-only test only what the job index holds
 *  (creation, type, state, result, end time), without reading rows. */
int sqlgen_jobs_exact_cheap(struct sqlgen *g, struct arena *a);
/** The total read job by job (when [2] is 0), params in g->cp; exact when [4] is 0: the
 *  group-only conjuncts are then not tested on rows. 0 when it cannot be compiled. */
int sqlgen_jobs_count(struct sqlgen *g, int exact, struct buf *out, struct arena *a);
/** Recompiles the predicate so that the page is read job by job (when [0] is 0). */
int sqlgen_jobs_page(struct sqlgen *g, int exact, struct arena *a);
/** Whether the predicate's conjuncts bound end_time from above (*b: the least bound) on a
 *  table that keeps end days (SQLite sessions). */
int sqlgen_end_bound(const struct sqlgen *g, int64_t *b);
/** Adds a conjunct to the predicate and compiles it again. */
void sqlgen_restrict(struct sqlgen *g, const struct qexpr *extra, struct arena *a);
/** "UPDATE table SET c=?i, … WHERE <first col>=?1" for the columns of cols whose bit
 *  is set in mask (bit i: the i-th column, parameter i+1). */
void sqlgen_update(const struct sqlgen_dialect *d, const char *table, const char *cols, uint32_t mask,
                   struct buf *out);

#endif
