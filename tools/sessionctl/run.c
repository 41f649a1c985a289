/* sessionctl run: wraps a command in a session.
 *
 * Two threads. The main thread owns the child: it reads the child's stdout and
 * stderr pipes, echoes them, cuts them into lines and queues one log record per
 * line; it also handles signals and kills the child's process group on a stop.
 * It never waits on the network. The shipper thread owns the HTTP handle: it
 * creates the session (retrying), posts queued lines in batches every 200 ms,
 * reports progress at most once a second, polls for a stop request when it has
 * had nothing to say for 1.5 s, and finally completes the session, retrying
 * with backoff while the server is unreachable. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/catalog.h"
#include "ctl.h"
#include "util/jw.h"
#include "util/mem.h"
#include "util/timefmt.h"
#include "util/uuid.h"

#define LINE_BYTES 8192                  /* longer lines are split into records */
#define QUEUE_RECORDS 100000             /* buffered records while the server is away */
#define QUEUE_BYTES ((size_t)32 << 20)
#define BATCH 1000                       /* the server takes at most 1000 records per call */
#define FLUSH_US 200000
#define PROGRESS_US 1000000
#define POLL_US 1500000
#define BACKOFF_MIN_US 250000
#define BACKOFF_MAX_US 5000000
#define DRAIN_US 1000000                 /* read output this long after the child exited */
#define RUN_TIMEOUT_S 15

struct rec {
	int status;          /* enum log_status */
	int64_t time_us;     /* when the line was read */
	char *text;
};

struct run {
	struct ctl *c;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* guarded by mu */
	struct rec *q;       /* ring of undelivered records */
	size_t head, len, cap, bytes;
	size_t dropped;      /* lines not queued because the queue was full */
	int progress;        /* latest percentage seen in the output, -1: none yet */
	int finished;        /* the command is over; result/message/canceled are final */
	int result;
	char message[256];
	int canceled;
	int abandon;         /* stop reporting at once */
	int stop_seen;       /* the server asked for a stop */
	int created, completed, gave_up;
	size_t undelivered;  /* records still queued when the shipper ended */
	char last_err[1024];
	/* fixed before the shipper starts */
	char id[UUID_STR_LEN + 1];
	char *create_body;
	int64_t retry_for_us;
	int wake[2];         /* shipper -> main: 's' stop seen, 'd' shipper done */
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

/* ---------- the queue (callers hold mu) ---------- */

static void q_push(struct run *r, int status, int64_t t, const char *text, size_t n, int force)
{
	if(!force && (r->gave_up || r->len >= QUEUE_RECORDS || r->bytes + n > QUEUE_BYTES)) {
		if(!r->gave_up)
			r->dropped++;
		return;
	}
	if(r->len == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 256;
		struct rec *nq = xcalloc(ncap, sizeof(*nq));
		for(size_t i = 0; i < r->len; i++)
			nq[i] = r->q[(r->head + i) % r->cap];
		free(r->q);
		r->q = nq;
		r->head = 0;
		r->cap = ncap;
	}
	struct rec *e = &r->q[(r->head + r->len) % r->cap];
	e->status = status;
	e->time_us = t;
	e->text = xstrndup(text, n);
	r->len++;
	r->bytes += n;
}

static void q_note_dropped(struct run *r, int force)
{
	if(!r->dropped || (!force && r->len > QUEUE_RECORDS / 2))
		return;
	char note[160];
	int n = snprintf(note, sizeof(note),
	                 "sessionctl: %zu output lines were not recorded (the server was unreachable and the buffer was full)",
	                 r->dropped);
	r->dropped = 0;
	q_push(r, LOG_WARNING, time_now_us(), note, (size_t)n, 1);
}

static void q_pop(struct run *r, size_t n)
{
	for(size_t i = 0; i < n && r->len; i++) {
		struct rec *e = &r->q[r->head];
		r->bytes -= strlen(e->text);
		free(e->text);
		r->head = (r->head + 1) % r->cap;
		r->len--;
	}
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
	if(first && write(r->wake[1], "s", 1) < 0) {
		/* main polls stop_seen anyway */
	}
}

/* Sends one batch of queued records; RC_OK also when there was nothing to send. */
static enum rc ship_logs(struct run *r)
{
	struct buf b;
	buf_init(&b, 0);
	struct jw w;
	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "records");
	jw_arr(&w);
	pthread_mutex_lock(&r->mu);
	size_t n = r->len < BATCH ? r->len : BATCH;
	for(size_t i = 0; i < n; i++) {
		struct rec *e = &r->q[(r->head + i) % r->cap];
		char t[TIME_STR_MAX];
		time_format(e->time_us, 3, t);
		jw_obj(&w);
		jw_kstr(&w, "status", catalog_log_status_name(e->status));
		jw_kstr(&w, "title", e->text);
		jw_kstr(&w, "startTime", t);
		jw_obj_end(&w);
	}
	pthread_mutex_unlock(&r->mu);
	jw_arr_end(&w);
	jw_obj_end(&w);
	enum rc rc = RC_OK;
	if(n) {
		char path[128];
		snprintf(path, sizeof(path), "/api/v1/sessions/%s/logs", r->id);
		json_t *j;
		rc = ctl_call(r->c, "POST", path, buf_cstr(&b), &j);
		if(rc == RC_INVALID) {
			ctl_msg("warning: the server refused %zu log records (%s); they are skipped", n, r->c->err);
			rc = RC_OK;
		}
		if(!rc) {
			pthread_mutex_lock(&r->mu);
			q_pop(r, n);
			pthread_mutex_unlock(&r->mu);
			saw_stop(r, j);
			json_decref(j);
		}
	}
	buf_free(&b);
	return rc;
}

