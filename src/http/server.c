#include "server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "api/metrics.h"
#include "http/guard.h"
#include "http/listen.h"
#include "http/router.h"
#include "http/wake.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/timefmt.h"

/* One request in flight on a connection. */
struct hreq {
	struct req r;
	struct arena arena;
	struct MHD_Connection *conn;
	struct buf body;
	int too_large;
	int dispatched;            /* the handler ran */
	pthread_mutex_t lock;      /* guards pending/completed/suspended */
	int pending;               /* the handler suspended the request */
	int completed;             /* resume() was called */
	int suspended;             /* MHD_suspend_connection was called */
	const char *method;
	const char *url;
	int64_t start_us;
	size_t sent;
	struct buf part;           /* a streamed body: the piece being sent */
	size_t part_off;
	int stream_more;           /* 1: ask stream() again; 0: finished; -1: aborted */
	struct guard_conn *gc;     /* the connection's guard record */
	int answered;              /* an answer was queued before the body was read */
	int waiting;               /* a long poll or event stream: its client is watched */
	int counted;               /* counted in waiters for r.who.uid */
	int gone;                  /* the client closed while waiting (set under lock) */
	int started;               /* on_request's first call ran (the headers are in) */
	struct qparam {
		const char *k, *v;     /* decoded; v NULL for a parameter without '=' */
	} *qp;                     /* the query parameters, in order (arena) */
	int nqp;
	int too_many_params;       /* more than HTTP_MAX_QUERY_PARAMS: answered 414 */
	struct wake_item wake;     /* resumed through its worker's queue (http/wake.h) */
	enum metrics_class mclass; /* how /metrics counts it */
	const char *cause;         /* a 5xx: what the answer said (for the log) */
};

/* Query parameters a request may have; more get 414. */
#define HTTP_MAX_QUERY_PARAMS 256

/* Listeners: the --listen ones, then the --metrics-listen one (at index nlisten). */
#define HTTP_MAX_SOCKETS (HTTP_MAX_LISTEN + 1)

static struct {
	struct MHD_Daemon *d[HTTP_MAX_SOCKETS];
	int fd[HTTP_MAX_SOCKETS];  /* bound sockets not yet handed to a daemon (-1: none) */
	int nfd;
	int n;
	struct http_config cfg;
	int tls;                   /* serving HTTPS */
	int inflight;              /* requests between first call and completion (atomic) */
	int draining;              /* set by http_stop: new requests get 503 and a closed connection */
} srv;

/* ---------- waiting requests per user ---------- */

/* Long polls and event streams in progress per user (by uid). A fixed table: when
 * more distinct users wait at once than it holds, the others are not counted. */
#define WAITERS_SLOTS 1024

static struct {
	pthread_mutex_t lock;
	struct {
		int64_t uid;
		int n;
	} slot[WAITERS_SLOTS];
} waiters = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Counts one more waiting request of uid: 0, or -1 (nothing counted) over the cap,
 * or 1 when nothing is counted (no cap, or the table is full). */
static int waiters_take(int64_t uid)
{
	unsigned cap = srv.cfg.waiting_per_user;
	if(!cap)
		return 1;
	int rc = 0, free_slot = -1, found = -1;
	pthread_mutex_lock(&waiters.lock);
	for(int i = 0; i < WAITERS_SLOTS && found < 0; i++) {
		if(waiters.slot[i].n && waiters.slot[i].uid == uid)
			found = i;
		else if(!waiters.slot[i].n && free_slot < 0)
			free_slot = i;
	}
	if(found < 0 && free_slot >= 0) {
		found = free_slot;
		waiters.slot[found].uid = uid;
	}
	if(found >= 0) {
		if((unsigned)waiters.slot[found].n >= cap)
			rc = -1;
		else
			waiters.slot[found].n++;
	}
	pthread_mutex_unlock(&waiters.lock);
	return found < 0 ? 1 : rc;   /* 1: counted nowhere (table full) */
}

