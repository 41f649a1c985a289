/* query: building backend-neutral list predicates (struct qexpr) from the arena
 * of the request that runs the query. NULL operands are dropped, so filters can
 * be chained with q_and() whether or not each one is present. */
#ifndef SESSIOND_CORE_QUERY_H
#define SESSIOND_CORE_QUERY_H
#include <stdint.h>

#include "store/store.h"

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

#endif
