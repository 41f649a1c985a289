#include "server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "http/router.h"
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
};

static struct {
	struct MHD_Daemon *d[HTTP_MAX_LISTEN];
	int n;
	struct http_config cfg;
	char *tls_cert_pem;
	char *tls_key_pem;
	int inflight;              /* requests between first call and completion (atomic) */
	int draining;              /* set by http_stop: new requests get 503 and a closed connection */
} srv;

/* ---------- req_io ---------- */

struct lookup {
	const char *name;
	const char **out;
	int max;
	int n;
};

static enum MHD_Result lookup_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct lookup *l = cls;
	if(key && !strcasecmp(key, l->name)) {
		if(l->n < l->max)
			l->out[l->n] = value ? value : "";
		l->n++;
		if(l->n >= l->max)
			return MHD_NO;
	}
	return MHD_YES;
}

static int values(struct req *r, enum MHD_ValueKind kind, const char *name, const char **out, int max)
{
	struct hreq *h = r->http;
	struct lookup l = {.name = name, .out = out, .max = max};
	MHD_get_connection_values(h->conn, kind, lookup_iter, &l);
	return l.n < max ? l.n : max;
}

static const char *io_query(struct req *r, const char *name)
{
	const char *v = NULL;
	return values(r, MHD_GET_ARGUMENT_KIND, name, &v, 1) ? v : NULL;
}

static int io_query_all(struct req *r, const char *name, const char **out, int max)
{
	return values(r, MHD_GET_ARGUMENT_KIND, name, out, max);
}

struct each {
	int (*cb)(void *, const char *, const char *);
	void *ctx;
	int rc;
};

static enum MHD_Result each_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct each *e = cls;
	e->rc = e->cb(e->ctx, key ? key : "", value ? value : "");
	return e->rc ? MHD_NO : MHD_YES;
}