static enum rc ship_patch(struct run *r, int progress)
{
	char path[128], body[64];
	snprintf(path, sizeof(path), "/api/v1/sessions/%s", r->id);
	if(progress >= 0)
		snprintf(body, sizeof(body), "{\"progressPercent\":%d}", progress);
	else
		snprintf(body, sizeof(body), "{}");
	json_t *j;
	enum rc rc = ctl_call(r->c, "PATCH", path, body, &j);
	if(!rc)
		saw_stop(r, j);
	json_decref(j);
	return rc;
}

/* Asks whether a stop was requested: GET when the user may read, else an empty PATCH. */
static enum rc ship_poll(struct run *r, int *can_read)
{
	if(!*can_read)
		return ship_patch(r, -1);
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/sessions/%s", r->id);
	json_t *j;
	const char *need = r->c->need_role;
	enum rc rc = ctl_call(r->c, "GET", path, NULL, &j);
	r->c->need_role = need;
	if(rc == RC_FORBIDDEN) {
		*can_read = 0;
		return ship_patch(r, -1);
	}
	if(!rc)
		saw_stop(r, j);
	json_decref(j);
	return rc;
}

static enum rc ship_complete(struct run *r)
{
	struct buf b;
	buf_init(&b, 0);
	struct jw w;
	jw_init(&w, &b);
	pthread_mutex_lock(&r->mu);
	jw_obj(&w);
	jw_kstr(&w, "result", catalog_result_name(r->result));
	jw_kstr(&w, "message", r->message);
	jw_kbool(&w, "isCanceled", r->canceled);
	jw_obj_end(&w);
	pthread_mutex_unlock(&r->mu);
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/sessions/%s/complete", r->id);
	enum rc rc = ctl_call(r->c, "POST", path, buf_cstr(&b), NULL);
	buf_free(&b);
	/* 409: already stopped, most likely by our own earlier attempt whose reply was lost */
	return rc == RC_CONFLICT ? RC_OK : rc;
}

/* One round of work. RC_BUSY: retry later; another rc: give up. */
static enum rc ship_round(struct run *r, int64_t *last_contact, int64_t *last_progress, int *sent_progress,
                          int *can_read)
{
	enum rc rc;
	if(!r->created) {
		rc = ctl_call(r->c, "POST", "/api/v1/sessions", r->create_body, NULL);
		if(rc && rc != RC_CONFLICT)   /* 409: our id exists: an earlier attempt got through */
			return rc;
		r->created = 1;
	}
	pthread_mutex_lock(&r->mu);
	int finished = r->finished;
	int progress = r->progress;
	size_t queued = r->len;
	pthread_mutex_unlock(&r->mu);
	int64_t now = time_now_us();
	while(queued) {
		if((rc = ship_logs(r)))
			return rc;
		*last_contact = now;
		pthread_mutex_lock(&r->mu);
		queued = finished ? r->len : 0;
		pthread_mutex_unlock(&r->mu);
	}
	if(progress >= 0 && progress != *sent_progress && (finished || now - *last_progress >= PROGRESS_US)) {
		if((rc = ship_patch(r, progress)))
			return rc;
		*sent_progress = progress;
		*last_progress = *last_contact = now;
	}
	if(!finished && now - *last_contact >= POLL_US) {
		if((rc = ship_poll(r, can_read)))
			return rc;
		*last_contact = now;
	}
	if(finished) {
		if((rc = ship_complete(r)))
			return rc;
		r->completed = 1;
	}
	return RC_OK;
}

