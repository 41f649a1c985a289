/* sessionctl estate put/ls/get/rm and repo report: the backup estate through the
 * ingest API (/api/v1/estate/{kind}/{id}, docs/ESTATE.md). Objects are named by id
 * or by name; a name resolves as ctl_estate_resolve says. Property values given as
 * --field K=V are typed by the kind's table (model/estate.def). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "ctl.h"
#include "model/estate.h"
#include "util/mem.h"
#include "util/timefmt.h"
#include "util/uuid.h"

#define ROLE_READ "viewer, operator or admin"
#define ROLE_INGEST "reporter or admin"
#define ESTATE_PAGE 1000        /* the largest page of the estate lists */

/* Members every object has that are sessiond's own or the path's, not properties. */
static int own_member(const char *k)
{
	static const char *const own[] = {"kind", "id", "createdTime", "updatedTime", "usn", "deleted", NULL};
	for(int i = 0; own[i]; i++)
		if(!strcmp(own[i], k))
			return 1;
	return 0;
}

/* The kind named s; 0 after a usage message. Writes refuse sessiond's own kinds. */
static int kind_arg(const char *cmd, const char *s, int write)
{
	int k = estate_kind_parse(s);
	if(k && write && estate_kind_own(k)) {
		ctl_usage(cmd, "%s records are sessiond's own: they can be read, not written", s);
		return 0;
	}
	if(!k) {
		char list[512];
		estate_kind_list(list, sizeof(list));
		ctl_usage(cmd, "unknown estate kind '%s'; kinds: %s", s, list);
	}
	return k;
}

enum rc ctl_estate_get(struct ctl *c, int kind, const char *id, json_t **out)
{
	char path[160];
	snprintf(path, sizeof(path), "/api/v1/estate/%s/%s", estate_kind_name(kind), id);
	const char *need = c->need_role;
	c->need_role = ROLE_READ;
	enum rc rc = ctl_call(c, "GET", path, NULL, out);
	c->need_role = need;
	return rc;
}

enum rc ctl_estate_resolve(struct ctl *c, int kind, const char *ref, char out[UUID_STR_LEN + 1], int *named)
{
	struct uuid u;
	*named = uuid_parse(ref, strlen(ref), &u) != 0;
	if(!*named) {
		uuid_format(&u, out);
		return RC_OK;
	}
	struct buf q;
	buf_init(&q, 0);
	buf_printf(&q, "/api/v1/estate/%s?limit=1000&nameFilter=", estate_kind_name(kind));
	ctl_urlenc(&q, ref);
	json_t *j = NULL;
	const char *need = c->need_role;
	c->need_role = ROLE_READ;
	enum rc rc = ctl_call(c, "GET", buf_cstr(&q), NULL, &j);
	c->need_role = need;
	buf_free(&q);
	estate_name_id(kind, ref, &u);
	uuid_format(&u, out);
	if(rc == RC_FORBIDDEN) {
		c->err[0] = 0;
		return RC_OK;   /* a reporter writes blind: the derived id */
	}
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(j, "data"), i, o) {
		const char *name = ctl_jstr(o, "name"), *id = ctl_jstr(o, "id");
		if(name && id && strlen(id) == UUID_STR_LEN && !strcasecmp(name, ref)) {
			memcpy(out, id, UUID_STR_LEN + 1);
			break;
		}
	}
	json_decref(j);
	return rc;
}

/* ---------- typed values ---------- */