static void waiters_give(int64_t uid)
{
	pthread_mutex_lock(&waiters.lock);
	for(int i = 0; i < WAITERS_SLOTS; i++)
		if(waiters.slot[i].n && waiters.slot[i].uid == uid) {
			waiters.slot[i].n--;
			break;
		}
	pthread_mutex_unlock(&waiters.lock);
}

/* ---------- requests ---------- */

static const struct req_io io;

/* A request's state, from its request line (on_uri) to its end (on_completed). */
static struct hreq *hreq_new(struct MHD_Connection *conn)
{
	struct hreq *h = xcalloc(1, sizeof(*h));
	arena_init(&h->arena);
	buf_init(&h->body, srv.cfg.body_max);
	buf_init(&h->part, 0);
	buf_init(&h->r.out, srv.cfg.response_max);
	pthread_mutex_init(&h->lock, NULL);
	h->conn = conn;
	wake_item_init(&h->wake, conn);
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	h->gc = ci ? ci->socket_context : NULL;
	h->r.io = &io;
	h->r.http = h;
	h->r.arena = &h->arena;
	return h;
}

static void hreq_free(struct hreq *h)
{
	buf_free(&h->part);
	buf_free(&h->r.out);
	buf_free(&h->body);
	arena_free(&h->arena);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* ---------- req_io ---------- */

/* The query string is parsed here, not by libmicrohttpd: storing many parameters in
 * its fixed connection memory makes 0.9.75 stop answering (see on_uri). */
static const char *io_query(struct req *r, const char *name)
{
	struct hreq *h = r->http;
	for(int i = 0; i < h->nqp; i++)
		if(!strcasecmp(h->qp[i].k, name))
			return h->qp[i].v ? h->qp[i].v : "";
	return NULL;
}

static int io_query_all(struct req *r, const char *name, const char **out, int max)
{
	struct hreq *h = r->http;
	int n = 0;
	for(int i = 0; i < h->nqp && n < max; i++)
		if(!strcasecmp(h->qp[i].k, name))
			out[n++] = h->qp[i].v ? h->qp[i].v : "";
	return n;
}

static int io_query_each(struct req *r, int (*cb)(void *, const char *, const char *), void *ctx)
{
	struct hreq *h = r->http;
	int rc = 0;
	for(int i = 0; i < h->nqp && !rc; i++)
		rc = cb(ctx, h->qp[i].k, h->qp[i].v ? h->qp[i].v : "");
	return rc;
}

static const char *io_header(struct req *r, const char *name)
{
	struct hreq *h = r->http;
	return MHD_lookup_connection_value(h->conn, MHD_HEADER_KIND, name);
}

static const char *io_cookie(struct req *r, const char *name)
{
	struct hreq *h = r->http;
	return MHD_lookup_connection_value(h->conn, MHD_COOKIE_KIND, name);
}

static void io_suspend(struct req *r, void (*cont)(struct req *))
{
	struct hreq *h = r->http;
	r->cont = cont;
	h->pending = 1;
	h->completed = 0;
}

static void io_resume(struct req *r)
{
	struct hreq *h = r->http;
	pthread_mutex_lock(&h->lock);
	h->completed = 1;
	if(h->suspended) {
		h->suspended = 0;
		if(h->waiting)
			wake_resume(&h->wake);   /* one of many a commit wakes: through the worker's queue */
		else
			MHD_resume_connection(h->conn);   /* a write's answer: at once */
	}
	pthread_mutex_unlock(&h->lock);
}

static const struct req_io io = {
	.query = io_query,
	.query_all = io_query_all,
	.query_each = io_query_each,
	.header = io_header,
	.cookie = io_cookie,
	.suspend = io_suspend,
	.resume = io_resume,
};


/* ---------- request flow ---------- */

/* Set on a worker thread when a streamed answer ends by our choice with an "error" to
 * libmicrohttpd (which then closes the connection and logs that it did, at once and on the
 * same thread): mhd_log keeps that line at debug level (a client leaving an event stream
 * is ordinary; a failed one is logged by stream_end itself). */
static __thread int stream_ending;

static ssize_t stream_end(struct hreq *h, int failed)
{
	if(failed)
		log_warn("http: %s %s: the streamed answer failed after %zu bytes; connection closed", h->method,
		         h->url, h->sent);
	stream_ending = 1;
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	(void)pos;
	struct hreq *h = cls;
	stream_ending = 0;
	wake_drain();
	if(__atomic_load_n(&h->gone, __ATOMIC_ACQUIRE))
		return stream_end(h, 0);   /* the client left: free the slot */
	while(h->part_off >= h->part.len) {
		if(h->stream_more <= 0)
			return h->stream_more ? stream_end(h, 1) : MHD_CONTENT_READER_END_OF_STREAM;
		buf_reset(&h->part);
		h->part_off = 0;
		h->stream_more = h->r.stream(&h->r, &h->part);
		if(h->part.failed)
			h->stream_more = -1;
		if(h->stream_more == 2) {
			/* Nothing to send yet: park the connection until resume(), unless it came already. */
			h->stream_more = 1;
			if(h->part.len)
				break;
			pthread_mutex_lock(&h->lock);
			int gone = __atomic_load_n(&h->gone, __ATOMIC_ACQUIRE);
			if(!h->completed && !gone) {
				h->suspended = 1;
				MHD_suspend_connection(h->conn);
			}
			h->completed = 0;
			pthread_mutex_unlock(&h->lock);
			return gone ? stream_end(h, 0) : 0;
		}
	}
	size_t n = h->part.len - h->part_off;
	if(n > max)
		n = max;
	memcpy(out, h->part.p + h->part_off, n);
	h->part_off += n;
	h->sent += n;
	return (ssize_t)n;
}

/* Replaces whatever the handler left with a dialect error. */
static void answer_error(struct hreq *h, enum rc rc, int status, const char *msg)
{
	struct req *r = &h->r;
	buf_free(&r->out);
	buf_init(&r->out, srv.cfg.response_max);
	r->nheaders = 0;
	r->ctype = NULL;
	r->stream = NULL;
	api_dialect_for(r)->error(r, rc, status, msg);
}

static void client_gone(void *arg);

/* The daemon of --metrics-listen passes this as its handler's closure. */
static int metrics_tag;

/* The --metrics-listen listener answers /metrics without authentication, /healthz and
 * /readyz as the others do, and nothing else. */
static void metrics_only(struct req *r)
{
	if(!strcmp(r->path, "/metrics") && (r->method == M_GET || r->method == M_HEAD))
		api_metrics(r);
	else if(!strcmp(r->path, "/healthz") || !strcmp(r->path, "/readyz"))
		router_dispatch(r, 0);
	else
		dialect_misc.error(r, RC_NOTFOUND, 404, "this listener serves /metrics, /healthz and /readyz only");
}

/* A long poll or event stream starts waiting: over the per-user cap it is
 * answered 429 instead (1); else its client is watched from now on (0). The
 * handler's wait must already be cancellable (stream_done set). */
static int begin_waiting(struct hreq *h)
{
	struct req *r = &h->r;
	int t = waiters_take(r->who.uid);
	if(t < 0) {
		r->stream_done(r);   /* cancels the wait: no resume() comes after it */
		r->stream_done = NULL;
		r->cont = NULL;
		h->pending = 0;
		h->completed = 0;
		answer_error(h, RC_BUSY, 429, "too many waiting requests (long polls, event streams) for this user; "
		                              "try again later");
		req_add_header(r, "Retry-After", "5");
		return 1;
	}
	h->counted = t == 0;
	h->waiting = 1;
	guard_watch(h->gc, client_gone, h);
	return 0;
}

static int is_event_stream(const struct req *r)
{
	return r->ctype && !strncmp(r->ctype, "text/event-stream", 17);
}

static enum MHD_Result send_answer(struct hreq *h)
{
	struct req *r = &h->r;
	size_t len = 0;
	if(!r->status)
		r->status = 500;
	if(r->status == 503) {   /* every 503 says when to come back */
		int has = 0;
		for(int i = 0; i < r->nheaders && !has; i++)
			has = !strcasecmp(r->headers[i].name, "Retry-After");
		if(!has)
			req_add_header(r, "Retry-After", "5");
	}
	if(r->stream && r->method == M_HEAD) {
		/* HEAD: the headers of the streamed answer, no body (a chunked one would desync). */
		if(r->stream_done)
			r->stream_done(r);
		r->stream = NULL;
		r->stream_done = NULL;
		buf_reset(&r->out);
	}
	if(r->stream && r->stream_done && is_event_stream(r) && !h->waiting)
		begin_waiting(h);
	if(r->stream) {
		h->stream_more = 1;
		struct MHD_Response *sr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_reader, h, NULL);
		if(!sr)
			return MHD_NO;
		if(r->ctype)
			MHD_add_response_header(sr, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
		for(int i = 0; i < r->nheaders; i++)
			MHD_add_response_header(sr, r->headers[i].name, r->headers[i].value);
		enum MHD_Result sret = MHD_queue_response(h->conn, (unsigned)r->status, sr);
		MHD_destroy_response(sr);
		return sret;
	}
	if(r->out.failed) {
		/* Never a 200 with an empty body: the answer outgrew --max-response. */
		log_warn("http: %s %s: the answer exceeded %zu bytes (--max-response); answered 413", h->method,
		         h->url, r->out.max);
		answer_error(h, RC_TOOLARGE, 413,
		             arena_printf(r->arena, "the answer would be larger than %zu bytes; ask for fewer items "
		                                    "(limit, paging or filters)", srv.cfg.response_max));
	}
	if(r->status >= 500 && !h->cause)
		h->cause = r->out.len ? arena_strndup(r->arena, r->out.p, r->out.len < 300 ? r->out.len : 300)
		                      : "the answer has no body";
	char *data = buf_take(&r->out, &len);
	h->sent = len;
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if(!resp) {
		free(data);
		return MHD_NO;
	}
	if(r->ctype && (len || r->method == M_HEAD))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
	for(int i = 0; i < r->nheaders; i++)
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
	enum MHD_Result ret = MHD_queue_response(h->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static const char *client_addr(struct MHD_Connection *c, struct arena *a)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char tmp[INET6_ADDRSTRLEN] = "-";
	if(ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if(sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, tmp, sizeof(tmp));
		else if(sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, tmp, sizeof(tmp));
	}
	return arena_strdup(a, tmp);
}

/* scheme://host[:port] as the client addressed us (for absolute links): the
 * authority of an absolute-form request target, else the Host header. */
static const char *base_url(struct MHD_Connection *c, struct arena *a, const char *authority)
{
	const char *host = authority;
	if(!host)
		host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	size_t hl = host ? strlen(host) : 0;
	if(!hl || hl > 255 || strpbrk(host, "/\\ \"<>"))
		return "";
	const char *scheme = srv.tls ? "https://" : "http://";
	size_t sl = strlen(scheme);
	char *u = arena_alloc(a, sl + hl + 1);   /* on every request: no printf */
	memcpy(u, scheme, sl);
	memcpy(u + sl, host, hl + 1);
	return u;
}

/* The path of a request target: an absolute-form target (RFC 9112 3.2.2,
 * "http://host:port/path") loses its scheme and authority, which *authority gets. */
static const char *origin_path(const char *url, struct arena *a, const char **authority)
{
	*authority = NULL;
	size_t skip = !strncasecmp(url, "http://", 7) ? 7 : !strncasecmp(url, "https://", 8) ? 8 : 0;
	if(!skip)
		return url;
	const char *host = url + skip;
	const char *slash = strchr(host, '/');
	size_t hl = slash ? (size_t)(slash - host) : strlen(host);
	if(hl)
		*authority = arena_strndup(a, host, hl);
	return slash ? slash : "/";
}

/* Suspends the connection unless the awaited work already completed; 1 when
 * parked, -1 when the client of a waiting request already left. */
static int park(struct hreq *h)
{
	pthread_mutex_lock(&h->lock);
	int wait = __atomic_load_n(&h->gone, __ATOMIC_ACQUIRE) ? -1 : !h->completed;
	if(wait > 0) {
		h->suspended = 1;
		MHD_suspend_connection(h->conn);
	}
	pthread_mutex_unlock(&h->lock);
	return wait;
}

/* The guard saw the client of a waiting request close: wake the request so that
 * it ends now rather than when its wait would have. */
static void client_gone(void *arg)
{
	struct hreq *h = arg;
	pthread_mutex_lock(&h->lock);
	__atomic_store_n(&h->gone, 1, __ATOMIC_RELEASE);
	if(h->suspended) {
		h->suspended = 0;
		MHD_resume_connection(h->conn);
	}
	pthread_mutex_unlock(&h->lock);
}

/* The awaited work is done: the continuation writes the answer, or waits again. */
static void run_continuation(struct hreq *h)
{
	struct req *r = &h->r;
	h->pending = 0;
	void (*cont)(struct req *) = r->cont;
	r->cont = NULL;
	cont(r);
}

/* ---------- framing (RFC 9112), checked once the headers are in ---------- */

struct framing {
	int ncl;                   /* Content-Length headers */
	int cl_conflict;           /* two of them disagree */
	const char *cl;
	int nte;                   /* Transfer-Encoding headers */
	int te_unknown;            /* a coding other than chunked */
};

static enum MHD_Result framing_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct framing *f = cls;
	if(!key)
		return MHD_YES;
	if(!value)
		value = "";
	if(!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
		if(f->ncl++ && strcmp(f->cl, value))
			f->cl_conflict = 1;
		f->cl = value;
	} else if(!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		f->nte++;
		while(*value == ' ' || *value == '\t')
			value++;
		size_t n = strlen(value);
		while(n && (value[n - 1] == ' ' || value[n - 1] == '\t'))
			n--;
		if(n != 7 || strncasecmp(value, "chunked", 7))
			f->te_unknown = 1;
	}
	return MHD_YES;
}

/* An answer before the body is read, and the connection closes after it: a
 * request whose framing is ambiguous or over a limit. 0 when the request is fine. */
static int framing_refused(struct hreq *h, enum rc *rc, int *status, const char **msg)
{
	struct framing f = {0};
	MHD_get_connection_values(h->conn, MHD_HEADER_KIND, framing_iter, &f);
	*rc = RC_INVALID;
	if(h->too_many_params) {
		*status = 414;
		*msg = arena_printf(h->r.arena, "the query string has more than %d parameters", HTTP_MAX_QUERY_PARAMS);
	} else if(f.cl_conflict) {
		*status = 400;
		*msg = "the request has conflicting Content-Length headers";
	} else if(f.ncl && f.nte) {
		*status = 400;
		*msg = "the request has both Content-Length and Transfer-Encoding";
	} else if(f.nte > 1 || f.te_unknown) {
		*status = 501;
		*msg = "the only transfer coding this server accepts is chunked";
	} else if(f.ncl && strtoull(f.cl, NULL, 10) > srv.cfg.body_max) {
		*rc = RC_TOOLARGE;
		*status = 413;
		*msg = "the request body is larger than the server accepts";
	} else {
		return 0;
	}
	return 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	(void)version;
	wake_drain();
	struct hreq *h = *con_cls;
	if(!h)
		*con_cls = h = hreq_new(conn);   /* on_uri made it, unless libmicrohttpd skipped it */
	if(!h->started) {
		/* First call: headers only. Answering now would close keep-alive connections. */
		h->started = 1;
		h->method = method;
		h->url = url;
		h->start_us = time_now_us();
		struct req *r = &h->r;
		r->method = api_method(method);
		const char *authority;
		r->path = origin_path(url, r->arena, &authority);
		r->now_us = h->start_us;
		__atomic_add_fetch(&srv.inflight, 1, __ATOMIC_RELAXED);
		r->base_url = base_url(conn, r->arena, authority);
		enum rc rc;
		int status;
		const char *msg;
		if(framing_refused(h, &rc, &status, &msg)) {
			/* Answering on the first call makes libmicrohttpd skip the body and close. */
			h->dispatched = h->answered = 1;
			r->client = client_addr(conn, r->arena);
			guard_request_received(h->gc);
			answer_error(h, rc, status, msg);
			req_add_header(r, "Connection", "close");
			return send_answer(h);
		}
		return MHD_YES;
	}
	if(*upload_data_size) {
		if(!h->too_large && !h->answered && buf_add(&h->body, upload_data, *upload_data_size))
			h->too_large = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if(h->answered)
		return MHD_YES;
	struct req *r = &h->r;
	if(!h->dispatched) {
		h->dispatched = 1;
		guard_request_received(h->gc);
		r->client = client_addr(conn, r->arena);
		if(h->body.len) {
			r->body = h->body.p;
			r->body_len = h->body.len;
		}
		const struct dialect *d = api_dialect_for(r);
		h->mclass = api_metrics_class(d, NULL);
		if(__atomic_load_n(&srv.draining, __ATOMIC_RELAXED)) {
			d->error(r, RC_BUSY, 503, "the server is shutting down");
			h->cause = "the server is shutting down";
			req_add_header(r, "Connection", "close");
			req_add_header(r, "Retry-After", "5");
			return send_answer(h);
		}
		if(cls == &metrics_tag)
			metrics_only(r);
		else
			h->mclass = api_metrics_class(d, router_dispatch(r, h->too_large));
		if(h->too_large)
			req_add_header(r, "Connection", "close");
	} else {
		if(__atomic_load_n(&h->gone, __ATOMIC_ACQUIRE))
			return MHD_NO;   /* the client of a waiting request left: close, free the slot */
		pthread_mutex_lock(&h->lock);
		int done = h->completed;
		pthread_mutex_unlock(&h->lock);
		if(!done)
			return MHD_YES;
		run_continuation(h);
	}
	/* Answer now, or park until resume(); work that finished before we parked runs at once.
	 * A wait that can be cancelled (stream_done set: a long poll) is a waiting request. */
	while(h->pending) {
		if(r->stream_done && !h->waiting && begin_waiting(h))
			break;
		int parked = park(h);
		if(parked)
			return parked > 0 ? MHD_YES : MHD_NO;
		run_continuation(h);
	}
	return send_answer(h);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	guard_request_done(ci ? ci->socket_context : NULL);
	struct hreq *h = *con_cls;
	if(!h)
		return;
	*con_cls = NULL;
	if(!h->started) {   /* ended before its headers were in (libmicrohttpd answered, or the client left) */
		hreq_free(h);
		return;
	}
	if(h->waiting)
		guard_unwatch(h->gc);   /* client_gone() cannot run after this */
	wake_forget(&h->wake);
	wake_drain();
	if(h->counted)
		waiters_give(h->r.who.uid);
	int64_t us = time_now_us() - h->start_us;
	struct log_request lr = {
		.client = h->r.client ? h->r.client : "-",
		.method = h->method,
		.target = h->url,
		.status = h->r.status,
		.bytes = h->sent,
		.duration_us = us,
		.user = h->r.who.user,
		.cause = h->r.status >= 500 ? h->cause : NULL,
		.aborted = toe != MHD_REQUEST_TERMINATED_COMPLETED_OK,
	};
	log_request(&lr);
	api_metrics_request(h->mclass, h->r.status, us);
	if(h->r.stream_done)
		h->r.stream_done(&h->r);
	hreq_free(h);
	__atomic_sub_fetch(&srv.inflight, 1, __ATOMIC_RELAXED);
}

/* A connection opens or closes: the guard keeps its record. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	if(code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = ci ? guard_conn_new(ci->connect_fd, srv.tls) : NULL;
	} else {
		guard_conn_closed(*socket_context);
		*socket_context = NULL;
	}
}

/* '+' means a space in a query string (as libmicrohttpd's own parser has it). */
static void unescape_query(char *s)
{
	for(char *p = s; *p; p++)
		if(*p == '+')
			*p = ' ';
	text_unescape(s);
}

/* Splits a query string into h->qp the way libmicrohttpd 0.9.75 does: '&'
 * separates, the first '=' splits key and value, "k" alone has no value, an empty
 * piece between two '&' is an empty key, a trailing '&' adds nothing. */
static void parse_query(struct hreq *h, const char *qs)
{
	int n = 1;
	for(const char *p = qs; *p; p++)
		n += *p == '&';
	if(n > HTTP_MAX_QUERY_PARAMS) {
		h->too_many_params = 1;
		return;
	}
	h->qp = arena_alloc(&h->arena, (size_t)n * sizeof(*h->qp));
	char *s = arena_strdup(&h->arena, qs);
	while(s && *s) {
		char *amp = strchr(s, '&');
		if(amp)
			*amp++ = 0;
		char *eq = strchr(s, '=');
		if(eq) {
			*eq++ = 0;
			unescape_query(eq);
		}
		unescape_query(s);
		h->qp[h->nqp].k = s;
		h->qp[h->nqp].v = eq;
		h->nqp++;
		s = amp;
	}
}

/* The request line is in: the receive deadline starts, and the request is made.
 * Its query string is taken here and cut off before libmicrohttpd parses it:
 * 0.9.75 stores each parameter in the connection's fixed memory (--max-header),
 * and when that runs out (~470 parameters, or fewer with a long URL) it neither
 * answers nor closes. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	(void)cls;
	struct hreq *h = hreq_new(c);
	guard_request_line(h->gc);
	char *q = strchr(uri, '?');
	if(q) {
		parse_query(h, q + 1);
		q[1] = 0;   /* libmicrohttpd's own buffer, parsed right after this returns */
	}
	return h;
}

