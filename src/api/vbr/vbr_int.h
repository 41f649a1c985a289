/* vbr_int: what the files of the VBR dialect (src/api/vbr/) share and nothing else sees:
 * rendering helpers, query parameters and paging, the long poll, and the handlers the
 * route table (routes.c) names. api/vbr.h is the dialect's public header. */
#ifndef SESSIOND_API_VBR_INT_H
#define SESSIOND_API_VBR_INT_H
#include "api/vbr.h"

#include "core/core.h"
#include "model/catalog.h"
#include "model/query.h"

/* ---- rendering (common.c) ---- */

/** The family (enum vbr_fam) of the request's version (r->version is an enum vbr_ver). */
static inline int vbr__fam(const struct req *r) { return catalog_vbr_family(r->version); }
/** key: the uuid's text. */
void vbr__kuuid(struct jw *w, const char *key, const struct uuid *u);
/** key: the uuid's text, nothing when u is nil. */
void vbr__kuuid_opt(struct jw *w, const char *key, const struct uuid *u);
/** "pagination": {total, count, skip, limit} (PaginationResult). */
void vbr__pagination(struct jw *w, int64_t total, int64_t count, const struct query *q);

/* ---- versions and authentication (common.c) ---- */

enum rc vbr__prepare(struct req *r);
enum rc vbr__authenticate(struct req *r);
/** 1 when the request's version is of family fam or later; else answers 404 ("<what>
 *  available from x-api-version … on") and returns 0. */
int vbr__available(struct req *r, int fam, const char *what);

/* ---- query parameters (common.c): each answers 400 and returns RC_INVALID on a bad value ---- */

/* The most items one list answer holds, in every version: no definition gives a maximum for
 * limit, so a larger limit (limit=2147483647 meaning "everything") is clamped to this and
 * pagination.limit says so; the client pages on with skip. */
#define VBR_LIST_MAX 1000

struct vbr__order_name {
	const char *name;
	enum qorder order;
	int since; /* first family (enum vbr_fam) */
};

/** Answers 400 with fmt (one %s: name). */
enum rc vbr__bad(struct req *r, const char *fmt, const char *name);
enum rc vbr__q_int64(struct req *r, const char *name, int64_t min, int64_t def, int64_t *out);
enum rc vbr__q_bool(struct req *r, const char *name, int def, int *out);
enum rc vbr__q_time(struct req *r, const char *name, enum qfield f, enum qop op, const struct qexpr **where);
enum rc vbr__q_uuidf(struct req *r, const char *name, enum qfield f, const struct qexpr **where);
/** An enum filter: one value before 1.3, an array (repeated parameter) from 1.3 (multi).
 *  match(value) gives the codes the value stands for (-1 when unknown). */
enum rc vbr__q_enum(struct req *r, const char *name, enum qfield f, int multi,
                    int (*match)(const char *s, int ver, int *out, int max), const struct qexpr **where);
int vbr__match_type(const char *s, int ver, int *out, int max);
int vbr__match_state(const char *s, int ver, int *out, int max);
int vbr__match_result(const char *s, int ver, int *out, int max);
int vbr__match_task_type(const char *s, int ver, int *out, int max);
/** orderColumn among names (case-insensitively, in the versions each has). */
enum rc vbr__q_order(struct req *r, const struct vbr__order_name *names, struct query *q);
/** skip and limit (the version's default limit; clamped to VBR_LIST_MAX). */
enum rc vbr__q_limit(struct req *r, int64_t *skip, int64_t *limit);
/** skip, limit and orderAsc. */
enum rc vbr__q_page(struct req *r, struct query *q);
/** The filters sessions and task sessions share (name, times, state, result, usn). */
enum rc vbr__q_common(struct req *r, struct query *q, const struct qexpr **where);

/* ---- the change feed (feed.c) ---- */

/** With ?usnGreaterThan=N&wait=S a request whose answer holds nothing (found == 0) waits up
 *  to S seconds, without holding a worker, for a commit after mark (the newest usn the
 *  answer examined, read before it was computed), then handler runs again and looks anew.
 *  Returns 1 when r now waits or was answered with an error, 0 to answer now. */
int vbr__long_poll(struct req *r, int found, int64_t mark, void (*handler)(struct req *r));

/* ---- sessions (sessions.c) ---- */

/** Answers {data, pagination} for a query over sessions (tasks 0) or task sessions;
 *  again, when not NULL, makes an empty answer a long poll that runs again. */
void vbr__answer_list(struct req *r, const struct query *q, int tasks, void (*again)(struct req *r));
/** Answers the log records of owner (a session or task session) as {records, totalRecords}. */
void vbr__render_logs(struct req *r, const struct uuid *owner);

/* ---- handlers (one file per resource family) ---- */

void vbr__h_token(struct req *r);                 /* auth.c */
void vbr__h_authorization_code(struct req *r);
void vbr__h_logout(struct req *r);
void vbr__h_server_time(struct req *r);           /* misc.c */
void vbr__h_server_info(struct req *r);
void vbr__h_events(struct req *r);                /* feed.c */
void vbr__h_sessions(struct req *r);              /* sessions.c */
void vbr__h_session(struct req *r);
void vbr__h_session_logs(struct req *r);
void vbr__h_session_stop(struct req *r);
void vbr__h_auto_sessions(struct req *r);
void vbr__h_auto_session(struct req *r);
void vbr__h_auto_session_logs(struct req *r);
void vbr__h_auto_session_stop(struct req *r);
void vbr__h_tasks(struct req *r);                 /* tasks.c */
void vbr__h_session_tasks(struct req *r);
void vbr__h_task(struct req *r);
void vbr__h_task_logs(struct req *r);
void vbr__h_job_states(struct req *r);            /* jobs.c */

#endif