/* The value of --field K=V as the kind's table types K; NULL after a usage message. */
static json_t *typed(const char *cmd, int kind, const char *k, const char *v, int *code)
{
	*code = 0;
	if(!*v)
		return json_null();   /* K=: remove */
	if(!strcmp(k, "name") || !strcmp(k, "reporter") || !strcmp(k, "parentId"))
		return json_string(v);
	const struct estate_field *f = estate_field(kind, k);
	if(!f) {
		struct buf b;
		buf_init(&b, 0);
		for(f = estate_field_first(kind); f; f = estate_field_next(f))
			buf_printf(&b, "%s%s", b.len ? ", " : "", f->name);
		*code = ctl_usage(cmd, "--field %s: a %s has no property %s; it has name, parentId, reporter%s%s", k,
		                  estate_kind_name(kind), k, b.len ? ", " : "", buf_cstr(&b));
		buf_free(&b);
		return NULL;
	}
	switch(f->type) {
	case EF_INT: {
		char *end;
		errno = 0;
		long long n = strtoll(v, &end, 10);
		if(*end || errno || n < 0) {
			*code = ctl_usage(cmd, "--field %s: '%s' is not a non-negative integer", k, v);
			return NULL;
		}
		return json_integer(n);
	}
	case EF_BOOL:
		if(!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1"))
			return json_true();
		if(!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0"))
			return json_false();
		*code = ctl_usage(cmd, "--field %s: '%s' is not true or false", k, v);
		return NULL;
	case EF_STRINGS: {
		json_t *arr = json_array();
		for(const char *p = v;;) {
			const char *comma = strchr(p, ',');
			size_t n = comma ? (size_t)(comma - p) : strlen(p);
			if(n)
				json_array_append_new(arr, json_stringn(p, n));
			if(!comma)
				break;
			p = comma + 1;
		}
		return arr;
	}
	case EF_STRING:
	case EF_UUID:
	case EF_TIME:
		break;
	}
	return json_string(v);
}

/* Overlays every --field onto body; 0 or a usage exit code. */
static int apply_fields(const char *cmd, int kind, struct ctl_args *a, json_t *body)
{
	for(int i = 0; i < a->nfields; i++) {
		const char *eq = strchr(a->fields[i], '=');
		if(!eq || eq == a->fields[i])
			return ctl_usage(cmd, "--field needs K=V, not '%s'", a->fields[i]);
		char *k = xstrndup(a->fields[i], (size_t)(eq - a->fields[i]));
		int code;
		json_t *v = typed(cmd, kind, k, eq + 1, &code);
		if(v)
			json_object_set_new(body, k, v);
		free(k);
		if(!v)
			return code;
	}
	return 0;
}

static json_t *read_json_arg(const char *cmd, const char *file, int *code)
{
	json_error_t je;
	json_t *j = !strcmp(file, "-") ? json_loadf(stdin, 0, &je) : json_load_file(file, 0, &je);
	*code = 0;
	if(!j)
		*code = ctl_usage(cmd, "--json %s: %s (line %d)", file, je.text, je.line);
	else if(!json_is_object(j)) {
		*code = ctl_usage(cmd, "--json %s: the object must be a JSON object", file);
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* ---------- output ---------- */

static void print_pretty(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if(s)
		puts(s);
	free(s);
}

static void print_value(json_t *v)
{
	if(json_is_string(v)) {
		fputs(json_string_value(v), stdout);
	} else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		fputs(s ? s : "", stdout);
		free(s);
	}
}

/* "key: value" lines, properties after the common members. */
static void print_object(json_t *o)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		printf("%-14s ", k);
		print_value(v);
		putchar('\n');
	}
}

/* One line of `estate ls`: id, name, then the properties as k=v. */
static void print_row(json_t *o)
{
	printf("%s  %s", ctl_jstr(o, "id") ? ctl_jstr(o, "id") : "-", ctl_jstr(o, "name") ? ctl_jstr(o, "name") : "");
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		if(own_member(k) || !strcmp(k, "name") || !strcmp(k, "reporter") || json_is_null(v))
			continue;
		printf("  %s=", k);
		print_value(v);
	}
	putchar('\n');
}

/* ---------- the commands ---------- */

int ctl_cmd_estate_put(struct ctl *c, struct ctl_args *a)
{
	const char *cmd = "estate put";
	int kind = kind_arg(cmd, a->argv[0], 1);
	if(!kind)
		return CTL_EXIT_USAGE;
	int code = 0;
	json_t *body = a->v[OPT_JSON_IN] ? read_json_arg(cmd, a->v[OPT_JSON_IN], &code) : json_object();
	if(!body)
		return code;
	if(a->v[OPT_PARENT] && !estate_kind_parent(kind)) {
		json_decref(body);
		return ctl_usage(cmd, "--parent: a %s has no parent", estate_kind_name(kind));
	}
	if((code = apply_fields(cmd, kind, a, body))) {
		json_decref(body);
		return code;
	}
	json_t *op = json_pack("{s:s,s:s,s:s,s:O,s:b}", "op", "put", "kind", estate_kind_name(kind), "ref", a->argv[1],
	                       "props", body, "merge", a->v[OPT_MERGE] != NULL);
	if(a->v[OPT_PARENT])
		json_object_set_new(op, "parent", json_string(a->v[OPT_PARENT]));
	json_object_set_new(op, "print", json_true());
	json_decref(body);
	c->need_role = ROLE_INGEST;
	enum rc rc = reg_apply(c, op);
	json_decref(op);
	return rc ? ctl_fail(c) : CTL_EXIT_OK;
}

