/* A request driven through the real router and handlers with no network: a fake
 * req_io over an in-memory HTTP request, a core opened on a temporary SQLite
 * database, users and tokens made at start. Shared by the request-path targets.
 *
 * Input format (text): "METHOD URL\n", header lines "Name: value\n", an empty
 * line, then the body. Before parsing, these placeholders are replaced anywhere:
 *   @admin @viewer @operator @reporter  an access token of that role
 *   @refresh                            the admin's refresh token
 *   @em                                 an Enterprise Manager logon session id
 *   @basic                              "Basic <admin:password in base64>"
 *   @sid2 @sid @tid                     ids of a running session, a stopped one, a task
 * Oracles on every answer: a status in 100..499 (a 5xx is a bug), a JSON body that
 * jansson parses, an XML body that libxml2 parses, resumed requests that resume. */
#ifndef SESSIOND_FUZZ_REQ_H
#define SESSIOND_FUZZ_REQ_H
#include <errno.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "core/auth.h"
#include "core/core.h"
#include "core/feed.h"
#include "http/router.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/timefmt.h"

#define FZ_MAX_KV 64
#define FZ_PASSWORD "fuzz-Pa55word!"

struct fz_req {
	struct req r;
	struct arena arena;
	const char *qk[FZ_MAX_KV], *qv[FZ_MAX_KV];
	int nq;
	const char *hk[FZ_MAX_KV], *hv[FZ_MAX_KV];
	int nh;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int pending, completed;
};

static struct {
	int ready;
	char dir[200], db[260];
	char tok[ROLE__COUNT][AUTH_TOKEN_MAX];
	char refresh[AUTH_TOKEN_MAX];
	char em[128], basic[128];
	char sid[40], sid2[40], tid[40];
} fz;

static struct fz_req *fz_of(struct req *r) { return r->http; }

static const char *fz_find(const char **k, const char **v, int n, const char *name)
{
	for(int i = 0; i < n; i++)
		if(!strcasecmp(k[i], name))
			return v[i];
	return NULL;
}

static const char *fz_query(struct req *r, const char *name)
{
	struct fz_req *f = fz_of(r);
	return fz_find(f->qk, f->qv, f->nq, name);
}

static int fz_query_all(struct req *r, const char *name, const char **out, int max)
{
	struct fz_req *f = fz_of(r);
	int n = 0;
	for(int i = 0; i < f->nq && n < max; i++)
		if(!strcasecmp(f->qk[i], name))
			out[n++] = f->qv[i];
	return n;
}

static int fz_query_each(struct req *r, int (*cb)(void *, const char *, const char *), void *ctx)
{
	struct fz_req *f = fz_of(r);
	int rc = 0;
	for(int i = 0; i < f->nq && !rc; i++)
		rc = cb(ctx, f->qk[i], f->qv[i]);
	return rc;
}

static const char *fz_header(struct req *r, const char *name)
{
	struct fz_req *f = fz_of(r);
	return fz_find(f->hk, f->hv, f->nh, name);
}

static const char *fz_cookie(struct req *r, const char *name)
{
	struct fz_req *f = fz_of(r);
	const char *c = fz_find(f->hk, f->hv, f->nh, "Cookie");
	size_t nl = strlen(name);
	while(c && *c) {
		while(*c == ' ' || *c == ';')
			c++;
		const char *end = strchr(c, ';');
		size_t len = end ? (size_t)(end - c) : strlen(c);
		if(len > nl && !strncmp(c, name, nl) && c[nl] == '=')
			return arena_strndup(r->arena, c + nl + 1, len - nl - 1);
		c = end;
	}
	return NULL;
}

static void fz_suspend(struct req *r, void (*cont)(struct req *))
{
	struct fz_req *f = fz_of(r);
	pthread_mutex_lock(&f->lock);
	r->cont = cont;
	f->pending = 1;
	f->completed = 0;
	pthread_mutex_unlock(&f->lock);
}

