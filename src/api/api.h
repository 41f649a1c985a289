/* api: what a dialect module sees of an HTTP request and how it answers.
 * The http layer fills struct req, picks the dialect and route, authenticates
 * through the dialect, and sends what the handler left in status/out/headers.
 * Everything a handler allocates for one request comes from r->arena. */
#ifndef SESSIOND_API_API_H
#define SESSIOND_API_API_H
#include <stddef.h>
#include <stdint.h>

#include "core/auth.h"
#include "core/core.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/rc.h"

enum http_method {
	M_GET = 1, M_POST = 2, M_PUT = 4, M_PATCH = 8, M_DELETE = 16, M_HEAD = 32, M_OPTIONS = 64,
};

struct req;

/** Request accessors, provided by the http layer. Lookups of query parameters
 *  and headers are case-insensitive on the name. Returned strings live until the
 *  request ends. */
struct req_io {
	const char *(*query)(struct req *r, const char *name);
	int (*query_all)(struct req *r, const char *name, const char **out, int max);
	/** Calls cb for every query parameter; stops when cb returns non-zero. */
	int (*query_each)(struct req *r, int (*cb)(void *ctx, const char *k, const char *v), void *ctx);
	const char *(*header)(struct req *r, const char *name);
	const char *(*cookie)(struct req *r, const char *name);
	/** Marks the request as waiting: no answer is sent when the handler returns;
	 *  cont runs on a worker thread after resume() and fills the answer. */
	void (*suspend)(struct req *r, void (*cont)(struct req *r));
	/** Wakes a suspended request; safe from any thread, exactly once per suspend. */
	void (*resume)(struct req *r);
};

#define REQ_MAX_PARAMS 4
#define REQ_INLINE_HEADERS 8       /* answer headers kept in the request; more go to its arena */

struct req_header {
	const char *name;
	const char *value;
};

struct req {
	const struct req_io *io;
	void *http;                       /* the http layer's connection state */
	struct arena *arena;              /* per-request memory */
	int method;                       /* enum http_method */
	const char *path;                 /* decoded path, no query string */
	const char *params[REQ_MAX_PARAMS]; /* the route's {…} segments, in order */
	int nparams;
	const char *body;                 /* request body (NUL-terminated), or NULL */
	size_t body_len;
	const char *client;               /* peer address as text */
	const char *base_url;             /* scheme://host[:port] as the client addressed us */
	int64_t now_us;                   /* when the request arrived */

	int version;                      /* dialect-specific: VBR enum vbr_ver, Azure version index */
	struct principal who;             /* filled by the dialect's authentication */

	/* the answer */
	int no_cache;                     /* set by a ROUTE_CACHED handler whose answer must not be kept */
	int status;
	const char *ctype;
	struct buf out;
	struct req_header *headers;       /* answer headers (req_add_header), nheaders of them */
	int cap_headers;
	struct req_header inline_headers[REQ_INLINE_HEADERS];
	int nheaders;

	/* async work */
	void (*cont)(struct req *r);
	void *work;                       /* the handler's pending work (e.g. a store_write) */

	/* a streamed body: a handler that sets stream leaves out empty; the http layer then
	 * calls stream(r, part) on the connection's worker, with part empty, whenever it needs
	 * more bytes. It appends the next piece and returns 1 while more follows, 0 when this
	 * was the last piece, -1 to abort the connection, or 2 when nothing is ready yet: the
	 * connection then waits, holding no worker, until io->resume(r) (an event stream
	 * arranges that before returning 2). stream_done, if set, runs once
	 * when the request ends (sent, failed or aborted by the client). */
	int (*stream)(struct req *r, struct buf *part);
	void (*stream_done)(struct req *r);
};

static inline const char *req_query(struct req *r, const char *n) { return r->io->query(r, n); }
static inline int req_query_all(struct req *r, const char *n, const char **o, int m) { return r->io->query_all(r, n, o, m); }
static inline const char *req_header(struct req *r, const char *n) { return r->io->header(r, n); }
static inline const char *req_cookie(struct req *r, const char *n) { return r->io->cookie(r, n); }

/** Adds a response header; name and value must live until the request ends. */
void req_add_header(struct req *r, const char *name, const char *value);

/* Permissions a route needs (checked against the principal's role). */
enum perm { PERM_PUBLIC, PERM_AUTH, PERM_READ, PERM_STOP, PERM_INGEST, PERM_ADMIN };

/* Route flags. ROUTE_CACHED: the handler's 200 bodies depend only on the request's dialect,
 * version, role, base URL, Accept header, path and query, the stored data whose writes move
 * the usn, and the clock to the second, so api_route_call (api/cache.h) may answer again with
 * a body it rendered; a handler sets r->no_cache for an answer that is the exception. */
enum { ROUTE_CACHED = 1 };

struct route {
	int methods;                      /* enum http_method bits */
	const char *pattern;              /* "/api/v1/sessions/{id}/logs"; {x} matches one segment */
	enum perm perm;
	void (*fn)(struct req *r);
	int flags;                        /* ROUTE_* */
};

/* A dialect: its routes, how it authenticates and how it reports errors. */
struct dialect {
	const char *name;
	const struct route *routes;
	size_t nroutes;
	/** Checks version headers and the like before routing; RC_OK or it answered. */
	enum rc (*prepare)(struct req *r);
	/** Authenticates r into r->who; on failure it answers itself and returns the rc. */
	enum rc (*authenticate)(struct req *r);
	/** Writes an error answer in the dialect's own format. status 0: derive from rc. */
	void (*error)(struct req *r, enum rc rc, int status, const char *msg);
};

extern const struct dialect dialect_vbr;   /* VBR REST + ingest */
extern const struct dialect dialect_em;    /* Enterprise Manager */
extern const struct dialect dialect_vbaz;  /* VB for Azure */
extern const struct dialect dialect_misc;  /* /openapi.json, /healthz */

/** Picks the dialect for a path (and, for the shared token endpoint, headers). */
const struct dialect *api_dialect_for(struct req *r);

/** The enum http_method bit of a method name, 0 when unknown. */
int api_method(const char *name);

/** The HTTP status an rc stands for in every dialect (500 for anything unknown). */
int api_status(enum rc rc);

/** How a dialect refuses a token (what: "access token", "refresh_token") that auth_verify
 *  did not accept (rc): 503 when the store could not be read to check it, so the client
 *  retries (Retry-After), else 401. *msg (in r's arena) says why, for the error body. */
int api_token_refused(struct req *r, enum rc rc, const char *what, const char **msg);

/** Whether a principal's role grants a permission. */
int api_allowed(const struct principal *who, enum perm p);

/** Starts a write for r: a struct core_write in r->arena (results are copied there),
 *  with r suspended until it committed or failed; then then(r) runs on a worker with
 *  the write in r->work. Call exactly one core verb on it right away. */
struct core_write *api_write(struct req *r, void (*then)(struct req *r));

/** A logon: admits the attempt against the client's logon limits, runs the password
 *  check fn(arg) on the logon pool while r waits, counts it as failed when fn returns
 *  RC_UNAUTHORIZED, then runs then(r). A refused attempt is answered at once in r's
 *  dialect: 429 (this address) or 503 (every address) with Retry-After. */
void api_logon(struct req *r, enum rc (*fn)(void *arg), void *arg, void (*then)(struct req *r));

/** Starts and stops the logon pool. */
void api_init(void);
void api_shutdown(void);

#endif