int ctl_cmd_estate_ls(struct ctl *c, struct ctl_args *a)
{
	const char *cmd = "estate ls";
	int kind = kind_arg(cmd, a->argv[0], 0);
	if(!kind)
		return CTL_EXIT_USAGE;
	int64_t limit = -1;
	if(a->v[OPT_LIMIT]) {
		char *end;
		limit = strtoll(a->v[OPT_LIMIT], &end, 10);
		if(*end || limit < 1)
			return ctl_usage(cmd, "--limit must be a positive number");
	}
	char parent[UUID_STR_LEN + 1] = "";
	int named;
	if(a->v[OPT_PARENT]) {
		int pk = estate_kind_parent(kind);
		if(!pk)
			return ctl_usage(cmd, "--parent: a %s has no parent", estate_kind_name(kind));
		if(ctl_estate_resolve(c, pk, a->v[OPT_PARENT], parent, &named))
			return ctl_fail(c);
	}
	c->need_role = ROLE_READ;
	json_t *all = c->json ? json_array() : NULL;
	int64_t skip = 0, shown = 0;
	for(;;) {
		struct buf q;
		buf_init(&q, 0);
		int64_t page = limit > 0 && limit - shown < ESTATE_PAGE ? limit - shown : ESTATE_PAGE;
		buf_printf(&q, "/api/v1/estate/%s?skip=%lld&limit=%lld", estate_kind_name(kind), (long long)skip,
		           (long long)page);
		if(a->v[OPT_ENAME]) {
			buf_addstr(&q, "&nameFilter=");
			ctl_urlenc(&q, a->v[OPT_ENAME]);
		}
		if(parent[0])
			buf_printf(&q, "&parentId=%s", parent);
		json_t *j;
		enum rc rc = ctl_call(c, "GET", buf_cstr(&q), NULL, &j);
		buf_free(&q);
		if(rc) {
			json_decref(all);
			return ctl_fail(c);
		}
		json_t *data = json_object_get(j, "data"), *o;
		size_t i;
		json_array_foreach(data, i, o) {
			if(all)
				json_array_append(all, o);
			else
				print_row(o);
		}
		size_t n = json_array_size(data);
		shown += (int64_t)n;
		skip += (int64_t)n;
		json_decref(j);
		if(n < (size_t)page || (limit > 0 && shown >= limit))
			break;
	}
	if(all)
		print_pretty(all);
	json_decref(all);
	return CTL_EXIT_OK;
}

int ctl_cmd_estate_get(struct ctl *c, struct ctl_args *a)
{
	int kind = kind_arg("estate get", a->argv[0], 0);
	if(!kind)
		return CTL_EXIT_USAGE;
	char id[UUID_STR_LEN + 1];
	int named;
	json_t *j;
	if(ctl_estate_resolve(c, kind, a->argv[1], id, &named) || ctl_estate_get(c, kind, id, &j))
		return ctl_fail(c);
	if(c->json)
		print_pretty(j);
	else
		print_object(j);
	json_decref(j);
	return CTL_EXIT_OK;
}

int ctl_cmd_estate_rm(struct ctl *c, struct ctl_args *a)
{
	int kind = kind_arg("estate rm", a->argv[0], 1);
	if(!kind)
		return CTL_EXIT_USAGE;
	char id[UUID_STR_LEN + 1], path[160];
	int named;
	if(ctl_estate_resolve(c, kind, a->argv[1], id, &named))
		return ctl_fail(c);
	snprintf(path, sizeof(path), "/api/v1/estate/%s/%s", estate_kind_name(kind), id);
	c->need_role = ROLE_INGEST;
	if(ctl_call(c, "DELETE", path, NULL, NULL))
		return ctl_fail(c);
	if(c->json)
		printf("{\"kind\": \"%s\", \"id\": \"%s\", \"deleted\": true}\n", estate_kind_name(kind), id);
	return CTL_EXIT_OK;
}

int ctl_cmd_repo_report(struct ctl *c, struct ctl_args *a)
{
	const char *cmd = "repo report";
	const char *name = a->argv[0], *path = a->argv[1];
	struct statvfs sv;
	char real[PATH_MAX];
	if(statvfs(path, &sv) || !realpath(path, real)) {
		ctl_msg("repo report: %s: %s", path, strerror(errno));
		return CTL_EXIT_USAGE;
	}
	json_t *props = json_object();
	int code = apply_fields(cmd, EK_repository, a, props);
	if(code) {
		json_decref(props);
		return code;
	}
	/* as df(1) shows them: used = blocks not free; free = what an unprivileged writer may still use */
	uint64_t unit = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
	char host[256] = "", now[TIME_STR_MAX];
	if(gethostname(host, sizeof(host) - 1))
		host[0] = 0;
	time_format(time_now_us(), 3, now);
	json_object_set_new(props, "capacityBytes", json_integer((json_int_t)(sv.f_blocks * unit)));
	json_object_set_new(props, "freeBytes", json_integer((json_int_t)(sv.f_bavail * unit)));
	json_object_set_new(props, "usedBytes", json_integer((json_int_t)((sv.f_blocks - sv.f_bfree) * unit)));
	json_object_set_new(props, "measuredTime", json_string(now));
	json_object_set_new(props, "path", json_string(real));
	if(host[0])
		json_object_set_new(props, "host", json_string(host));
	json_t *op = json_pack("{s:s,s:s,s:s,s:o,s:b,s:b}", "op", "put", "kind", "repository", "ref", name, "props", props,
	                       "merge", 1, "print", c->json);
	char dir[4096];
	int have_dir = !ctl_spool_dir(c, dir, sizeof(dir));
	c->need_role = ROLE_INGEST;
	enum rc rc = reg_submit(c, have_dir ? dir : NULL, op, 1);
	json_decref(op);
	if(rc && rc != RC_BUSY)
		return ctl_fail(c);
	return CTL_EXIT_OK;
}
