/* VB for Azure dialect: what its modules offer one another. routes.c has the route
 * table, the version of the path, authentication and the token endpoint; wire.c
 * problem+json errors, JSON answers, times and query parameters; types.c the API
 * versions and the JobSessionType values of each; session.c a JobSession in JSON, CSV
 * and XML; feed.c the row feed that streams lists and exports; sessions.c the
 * jobSessions resources; export.c the export endpoint; items.c the item pages under a
 * session (protectedItems, …); overview.c the overview, system and license resources.
 * The backup estate (docs/ESTATE.md): estate.c reads the Azure workloads and restore
 * points into a shared snapshot; workloads.c virtualMachines and protectedItem/…,
 * policies.c policies/…, repositories.c repositories, points.c restorePoints/…. Nothing
 * outside src/api/vbaz/ includes it; the dialect itself is dialect_vbaz in api.h. */
#ifndef SESSIOND_API_VBAZ_H
#define SESSIOND_API_VBAZ_H
#include <stdint.h>

#include "api/api.h"
#include "model/query.h"
#include "util/jw.h"

#define VBAZ_JSON_TYPE "application/json; charset=utf-8"
#define VBAZ_TIME_DIGITS 7        /* .NET DateTime "o" precision */
#define VBAZ_MAX_TYPES 1024       /* type indexes one type filter may expand to */
#define VBAZ_DEFAULT_LIMIT 30     /* Limit when absent: not documented by Veeam, the UI's page size */

/* r->version: the API version of the path (/api/v1 … /api/v8.1). */
enum az_version { AZ_V1 = 1, AZ_V2, AZ_V3, AZ_V4, AZ_V5, AZ_V6, AZ_V7, AZ_V8, AZ_V81, AZ__END };

/** The JobSessionType value that version shows for type t: the version's own value for
 *  it (a renamed value's old or new spelling), else the v8.1 value. Never NULL. */
const char *vbaz__az_type(int t, int version);
/** "v1" … "v8.1" for an enum az_version. */
const char *vbaz__version_name(int v);
/** Whether s is a JobSessionFilterType value of version (case-insensitive). */
int vbaz__type_accepted(const char *s, int version);
/** The types version shows as the value s, into out[0..max); -1 when s is not one of the
 *  version's Types filter values. */
int vbaz__type_match(const char *s, int version, int *out, int max);
/** Whether the space-separated list has the word w (case-sensitive). */
int vbaz__has_word(const char *list, const char *w);
/** scheme://host/api/vN for r, in r->arena. */
const char *vbaz__api_base(struct req *r);

/** Starts a 200-or-other JSON answer written through w. */
void vbaz__json_answer(struct req *r, int status, struct jw *w);
/** A uuid property. */
void vbaz__kuuid(struct jw *w, const char *key, const struct uuid *u);

/** Answers a ProblemDetails of status; field names the offending field (400 only). */
void vbaz__problem(struct req *r, int status, const char *field, const char *msg);
/** Answers an error for rc (status 0: derived from rc). */
void vbaz__error(struct req *r, enum rc rc, int status, const char *msg);
/** Answers 400 naming field; fmt takes the field, then value. Returns RC_INVALID. */
enum rc vbaz__bad(struct req *r, const char *field, const char *fmt, const char *value);

/** A date-time ("o" format) or a TimeSpan ("c" format, negative as 0) property. */
void vbaz__ktime(struct jw *w, const char *key, int64_t us);
void vbaz__kspan(struct jw *w, const char *key, int64_t us);

/** Whether s is a JobStatus value. */
int vbaz__status_known(const char *s);
/** Sessions whose folded JobStatus is one of names[0..n). */
const struct qexpr *vbaz__status_where(struct arena *a, const char *const *names, int n);
/** The number of sessions matching where; a failure answers 500 itself. */
enum rc vbaz__count_where(struct req *r, const struct qexpr *where, int64_t *total);


struct vbaz__render_ctx {
	const char *base;             /* vbaz__api_base() */
	int version;                  /* enum az_version */
	int64_t now;                  /* µs: the duration of running sessions ends here */
};

/** One JobSession object, its info blocks reduced to the schema's properties; a policy
 *  session always has backupJobInfo, whose policyId is the session's job id. */
