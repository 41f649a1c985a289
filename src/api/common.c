/* What every dialect shares: dialect selection, permissions, and the two ways
 * a request waits without holding a worker (store writes and slow work). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/auth.h"
#include "core/core.h"
#include "util/timefmt.h"

static int seg_is(const char *p, const char *name)
{
	size_t n = strlen(name);
	return !strncmp(p, name, n) && (p[n] == 0 || p[n] == '/');
}

/* Which dialect owns a path (DESIGN §5): /api/oauth2/… by the x-api-version header (logout
 * and authorization_code are VBR's alone), /api/v<N>/jobSessions|system|overview and any
 * /api/v<N>/… with N > 1 Azure, and Azure's v1 estate resources (those VBR has not, and
 * license and restorePoints, which both have, without x-api-version); every other
 * /api/v1/… VBR, the rest of /api/ Enterprise Manager. */
static const struct dialect *owner(struct req *r)
{
	const char *p = r->path;
	if(!strncmp(p, "/api/oauth2/", 12)) {
		if(seg_is(p + 12, "logout") || seg_is(p + 12, "authorization_code") || req_header(r, "x-api-version"))
			return &dialect_vbr;
		return &dialect_vbaz;
	}
	if(!strncmp(p, "/api/v", 6) && p[6] >= '0' && p[6] <= '9') {
		const char *d = p + 6;
		while(*d >= '0' && *d <= '9')
			d++;
		if(*d == '.' && d[1] >= '0' && d[1] <= '9')   /* v8.1 */
			for(d++; *d >= '0' && *d <= '9'; d++) {}
		if(*d == 0 || *d == '/') {
			int v1 = d - p == 7 && p[6] == '1';
			const char *seg = *d ? d + 1 : d;
			if(seg_is(seg, "jobSessions") || seg_is(seg, "system") || seg_is(seg, "overview") || !v1)
				return &dialect_vbaz;
			if(seg_is(seg, "virtualMachines") || seg_is(seg, "policies") || seg_is(seg, "protectedItem") ||
			   seg_is(seg, "repositories") ||
			   ((seg_is(seg, "license") || seg_is(seg, "restorePoints")) && !req_header(r, "x-api-version")))
				return &dialect_vbaz;
			return &dialect_vbr;
		}
	}
	if(!strncmp(p, "/api", 4) && (p[4] == 0 || p[4] == '/'))
		return &dialect_em;
	return &dialect_misc;
}

const struct dialect *api_dialect_for(struct req *r)
{
	return owner(r);
}

void req_add_header(struct req *r, const char *name, const char *value)
{
	if(!r->headers) {
		r->headers = r->inline_headers;
		r->cap_headers = REQ_INLINE_HEADERS;
	}
	if(r->nheaders == r->cap_headers) {
		/* Never dropped: the list doubles in the request's arena. */
		struct req_header *h = arena_alloc(r->arena, sizeof(*h) * (size_t)r->cap_headers * 2);
		memcpy(h, r->headers, sizeof(*h) * (size_t)r->nheaders);
		r->headers = h;
		r->cap_headers *= 2;
	}
	r->headers[r->nheaders].name = name;
	r->headers[r->nheaders].value = value;
	r->nheaders++;
}

