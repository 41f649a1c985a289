/* vbr_int: what the files of the VBR dialect (src/api/vbr/) share and nothing else sees:
 * rendering pieces, query parameters and paging, the long poll, and the handlers the
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

/* ---- the backup estate (listing.c) ---- */

#include <jansson.h>

/* A spelling that some versions have: from since up to before before (enum vbr_ver; before 0:
 * every later version too). */
struct vbr__word {
	const char *name;
	int since, before;
};
/** s as the version spells it (case-insensitively among words), NULL when it has no such word. */
const char *vbr__word(const struct vbr__word *words, const char *s, int ver);
/** A reported platform as the version's EPlatformType, else "CustomPlatform". */
const char *vbr__platform(const char *p, int ver);
/** The same among the platforms the version's BackupObjectModel admits, else "VMware". */
const char *vbr__object_platform(const char *p, int ver);
/** key: bytes in GB (2 decimals). */
void vbr__kgb(struct jw *w, const char *key, int64_t bytes);
/** key: the RFC 3339 time property prop, as VBR shows times; nothing when absent. */
void vbr__kptime(struct jw *w, const char *key, json_t *props, const char *prop);
/** The id of the live estate object of kind named name into out (nil when none); 1 if found. */
int vbr__find_id(struct req *r, int kind, const char *name, struct uuid *out);

/* How a filter tests the rendered model's field: equal text (case-insensitive), a value of an
 * enumeration (values: the accepted spellings), a uuid, a boolean (absent: false), a number,
 * a time at or after / at or before, a name holding the text (or matching its * wildcards),
 * a name equal to the text (case-insensitively) or matching its * wildcards, the id of the
 * object's parent (a uuid field that shows the parent: the store selects on it), or (true)
 * only objects without a parent. */
enum vbr__fmatch {
	FM_TEXT, FM_ENUM, FM_UUID, FM_BOOL, FM_NUMBER, FM_AFTER, FM_BEFORE, FM_CONTAINS, FM_LIKE, FM_PARENT, FM_ORPHAN
};
struct vbr__efilter {
	const char *param;          /* query parameter */
	const char *field;          /* rendered field: "a.b" walks in, "x|y" takes the first present */
	enum vbr__fmatch how;
	int multi;                  /* takes an array (repeated parameter) from 1.3 */
	const char *const *values;  /* FM_ENUM: the accepted values (NULL-terminated) */
};
struct vbr__eorder {
	const char *name;           /* orderColumn value */
	const char *field;          /* rendered field it sorts by */
};
/* One estate resource of the dialect. */
struct vbr__elist {
	int kind;                   /* enum estate_kind */
	int since;                  /* first family (enum vbr_fam) whose definition has the path */
	const char *what;           /* "<plural> are", for the 404 of older versions */
	const char *plural, *one;   /* for messages */
	const struct vbr__efilter *filters;   /* {NULL}-terminated, or NULL */
	const struct vbr__eorder *orders;     /* {NULL}-terminated, or NULL */
	void (*render)(struct req *r, struct jw *w, const struct estate_rec *e, json_t *props);
};
/* Picking from rendered models: a list whose items are rendered first, then filtered, sorted
 * and paged on what they show. */
struct vbr__pick;
/** Reads skip, limit, orderAsc (default true), orderColumn (among orders; without one
 *  dflt_order, a rendered field, or NULL: the source's own order, by name) and the filters
 *  the request sends; NULL when it answered 400. */
struct vbr__pick *vbr__pick_begin(struct req *r, const struct vbr__efilter *filters, const struct vbr__eorder *orders,
                                  const char *dflt_order);
/** Whether nothing is filtered and the order is the source's own, ascending (it can page). */
int vbr__pick_plain(const struct vbr__pick *p);
/** The page asked for (skip, limit). */
const struct query *vbr__pick_page(const struct vbr__pick *p);
/** One more filter, f of value value. */
void vbr__pick_fix(struct vbr__pick *p, const struct vbr__efilter *f, const char *value);
/** Offers one rendered model (JSON text); kept when every filter holds. */
void vbr__pick_add(struct vbr__pick *p, const char *json, size_t len);
/** Answers {data, pagination} with what was kept, sorted and paged; or the error of rc. */
void vbr__pick_answer(struct vbr__pick *p, enum rc rc, const char *what);

/** Answers {data, pagination} of l's objects that base selects (parent; may be NULL), with the
 *  request's nameFilter, l's filters, orderColumn/orderAsc (default: by name ascending),
 *  skip and limit; fixed (when not NULL) is one more filter, of value fixed_value. */
void vbr__estate_list(struct req *r, const struct vbr__elist *l, const struct estate_query *base,
                      const struct vbr__efilter *fixed, const char *fixed_value);
/** Answers l's object of path parameter 0 (400 bad id, 404 none). */
void vbr__estate_get(struct req *r, const struct vbr__elist *l);
/** Reads l's object of path parameter idx into e; answers 400/404 and returns -1 otherwise. */
int vbr__estate_read(struct req *r, const struct vbr__elist *l, int idx, struct estate_rec *e);

/* ---- jobs (jobs.c) ---- */

/** The EJobType (in the request's version) of the declared job with id job; a job nobody
 *  declared is a backup job. */
const char *vbr__job_type(struct req *r, const struct uuid *job);

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
void vbr__h_jobs(struct req *r);
void vbr__h_job(struct req *r);
void vbr__h_servers(struct req *r);          /* infrastructure.c */
void vbr__h_server(struct req *r);
void vbr__h_proxies(struct req *r);
void vbr__h_proxy(struct req *r);
void vbr__h_proxy_states(struct req *r);
void vbr__h_repos(struct req *r);
void vbr__h_repo(struct req *r);
void vbr__h_repo_states(struct req *r);
void vbr__h_sobrs(struct req *r);
void vbr__h_sobr(struct req *r);
void vbr__h_wans(struct req *r);
void vbr__h_wan(struct req *r);
void vbr__h_backups(struct req *r);          /* backups.c */
void vbr__h_backup(struct req *r);
void vbr__h_backup_objects(struct req *r);
void vbr__h_objects(struct req *r);
void vbr__h_object(struct req *r);
void vbr__h_object_points(struct req *r);
void vbr__h_points(struct req *r);
void vbr__h_point(struct req *r);
void vbr__h_replicas(struct req *r);
void vbr__h_replica(struct req *r);
void vbr__h_license(struct req *r);          /* misc.c */
void vbr__h_license_instances(struct req *r);
void vbr__h_config_backup(struct req *r);
void vbr__h_best_practices(struct req *r);

#endif