void vbaz__render_session(struct jw *w, const struct sess_rec *s, const struct vbaz__render_ctx *c);
/** Answers 200 with a JobSession page: the rows of where (newest first) after offset, at
 *  most limit of them (-1: all), totalCount total, _links.self self. buffered: render
 *  now, else stream it in keyset chunks. */
void vbaz__send_page(struct req *r, const struct qexpr *where, int64_t offset, int64_t limit, int64_t total,
                     const char *self, int buffered);
enum vbaz__feed_format { VBAZ_PAGE, VBAZ_CSV, VBAZ_XML };
struct vbaz__feed;
/** A feed of the sessions of where (newest first) in fmt, in r->arena; it becomes r->work. */
struct vbaz__feed *vbaz__feed_new(struct req *r, enum vbaz__feed_format fmt, const struct qexpr *where);
/** Answers status with the feed: rendered now when buffered, else streamed in keyset chunks. */
void vbaz__feed_send(struct req *r, struct vbaz__feed *f, int status, const char *ctype, int buffered);

/** The backupJobInfo property value a policy session shows without a reported one
 *  (policyType: by its workload), NULL when the session is no policy session. */
const char *vbaz__policy_type(const struct sess_rec *s);

/** Checks a body that the operation does not take (v1's export): empty, null or {} pass;
 *  anything else answers 400 naming the first property (or "body"). */
enum rc vbaz__no_body(struct req *r, const char *model);
/** An integer query parameter of at least min (default def when absent); answers 400. */
enum rc vbaz__int_param(struct req *r, const char *name, int64_t min, int64_t def, int64_t *out);

/** A CSV header line, and a session as a CSV line or an XML JobSession element (export). */
void vbaz__csv_header(struct buf *b);
void vbaz__csv_row(struct buf *b, const struct sess_rec *s, const struct vbaz__render_ctx *c);
struct xw;
void vbaz__xml_row(struct xw *w, const struct sess_rec *s, const struct vbaz__render_ctx *c);

/* Handlers (routes.c has the paths). */
void vbaz__h_sessions(struct req *r);
void vbaz__h_session(struct req *r);
void vbaz__h_session_log(struct req *r);
void vbaz__h_session_stop(struct req *r);
void vbaz__h_summary(struct req *r);
void vbaz__h_server_info(struct req *r);
void vbaz__h_about(struct req *r);
/* ---------- estate resources (the backup estate as Azure shows it) ---------- */

/** Whether enum value s (case-insensitive) is in the NULL-terminated values; its index or -1. */
int vbaz__enum_index(const char *const *values, const char *s);
/** An array query parameter of enum values (repeated and/or comma-separated) as a bit
 *  mask of their indexes in values (0 when absent); answers 400 for an unknown value. */
enum rc vbaz__enum_param(struct req *r, const char *name, const char *const *values, unsigned *mask);
/** A boolean query parameter: -1 absent, else 0 or 1; answers 400. */
enum rc vbaz__bool_param(struct req *r, const char *name, int *out);
/** A uuid query parameter: 0 absent, 1 and *u set; answers 400. */
enum rc vbaz__uuid_param(struct req *r, const char *name, struct uuid *u, int *present);
/** Offset and Limit (default VBAZ_DEFAULT_LIMIT, -1: all); answers 400. */
enum rc vbaz__paging(struct req *r, int64_t *offset, int64_t *limit);
/** The head of a PageOf<…> object up to the results array, and its end with _links.self. */
void vbaz__page_head(struct jw *w, int64_t offset, int64_t limit, int64_t total);
void vbaz__page_tail(struct jw *w, const char *self);
/** Renders row i (0-based, of the page) of a page. */
typedef void (*vbaz__row_fn)(struct req *r, struct jw *w, size_t i, void *ctx);
/** Answers 200 with a page of n rows (head: offset, limit, total; _links.self self): a
 *  short page at once, a long one streamed in pieces of about 256 KiB whose rows allocate
 *  from an arena reset between pieces, so its memory does not grow with the page. ctx and
 *  what it points to must live until the request ends (r->arena, the estate snapshot). */
void vbaz__send_rows(struct req *r, int64_t offset, int64_t limit, int64_t total, size_t n, vbaz__row_fn row,
                     void *ctx, const char *self);