int api_method(const char *name)
{
	static const struct { const char *name; int bit; } t[] = {
		{"GET", M_GET}, {"POST", M_POST}, {"PUT", M_PUT}, {"PATCH", M_PATCH},
		{"DELETE", M_DELETE}, {"HEAD", M_HEAD}, {"OPTIONS", M_OPTIONS},
	};
	for(size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if(!strcmp(name, t[i].name))
			return t[i].bit;
	return 0;
}

int api_status(enum rc rc)
{
	switch(rc) {
	case RC_OK: return 200;
	case RC_INVALID: return 400;
	case RC_UNAUTHORIZED:
	case RC_EXPIRED: return 401;
	case RC_FORBIDDEN: return 403;
	case RC_NOTFOUND: return 404;
	case RC_CONFLICT: return 409;
	case RC_PRECONDITION: return 412;
	case RC_TOOLARGE: return 413;
	case RC_BUSY:
	case RC_BACKEND: return 503;   /* the store is failing: a client retries (Retry-After) */
	}
	return 500;
}

int api_token_refused(struct req *r, enum rc rc, const char *what, const char **msg)
{
	if(rc == RC_BACKEND || rc == RC_BUSY) {
		*msg = arena_printf(r->arena, "cannot check the %s now (the store is failing); try again later", what);
		return 503;
	}
	*msg = arena_printf(r->arena, rc == RC_EXPIRED ? "the %s has expired" : "the %s is not valid", what);
	return 401;
}

int api_allowed(const struct principal *who, enum perm p)
{
	if(p == PERM_PUBLIC)
		return 1;
	if(!who->authenticated)
		return 0;
	switch(p) {
	case PERM_AUTH: return 1;
	case PERM_READ: return who->role == ROLE_VIEWER || who->role == ROLE_OPERATOR || who->role == ROLE_ADMIN;
	case PERM_STOP: return who->role == ROLE_OPERATOR || who->role == ROLE_ADMIN;
	case PERM_INGEST: return who->role == ROLE_REPORTER || who->role == ROLE_ADMIN;
	case PERM_ADMIN: return who->role == ROLE_ADMIN;
	default: return 0;
	}
}

static void write_done(struct core_write *w)
{
	struct req *r = w->udata;
	r->io->resume(r);
}

struct core_write *api_write(struct req *r, void (*then)(struct req *r))
{
	struct core_write *w = arena_zalloc(r->arena, sizeof(*w));
	w->arena = r->arena;
	w->done = write_done;
	w->udata = r;
	r->work = w;
	r->io->suspend(r, then);
	return w;
}

/* ---- the logon pool: password checks (Argon2id) off the workers ----
 * A few threads take admitted checks in order. Admission is per client address
 * (auth_login_admit: failures plus checks in flight under the limit, and a share of
 * the pool) and overall (a bounded queue), so a flood from one address is refused
 * at once (429) instead of queueing ahead of everyone else's logons. */

#define LOGON_THREADS 2
#define LOGON_QUEUE 64          /* checks waiting for a thread, from every address */

struct job {
	enum rc (*fn)(void *arg);
	void *arg;
	struct req *r;
	struct job *next;
};

static struct {
	pthread_t thread[LOGON_THREADS];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *head, *tail;
	int queued;
	int running;
	int stopping;
} slow = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void *slow_main(void *arg)
{
	(void)arg;
	for(;;) {
		pthread_mutex_lock(&slow.lock);
		while(!slow.head && !slow.stopping)
			pthread_cond_wait(&slow.cond, &slow.lock);
		struct job *j = slow.head;
		if(j) {
			slow.head = j->next;
			if(!slow.head)
				slow.tail = NULL;
			slow.queued--;
		}
		pthread_mutex_unlock(&slow.lock);
		if(!j)
			break;
		enum rc rc = j->fn(j->arg);
		auth_login_done(j->r->client, time_now_us(), rc == RC_UNAUTHORIZED);
		j->r->io->resume(j->r);
	}
	return NULL;
}

void api_init(void)
{
	if(slow.running)
		return;
	slow.stopping = 0;
	for(int i = 0; i < LOGON_THREADS; i++)
		if(pthread_create(&slow.thread[i], NULL, slow_main, NULL) == 0)
			slow.running++;
}

void api_shutdown(void)
{
	if(!slow.running)
		return;
	pthread_mutex_lock(&slow.lock);
	slow.stopping = 1;
	pthread_cond_broadcast(&slow.cond);
	pthread_mutex_unlock(&slow.lock);
	for(int i = 0; i < slow.running; i++)
		pthread_join(slow.thread[i], NULL);
	slow.running = 0;
}

/* A refused attempt: the dialect's error with Retry-After. */
static void refuse_logon(struct req *r, int status, int wait_s, const char *msg)
{
	req_add_header(r, "Retry-After", arena_printf(r->arena, "%d", wait_s));
	api_dialect_for(r)->error(r, RC_BUSY, status, msg);
}

void api_logon(struct req *r, enum rc (*fn)(void *arg), void *arg, void (*then)(struct req *r))
{
	int wait_s = auth_login_admit(r->client, r->now_us);
	if(wait_s) {
		refuse_logon(r, 429, wait_s, "too many logon attempts from this address; try again later");
		return;
	}
	struct job *j = arena_zalloc(r->arena, sizeof(*j));
	j->fn = fn;
	j->arg = arg;
	j->r = r;
	pthread_mutex_lock(&slow.lock);
	if(slow.queued >= LOGON_QUEUE) {
		pthread_mutex_unlock(&slow.lock);
		auth_login_done(r->client, r->now_us, 0);
		refuse_logon(r, 503, 1, "the server is busy checking other logons; try again in a moment");
		return;
	}
	r->io->suspend(r, then);
	if(slow.tail)
		slow.tail->next = j;
	else
		slow.head = j;
	slow.tail = j;
	slow.queued++;
	pthread_cond_signal(&slow.cond);
	pthread_mutex_unlock(&slow.lock);
}
