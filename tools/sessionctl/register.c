/* Estate writes that must not be lost: what `run --repository` registers and what
 * `repo report` measures. Each is an op (a JSON object) applied through the ingest API
 * when the server answers, else kept in the spool folder as ID.estate (ID a time-ordered
 * UUID, so ctl_flush delivers it after the sessions spooled before it):
 *   {"server":URL}\n        the server it is for
 *   {op}\n ...              the ops, applied in order
 * Ops name objects, not ids: ids are resolved when the op is applied, so an op is
 * idempotent and a repeated delivery changes nothing more (docs/sessionctl.md).
 *   {"op":"put","kind":K,"ref":ID|NAME,"props":{...},"merge":bool,"parent":ID|NAME}
 *   {"op":"run","job":J,"type":T,"repository":R,"object":O,"sessionId":S,"time":RFC3339,
 *    "sizeBytes":N}                                  (sizeBytes only when measured) */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "model/estate.h"
#include "util/mem.h"
#include "util/timefmt.h"
#include "util/uuid.h"

static enum rc put_object(struct ctl *c, int kind, const char *id, json_t *body, json_t **reply)
{
	char path[160];
	snprintf(path, sizeof(path), "/api/v1/estate/%s/%s", estate_kind_name(kind), id);
	char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	const char *need = c->need_role;
	c->need_role = "reporter or admin";
	enum rc rc = ctl_call(c, "PUT", path, text, reply);
	c->need_role = need;
	free(text);
	return rc;
}

static void name_id(int kind, const char *a, const char *b, char out[UUID_STR_LEN + 1])
{
	struct uuid u;
	size_t n = strlen(a) + strlen(b) + 2;
	char *key = xmalloc(n);
	snprintf(key, n, "%s/%s", a, b);
	estate_name_id(kind, key, &u);
	free(key);
	uuid_format(&u, out);
}