/** The rows of a page of total matches from offset, at most limit (-1: all). */
size_t vbaz__page_rows(int64_t total, int64_t offset, int64_t limit);
/** A _links object with self and, when rel is not NULL, the link rel → href. */
void vbaz__links(struct jw *w, const char *self, const char *rel, const char *href);
/** The 404 of an id that names nothing here. */
void vbaz__not_found(struct req *r, const char *what);
/** Whether version v serves a path (since: first version; until: last, 0 for none);
 *  answers 404 naming the versions that have it otherwise. */
int vbaz__path_in(struct req *r, int since, int until);
/** The policyType of the policy sessions of type t ("VirtualMachines", …), NULL if t
 *  is no policy type. */
const char *vbaz__policy_type_of(int t);

/* The Azure workloads of the estate: protected objects of platform Azure (model/estate.def)
 * by their type, and the restore points of each (matched by object name). */
enum vbaz__workload { AZW_VM, AZW_SQL, AZW_SHARE, AZW_COSMOS, AZW__END };

struct vbaz__object {
	const struct estate_rec *e;
	int workload;                 /* enum vbaz__workload */
	int64_t size_bytes;           /* reported sizeBytes, -1 when not */
	const char *host;             /* reported host, or NULL */
	int64_t points;               /* restore points */
	int64_t last_point_us;        /* the newest restore point's time, 0 when none */
	int64_t backup_bytes;         /* reported sizes of its restore points */
	int64_t repo_points;          /* restore points in a repository (reported repository) */
	size_t first_point;           /* its newest restore point (index into pt), VBAZ_NONE if none */
};

#define VBAZ_NONE ((size_t)-1)

struct vbaz__point {
	const struct estate_rec *e;
	size_t object;                /* index into vbaz__estate.obj */
	int64_t time_us;
	int64_t size_bytes;           /* -1 when not reported */
	const char *point_type;       /* reported pointType, or NULL */
	const char *repository;       /* reported repository name, or NULL */
	struct uuid session_id;       /* nil when not reported */
	size_t next;                  /* the object's next older point, VBAZ_NONE after the last */
};

struct vbaz__estate {
	struct vbaz__object *obj;     /* by name */
	size_t nobj;
	struct vbaz__point *pt;       /* newest first */
	size_t npt;
	size_t *points_of[AZW__END];  /* the points of each workload (indexes into pt), newest first */
	size_t npoints_of[AZW__END];
};

/** The Azure workloads and their restore points as of now, shared (read-only) until the
 *  request ends; answers 500 itself. */
enum rc vbaz__estate_read(struct req *r, struct vbaz__estate *out);
/** The path word of workload w under protectedItem/ and restorePoints/ ("sql", …). */
const char *vbaz__workload_word(int w);
/** The workload whose path word follows prefix in path ("/protectedItem/"), -1 if none. */
int vbaz__workload_in_path(const char *path, const char *prefix);
/** Whether name has pattern as a substring, case-insensitively (an empty one: always). */
int vbaz__name_matches(const char *name, const char *pattern);
/** The first version with the resources of workload w (its typed paths, such as
 *  restorePoints/sql, start with v4 at the earliest). */
int vbaz__workload_since(int w);
/** The object of workload w with id, NULL if none. */
const struct vbaz__object *vbaz__estate_object(const struct vbaz__estate *es, int w, const struct uuid *id);

void vbaz__h_vms(struct req *r);
void vbaz__h_vm(struct req *r);
void vbaz__h_protected(struct req *r);
void vbaz__h_protected_one(struct req *r);
void vbaz__h_protected_workloads(struct req *r);
void vbaz__h_storage_usage(struct req *r);
void vbaz__h_license(struct req *r);
void vbaz__h_policies(struct req *r);
void vbaz__h_policy(struct req *r);
void vbaz__h_repositories(struct req *r);
void vbaz__h_repository(struct req *r);
void vbaz__h_points(struct req *r);
void vbaz__h_point(struct req *r);

/** POST /api/{v}/jobSessions/export. */
void vbaz__export(struct req *r);
/** GET /api/{v}/jobSessions/{id}/<items>: the item page the last path segment names. */
void vbaz__items(struct req *r);

#endif
