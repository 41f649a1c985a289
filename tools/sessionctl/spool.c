/* The spool: one file per session that `run` reports, holding the session's
 * create body, its log records and its end, until the server has them all.
 *
 * File layout (text, one item per line; docs/sessionctl.md):
 *   "A <created 0|1> <offset, 20 digits>\n"   fixed width, rewritten in place:
 *                                              what the server already has
 *   "C {"server":URL,"session":{create body}}\n"
 *   "R {log record}\n" ...                     in output order, ready to post
 *   "E {"complete":{...},"progress":N}\n"       the end, once the command ended
 * The writer holds flock(LOCK_EX) on the file while it runs; a file nobody
 * holds is delivered by `sessionctl flush` (and quietly by other commands).
 * Estate changes wait beside them as ID.estate (register.c); both kinds are
 * delivered in the order of their time-ordered ids. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "util/mem.h"
#include "util/timefmt.h"
#include "util/uuid.h"

#define HEAD_LEN 25                       /* "A c " + 20 digits + "\n" */
#define CHUNK ((size_t)1 << 20)           /* read this much at a time */
#define LINE_MAX_BYTES ((size_t)256 << 10) /* no line we write is longer */

static int mkdir_p(const char *dir)
{
	char tmp[4096];
	size_t n = strlen(dir);
	if(n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, dir, n + 1);
	for(char *p = tmp + 1; *p; p++)
		if(*p == '/') {
			*p = 0;
			if(mkdir(tmp, 0700) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	if(mkdir(tmp, 0700) && errno != EEXIST)
		return -1;
	return 0;
}

static int spool_dir(struct ctl *c, char *out, size_t n, int create)
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int len;
	if(c->spool_dir && *c->spool_dir)
		len = snprintf(out, n, "%s", c->spool_dir);
	else if(x && *x)
		len = snprintf(out, n, "%s/sessionctl", x);
	else if(geteuid() != 0 && home && *home)
		len = snprintf(out, n, "%s/.local/state/sessionctl", home);
	else
		len = snprintf(out, n, "/var/lib/sessionctl");
	if(len < 0 || (size_t)len >= n) {
		snprintf(c->err, sizeof(c->err), "the spool folder name is too long");
		return -1;
	}
	while(len > 1 && out[len - 1] == '/')
		out[--len] = 0;
	if(!create) {
		struct stat st;
		return stat(out, &st) || !S_ISDIR(st.st_mode) ? -1 : 0;
	}
	if(mkdir_p(out)) {
		snprintf(c->err, sizeof(c->err), "cannot create the spool folder %s: %s", out, strerror(errno));
		return -1;
	}
	return 0;
}

int ctl_spool_dir(struct ctl *c, char *out, size_t n)
{
	return spool_dir(c, out, n, 1);
}

int ctl_spool_dir_existing(struct ctl *c, char *out, size_t n)
{
	return spool_dir(c, out, n, 0);
}

static int pwrite_all(int fd, const void *p, size_t n, int64_t off)
{
	const char *q = p;
	while(n) {
		ssize_t w = pwrite(fd, q, n, (off_t)off);
		if(w < 0 && errno == EINTR)
			continue;
		if(w <= 0)
			return -1;
		q += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

void spool_ack(struct spool *s)
{
	char head[HEAD_LEN + 1];
	snprintf(head, sizeof(head), "A %d %020lld\n", s->created ? 1 : 0, (long long)s->read_off);
	if(s->fd >= 0 && pwrite_all(s->fd, head, HEAD_LEN, 0)) {
		/* the next delivery may repeat some records; nothing is lost */
	}
}

enum rc spool_open_new(struct spool *s, const char *dir, const char *id, const char *server, const char *create_json,
                       char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if(dir) {
		int n = snprintf(s->path, sizeof(s->path), "%s/%s.spool", dir, id);
		if(n < 0 || (size_t)n >= sizeof(s->path)) {
			snprintf(err, errlen, "the spool folder name is too long");
			return RC_INVALID;
		}
		s->fd = open(s->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		s->persistent = s->fd >= 0;
		if(s->fd < 0)
			snprintf(err, errlen, "cannot create %s: %s", s->path, strerror(errno));
	}
	if(s->fd < 0) {
		const char *tmp = getenv("TMPDIR");
		s->fd = open(tmp && *tmp ? tmp : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		s->path[0] = 0;
		if(s->fd < 0) {
			if(!dir)
				snprintf(err, errlen, "cannot create a temporary file: %s", strerror(errno));
			return RC_BACKEND;
		}
	}
	/* a flush that opened the empty file meanwhile lets go at once */
	while(flock(s->fd, LOCK_EX) && errno == EINTR) {
	}
	json_t *c = json_pack("{s:s,s:o}", "server", server, "session", json_loads(create_json, 0, NULL));
	char *text = c ? json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(c);
	struct buf b;
	buf_init(&b, 0);
	char head[HEAD_LEN + 1];
	snprintf(head, sizeof(head), "A 0 %020d\n", 0);
	buf_addstr(&b, head);
	buf_addstr(&b, "C ");
	buf_addstr(&b, text ? text : "{}");
	buf_addc(&b, '\n');
	free(text);
	s->data_start = s->read_off = s->write_off = (int64_t)b.len;
	int bad = pwrite_all(s->fd, b.p, b.len, 0);
	buf_free(&b);
	spool_ack(s);
	if(bad) {
		snprintf(err, errlen, "cannot write %s: %s", s->path[0] ? s->path : "a temporary file", strerror(errno));
		spool_close(s, 1);
		return RC_BACKEND;
	}
	return RC_OK;
}

int spool_append(struct spool *s, const void *p, size_t n)
{
	if(s->fd < 0 || pwrite_all(s->fd, p, n, s->write_off))
		return -1;
	s->write_off += (int64_t)n;
	return 0;
}

void spool_compact(struct spool *s)
{
	if(s->read_off != s->write_off) {
		/* behind: give the delivered part's disk blocks back, a few MiB at a time */
		int64_t upto = s->read_off & ~(int64_t)4095;
		if(upto - s->punched >= (int64_t)8 << 20 && upto > s->data_start + 4096) {
			int64_t from = (s->data_start + 4095) & ~(int64_t)4095;
			if(!fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)from, (off_t)(upto - from)))
				s->punched = upto;
		}
		return;
	}
	if(s->write_off - s->data_start < (int64_t)CHUNK)
		return;
	s->punched = 0;
	if(ftruncate(s->fd, (off_t)s->data_start))
		return;
	s->read_off = s->write_off = s->data_start;
	spool_ack(s);
}

void spool_close(struct spool *s, int remove)
{
	if(s->fd < 0)
		return;
	if(remove && s->persistent)
		unlink(s->path);
	close(s->fd);
	s->fd = -1;
}

int spool_batch(int fd, int64_t from, int64_t to, struct buf *body, size_t *n, int64_t *next, json_t **end)
{
	*n = 0;
	*next = from;
	*end = NULL;
	buf_reset(body);
	buf_addstr(body, "{\"records\":[");
	size_t want = to - from > (int64_t)CHUNK ? CHUNK : (size_t)(to - from);
	char *chunk = xmalloc(want + 1);
	size_t got = 0;
	while(got < want) {
		ssize_t r = pread(fd, chunk + got, want - got, (off_t)(from + (int64_t)got));
		if(r < 0 && errno == EINTR)
			continue;
		if(r <= 0)
			break;
		got += (size_t)r;
	}
	size_t pos = 0;
	while(pos < got && *n < SPOOL_BATCH_RECORDS) {
		char *nl = memchr(chunk + pos, '\n', got - pos);
		if(!nl)
			break;
		size_t len = (size_t)(nl - (chunk + pos));
		const char *line = chunk + pos;
		if(len >= 2 && line[0] == 'R' && line[1] == ' ') {
			if(*n && body->len + len > SPOOL_BATCH_BYTES)
				break;
			if(*n)
				buf_addc(body, ',');
			buf_add(body, line + 2, len - 2);
			(*n)++;
		} else if(len >= 2 && line[0] == 'E' && line[1] == ' ') {
			if(*n)
				break;   /* the records first; the end on the next call */
			*end = json_loadb(line + 2, len - 2, 0, NULL);
			if(!*end)
				*end = json_object();
			pos += len + 1;
			break;
		}
		pos += len + 1;
	}
	buf_addstr(body, "]}");
	free(chunk);
	*next = from + (int64_t)pos;
	return 0;
}

/* ---------- delivery of a file nobody holds ---------- */

enum rc spool_post_logs(struct ctl *c, const char *id, const char *body, size_t n, json_t **reply)
{
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/sessions/%s/logs", id);
	enum rc rc = ctl_call(c, "POST", path, body, reply);
	if(rc == RC_INVALID) {
		ctl_msg("warning: the server refused %zu log records of session %s (%s); they are skipped", n, id, c->err);
		rc = RC_OK;
	}
	return rc;
}

enum rc spool_post_end(struct ctl *c, const char *id, json_t *end)
{
	char path[128];
	int64_t p = ctl_jint(end, "progress", -1);
	json_t *comp = json_object_get(end, "complete");
	const char *res = ctl_jstr(comp, "result");
	if(p > 0 && !(res && !strcmp(res, "Success"))) {
		char body[64];
		snprintf(path, sizeof(path), "/api/v1/sessions/%s", id);
		snprintf(body, sizeof(body), "{\"progressPercent\":%d}", (int)(p > 100 ? 100 : p));
		enum rc rc = ctl_call(c, "PATCH", path, body, NULL);
		if(rc && rc != RC_CONFLICT && rc != RC_INVALID)
			return rc;
	}
	snprintf(path, sizeof(path), "/api/v1/sessions/%s/complete", id);
	char *text = json_is_object(comp) ? json_dumps(comp, JSON_COMPACT) : NULL;
	enum rc rc = ctl_call(c, "POST", path, text ? text : "{\"result\":\"None\"}", NULL);
	free(text);
	/* 409: already stopped, most likely by an earlier attempt whose reply was lost */
	return rc == RC_CONFLICT ? RC_OK : rc;
}

/* Reads the head and the C line. 0, or -1 when the file is not a spool file. */
static int read_head(int fd, struct spool *s, json_t **create)
{
	char head[HEAD_LEN + 1];
	if(pread(fd, head, HEAD_LEN, 0) != HEAD_LEN || head[0] != 'A' || head[HEAD_LEN - 1] != '\n')
		return -1;
	head[HEAD_LEN] = 0;
	s->created = head[2] == '1';
	s->read_off = strtoll(head + 4, NULL, 10);
	char *line = xmalloc(LINE_MAX_BYTES);
	ssize_t got = pread(fd, line, LINE_MAX_BYTES, HEAD_LEN);
	char *nl = got > 2 ? memchr(line, '\n', (size_t)got) : NULL;
	if(!nl || line[0] != 'C') {
		free(line);
		return -1;
	}
	*create = json_loadb(line + 2, (size_t)(nl - line - 2), 0, NULL);
	s->data_start = HEAD_LEN + (nl - line) + 1;
	free(line);
	if(s->read_off < s->data_start)
		s->read_off = s->data_start;
	return json_is_object(*create) ? 0 : -1;
}

static enum spool_outcome deliver(struct ctl *c, const char *path, const char *id, int verbose, char *why,
                                  size_t whylen)
{
	why[0] = 0;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if(fd < 0)
		return SP_OTHER;
	if(flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return SP_BUSY;
	}
	struct spool s = {.fd = fd, .persistent = 1};
	json_t *create = NULL;
	if(read_head(fd, &s, &create)) {
		json_decref(create);
		close(fd);
		snprintf(why, whylen, "not a spool file");
		return SP_OTHER;
	}
	const char *server = ctl_jstr(create, "server");
	if(!server || strcmp(server, c->server)) {
		json_decref(create);
		close(fd);
		return SP_OTHER;
	}
	json_t *sess = json_object_get(create, "session");
	const char *name = ctl_jstr(sess, "name");
	struct stat st = {0};
	s.write_off = fstat(fd, &st) ? 0 : (int64_t)st.st_size;
	enum spool_outcome out = SP_LEFT;
	enum rc rc = RC_OK;
	const char *need = c->need_role;
	c->need_role = "reporter or admin";
	if(!s.created) {
		char *text = json_dumps(sess, JSON_COMPACT | JSON_PRESERVE_ORDER);
		rc = ctl_call(c, "POST", "/api/v1/sessions", text, NULL);
		free(text);
		if(rc == RC_CONFLICT)
			rc = RC_OK;
		if(!rc) {
			s.created = 1;
			spool_ack(&s);
		}
	}
	struct buf body;
	buf_init(&body, 0);
	size_t records = 0;
	while(!rc) {
		size_t n;
		int64_t next;
		json_t *end;
		spool_batch(fd, s.read_off, s.write_off, &body, &n, &next, &end);
		if(n) {
			rc = spool_post_logs(c, id, buf_cstr(&body), n, NULL);
			if(rc) {
				json_decref(end);
				break;
			}
			records += n;
		}
		s.read_off = next;
		spool_ack(&s);
		if(!end && !n) {
			/* no end line: the sessionctl that wrote this file died while its command ran */
			char t[TIME_STR_MAX];
			time_format((int64_t)st.st_mtime * 1000000, 3, t);
			end = json_pack("{s:{s:s,s:s,s:s}}", "complete", "result", "Failed", "message",
			                "sessionctl ended before the command did; its result was not recorded", "endTime", t);
		}
		if(end) {
			rc = spool_post_end(c, id, end);
			json_decref(end);
			if(!rc)
				out = SP_DELIVERED;
			break;
		}
	}
	buf_free(&body);
	c->need_role = need;
	if(rc == RC_NOTFOUND || rc == RC_CONFLICT || rc == RC_INVALID) {
		snprintf(why, whylen, "%s", c->err);
		out = SP_DROPPED;
	} else if(rc) {
		snprintf(why, whylen, "%s", c->err);
	}
	if(out == SP_DELIVERED || out == SP_DROPPED)
		unlink(path);
	if(out == SP_DELIVERED && verbose)
		ctl_msg("delivered the spooled session %s (%s, %zu log records)", id, name ? name : "?", records);
	json_decref(create);
	close(fd);
	return out;
}

int ctl_flush(struct ctl *c, const char *dir, int verbose, const char *skip_id, int *delivered)
{
	*delivered = 0;
	DIR *d = opendir(dir);
	if(!d)
		return 0;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	while((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		struct uuid u;
		int session = len == UUID_STR_LEN + 6 && !strcmp(e->d_name + UUID_STR_LEN, ".spool");
		int estate = len == UUID_STR_LEN + 7 && !strcmp(e->d_name + UUID_STR_LEN, ".estate");
		if(!(session || estate) || uuid_parse(e->d_name, UUID_STR_LEN, &u))
			continue;
		if(skip_id && !strncmp(e->d_name, skip_id, UUID_STR_LEN))
			continue;
		if(n == cap) {
			cap = cap ? cap * 2 : 16;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	/* time-ordered ids: oldest first */
	for(size_t i = 1; i < n; i++)
		for(size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	int left = 0, busy = 0, other = 0, stop = 0;
	for(size_t i = 0; i < n; i++) {
		char path[4400], id[UUID_STR_LEN + 1], why[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		memcpy(id, names[i], UUID_STR_LEN);
		id[UUID_STR_LEN] = 0;
		if(stop) {
			free(names[i]);
			left++;
			continue;
		}
		int estate = !strcmp(names[i] + UUID_STR_LEN, ".estate");
		enum spool_outcome out = estate ? reg_deliver(c, path, verbose, why, sizeof(why))
		                                : deliver(c, path, id, verbose, why, sizeof(why));
		free(names[i]);
		switch(out) {
		case SP_DELIVERED:
			*delivered += !estate;   /* estate changes say so themselves when verbose */
			break;
		case SP_DROPPED:
			ctl_msg("warning: the server refused the spooled %s %s (%s); it was removed from the spool",
			        estate ? "estate change" : "session", id, why);
			break;
		case SP_BUSY:
			busy++;
			break;
		case SP_OTHER:
			other++;
			break;
		case SP_LEFT:
			left++;
			stop = 1;   /* the server is away or refuses us: the others would fail the same way */
			if(verbose)
				ctl_msg("%s %s stays in the spool: %s", estate ? "estate change" : "session", id,
				        why[0] ? why : "not delivered");
			break;
		}
	}
	free(names);
	if(verbose && busy)
		ctl_msg("%d spooled session%s still being written by a running sessionctl", busy, busy == 1 ? " is" : "s are");
	if(verbose && other)
		ctl_msg("%d spooled session%s in %s belong%s to another server", other, other == 1 ? "" : "s", dir,
		        other == 1 ? "s" : "");
	return left;
}
