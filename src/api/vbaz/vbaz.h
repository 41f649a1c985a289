/* VB for Azure dialect: what its modules offer one another. routes.c has the route
 * table, the version of the path, authentication and the token endpoint; wire.c
 * problem+json errors, JSON answers, times and query parameters; types.c the API
 * versions and the JobSessionType values of each; session.c a JobSession in JSON, CSV
 * and XML; feed.c the row feed that streams lists and exports; sessions.c the
 * jobSessions resources; export.c the export endpoint; items.c the item pages under a
 * session (protectedItems, …); overview.c the overview and system resources. Nothing
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
/** POST /api/{v}/jobSessions/export. */
void vbaz__export(struct req *r);
/** GET /api/{v}/jobSessions/{id}/<items>: the item page the last path segment names. */
void vbaz__items(struct req *r);

#endif