/* {"op":"put"}: the object as given, over what it has when merge is asked and readable. */
static enum rc apply_put(struct ctl *c, json_t *op)
{
	int kind = estate_kind_parse(ctl_jstr(op, "kind"));
	const char *ref = ctl_jstr(op, "ref"), *parent = ctl_jstr(op, "parent");
	json_t *props = json_object_get(op, "props");
	if(!kind || !ref || !json_is_object(props)) {
		snprintf(c->err, sizeof(c->err), "a malformed estate change");
		return RC_INVALID;
	}
	char id[UUID_STR_LEN + 1], pid[UUID_STR_LEN + 1];
	int named;
	enum rc rc = ctl_estate_resolve(c, kind, ref, id, &named);
	if(!rc && parent)
		rc = ctl_estate_resolve(c, estate_kind_parent(kind), parent, pid, &(int){0});
	if(rc)
		return rc;
	json_t *body = json_object(), *old = NULL;
	if(json_is_true(json_object_get(op, "merge"))) {
		rc = ctl_estate_get(c, kind, id, &old);
		if(rc && rc != RC_NOTFOUND && rc != RC_FORBIDDEN) {
			json_decref(body);
			return rc;
		}
		if(rc == RC_FORBIDDEN && json_is_true(json_object_get(op, "print")))
			ctl_msg("warning: --merge: this login cannot read the estate; the %s gets only what is given",
			        estate_kind_name(kind));
		const char *k;
		json_t *v;
		json_object_foreach(old, k, v) {
			if(strcmp(k, "kind") && strcmp(k, "id") && strcmp(k, "createdTime") && strcmp(k, "updatedTime") &&
			   strcmp(k, "usn") && strcmp(k, "reporter") && !json_is_null(v))
				json_object_set(body, k, v);
		}
		json_decref(old);
		c->err[0] = 0;
	}
	if(named && !json_object_get(props, "name"))
		json_object_set_new(body, "name", json_string(ref));
	const char *k;
	json_t *v;
	json_object_foreach(props, k, v) {
		if(json_is_null(v))
			json_object_del(body, k);
		else
			json_object_set(body, k, v);
	}
	if(parent)
		json_object_set_new(body, "parentId", json_string(pid));
	json_t *reply = NULL;
	rc = put_object(c, kind, id, body, &reply);
	json_decref(body);
	if(!rc && json_is_true(json_object_get(op, "print"))) {
		char *s = json_dumps(reply, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if(s)
			puts(s);
		free(s);
	}
	json_decref(reply);
	return rc;
}

/* {"op":"run"}: the job (declared when it is not), its backup on the repository (id from
 * job id and repository name), the restore point (id from session id and object). */
static enum rc apply_run(struct ctl *c, json_t *op)
{
	const char *job = ctl_jstr(op, "job"), *type = ctl_jstr(op, "type"), *repo = ctl_jstr(op, "repository");
	const char *object = ctl_jstr(op, "object"), *sid = ctl_jstr(op, "sessionId"), *t = ctl_jstr(op, "time");
	if(!job || !type || !repo || !object || !sid || !t) {
		snprintf(c->err, sizeof(c->err), "a malformed estate change");
		return RC_INVALID;
	}
	/* is the job declared? a reporter cannot read: then the backup's parent check tells */
	char jid[UUID_STR_LEN + 1], bid[UUID_STR_LEN + 1], rid[UUID_STR_LEN + 1];
	struct uuid u;
	estate_name_id(EK_job, job, &u);
	uuid_format(&u, jid);
	int declared = -1;
	char jname[1100];   /* the job's name as declared (a look-up matches without regard to case) */
	snprintf(jname, sizeof(jname), "%s", job);
	struct buf q;
	buf_init(&q, 0);
	buf_addstr(&q, "/api/v1/estate/job?limit=1000&nameFilter=");
	ctl_urlenc(&q, job);
	json_t *list = NULL;
	const char *need = c->need_role;
	c->need_role = "viewer, operator or admin";
	enum rc rc = ctl_call(c, "GET", buf_cstr(&q), NULL, &list);
	c->need_role = need;
	buf_free(&q);
	if(rc && rc != RC_FORBIDDEN) {
		json_decref(list);
		return rc;
	}
	if(rc) {
		rc = RC_OK;   /* a reporter cannot read the estate */
		c->err[0] = 0;
	} else {
		declared = 0;
		size_t i;
		json_t *o;
		json_array_foreach(json_object_get(list, "data"), i, o)
			if(ctl_jstr(o, "name") && !strcasecmp(ctl_jstr(o, "name"), job) && ctl_jstr(o, "id")) {
				snprintf(jid, sizeof(jid), "%s", ctl_jstr(o, "id"));
				snprintf(jname, sizeof(jname), "%s", ctl_jstr(o, "name"));
				declared = 1;
				break;
			}
	}
	json_decref(list);
	json_t *jbody = json_pack("{s:s,s:s,s:s,s:[s]}", "name", job, "type", type, "repository", repo, "objects", object);
	if(!declared)
		rc = put_object(c, EK_job, jid, jbody, NULL);
	if(rc) {
		json_decref(jbody);
		return rc;
	}
	name_id(EK_backup, jid, repo, bid);
	json_t *body = json_pack("{s:s,s:s,s:s}", "name", jname, "parentId", jid, "repository", repo);
	rc = put_object(c, EK_backup, bid, body, NULL);
	if(rc == RC_INVALID && declared < 0 && strstr(c->err, "parentId")) {
		/* no job by that id: declare it, then the backup again */
		if(!(rc = put_object(c, EK_job, jid, jbody, NULL)))
			rc = put_object(c, EK_backup, bid, body, NULL);
	}
	json_decref(jbody);
	json_decref(body);
	if(rc)
		return rc;
	name_id(EK_restorePoint, sid, object, rid);
	body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "name", object, "parentId", bid, "object", object, "time", t,
	                 "pointType", "Full", "repository", repo, "job", jname, "sessionId", sid);
	json_t *size = json_object_get(op, "sizeBytes");
	if(json_is_integer(size))
		json_object_set(body, "sizeBytes", size);
	rc = put_object(c, EK_restorePoint, rid, body, NULL);
	json_decref(body);
	return rc;
}

enum rc reg_apply(struct ctl *c, json_t *op)
{
	const char *what = ctl_jstr(op, "op");
	if(what && !strcmp(what, "put"))
		return apply_put(c, op);
	if(what && !strcmp(what, "run"))
		return apply_run(c, op);
	snprintf(c->err, sizeof(c->err), "an estate change of unknown kind '%s'", what ? what : "");
	return RC_INVALID;
}

json_t *reg_run_op(const char *job, const char *type, const char *repository, const char *object,
                   const char *session_id, int64_t end_us, int64_t size)
{
	char t[TIME_STR_MAX];
	time_format(end_us, 3, t);
	json_t *op = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "op", "run", "job", job, "type", type, "repository",
	                       repository, "object", object, "sessionId", session_id, "time", t);
	if(size >= 0)
		json_object_set_new(op, "sizeBytes", json_integer(size));
	return op;
}

/* What an op is about, for messages. */
static void describe(json_t *op, char *out, size_t n)
{
	if(!strcmp(ctl_jstr(op, "op") ? ctl_jstr(op, "op") : "", "run"))
		snprintf(out, n, "the restore point of %s by job %s", ctl_jstr(op, "object"), ctl_jstr(op, "job"));
	else
		snprintf(out, n, "%s %s", ctl_jstr(op, "kind") ? ctl_jstr(op, "kind") : "?",
		         ctl_jstr(op, "ref") ? ctl_jstr(op, "ref") : "?");
}