static void fz_resume(struct req *r)
{
	struct fz_req *f = fz_of(r);
	pthread_mutex_lock(&f->lock);
	f->completed = 1;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

static const struct req_io fz_io = {
	.query = fz_query, .query_all = fz_query_all, .query_each = fz_query_each,
	.header = fz_header, .cookie = fz_cookie, .suspend = fz_suspend, .resume = fz_resume,
};

/* Waits for resume(); 0 when it came within ms. */
static int fz_wait(struct fz_req *f, int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if(ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&f->lock);
	int rc = 0;
	while(!f->completed && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&f->cond, &f->lock, &ts);
	int ok = f->completed;
	f->completed = 0;
	pthread_mutex_unlock(&f->lock);
	return ok ? 0 : -1;
}

/* The same %-decoding as the server's (util/text.c): %00 stays as it is. */
static char *fz_unescape(struct arena *a, const char *s, size_t n)
{
	char *out = arena_strndup(a, s, n);
	text_unescape(out);
	return out;
}

static void fz_substitute(struct buf *out, const char *in, size_t n)
{
	const struct { const char *ph; const char *val; } t[] = {
		{"@admin", fz.tok[ROLE_ADMIN]}, {"@viewer", fz.tok[ROLE_VIEWER]},
		{"@operator", fz.tok[ROLE_OPERATOR]}, {"@reporter", fz.tok[ROLE_REPORTER]},
		{"@refresh", fz.refresh}, {"@em", fz.em}, {"@basic", fz.basic},
		{"@sid2", fz.sid2}, {"@sid", fz.sid}, {"@tid", fz.tid},
	};
	for(size_t i = 0; i < n; i++) {
		int matched = 0;
		for(size_t k = 0; in[i] == '@' && !matched && k < sizeof(t) / sizeof(t[0]); k++) {
			size_t pl = strlen(t[k].ph);
			if(n - i >= pl && !memcmp(in + i, t[k].ph, pl)) {
				buf_addstr(out, t[k].val);
				i += pl - 1;
				matched = 1;
			}
		}
		if(!matched)
			buf_addc(out, in[i]);
	}
}

static void fz_check_answer(struct req *r)
{
	if(getenv("FUZZ_DEBUG"))
		fprintf(stderr, "fuzz: %s -> %d %.*s\n", r->path, r->status, (int)(r->out.len > 400 ? 400 : r->out.len),
		        r->out.p ? r->out.p : "");
	if(r->status < 100 || r->status > 599) {
		fprintf(stderr, "fuzz: status %d out of range\n", r->status);
		abort();
	}
	if(r->status >= 500) {
		fprintf(stderr, "fuzz: server error %d: %.*s\n", r->status, (int)r->out.len, r->out.p ? r->out.p : "");
		abort();
	}
	for(int i = 0; i < r->nheaders; i++)
		if(!r->headers[i].name || !r->headers[i].value)
			abort();
	if(r->stream || !r->out.len || !r->ctype)
		return;
	if(strstr(r->ctype, "json")) {
		json_error_t e;
		json_t *j = json_loadb(r->out.p, r->out.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
		if(!j) {
			fprintf(stderr, "fuzz: invalid JSON answer (%s): %.*s\n", e.text, (int)r->out.len, r->out.p);
			abort();
		}
		json_decref(j);
	} else if(strstr(r->ctype, "xml")) {
		xmlDocPtr d = xmlReadMemory(r->out.p, (int)r->out.len, "answer.xml", NULL,
		                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		if(!d) {
			fprintf(stderr, "fuzz: invalid XML answer: %.*s\n", (int)r->out.len, r->out.p);
			abort();
		}
		xmlFreeDoc(d);
	}
}

/* Runs one request (input format above) to its end, streams included; then
 * inspect(r) if given, before the request's memory goes. */
static void fz_request(const char *in, size_t n, void (*inspect)(struct req *r, void *ctx), void *ctx)
{
	struct fz_req *f = calloc(1, sizeof(*f));
	if(!f)
		abort();
	arena_init(&f->arena);
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	struct req *r = &f->r;
	r->io = &fz_io;
	r->http = f;
	r->arena = &f->arena;
	r->client = "127.0.0.1";
	r->base_url = "http://127.0.0.1:9419";
	r->now_us = time_now_us();
	buf_init(&r->out, 0);

	struct buf text;
	buf_init(&text, 0);
	fz_substitute(&text, in, n);
	const char *s = text.p ? text.p : "", *end = s + text.len;

	const char *eol = memchr(s, '\n', (size_t)(end - s));
	const char *line_end = eol ? eol : end;
	const char *sp = memchr(s, ' ', (size_t)(line_end - s));
	char *method = arena_strndup(r->arena, s, (size_t)((sp ? sp : line_end) - s));
	const char *url = sp ? sp + 1 : line_end;
	size_t url_len = (size_t)(line_end - url);
	if(url_len && url[url_len - 1] == '\r')
		url_len--;
	r->method = api_method(method);
	const char *q = memchr(url, '?', url_len);
	r->path = fz_unescape(r->arena, url, q ? (size_t)(q - url) : url_len);
	if(q) {
		const char *p = q + 1, *qe = url + url_len;
		while(p < qe && f->nq < FZ_MAX_KV) {
			const char *amp = memchr(p, '&', (size_t)(qe - p));
			const char *fe = amp ? amp : qe;
			const char *eq = memchr(p, '=', (size_t)(fe - p));
			if(fe > p) {
				f->qk[f->nq] = fz_unescape(r->arena, p, (size_t)((eq ? eq : fe) - p));
				f->qv[f->nq] = eq ? fz_unescape(r->arena, eq + 1, (size_t)(fe - eq - 1)) : "";
				f->nq++;
			}
			p = fe + 1;
		}
	}
	const char *p = eol ? eol + 1 : end;
	while(p < end) {
		const char *le = memchr(p, '\n', (size_t)(end - p));
		if(!le)
			le = end;
		const char *ce = le > p && le[-1] == '\r' ? le - 1 : le;
		if(ce == p) {   /* the empty line: the body follows */
			p = le + 1;
			break;
		}
		const char *colon = memchr(p, ':', (size_t)(ce - p));
		if(colon && f->nh < FZ_MAX_KV) {
			const char *v = colon + 1, *ve = ce;
			while(v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while(ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			f->hk[f->nh] = arena_strndup(r->arena, p, (size_t)(colon - p));
			f->hv[f->nh] = arena_strndup(r->arena, v, (size_t)(ve - v));
			f->nh++;
		}
		p = le + 1;
	}
	if(p < end) {
		r->body = arena_strndup(r->arena, p, (size_t)(end - p));
		r->body_len = (size_t)(end - p);
	}

	router_dispatch(r, 0);
	while(f->pending) {
		if(fz_wait(f, 10000)) {
			fprintf(stderr, "fuzz: a suspended request was not resumed within 10 s\n");
			abort();
		}
		f->pending = 0;
		void (*cont)(struct req *) = r->cont;
		r->cont = NULL;
		cont(r);
	}
	fz_check_answer(r);
	if(r->stream) {
		struct buf part;
		buf_init(&part, 0);
		for(int i = 0; i < 2000; i++) {
			buf_reset(&part);
			int more = r->stream(r, &part);
			if(part.failed || more <= 0)
				break;
			if(more == 2 && !part.len && fz_wait(f, 2000))
				break;
		}
		buf_free(&part);
	}
	if(r->stream_done)
		r->stream_done(r);
	if(inspect)
		inspect(r, ctx);
	buf_free(&text);
	buf_free(&r->out);
	arena_free(&f->arena);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->cond);
	free(f);
}

static void fz_request_str(const char *s, void (*inspect)(struct req *r, void *ctx), void *ctx)
{
	fz_request(s, strlen(s), inspect, ctx);
}

struct fz_grab {
	const char *name;   /* a response header, or NULL for the "id" of a JSON body */
	char *out;
	size_t cap;
};

static void fz_grab(struct req *r, void *ctx)
{
	struct fz_grab *g = ctx;
	if(g->name) {
		for(int i = 0; i < r->nheaders; i++)
			if(!strcasecmp(r->headers[i].name, g->name))
				snprintf(g->out, g->cap, "%s", r->headers[i].value);
		return;
	}
	json_t *j = json_loadb(r->out.p ? r->out.p : "", r->out.len, 0, NULL);
	const char *id = json_string_value(json_object_get(j, "id"));
	snprintf(g->out, g->cap, "%s", id ? id : "");
	json_decref(j);
}

static void fz_cleanup(void)
{
	core_close();
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char path[300];
	for(size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", fz.db, suffix[i]);
		unlink(path);
	}
	rmdir(fz.dir);
}

static void fz_new_session(char *out, size_t cap, int stopped)
{
	char req[2048];
	struct fz_grab g = {NULL, out, cap};
	snprintf(req, sizeof(req),
	         "POST /api/v1/sessions\nx-api-version: 1.3-rev2\nAuthorization: Bearer @reporter\n"
	         "Content-Type: application/json\n\n"
	         "{\"name\":\"fuzz job\",\"sessionType\":\"BackupJob\",\"jobId\":\"11111111-2222-3333-4444-555555555555\","
	         "\"jobName\":\"fuzz job\",\"progressPercent\":10}");
	fz_request_str(req, fz_grab, &g);
	if(stopped) {
		snprintf(req, sizeof(req),
		         "POST /api/v1/sessions/%s/complete\nx-api-version: 1.3-rev2\nAuthorization: Bearer @reporter\n\n"
		         "{\"result\":\"Warning\",\"message\":\"fuzz\"}", out);
		fz_request_str(req, NULL, NULL);
	}
}

/** Opens the core on a fresh temporary database and fills fz (once per process). */
static void fz_init(void)
{
	if(fz.ready)
		return;
	fz.ready = 1;
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	snprintf(fz.dir, sizeof(fz.dir), "%s/sessiond-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if(!mkdtemp(fz.dir))
		abort();
	snprintf(fz.db, sizeof(fz.db), "%s/f.db", fz.dir);
	char err[512] = "";
	if(sodium_init() < 0 || core_open(fz.db, err, sizeof(err)) || auth_init()) {
		fprintf(stderr, "fuzz: core_open: %s\n", err);
		abort();
	}
	atexit(fz_cleanup);
	api_init();
	feed_shutdown();   /* long polls and event streams answer at once instead of waiting */
	char hash[crypto_pwhash_STRBYTES];
	if(auth_password_hash(FZ_PASSWORD, hash, sizeof(hash)))
		abort();
	for(int role = ROLE_VIEWER; role < ROLE__COUNT; role++) {
		const char *name = role == ROLE_ADMIN ? "admin" : auth_role_name(role);
		struct core_write w = {0};
		if(core_user_add(&w, name, hash, role))
			abort();
		struct arena a;
		arena_init(&a);
		struct user_rec u;
		if(core_user_get(name, &a, &u))
			abort();
		struct principal who = {.authenticated = 1, .role = role, .uid = u.uid, .gen = u.gen};
		arena_free(&a);
		struct token_pair tp;
		auth_issue(&who, 0, &tp);
		memcpy(fz.tok[role], tp.access, sizeof(tp.access));
		if(role == ROLE_ADMIN)
			memcpy(fz.refresh, tp.refresh, sizeof(tp.refresh));
	}
	char cred[64], b64[100];
	snprintf(cred, sizeof(cred), "admin:%s", FZ_PASSWORD);
	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)cred, strlen(cred), sodium_base64_VARIANT_ORIGINAL);
	snprintf(fz.basic, sizeof(fz.basic), "Basic %s", b64);
	struct fz_grab g = {"X-RestSvcSessionId", fz.em, sizeof(fz.em)};
	fz_request_str("POST /api/sessionMngr/?v=latest\nAuthorization: @basic\n\n", fz_grab, &g);

	fz_new_session(fz.sid, sizeof(fz.sid), 0);
	fz_new_session(fz.sid2, sizeof(fz.sid2), 1);
	char req[1024];
	struct fz_grab gt = {NULL, fz.tid, sizeof(fz.tid)};
	snprintf(req, sizeof(req),
	         "POST /api/v1/sessions/%s/taskSessions\nx-api-version: 1.3-rev2\nAuthorization: Bearer @reporter\n\n"
	         "{\"name\":\"vm-01\",\"type\":\"Backup\"}", fz.sid);
	fz_request_str(req, fz_grab, &gt);
	snprintf(req, sizeof(req),
	         "POST /api/v1/sessions/%s/logs\nx-api-version: 1.3-rev2\nAuthorization: Bearer @reporter\n\n"
	         "{\"records\":[{\"status\":\"Succeeded\",\"title\":\"one\"},{\"status\":\"Warning\",\"title\":\"two\"}]}", fz.sid);
	fz_request_str(req, NULL, NULL);
	if(!fz.em[0] || !fz.sid[0] || !fz.sid2[0] || !fz.tid[0]) {
		fprintf(stderr, "fuzz: set-up failed (em=%s sid=%s sid2=%s tid=%s)\n", fz.em, fz.sid, fz.sid2, fz.tid);
		abort();
	}
}

#endif