static int io_query_each(struct req *r, int (*cb)(void *, const char *, const char *), void *ctx)
{
	struct hreq *h = r->http;
	struct each e = {.cb = cb, .ctx = ctx};
	MHD_get_connection_values(h->conn, MHD_GET_ARGUMENT_KIND, each_iter, &e);
	return e.rc;
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
		MHD_resume_connection(h->conn);
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

static ssize_t stream_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	(void)pos;
	struct hreq *h = cls;
	while(h->part_off >= h->part.len) {
		if(h->stream_more <= 0)
			return h->stream_more ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
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
			if(!h->completed) {
				h->suspended = 1;
				MHD_suspend_connection(h->conn);
			}
			h->completed = 0;
			pthread_mutex_unlock(&h->lock);
			return 0;
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
	char *data = buf_take(&r->out, &len);
	h->sent = len;
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if(!resp) {
		free(data);
		return MHD_NO;
	}
	if(r->ctype && len)
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

/* scheme://host[:port] as the client addressed us (for absolute links). */
static const char *base_url(struct MHD_Connection *c, struct arena *a)
{
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if(!host || !*host || strlen(host) > 255 || strpbrk(host, "/\\ \"<>"))
		return "";
	return arena_printf(a, "%s://%s", srv.tls_cert_pem ? "https" : "http", host);
}

/* Suspends the connection unless the awaited work already completed; 1 when parked. */
static int park(struct hreq *h)
{
	pthread_mutex_lock(&h->lock);
	int wait = !h->completed;
	if(wait) {
		h->suspended = 1;
		MHD_suspend_connection(h->conn);
	}
	pthread_mutex_unlock(&h->lock);
	return wait;
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	(void)cls;
	(void)version;
	struct hreq *h = *con_cls;
	if(!h) {
		/* First call: headers only. Answering now would close keep-alive connections. */
		h = xcalloc(1, sizeof(*h));
		arena_init(&h->arena);
		buf_init(&h->body, srv.cfg.body_max);
		buf_init(&h->part, 0);
		pthread_mutex_init(&h->lock, NULL);
		h->conn = conn;
		h->method = method;
		h->url = url;
		h->start_us = time_now_us();
		struct req *r = &h->r;
		r->io = &io;
		r->http = h;
		r->arena = &h->arena;
		r->method = api_method(method);
		r->path = url;
		r->now_us = h->start_us;
		buf_init(&r->out, 0);
		__atomic_add_fetch(&srv.inflight, 1, __ATOMIC_RELAXED);
		*con_cls = h;
		return MHD_YES;
	}
	if(*upload_data_size) {
		if(!h->too_large && buf_add(&h->body, upload_data, *upload_data_size))
			h->too_large = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	struct req *r = &h->r;
	if(!h->dispatched) {
		h->dispatched = 1;
		r->client = client_addr(conn, r->arena);
		if(h->body.len) {
			r->body = h->body.p;
			r->body_len = h->body.len;
		}
		r->base_url = base_url(conn, r->arena);
		if(__atomic_load_n(&srv.draining, __ATOMIC_RELAXED)) {
			api_dialect_for(r)->error(r, RC_BUSY, 503, "the server is shutting down");
			req_add_header(r, "Connection", "close");
			req_add_header(r, "Retry-After", "5");
			return send_answer(h);
		}
		router_dispatch(r, h->too_large);
	} else {
		pthread_mutex_lock(&h->lock);
		int done = h->completed;
		pthread_mutex_unlock(&h->lock);
		if(!done)
			return MHD_YES;
		run_continuation(h);
	}
	/* Answer now, or park until resume(); work that finished before we parked runs at once. */
	while(h->pending) {
		if(park(h))
			return MHD_YES;
		run_continuation(h);
	}
	return send_answer(h);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	struct hreq *h = *con_cls;
	if(!h)
		return;
	if(srv.cfg.access_log) {
		int64_t us = time_now_us() - h->start_us;
		fprintf(stderr, "%s \"%s %s\" %d %zu %lld.%03lldms%s%s%s\n", h->r.client ? h->r.client : "-",
		        h->method, h->url, h->r.status, h->sent, (long long)(us / 1000), (long long)(us % 1000),
		        h->r.who.user[0] ? " user=" : "", h->r.who.user,
		        toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
	}
	if(h->r.stream_done)
		h->r.stream_done(&h->r);
	buf_free(&h->part);
	buf_free(&h->r.out);
	buf_free(&h->body);
	arena_free(&h->arena);
	pthread_mutex_destroy(&h->lock);
	free(h);
	*con_cls = NULL;
	__atomic_sub_fetch(&srv.inflight, 1, __ATOMIC_RELAXED);
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
	fputs("sessiond: http: ", stderr);
	vfprintf(stderr, fmt, ap);
}

/* ---------- start / stop ---------- */

static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if(!f) {
		snprintf(err, errlen, "cannot read %s", path);
		return NULL;
	}
	struct buf b;
	buf_init(&b, 1 << 20);
	char tmp[4096];
	size_t n;
	while((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		if(buf_add(&b, tmp, n))
			break;
	fclose(f);
	if(b.failed) {
		snprintf(err, errlen, "%s is too large", path);
		return NULL;
	}
	return buf_take(&b, NULL);
}

static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	if(!colon || colon == spec)
		return -1;
	size_t hl = (size_t)(colon - spec);
	if(hl >= sizeof(host))
		return -1;
	memcpy(host, spec, hl);
	host[hl] = 0;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if(*end || port < 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if(host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		host[hl - 1] = 0;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if(inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return -1;
		*len = sizeof(*s6);
		return 0;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	if(!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if(inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return -1;
	*len = sizeof(*s4);
	return 0;
}

enum rc http_start(const struct http_config *c, char *err, size_t errlen)
{
	srv.cfg = *c;
	if((c->tls_cert == NULL) != (c->tls_key == NULL)) {
		snprintf(err, errlen, "--tls-cert and --tls-key go together");
		return RC_INVALID;
	}
	if(c->tls_cert) {
		if(!(srv.tls_cert_pem = read_file(c->tls_cert, err, errlen)) ||
		   !(srv.tls_key_pem = read_file(c->tls_key, err, errlen)))
			return RC_INVALID;
	}
	unsigned threads = c->threads;
	if(!threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (unsigned)n : 2;
	}
	for(int i = 0; i < c->nlisten; i++) {
		struct sockaddr_storage ss;
		socklen_t sl;
		if(parse_listen(c->listen[i], &ss, &sl)) {
			snprintf(err, errlen, "bad listen address '%s' (want HOST:PORT)", c->listen[i]);
			http_stop(0);
			return RC_INVALID;
		}
		unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
		                 MHD_USE_ERROR_LOG;
		if(ss.ss_family == AF_INET6)
			flags |= MHD_USE_IPv6;
		if(srv.tls_cert_pem)
			flags |= MHD_USE_TLS;
		struct MHD_OptionItem tls_opts[] = {
			{srv.tls_cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, srv.tls_cert_pem},
			{srv.tls_key_pem ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, srv.tls_key_pem},
			{MHD_OPTION_END, 0, NULL},
		};
		srv.d[i] = MHD_start_daemon(
			flags, 0, NULL, NULL, on_request, NULL,
			MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			MHD_OPTION_THREAD_POOL_SIZE, threads,
			MHD_OPTION_CONNECTION_LIMIT, c->conn_limit,
			MHD_OPTION_CONNECTION_TIMEOUT, c->timeout_s,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, c->header_max,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
			MHD_OPTION_ARRAY, tls_opts,
			MHD_OPTION_END);
		if(!srv.d[i]) {
			snprintf(err, errlen, "cannot listen on %s (address in use, or TLS files invalid)", c->listen[i]);
			http_stop(0);
			return RC_BACKEND;
		}
		srv.n = i + 1;
	}
	return RC_OK;
}

void http_stop(unsigned drain_ms)
{
	__atomic_store_n(&srv.draining, 1, __ATOMIC_RELAXED);
	/* Stop accepting; the listen sockets are closed only after the daemons stopped,
	 * since their epoll workers still remove them from their sets (closing earlier
	 * makes libmicrohttpd abort). */
	MHD_socket quiesced[HTTP_MAX_LISTEN];
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
	free(srv.tls_cert_pem);
	free(srv.tls_key_pem);
	srv.tls_cert_pem = srv.tls_key_pem = NULL;
}