/* Writes op into a new dir/ID.estate (written aside, then renamed: never half a file). */
static int spool_op(struct ctl *c, const char *dir, json_t *op, char *path, size_t n)
{
	struct uuid u;
	char id[UUID_STR_LEN + 1], tmp[4200];
	uuid_v7(&u);
	uuid_format(&u, id);
	snprintf(path, n, "%s/%s.estate", dir, id);
	snprintf(tmp, sizeof(tmp), "%s/.%s.estate.tmp", dir, id);
	json_t *head = json_pack("{s:s}", "server", c->server), *copy = json_deep_copy(op);
	json_object_del(copy, "print");
	char *h = json_dumps(head, JSON_COMPACT), *o = json_dumps(copy, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(head);
	json_decref(copy);
	FILE *f = fopen(tmp, "w");
	int bad = !f || !h || !o || fprintf(f, "%s\n%s\n", h, o) < 0;
	bad |= f && (fflush(f) || fsync(fileno(f)));
	if(f)
		bad |= fclose(f) != 0;
	free(h);
	free(o);
	if(bad || rename(tmp, path)) {
		snprintf(c->err, sizeof(c->err), "cannot write %.900s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int worth_keeping(enum rc rc)
{
	return rc == RC_BUSY || rc == RC_UNAUTHORIZED || rc == RC_EXPIRED;
}

enum rc reg_submit(struct ctl *c, const char *dir, json_t *op, int with_now)
{
	enum rc rc = RC_BUSY;
	char what[512], path[4200], why[1024] = "";
	describe(op, what, sizeof(what));
	if(with_now) {
		rc = reg_apply(c, op);
		if(!worth_keeping(rc))
			return rc;
		snprintf(why, sizeof(why), "%s", c->err);
	}
	if(!dir || spool_op(c, dir, op, path, sizeof(path))) {
		ctl_msg("warning: %s was not registered%s%s and cannot be kept (%s)", what, why[0] ? ": " : "", why,
		        dir ? c->err : "no spool folder");
		return RC_BUSY;
	}
	ctl_msg("warning: %s %s kept in %s; the next sessionctl command or `sessionctl flush` delivers it%s%s%s",
	        what, with_now ? "was not registered and is" : "is", path, why[0] ? " (" : "", why, why[0] ? ")" : "");
	return RC_BUSY;
}

enum spool_outcome reg_deliver(struct ctl *c, const char *path, int verbose, char *why, size_t whylen)
{
	why[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if(fd < 0)
		return SP_OTHER;
	if(flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return SP_BUSY;
	}
	FILE *f = fdopen(fd, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len = f ? getline(&line, &cap, f) : -1;
	json_t *head = len > 0 ? json_loadb(line, (size_t)len, 0, NULL) : NULL;
	const char *server = ctl_jstr(head, "server");
	enum spool_outcome out = SP_DELIVERED;
	if(!server || strcmp(server, c->server))
		out = SP_OTHER;
	while(out == SP_DELIVERED && (len = getline(&line, &cap, f)) > 0) {
		json_t *op = json_loadb(line, (size_t)len, 0, NULL);
		char what[512];
		if(!op)
			continue;
		describe(op, what, sizeof(what));
		enum rc rc = reg_apply(c, op);
		json_decref(op);
		if(rc == RC_INVALID || rc == RC_NOTFOUND || rc == RC_CONFLICT) {
			ctl_msg("warning: the server refused the spooled estate change (%s): %s; it was removed", what, c->err);
		} else if(rc) {
			snprintf(why, whylen, "%s", c->err);
			out = SP_LEFT;
		} else {
			if(verbose)
				ctl_msg("delivered the spooled estate change: %s", what);
		}
	}
	if(out == SP_DELIVERED)
		unlink(path);
	free(line);
	json_decref(head);
	if(f)
		fclose(f);
	else
		close(fd);
	return out;
}

/* ---------- sizes ---------- */

static int64_t measured;

static int add_file(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)p;
	(void)ftw;
	if(flag == FTW_F && S_ISREG(st->st_mode))
		measured += (int64_t)st->st_size;
	return 0;
}

int64_t reg_measure(const char *path)
{
	struct stat st;
	if(lstat(path, &st))
		return -1;
	if(S_ISREG(st.st_mode))
		return (int64_t)st.st_size;
	if(!S_ISDIR(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	measured = 0;
	if(nftw(path, add_file, 32, FTW_PHYS))
		return -1;
	return measured;
}