static void *shipper(void *arg)
{
	struct run *r = arg;
	int64_t next_try = 0, backoff = 0, deadline = 0;
	int64_t last_contact = time_now_us(), last_progress = 0;
	int sent_progress = -1, can_read = 1, outage = 0;
	pthread_mutex_lock(&r->mu);
	while(!r->abandon && !r->completed && !(r->gave_up && r->finished)) {
		int64_t now = time_now_us();
		if(r->finished && !deadline)
			deadline = now + r->retry_for_us;
		if(deadline && now > deadline && next_try > now)
			break;
		if(!r->gave_up && now >= next_try) {
			pthread_mutex_unlock(&r->mu);
			enum rc rc = ship_round(r, &last_contact, &last_progress, &sent_progress, &can_read);
			pthread_mutex_lock(&r->mu);
			if(rc == RC_BUSY) {
				snprintf(r->last_err, sizeof(r->last_err), "%s", r->c->err);
				if(!outage)
					ctl_msg("warning: %s; buffering the output and retrying", r->c->err);
				outage = 1;
				backoff = backoff ? backoff * 2 : BACKOFF_MIN_US;
				if(backoff > BACKOFF_MAX_US)
					backoff = BACKOFF_MAX_US;
				next_try = time_now_us() + backoff;
			} else if(rc) {
				snprintf(r->last_err, sizeof(r->last_err), "%s", r->c->err);
				ctl_msg("warning: %s; the session is no longer reported (the command keeps running)", r->c->err);
				r->gave_up = 1;
			} else {
				if(outage)
					ctl_msg("the server is reachable again; buffered output delivered");
				outage = 0;
				backoff = 0;
				next_try = 0;
			}
			continue;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t wait_us = FLUSH_US;
		if(next_try > now && next_try - now < wait_us)
			wait_us = next_try - now;
		ts.tv_nsec += (long)(wait_us % 1000000) * 1000;
		ts.tv_sec += (time_t)(wait_us / 1000000) + ts.tv_nsec / 1000000000;
		ts.tv_nsec %= 1000000000;
		pthread_cond_timedwait(&r->cv, &r->mu, &ts);
	}
	r->undelivered = r->len;
	pthread_mutex_unlock(&r->mu);
	if(write(r->wake[1], "d", 1) < 0) {
		/* main also notices through the join */
	}
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

/* A complete segment of output: logged when it ended with a newline (a '\r'
 * alone marks a progress redraw, which only updates progress). */
static void segment(struct child_ctx *cx, struct stream *s, int logged)
{
	struct run *r = cx->r;
	s->line[s->len] = 0;
	int p = progress_of(cx, s->line);
	int blank = 1;
	for(size_t i = 0; i < s->len && blank; i++)
		blank = s->line[i] == ' ' || s->line[i] == '\t' || s->line[i] == '\f' || s->line[i] == '\v';
	int status = s->is_err ? cx->stderr_status : LOG_NONE;
	pthread_mutex_lock(&r->mu);
	if(p >= 0)
		r->progress = p;
	if(logged && !blank) {
		q_note_dropped(r, 0);
		q_push(r, status, time_now_us(), s->line, s->len, 0);
		if(status == LOG_WARNING || status == LOG_FAILED)
			cx->warnings++;
	}
	pthread_mutex_unlock(&r->mu);
	s->len = 0;
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

static int make_pipe(int p[2], int nonblock)
{
	if(pipe2(p, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0)))
		return -1;
	return 0;
}

static const char *sig_name(int sig)
{
	const char *n = sigabbrev_np(sig);
	return n ? n : "?";
}

static void describe_end(struct run *r, int st, int canceled, int cancel_sig, size_t warnings, int *code)
{
	char how[96];
	if(WIFEXITED(st)) {
		*code = WEXITSTATUS(st);
		snprintf(how, sizeof(how), "exit status %d", *code);
	} else {
		*code = 128 + WTERMSIG(st);
		snprintf(how, sizeof(how), "killed by signal %d (SIG%s)", WTERMSIG(st), sig_name(WTERMSIG(st)));
	}
	r->canceled = canceled;
	if(canceled) {
		r->result = RES_FAILED;
		if(cancel_sig)
			snprintf(r->message, sizeof(r->message), "canceled: sessionctl received SIG%s; %s", sig_name(cancel_sig),
			         how);
		else
			snprintf(r->message, sizeof(r->message), "canceled by a stop request; %s", how);
	} else if(*code == 0 && warnings) {
		r->result = RES_WARNING;
		snprintf(r->message, sizeof(r->message), "%s, %zu warning%s", how, warnings, warnings == 1 ? "" : "s");
	} else {
		r->result = *code == 0 ? RES_SUCCESS : RES_FAILED;
		snprintf(r->message, sizeof(r->message), "%s", how);
	}
}

static char *create_body(const char *id, const char *name, const char *type)
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
	jw_obj_end(&w);
	return buf_take(&b, NULL);
}

static int run(struct ctl *c, char **argv, const char *job, const char *type, const char *regex, double grace_s,
               double retry_for_s, int stderr_status)
{
	regex_t re;
	if(regex) {
		int e = regcomp(&re, regex, REG_EXTENDED);
		if(e) {
			char msg[256];
			regerror(e, &re, msg, sizeof(msg));
			ctl_msg("--progress-regex: %s", msg);
			return CTL_EXIT_USAGE;
		}
	}
	struct run *r = xcalloc(1, sizeof(*r));
	r->c = c;
	r->progress = -1;
	r->retry_for_us = (int64_t)(retry_for_s * 1e6);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	struct uuid u;
	uuid_v7(&u);
	uuid_format(&u, r->id);
	const char *base = strrchr(argv[0], '/');
	base = base && base[1] ? base + 1 : argv[0];
	r->create_body = create_body(r->id, job ? job : base, type);

	c->timeout_s = RUN_TIMEOUT_S;
	c->need_role = "reporter or admin";
	enum rc rc = ctl_call(c, "POST", "/api/v1/sessions", r->create_body, NULL);
	if(rc == RC_BUSY) {
		ctl_msg("warning: %s; running the command anyway and creating session %s when the server is back", c->err,
		        r->id);
	} else if(rc && rc != RC_CONFLICT) {
		ctl_msg("cannot create the session: %s (the command was not run)", c->err);
		if(regex)
			regfree(&re);
		free(r->create_body);
		free(r);
		return CTL_EXIT_API;
	} else {
		r->created = 1;
	}

	int out[2], err[2];
	if(make_pipe(out, 0) || make_pipe(err, 0) || make_pipe(sigpipe_fd, 1) || make_pipe(r->wake, 1)) {
		ctl_msg("cannot create pipes: %s", strerror(errno));
		return CTL_EXIT_API;
	}
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	for(size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaction(handled[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	pid_t pid = spawn(argv, out, err, r->id);
	if(pid < 0) {
		ctl_msg("cannot start %s: %s", argv[0], strerror(errno));
		return CTL_EXIT_API;
	}
	setpgid(pid, pid);   /* also here: the child may not have run yet when we signal it */
	close(out[1]);
	close(err[1]);
	{
		char note[256];
		int n = snprintf(note, sizeof(note), "Started %s (pid %ld)", base, (long)pid);
		pthread_mutex_lock(&r->mu);
		q_push(r, LOG_NONE, time_now_us(), note, (size_t)n, 1);
		pthread_mutex_unlock(&r->mu);
	}
	pthread_t th;
	if(pthread_create(&th, NULL, shipper, r)) {
		ctl_msg("cannot start a thread");
		abort();
	}

	struct child_ctx cx = {.r = r, .re = regex ? &re : NULL, .stderr_status = stderr_status};
	struct stream so = {.fd = out[0], .out_fd = 1}, se = {.fd = err[0], .out_fd = 2, .is_err = 1};
	int exited = 0, status = 0, canceled = 0, cancel_sig = 0, signals = 0;
	int64_t exit_at = 0, kill_at = 0;
	for(;;) {
		struct pollfd pf[4];
		int n = 0;
		pf[n++] = (struct pollfd){.fd = sigpipe_fd[0], .events = POLLIN};
		pf[n++] = (struct pollfd){.fd = r->wake[0], .events = POLLIN};
		if(so.fd >= 0)
			pf[n++] = (struct pollfd){.fd = so.fd, .events = POLLIN};
		if(se.fd >= 0)
			pf[n++] = (struct pollfd){.fd = se.fd, .events = POLLIN};
		if(poll(pf, (nfds_t)n, 100) < 0 && errno != EINTR)
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
				kill_at = time_now_us() + (int64_t)(grace_s * 1e6);
			} else {
				kill(-pid, SIGKILL);
			}
		}
		char wk[16];
		if(read(r->wake[0], wk, sizeof(wk)) < 0) {
			/* nothing from the shipper */
		}
		pthread_mutex_lock(&r->mu);
		int stop = r->stop_seen;
		pthread_mutex_unlock(&r->mu);
		if(stop && !canceled && !exited) {
			canceled = 1;
			char note[128];
			int len = snprintf(note, sizeof(note), "Stop requested: sending SIGTERM to %s", base);
			pthread_mutex_lock(&r->mu);
			q_push(r, LOG_WARNING, time_now_us(), note, (size_t)len, 1);
			pthread_mutex_unlock(&r->mu);
			kill(-pid, SIGTERM);
			kill_at = time_now_us() + (int64_t)(grace_s * 1e6);
		}
		for(int i = 2; i < n; i++)
			if(pf[i].revents)
				read_stream(&cx, pf[i].fd == so.fd ? &so : &se);
		if(!exited && waitpid(pid, &status, WNOHANG) == pid) {
			exited = 1;
			exit_at = time_now_us();
		}
		int64_t now = time_now_us();
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

	int code;
	pthread_mutex_lock(&r->mu);
	describe_end(r, status, canceled, cancel_sig, cx.warnings, &code);
	char note[300];
	int len = snprintf(note, sizeof(note), "Command finished: %s", r->message);
	q_note_dropped(r, 1);
	q_push(r, r->result == RES_SUCCESS ? LOG_SUCCEEDED : r->result == RES_WARNING ? LOG_WARNING : LOG_FAILED,
	       time_now_us(), note, (size_t)len, 1);
	r->finished = 1;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);

	/* Wait for the shipper; a further signal gives up reporting at once. */
	for(int done = 0; !done;) {
		struct pollfd pf[2] = {{.fd = sigpipe_fd[0], .events = POLLIN}, {.fd = r->wake[0], .events = POLLIN}};
		if(poll(pf, 2, 1000) < 0 && errno != EINTR)
			break;
		unsigned char buf[64];
		ssize_t ns = read(sigpipe_fd[0], buf, sizeof(buf));
		for(ssize_t i = 0; i < ns; i++)
			if(buf[i] != SIGCHLD) {
				ctl_msg("warning: interrupted: the result of session %s was not recorded; the command ended with %s",
				        r->id, r->message);
				fflush(stdout);
				_exit(code);
			}
		ns = read(r->wake[0], buf, sizeof(buf));
		for(ssize_t i = 0; i < ns; i++)
			done |= buf[i] == 'd';
	}
	pthread_join(th, NULL);
	if(!r->completed)
		ctl_msg("warning: could not record the result of session %s on %s (%s); %zu log records were not "
		        "delivered; the command ended with %s",
		        r->id, c->server, r->last_err[0] ? r->last_err : "gave up", r->undelivered, r->message);
	pthread_mutex_lock(&r->mu);
	q_pop(r, r->len);
	pthread_mutex_unlock(&r->mu);
	free(r->q);
	free(r->create_body);
	if(regex)
		regfree(&re);
	for(int i = 0; i < 2; i++) {
		close(r->wake[i]);
		close(sigpipe_fd[i]);
	}
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
	return code;
}

int ctl_cmd_run(struct ctl *c, struct ctl_args *a)
{
	if(a->argc < 1)
		return ctl_usage("run", "the command to run is missing: sessionctl run [OPTIONS] -- CMD [ARGS...]");
	int type = catalog_type_parse(a->v[OPT_TYPE] ? a->v[OPT_TYPE] : "BackupJob");
	if(type < 0)
		return ctl_usage("run", "--type: unknown session type '%s'", a->v[OPT_TYPE]);
	double grace = a->v[OPT_GRACE] ? ctl_seconds(a->v[OPT_GRACE]) : 10;
	if(grace < 0)
		return ctl_usage("run", "--grace must be a number of seconds");
	double retry = a->v[OPT_RETRY_FOR] ? ctl_seconds(a->v[OPT_RETRY_FOR]) : 120;
	if(retry < 0)
		return ctl_usage("run", "--retry-for must be a number of seconds");
	int st = LOG_WARNING;
	if(a->v[OPT_STDERR_STATUS] && (st = catalog_log_status_parse(a->v[OPT_STDERR_STATUS])) < 0)
		return ctl_usage("run", "--stderr-status must be None, Succeeded, Warning or Failed");
	if(a->v[OPT_JOB] && !*a->v[OPT_JOB])
		return ctl_usage("run", "--job must not be empty");
	return run(c, a->argv, a->v[OPT_JOB], catalog_type_name(type), a->v[OPT_REGEX], grace, retry, st);
}
