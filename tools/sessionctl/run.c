/* sessionctl run: wraps a command in a session.
 *
 * The command always runs, whatever the server does. Two threads share one
 * spool file (spool.c) that holds the session's lines in order:
 * - The main thread owns the child. It reads the child's stdout and stderr,
 *   echoes them (or keeps them for --quiet), cuts them into lines and appends
 *   one log record per line to the spool. It never waits on the network: while
 *   the server keeps up but is behind by more than BP_BYTES it stops reading
 *   (the pipe fills and the child slows down); while the server is away,
 *   refuses the login or hangs, it keeps appending until the spool holds
 *   --spool-max bytes, and only then drops lines, counting them.
 * - The shipper thread owns the HTTP handle. It sleeps until there is work
 *   (lines, progress, the end, a stop poll every POLL_US), creates the session,
 *   posts the lines in batches from the spool, and completes the session with
 *   the end line. While the server is unreachable it backs off and retries.
 * When the session cannot be delivered by the time the command ended (plus
 * --retry-for), the spool file stays for the next sessionctl to deliver. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/catalog.h"
#include "ctl.h"
#include "util/jw.h"
#include "util/mem.h"
#include "util/timefmt.h"
#include "util/uuid.h"

#define LINE_BYTES 8192                  /* longer lines are split into records */
#define FLUSH_US 200000                  /* a trickle of lines is posted at most this often */
#define SHIP_BYTES ((int64_t)64 << 10)   /* ... unless this much waits */
#define PROGRESS_US 1000000
#define HEARTBEAT_DEFAULT_S 300             /* the lease asked for: the server ends the session
                                             when sessionctl is gone this long */
#define POLL_US 1500000                  /* ask for a stop request after this long without contact */
#define BACKOFF_MIN_US 250000
#define BACKOFF_MAX_US 5000000
#define DRAIN_US 1000000                 /* read output this long after the child exited */
#define BP_BYTES ((int64_t)4 << 20)      /* undelivered bytes before the child is slowed down */
#define STALL_US 2000000                 /* a request this old: the server hangs, spool instead */
#define SPOOL_MAX_DEFAULT ((int64_t)1 << 30)
#define MESSAGE_LINE 200                 /* bytes of an output line quoted in the result message */

struct run {
	struct ctl *c;
	int heartbeat_s;           /* the session's lease: renewed at a third of it */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* guarded by mu */
	struct spool sp;           /* the session's lines: main appends, the shipper delivers */
	size_t dropped_noted;      /* dropped lines already noted in the log */
	size_t dropped;            /* lines not recorded because the spool was full */
	int progress;              /* latest percentage seen in the output, -1: none yet */
	int finished;              /* the end line is in the spool */
	int abandon;               /* stop at once; also aborts a request in flight */
	int stop_seen;             /* the server asked for a stop */
	int completed;             /* the server has the whole session */
	int offline;               /* login refused or not allowed: everything stays in the spool */
	int gave_up;               /* the server refused the session itself: reporting stopped */
	int outage;                /* the last request found no server */
	int shipper_done;
	char last_err[1024];
	int64_t inflight_since;    /* start of the request in flight, 0: none (atomic) */
	/* fixed before the shipper starts */
	char id[UUID_STR_LEN + 1];
	int64_t spool_max;
	char *create_body;         /* the POST /api/v1/sessions body */
	json_t *end_mem;           /* the end, when the spool could not take it (guarded by mu) */
	int wake[2];               /* shipper -> main: 's' stop seen, 'p' progress in the spool, 'd' done */
};

static int sigpipe_fd[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;
	if(write(sigpipe_fd[1], &b, 1) < 0) {
		/* the pipe is full: the signal is already pending there */
	}
	errno = saved;
}