/* Percent-decoding of the path and query values; %00 stays as it is. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return text_unescape(s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if(stream_ending && strstr(msg, "application error generating response")) {
		stream_ending = 0;
		log_debug("http: %s", msg);
		return;
	}
	log_warn("http: %s", msg);
}

/* ---------- start / stop ---------- */

static void close_bound(void)
{
	for(int i = 0; i < srv.nfd; i++)
		if(srv.fd[i] >= 0)
			close(srv.fd[i]);
	srv.nfd = 0;
}

enum rc http_bind(const struct http_config *c, char *err, size_t errlen)
{
	close_bound();
	int total = c->nlisten + (c->metrics_listen ? 1 : 0);
	for(int i = 0; i < total; i++) {
		const char *spec = i < c->nlisten ? c->listen[i] : c->metrics_listen;
		int fd = http_listen_socket(spec, err, errlen);
		if(fd < 0) {
			close_bound();
			return RC_BACKEND;
		}
		srv.fd[srv.nfd++] = fd;
	}
	return RC_OK;
}

enum rc http_start(const struct http_config *c, char *err, size_t errlen)
{
	srv.cfg = *c;
	if((c->tls_cert == NULL) != (c->tls_key == NULL)) {
		snprintf(err, errlen, "--tls-cert and --tls-key go together");
		return RC_INVALID;
	}
	srv.tls = c->tls_cert != NULL;
	if(srv.tls && http_tls_open(c->tls_cert, c->tls_key, err, errlen))
		return RC_INVALID;
	if(!srv.nfd && http_bind(c, err, errlen)) {
		http_tls_close();
		return RC_BACKEND;
	}
	if(!srv.cfg.response_max)
		srv.cfg.response_max = BUF_DEFAULT_MAX;
	if(!srv.cfg.header_timeout_s)
		srv.cfg.header_timeout_s = 10;
	if(guard_start(srv.cfg.header_timeout_s)) {
		snprintf(err, errlen, "cannot start the connection guard thread");
		http_stop(0);
		return RC_BACKEND;
	}
	unsigned threads = c->threads;
	if(!threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (unsigned)n : 2;
	}
	for(int i = 0; i < srv.nfd; i++) {
		int metrics = i >= c->nlisten;
		unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
		                 MHD_USE_ERROR_LOG;
		/* The metrics listener speaks plain HTTP: scrapers on a private address. */
		int tls = srv.tls && !metrics;
		if(tls)
			flags |= MHD_USE_TLS;
		struct MHD_OptionItem tls_opts[] = {
			{tls ? MHD_OPTION_HTTPS_CERT_CALLBACK : MHD_OPTION_END, 0, tls ? http_tls_callback() : NULL},
			{MHD_OPTION_END, 0, NULL},
		};
		srv.d[i] = MHD_start_daemon(
			flags, 0, NULL, NULL, on_request, metrics ? &metrics_tag : NULL,
			MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			MHD_OPTION_LISTEN_SOCKET, srv.fd[i],
			MHD_OPTION_THREAD_POOL_SIZE, metrics ? 0 : threads,
			MHD_OPTION_CONNECTION_LIMIT, metrics ? 64 : c->conn_limit,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, c->per_addr_limit,
			MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
			MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
			MHD_OPTION_CONNECTION_TIMEOUT, c->timeout_s,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, c->header_max,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
			MHD_OPTION_ARRAY, tls_opts,
			MHD_OPTION_END);
		if(!srv.d[i]) {
			snprintf(err, errlen, "cannot serve on %s (TLS files invalid?)",
			         metrics ? c->metrics_listen : c->listen[i]);
			http_stop(0);
			return RC_BACKEND;
		}
		srv.fd[i] = -1;   /* the daemon owns it now */
		srv.n = i + 1;
		/* Accept only once the client sent something (or the deadline passed): idle
		 * connects never take a slot, and the first byte is there to check for TLS. */
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv.d[i], MHD_DAEMON_INFO_LISTEN_FD);
		int defer = (int)srv.cfg.header_timeout_s;
		if(di)
			setsockopt(di->listen_fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer));
	}
	srv.nfd = 0;
	return RC_OK;
}

void http_stop(unsigned drain_ms)
{
	__atomic_store_n(&srv.draining, 1, __ATOMIC_RELAXED);
	/* Stop accepting; the listen sockets are closed only after the daemons stopped,
	 * since their epoll workers still remove them from their sets (closing earlier
	 * makes libmicrohttpd abort). */
	MHD_socket quiesced[HTTP_MAX_SOCKETS];
	for(int i = 0; i < srv.n; i++)
		quiesced[i] = srv.d[i] ? MHD_quiesce_daemon(srv.d[i]) : MHD_INVALID_SOCKET;
	for(unsigned waited = 0; waited < drain_ms && __atomic_load_n(&srv.inflight, __ATOMIC_RELAXED) > 0; waited += 10) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	for(int i = 0; i < srv.n; i++) {
		if(srv.d[i])
			MHD_stop_daemon(srv.d[i]);
		srv.d[i] = NULL;
		if(quiesced[i] != MHD_INVALID_SOCKET)
			close(quiesced[i]);
	}
	srv.n = 0;
	close_bound();
	guard_stop();
	http_tls_close();
	srv.tls = 0;
}