static void write_all(int fd, const char *p, size_t n)
{
	while(n) {
		ssize_t w = write(fd, p, n);
		if(w < 0 && errno == EINTR)
			continue;
		if(w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void poke(struct run *r, char what)
{
	if(write(r->wake[1], &what, 1) < 0) {
		/* the pipe is full: main wakes up anyway */
	}
}

/* Appends one "R {record}" line to b. */
static void encode_record(struct buf *b, int status, int64_t t, const char *text, size_t n)
{
	char ts[TIME_STR_MAX];
	time_format(t, 3, ts);
	buf_addstr(b, "R ");
	struct jw w;
	jw_init(&w, b);
	jw_obj(&w);
	jw_kstr(&w, "status", catalog_log_status_name(status));
	jw_key(&w, "title");
	jw_strn(&w, text, n);
	jw_kstr(&w, "startTime", ts);
	jw_obj_end(&w);
	buf_addc(b, '\n');
}

/* Appends a record even over --spool-max (sessionctl's own notes; caller holds mu). */
static void append_forced(struct run *r, int status, const char *text)
{
	struct buf b;
	buf_init(&b, 0);
	encode_record(&b, status, time_now_us(), text, strlen(text));
	if(!r->gave_up)
		spool_append(&r->sp, b.p, b.len);
	buf_free(&b);
	pthread_cond_signal(&r->cv);
}

/* Notes lines dropped since the last note (caller holds mu). */
static void note_dropped(struct run *r)
{
	if(r->dropped == r->dropped_noted)
		return;
	char note[200];
	snprintf(note, sizeof(note), "sessionctl: %zu output lines were not recorded (the spool was full: --spool-max)",
	         r->dropped - r->dropped_noted);
	r->dropped_noted = r->dropped;
	append_forced(r, LOG_WARNING, note);
}

/* Whether main should stop reading the child: the server keeps up but is behind. */
static int throttled(struct run *r)
{
	if(r->finished || r->offline || r->gave_up || r->outage)
		return 0;
	if(r->sp.write_off - r->sp.read_off < BP_BYTES)
		return 0;
	int64_t since = __atomic_load_n(&r->inflight_since, __ATOMIC_RELAXED);
	return !(since && time_now_us() - since > STALL_US);
}

/* ---------- the shipper thread ---------- */

static void saw_stop(struct run *r, json_t *reply)
{
	const char *state = ctl_jstr(reply, "state");
	if(!ctl_jbool(reply, "stopRequested") && !(state && (!strcmp(state, "Stopping") || !strcmp(state, "Stopped"))))
		return;
	pthread_mutex_lock(&r->mu);
	int first = !r->stop_seen;
	r->stop_seen = 1;
	pthread_mutex_unlock(&r->mu);
	if(first)
		poke(r, 's');
}

/* ctl_call with the start of the request visible to main (stall detection). */
static enum rc call(struct run *r, const char *method, const char *path, const char *body, json_t **out)
{
	__atomic_store_n(&r->inflight_since, time_now_us(), __ATOMIC_RELAXED);
	enum rc rc = ctl_call(r->c, method, path, body, out);
	__atomic_store_n(&r->inflight_since, 0, __ATOMIC_RELAXED);
	return rc;
}

struct ship {
	int64_t last_contact, last_progress, last_ship, last_renew;
	int sent_progress;
	int can_read;      /* the user may GET the session (else a stop poll is an empty PATCH) */
	struct buf body;
};

static enum rc ship_patch(struct run *r, int progress)
{
	char path[128], body[64];
	snprintf(path, sizeof(path), "/api/v1/sessions/%s", r->id);
	if(progress >= 0)
		snprintf(body, sizeof(body), "{\"progressPercent\":%d}", progress);
	else
		snprintf(body, sizeof(body), "{}");
	json_t *j;
	enum rc rc = call(r, "PATCH", path, body, &j);
	if(!rc)
		saw_stop(r, j);
	json_decref(j);
	return rc;
}

/* Asks whether a stop was requested: GET when the user may read, else an empty PATCH.
 * A PATCH (a write) renews the session's lease on the server; reads do not, so one goes
 * out at least every third of the lease while the command runs. */
static enum rc ship_poll(struct run *r, struct ship *st)
{
	int64_t now = time_now_us();
	if(!st->can_read || now - st->last_renew >= (int64_t)r->heartbeat_s * 1000000 / 3) {
		enum rc rc = ship_patch(r, -1);
		if(!rc)
			st->last_renew = now;
		return rc;
	}
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/sessions/%s", r->id);
	json_t *j;
	const char *need = r->c->need_role;
	enum rc rc = call(r, "GET", path, NULL, &j);
	r->c->need_role = need;
	if(rc == RC_FORBIDDEN) {
		st->can_read = 0;
		return ship_patch(r, -1);
	}
	if(!rc)
		saw_stop(r, j);
	json_decref(j);
	return rc;
}

/* One unit of work; RC_OK also when there was nothing to do. */
static enum rc ship_round(struct run *r, struct ship *st)
{
	enum rc rc;
	int64_t now = time_now_us();
	pthread_mutex_lock(&r->mu);
	int created = r->sp.created;
	int64_t from = r->sp.read_off, to = r->sp.write_off;
	int progress = __atomic_load_n(&r->progress, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&r->mu);
	if(!created) {
		rc = call(r, "POST", "/api/v1/sessions", r->create_body, NULL);
		if(rc && rc != RC_CONFLICT)   /* 409: our id exists: an earlier attempt got through */
			return rc;
		pthread_mutex_lock(&r->mu);
		r->sp.created = 1;
		spool_ack(&r->sp);
		pthread_mutex_unlock(&r->mu);
		st->last_contact = now;
		return RC_OK;
	}
	/* progress first (at most once a second), so that a flood of lines cannot hold it back */
	if(progress >= 0 && progress != st->sent_progress && now - st->last_progress >= PROGRESS_US) {
		if((rc = ship_patch(r, progress)))
			return rc;
		st->sent_progress = progress;
		st->last_progress = st->last_contact = now;
		return RC_OK;
	}
	if(to > from) {
		size_t n;
		int64_t next;
		json_t *end;
		spool_batch(r->sp.fd, from, to, &st->body, &n, &next, &end);
		if(n) {
			json_t *j = NULL;
			__atomic_store_n(&r->inflight_since, time_now_us(), __ATOMIC_RELAXED);
			rc = spool_post_logs(r->c, r->id, buf_cstr(&st->body), n, &j);
			__atomic_store_n(&r->inflight_since, 0, __ATOMIC_RELAXED);
			if(rc) {
				json_decref(end);
				return rc;
			}
			saw_stop(r, j);
			json_decref(j);
			pthread_mutex_lock(&r->mu);
			r->sp.read_off = next;
			spool_ack(&r->sp);
			spool_compact(&r->sp);
			pthread_mutex_unlock(&r->mu);
			poke(r, 'p');
			st->last_ship = st->last_contact = now;
			json_decref(end);
			return RC_OK;
		}
		if(end) {
			__atomic_store_n(&r->inflight_since, time_now_us(), __ATOMIC_RELAXED);
			rc = spool_post_end(r->c, r->id, end);
			__atomic_store_n(&r->inflight_since, 0, __ATOMIC_RELAXED);
			json_decref(end);
			if(rc)
				return rc;
			pthread_mutex_lock(&r->mu);
			r->sp.read_off = next;
			r->completed = 1;
			pthread_mutex_unlock(&r->mu);
			return RC_OK;
		}
		/* only lines of other kinds: skip them */
		pthread_mutex_lock(&r->mu);
		r->sp.read_off = next > from ? next : to;
		pthread_mutex_unlock(&r->mu);
		return RC_OK;
	}
	pthread_mutex_lock(&r->mu);
	json_t *end_mem = r->finished ? json_incref(r->end_mem) : NULL;
	pthread_mutex_unlock(&r->mu);
	if(end_mem) {
		rc = spool_post_end(r->c, r->id, end_mem);
		json_decref(end_mem);
		if(rc)
			return rc;
		pthread_mutex_lock(&r->mu);
		r->completed = 1;
		pthread_mutex_unlock(&r->mu);
		return RC_OK;
	}
	if(now - st->last_contact >= POLL_US) {
		if((rc = ship_poll(r, st)))
			return rc;
		st->last_contact = now;
	}
	return RC_OK;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* When the shipper has work next (caller holds mu); 0: now. */
static int64_t next_work(struct run *r, struct ship *st, int64_t now)
{
	if(!r->sp.created)
		return 0;
	int64_t backlog = r->sp.write_off - r->sp.read_off;
	if(backlog && (r->finished || backlog >= SHIP_BYTES || now - st->last_ship >= FLUSH_US))
		return 0;
	if(!backlog && r->finished && r->end_mem)
		return 0;
	int64_t at = INT64_MAX;
	if(backlog)
		at = st->last_ship + FLUSH_US;
	int progress = __atomic_load_n(&r->progress, __ATOMIC_RELAXED);
	if(progress >= 0 && progress != st->sent_progress)
		at = min64(at, st->last_progress + PROGRESS_US);
	if(!r->finished)
		at = min64(at, st->last_contact + POLL_US);
	return at <= now ? 0 : at;
}

static void *shipper(void *arg)
{
	struct run *r = arg;
	struct ship st = {.last_contact = time_now_us(), .sent_progress = -1, .can_read = 1};
	buf_init(&st.body, 0);
	int64_t next_try = 0, backoff = 0;
	pthread_mutex_lock(&r->mu);
	while(!r->abandon && !r->completed && !r->offline && !r->gave_up) {
		int64_t now = time_now_us();
		int64_t at = next_try > now ? next_try : next_work(r, &st, now);
		if(at) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			int64_t wait_us = at == INT64_MAX ? 3600000000LL : at - now;
			ts.tv_sec += (time_t)(wait_us / 1000000);
			ts.tv_nsec += (long)(wait_us % 1000000) * 1000;
			ts.tv_sec += ts.tv_nsec / 1000000000;
			ts.tv_nsec %= 1000000000;
			pthread_cond_timedwait(&r->cv, &r->mu, &ts);
			continue;
		}
		pthread_mutex_unlock(&r->mu);
		enum rc rc = ship_round(r, &st);
		pthread_mutex_lock(&r->mu);
		if(r->abandon)
			break;
		if(rc == RC_BUSY) {
			snprintf(r->last_err, sizeof(r->last_err), "%s", r->c->err);
			if(!r->outage)
				ctl_msg("warning: %s; the command keeps running, its output is spooled in %s and sent when the "
				        "server answers again",
				        r->c->err, r->sp.persistent ? r->sp.path : "a temporary file");
			r->outage = 1;
			backoff = backoff ? backoff * 2 : BACKOFF_MIN_US;
			if(backoff > BACKOFF_MAX_US)
				backoff = BACKOFF_MAX_US;
			next_try = time_now_us() + backoff;
		} else if(rc == RC_UNAUTHORIZED || rc == RC_EXPIRED || rc == RC_FORBIDDEN) {
			snprintf(r->last_err, sizeof(r->last_err), "%s", r->c->err);
			ctl_msg("warning: %s; the command keeps running and the session is kept in the spool (%s) until "
			        "`sessionctl flush` can deliver it",
			        r->c->err, r->sp.persistent ? r->sp.path : "a temporary file");
			r->offline = 1;
		} else if(rc) {
			snprintf(r->last_err, sizeof(r->last_err), "%s", r->c->err);
			ctl_msg("warning: %s; the session is no longer reported (the command keeps running)", r->c->err);
			r->gave_up = 1;
		} else {
			if(r->outage)
				ctl_msg("the server is reachable again; delivering the spooled output");
			r->outage = 0;
			backoff = 0;
			next_try = 0;
		}
	}
	r->shipper_done = 1;
	pthread_mutex_unlock(&r->mu);
	buf_free(&st.body);
	poke(r, 'd');
	return NULL;
}

/* ---------- the child's output ---------- */

struct stream {
	int fd;              /* -1 once closed */
	int out_fd;          /* where the output is echoed */
	int is_err;
	int cr;              /* the last byte was '\r' */
	size_t len;
	char line[LINE_BYTES + 1];
};

struct child_ctx {
	struct run *r;
	regex_t *re;         /* --progress-regex, or NULL */
	int stderr_status;   /* log status of stderr lines */
	size_t warnings;     /* lines recorded with a warning or failure status */
	struct buf pend;     /* records of the current read, appended at once */
	size_t pend_lines;
	int64_t room;        /* bytes the spool may still take (at the start of the read) */
	size_t dropped;      /* lines of the current read that did not fit */
	char err_line[MESSAGE_LINE + 8];    /* last error-looking line */
	char err_stream[MESSAGE_LINE + 8];  /* last stderr line */
	char warn_line[MESSAGE_LINE + 8];   /* last line counted as a warning */
};

/* The last "NN%", "NN.N%" or "NN %" in s that is a percentage (0..100), or -1. */
static int percent_in(const char *s)
{
	int found = -1;
	for(const char *p = strchr(s, '%'); p; p = strchr(p + 1, '%')) {
		const char *q = p;
		if(q > s && q[-1] == ' ')
			q--;
		const char *end = q;
		while(q > s && q[-1] >= '0' && q[-1] <= '9')
			q--;
		if(q > s + 1 && q[-1] == '.' && q != end && q[-2] >= '0' && q[-2] <= '9') {
			end = q - 1;
			q--;
			while(q > s && q[-1] >= '0' && q[-1] <= '9')
				q--;
		}
		if(q == end || end - q > 3)
			continue;
		if(q > s && ((q[-1] >= 'A' && q[-1] <= 'Z') || (q[-1] >= 'a' && q[-1] <= 'z') || q[-1] == '.'))
			continue;
		int v = atoi(q);
		if(v <= 100)
			found = v;
	}
	return found;
}

static int progress_of(struct child_ctx *cx, const char *s)
{
	if(!cx->re)
		return percent_in(s);
	regmatch_t m[2];
	if(regexec(cx->re, s, 2, m, 0))
		return -1;
	regmatch_t g = m[1].rm_so >= 0 ? m[1] : m[0];
	char num[32];
	size_t n = (size_t)(g.rm_eo - g.rm_so);
	if(n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s + g.rm_so, n);
	num[n] = 0;
	char *end;
	double v = strtod(num, &end);
	if(end == num || v < 0)
		return -1;
	return v > 100 ? 100 : (int)v;
}

/* Words that make an output line look like the reason of a failure. */
static const char *const error_words[] = {
	"error", "fail", "fatal", "denied", "cannot", "can't", "could not", "couldn't", "unable", "no such",
	"not found", "refused", "timed out", "timeout", "abort", "panic", "exception", "invalid", "no space",
	"killed", "segmentation", "traceback", NULL,
};

static int looks_like_error(const char *s)
{
	for(int i = 0; error_words[i]; i++)
		if(strcasestr(s, error_words[i]))
			return 1;
	return 0;
}

/* Copies s (trimmed) into out (MESSAGE_LINE bytes at most, cut at a character
 * boundary with "..." when longer). */
static void keep_line(char *out, const char *s, size_t n)
{
	while(n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while(n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	int cut = 0;
	if(n > MESSAGE_LINE) {
		n = MESSAGE_LINE - 3;
		while(n && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		cut = 1;
	}
	memcpy(out, s, n);
	if(cut)
		memcpy(out + n, "...", 3), n += 3;
	out[n] = 0;
}

/* A complete segment of output: logged when it ended with a newline (a '\r'
 * alone marks a progress redraw, which only updates progress). */
static void segment(struct child_ctx *cx, struct stream *s, int logged)
{
	struct run *r = cx->r;
	s->line[s->len] = 0;
	int p = progress_of(cx, s->line);
	if(p >= 0)
		__atomic_store_n(&r->progress, p, __ATOMIC_RELAXED);
	int blank = 1;
	for(size_t i = 0; i < s->len && blank; i++)
		blank = s->line[i] == ' ' || s->line[i] == '\t' || s->line[i] == '\f' || s->line[i] == '\v';
	if(logged && !blank) {
		int status = s->is_err ? cx->stderr_status : LOG_NONE;
		if(status == LOG_WARNING || status == LOG_FAILED) {
			cx->warnings++;
			keep_line(cx->warn_line, s->line, s->len);
		}
		if(looks_like_error(s->line))
			keep_line(cx->err_line, s->line, s->len);
		if(s->is_err)
			keep_line(cx->err_stream, s->line, s->len);
		size_t mark = cx->pend.len;
		encode_record(&cx->pend, status, time_now_us(), s->line, s->len);
		if((int64_t)cx->pend.len > cx->room) {
			cx->pend.len = mark;
			cx->pend.p[mark] = 0;
			cx->dropped++;
		} else {
			cx->pend_lines++;
		}
	}
	s->len = 0;
}

/* Moves the records of the last read into the spool. */
static void commit(struct child_ctx *cx)
{
	struct run *r = cx->r;
	if(!cx->pend.len && !cx->dropped)
		return;
	pthread_mutex_lock(&r->mu);
	if(!r->gave_up) {
		r->dropped += cx->dropped;
		if(r->dropped != r->dropped_noted && r->sp.write_off - r->sp.read_off + (int64_t)cx->pend.len < r->spool_max)
			note_dropped(r);
		if(cx->pend.len && spool_append(&r->sp, cx->pend.p, cx->pend.len))
			r->dropped += cx->pend_lines;   /* the disk is full */
		pthread_cond_signal(&r->cv);
	}
	cx->room = r->spool_max - (r->sp.write_off - r->sp.read_off);
	pthread_mutex_unlock(&r->mu);
	buf_reset(&cx->pend);
	cx->pend_lines = 0;
	cx->dropped = 0;
}

static void consume(struct child_ctx *cx, struct stream *s, const char *p, size_t n)
{
	for(size_t i = 0; i < n; i++) {
		char ch = p[i];
		if(s->cr) {
			s->cr = 0;
			if(ch == '\n') {
				segment(cx, s, 1);
				continue;
			}
			segment(cx, s, 0);
		}
		if(ch == '\n') {
			segment(cx, s, 1);
		} else if(ch == '\r') {
			s->cr = 1;
		} else {
			s->line[s->len++] = ch;
			if(s->len == LINE_BYTES)
				segment(cx, s, 1);
		}
	}
	commit(cx);
}

static void read_stream(struct child_ctx *cx, struct stream *s)
{
	char buf[65536];
	ssize_t n = read(s->fd, buf, sizeof(buf));
	if(n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if(n <= 0) {
		if(s->len || s->cr)
			segment(cx, s, 1);
		commit(cx);
		close(s->fd);
		s->fd = -1;
		return;
	}
	write_all(s->out_fd, buf, (size_t)n);
	consume(cx, s, buf, (size_t)n);
}

/* ---------- the child process ---------- */

static const int handled[] = {SIGINT, SIGTERM, SIGHUP, SIGCHLD};

static pid_t spawn(char **argv, int out[2], int err[2], const char *id)
{
	pid_t pid = fork();
	if(pid != 0)
		return pid;
	setpgid(0, 0);
	for(size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		signal(handled[i], SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	dup2(out[1], 1);
	dup2(err[1], 2);
	if(isatty(0)) {
		int fd = open("/dev/null", O_RDONLY);
		if(fd >= 0)
			dup2(fd, 0);
	}
	setenv("SESSIONCTL_SESSION_ID", id, 1);
	execvp(argv[0], argv);
	dprintf(2, "sessionctl: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

static const char *sig_name(int sig)
{
	const char *n = sigabbrev_np(sig);
	return n ? n : "?";
}

struct outcome {
	int result;
	int canceled;
	int code;            /* sessionctl's exit code: the child's */
	char message[512];
};

static void describe_end(struct child_ctx *cx, int st, int canceled, int cancel_sig, size_t dropped,
                         struct outcome *o)
{
	char how[96];
	int failed;
	if(WIFEXITED(st)) {
		o->code = WEXITSTATUS(st);
		snprintf(how, sizeof(how), "exit status %d", o->code);
		failed = o->code != 0;
	} else {
		o->code = 128 + WTERMSIG(st);
		snprintf(how, sizeof(how), "killed by signal %d (SIG%s)", WTERMSIG(st), sig_name(WTERMSIG(st)));
		failed = 1;
	}
	o->canceled = canceled;
	if(canceled) {
		o->result = RES_FAILED;
		if(cancel_sig)
			snprintf(o->message, sizeof(o->message), "canceled: sessionctl received SIG%s; %s", sig_name(cancel_sig),
			         how);
		else
			snprintf(o->message, sizeof(o->message), "canceled by a stop request; %s", how);
	} else if(failed) {
		o->result = RES_FAILED;
		const char *why = cx->err_line[0] ? cx->err_line : cx->err_stream;
		if(WIFEXITED(st) && why[0])
			snprintf(o->message, sizeof(o->message), "%s (%s)", why, how);
		else
			snprintf(o->message, sizeof(o->message), "%s", how);
	} else if(cx->warnings) {
		o->result = RES_WARNING;
		snprintf(o->message, sizeof(o->message), "%zu warning%s, the last: %s (%s)", cx->warnings,
		         cx->warnings == 1 ? "" : "s", cx->warn_line, how);
	} else {
		o->result = RES_SUCCESS;
		snprintf(o->message, sizeof(o->message), "%s", how);
	}
	if(dropped) {
		if(o->result == RES_SUCCESS)
			o->result = RES_WARNING;
		size_t len = strlen(o->message);
		snprintf(o->message + len, sizeof(o->message) - len, "; %zu output line%s not recorded (the spool was full)",
		         dropped, dropped == 1 ? " was" : "s were");
	}
}

static char *create_body(const char *id, const char *name, const char *type, int heartbeat_s)
{
	struct buf b;
	buf_init(&b, 0);
	struct jw w;
	jw_init(&w, &b);
	char t[TIME_STR_MAX];
	time_format(time_now_us(), 3, t);
	jw_obj(&w);
	jw_kstr(&w, "id", id);
	jw_kstr(&w, "name", name);
	jw_kstr(&w, "jobName", name);
	jw_kstr(&w, "sessionType", type);
	jw_kstr(&w, "creationTime", t);
	jw_kint(&w, "heartbeatSeconds", heartbeat_s);
	jw_obj_end(&w);
	return buf_take(&b, NULL);
}

/* Copies what --quiet kept back to where it belongs. */
static void replay(int from, int to)
{
	char buf[65536];
	ssize_t n;
	off_t off = 0;
	while((n = pread(from, buf, sizeof(buf), off)) > 0) {
		write_all(to, buf, (size_t)n);
		off += n;
	}
}

static int quiet_file(void)
{
	const char *tmp = getenv("TMPDIR");
	int fd = open(tmp && *tmp ? tmp : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if(fd < 0) {
		FILE *f = tmpfile();
		fd = f ? dup(fileno(f)) : -1;
		if(f)
			fclose(f);
	}
	return fd;
}

struct run_opts {
	const char *job, *type, *regex;
	const char *repository, *object, *size_from;   /* what a successful run registers */
	double grace_s, retry_for_s;
	int heartbeat_s;           /* the session's lease, seconds */
	int stderr_status;
	int quiet;
	int64_t spool_max;
};

/* A run that exited 0: its job, backup and restore point in the estate, applied now when
 * the server has the session, else spooled to follow it. The exit code stays the child's. */
static void register_run(struct ctl *c, struct run *r, const struct run_opts *o, const char *base, int64_t end_us,
                         const char *dir, int delivered)
{
	int64_t size = -1;
	if(o->size_from && (size = reg_measure(o->size_from)) < 0)
		ctl_msg("warning: --size-from %s: %s; the restore point is registered without a size", o->size_from,
		        strerror(errno));
	json_t *op = reg_run_op(o->job ? o->job : base, o->type, o->repository, o->object, r->id, end_us, size);
	enum rc rc = reg_submit(c, dir, op, delivered);
	if(rc && rc != RC_BUSY)
		ctl_msg("warning: the server refused the restore point of %s: %s", o->object, c->err);
	json_decref(op);
}

static int run(struct ctl *c, char **argv, const struct run_opts *o)
{
	regex_t re;
	if(o->regex) {
		int e = regcomp(&re, o->regex, REG_EXTENDED);
		if(e) {
			char msg[256];
			regerror(e, &re, msg, sizeof(msg));
			return ctl_usage("run", "--progress-regex: %s", msg);
		}
	}
	struct run *r = xcalloc(1, sizeof(*r));
	r->c = c;
	r->progress = -1;
	r->spool_max = o->spool_max;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	struct uuid u;
	uuid_v7(&u);
	uuid_format(&u, r->id);
	const char *base = strrchr(argv[0], '/');
	base = base && base[1] ? base + 1 : argv[0];
	r->heartbeat_s = o->heartbeat_s;
	char *body = create_body(r->id, o->job ? o->job : base, o->type, o->heartbeat_s);

	/* The spool first: nothing here waits on the network. */
	char dir[4096], why[1200] = "", err[1200] = "";
	int have_dir = !ctl_spool_dir(c, dir, sizeof(dir));
	if(!have_dir)
		snprintf(why, sizeof(why), "%s", c->err);
	enum rc rc = spool_open_new(&r->sp, have_dir ? dir : NULL, r->id, c->server, body, err, sizeof(err));
	r->create_body = body;
	if(!rc && !r->sp.persistent)
		ctl_msg("warning: %s; the output is buffered in a temporary file that is lost if the server cannot be "
		        "reached (set --spool DIR)",
		        why[0] ? why : err);
	if(rc) {
		ctl_msg("warning: %s; the command runs without being reported", why[0] ? why : err);
		r->gave_up = 1;
	}

	c->need_role = "reporter or admin";
	c->abort_flag = &r->abandon;
	int out[2], errp[2];
	if(pipe2(out, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) || pipe2(sigpipe_fd, O_CLOEXEC | O_NONBLOCK) ||
	   pipe2(r->wake, O_CLOEXEC | O_NONBLOCK)) {
		ctl_msg("cannot create pipes: %s", strerror(errno));
		abort();
	}
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	for(size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaction(handled[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	int qout = -1, qerr = -1;
	if(o->quiet && ((qout = quiet_file()) < 0 || (qerr = quiet_file()) < 0))
		ctl_msg("warning: --quiet: cannot create a temporary file (%s); the output is shown", strerror(errno));

	pid_t pid = spawn(argv, out, errp, r->id);
	if(pid < 0) {
		ctl_msg("cannot start %s: %s", argv[0], strerror(errno));
		abort();
	}
	setpgid(pid, pid);   /* also here: the child may not have run yet when we signal it */
	close(out[1]);
	close(errp[1]);
	pthread_mutex_lock(&r->mu);
	{
		char note[256];
		snprintf(note, sizeof(note), "Started %s (pid %ld)", base, (long)pid);
		append_forced(r, LOG_NONE, note);
	}
	pthread_mutex_unlock(&r->mu);
	pthread_t th;
	int threaded = !r->gave_up;
	if(threaded && pthread_create(&th, NULL, shipper, r)) {
		ctl_msg("cannot start a thread");
		abort();
	}

	struct child_ctx cx = {.r = r, .re = o->regex ? &re : NULL, .stderr_status = o->stderr_status,
	                       .room = r->spool_max};
	buf_init(&cx.pend, 0);
	int quiet = qout >= 0 && qerr >= 0;
	struct stream so = {.fd = out[0], .out_fd = quiet ? qout : 1};
	struct stream se = {.fd = errp[0], .out_fd = quiet ? qerr : 2, .is_err = 1};
	int exited = 0, status = 0, canceled = 0, cancel_sig = 0, signals = 0;
	int64_t exit_at = 0, kill_at = 0;
	for(;;) {
		pthread_mutex_lock(&r->mu);
		int thr = !exited && throttled(r);
		int stop = r->stop_seen;
		pthread_mutex_unlock(&r->mu);
		if(stop && !canceled && !exited) {
			canceled = 1;
			char note[128];
			snprintf(note, sizeof(note), "Stop requested: sending SIGTERM to %s", base);
			pthread_mutex_lock(&r->mu);
			append_forced(r, LOG_WARNING, note);
			pthread_mutex_unlock(&r->mu);
			kill(-pid, SIGTERM);
			kill_at = time_now_us() + (int64_t)(o->grace_s * 1e6);
		}
		struct pollfd pf[4];
		int n = 0;
		pf[n++] = (struct pollfd){.fd = sigpipe_fd[0], .events = POLLIN};
		pf[n++] = (struct pollfd){.fd = r->wake[0], .events = POLLIN};
		if(so.fd >= 0 && !thr)
			pf[n++] = (struct pollfd){.fd = so.fd, .events = POLLIN};
		if(se.fd >= 0 && !thr)
			pf[n++] = (struct pollfd){.fd = se.fd, .events = POLLIN};
		int64_t now = time_now_us(), until = INT64_MAX;
		if(thr)
			until = now + 200000;   /* look again whether the server stalls */
		if(kill_at)
			until = min64(until, kill_at);
		if(exited)
			until = min64(until, exit_at + DRAIN_US);
		int timeout = until == INT64_MAX ? -1 : until <= now ? 0 : (int)((until - now + 999) / 1000);
		if(poll(pf, (nfds_t)n, timeout) < 0 && errno != EINTR)
			break;
		unsigned char sig[64];
		ssize_t ns = read(sigpipe_fd[0], sig, sizeof(sig));
		for(ssize_t i = 0; i < ns; i++) {
			if(sig[i] == SIGCHLD || exited)
				continue;
			signals++;
			if(signals == 1) {
				canceled = 1;
				cancel_sig = sig[i];
				kill(-pid, sig[i] == SIGHUP ? SIGTERM : sig[i]);
				kill_at = time_now_us() + (int64_t)(o->grace_s * 1e6);
			} else {
				kill(-pid, SIGKILL);
			}
		}
		char wk[64];
		if(read(r->wake[0], wk, sizeof(wk)) < 0) {
			/* nothing from the shipper */
		}
		for(int i = 2; i < n; i++)
			if(pf[i].revents)
				read_stream(&cx, pf[i].fd == so.fd ? &so : &se);
		if(!exited && waitpid(pid, &status, WNOHANG) == pid) {
			exited = 1;
			exit_at = time_now_us();
		}
		now = time_now_us();
		if(kill_at && now >= kill_at) {
			kill(-pid, SIGKILL);
			kill_at = 0;
		}
		if(exited && ((so.fd < 0 && se.fd < 0) || now - exit_at > DRAIN_US))
			break;
	}
	for(struct stream *s = &so; s; s = s == &so ? &se : NULL)
		if(s->fd >= 0) {
			if(s->len || s->cr)
				segment(&cx, s, 1);
			close(s->fd);
		}
	commit(&cx);
	int64_t end_us = time_now_us();

	struct outcome oc;
	pthread_mutex_lock(&r->mu);
	describe_end(&cx, status, canceled, cancel_sig, r->dropped, &oc);
	{
		char note[600];
		snprintf(note, sizeof(note), "Command finished: %s", oc.message);
		note_dropped(r);
		append_forced(r, oc.result == RES_SUCCESS ? LOG_SUCCEEDED : oc.result == RES_WARNING ? LOG_WARNING : LOG_FAILED,
		              note);
		struct buf e;
		buf_init(&e, 0);
		char t[TIME_STR_MAX];
		time_format(end_us, 3, t);
		buf_addstr(&e, "E ");
		struct jw w;
		jw_init(&w, &e);
		jw_obj(&w);
		jw_key(&w, "complete");
		jw_obj(&w);
		jw_kstr(&w, "result", catalog_result_name(oc.result));
		jw_kstr(&w, "message", oc.message);
		jw_kbool(&w, "isCanceled", oc.canceled);
		jw_kstr(&w, "endTime", t);
		jw_obj_end(&w);
		jw_kint(&w, "progress", __atomic_load_n(&r->progress, __ATOMIC_RELAXED));
		jw_obj_end(&w);
		buf_addc(&e, '\n');
		if(!r->gave_up && spool_append(&r->sp, e.p, e.len)) {
			ctl_msg("warning: cannot write the end of the session to the spool: %s", strerror(errno));
			r->end_mem = json_loadb(e.p + 2, e.len - 3, 0, NULL);
		}
		buf_free(&e);
	}
	r->finished = 1;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	buf_free(&cx.pend);

	if(quiet) {
		if(oc.result == RES_FAILED) {
			replay(qout, 1);
			replay(qerr, 2);
		}
		close(qout);
		close(qerr);
	} else if(qout >= 0 || qerr >= 0) {
		if(qout >= 0)
			close(qout);
		if(qerr >= 0)
			close(qerr);
	}

	/* Wait for the shipper while the server takes the rest; give up waiting
	 * --retry-for after the end while it is away, at once on a further signal. */
	int64_t give_up_at = end_us + (int64_t)(o->retry_for_s * 1e6);
	while(threaded) {
		pthread_mutex_lock(&r->mu);
		int done = r->shipper_done;
		int64_t since = __atomic_load_n(&r->inflight_since, __ATOMIC_RELAXED);
		int away = r->outage || (since && time_now_us() - since > STALL_US);
		pthread_mutex_unlock(&r->mu);
		if(done)
			break;
		int leave = away && time_now_us() >= give_up_at;
		struct pollfd pf[2] = {{.fd = sigpipe_fd[0], .events = POLLIN}, {.fd = r->wake[0], .events = POLLIN}};
		if(!leave && poll(pf, 2, 200) < 0 && errno != EINTR)
			leave = 1;
		unsigned char buf[64];
		ssize_t ns = read(sigpipe_fd[0], buf, sizeof(buf));
		for(ssize_t i = 0; i < ns; i++)
			leave |= buf[i] != SIGCHLD;
		if(read(r->wake[0], buf, sizeof(buf)) < 0) {
			/* nothing new */
		}
		if(leave) {
			pthread_mutex_lock(&r->mu);
			r->abandon = 1;
			pthread_cond_signal(&r->cv);
			pthread_mutex_unlock(&r->mu);
			break;
		}
	}
	if(threaded)
		pthread_join(th, NULL);
	c->abort_flag = NULL;

	int delivered_here = r->completed;
	if(o->repository && !oc.canceled && oc.code == 0 && !r->gave_up)
		register_run(c, r, o, base, end_us, have_dir ? dir : NULL, delivered_here);
	if(r->completed || r->gave_up) {
		spool_close(&r->sp, 1);
	} else {
		spool_ack(&r->sp);
		const char *cause = r->last_err[0] ? r->last_err : "the server did not take it in time";
		if(r->sp.persistent)
			ctl_msg("warning: session %s was not delivered (%s); it is kept with its output in %s, and the next "
			        "sessionctl command or `sessionctl flush` delivers it. The command ended with %s",
			        r->id, cause, r->sp.path, oc.message);
		else
			ctl_msg("warning: session %s was not delivered (%s) and there is no spool to keep it; its output is "
			        "lost. The command ended with %s",
			        r->id, cause, oc.message);
		spool_close(&r->sp, 0);
	}
	/* The server answers: deliver what earlier runs left behind. */
	if(delivered_here && have_dir) {
		int delivered;
		ctl_flush(c, dir, 1, r->id, &delivered);
	}
	fflush(stdout);
	if(o->regex)
		regfree(&re);
	for(int i = 0; i < 2; i++) {
		close(r->wake[i]);
		close(sigpipe_fd[i]);
	}
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r->create_body);
	json_decref(r->end_mem);
	free(r);
	return oc.code;
}

/* "1024", "64K", "512M", "2G" → bytes; -1 when not a size. */
static int64_t parse_size(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if(end == s || errno || v < 0)
		return -1;
	double mult = 1;
	if(*end && strchr("kKmMgG", *end)) {
		mult = *end == 'k' || *end == 'K' ? 1024.0 : *end == 'm' || *end == 'M' ? 1048576.0 : 1073741824.0;
		end++;
		if(*end == 'B' || *end == 'b')
			end++;
	}
	if(*end || v * mult > 1e15)
		return -1;
	return (int64_t)(v * mult);
}

int ctl_cmd_run(struct ctl *c, struct ctl_args *a)
{
	if(a->argc < 1)
		return ctl_usage("run", "the command to run is missing: sessionctl run [OPTIONS] -- CMD [ARGS...]");
	int type = catalog_type_parse(a->v[OPT_TYPE] ? a->v[OPT_TYPE] : "BackupJob");
	if(type < 0) {
		struct buf b;
		buf_init(&b, 0);
		ctl_list_values(&b, catalog_type_name, catalog_type_count());
		int code = ctl_usage("run", "--type: unknown session type '%s'; valid: %s", a->v[OPT_TYPE], buf_cstr(&b));
		buf_free(&b);
		return code;
	}
	struct run_opts o = {.job = a->v[OPT_JOB], .type = catalog_type_name(type), .regex = a->v[OPT_REGEX],
	                     .grace_s = 10, .retry_for_s = 10, .stderr_status = LOG_NONE, .quiet = a->v[OPT_QUIET] != NULL,
	                     .spool_max = SPOOL_MAX_DEFAULT, .heartbeat_s = HEARTBEAT_DEFAULT_S};
	if(a->v[OPT_HEARTBEAT]) {
		double h = ctl_seconds(a->v[OPT_HEARTBEAT]);
		if(h < 1 || h > 86400)
			return ctl_usage("run", "--heartbeat must be from 1 to 86400 seconds");
		o.heartbeat_s = (int)h;
	}
	if(a->v[OPT_GRACE] && (o.grace_s = ctl_seconds(a->v[OPT_GRACE])) < 0)
		return ctl_usage("run", "--grace must be a number of seconds");
	if(a->v[OPT_RETRY_FOR] && (o.retry_for_s = ctl_seconds(a->v[OPT_RETRY_FOR])) < 0)
		return ctl_usage("run", "--retry-for must be a number of seconds");
	if(a->v[OPT_STDERR_WARNINGS])
		o.stderr_status = LOG_WARNING;
	if(a->v[OPT_STDERR_STATUS] && (o.stderr_status = catalog_log_status_parse(a->v[OPT_STDERR_STATUS])) < 0) {
		struct buf b;
		buf_init(&b, 0);
		ctl_list_values(&b, catalog_log_status_name, LOG__COUNT);
		int code = ctl_usage("run", "--stderr-status: unknown status '%s'; valid: %s", a->v[OPT_STDERR_STATUS],
		                     buf_cstr(&b));
		buf_free(&b);
		return code;
	}
	if(a->v[OPT_SPOOL_MAX] && (o.spool_max = parse_size(a->v[OPT_SPOOL_MAX])) < 0)
		return ctl_usage("run", "--spool-max must be a size in bytes, e.g. 65536, 64K, 512M or 2G");
	if(a->v[OPT_JOB] && !*a->v[OPT_JOB])
		return ctl_usage("run", "--job must not be empty");
	o.repository = a->v[OPT_REPOSITORY];
	o.object = a->v[OPT_OBJECT];
	o.size_from = a->v[OPT_SIZE_FROM];
	if((o.object || o.size_from) && !o.repository)
		return ctl_usage("run", "--object and --size-from go with --repository NAME");
	if(o.repository && (!*o.repository || !o.object || !*o.object))
		return ctl_usage("run", "--repository needs --object NAME: the protected object the run backs up");
	return run(c, a->argv, &o);
}
