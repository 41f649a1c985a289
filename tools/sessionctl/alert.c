/* sessionctl alert: alert rules and their webhook deliveries (docs/ALERTS.md), through
 * /api/v1/alerts. `add`, `rm` and `test` need the admin role; `ls` and `deliveries` any
 * role that may read. A rule is named by its id or its exact name. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/uuid.h"

#define ROLE_ADMIN "admin"
#define ROLE_READ "viewer, operator or admin"

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if(s)
		puts(s);
	free(s);
}

/* The id of the rule named ref (an id or an exact name) into out; 0 or an exit code. */
static int rule_id(struct ctl *c, const char *ref, char out[UUID_STR_LEN + 1])
{
	struct uuid u;
	if(!uuid_parse(ref, strlen(ref), &u)) {
		uuid_format(&u, out);
		return 0;
	}
	json_t *list;
	c->need_role = ROLE_READ;
	if(ctl_call(c, "GET", "/api/v1/alerts?limit=1000", NULL, &list))
		return ctl_fail(c);
	size_t i;
	json_t *r;
	int found = 0;
	json_array_foreach(json_object_get(list, "data"), i, r) {
		const char *name = ctl_jstr(r, "name"), *id = ctl_jstr(r, "id");
		if(name && id && !strcmp(name, ref) && found++ == 0)
			snprintf(out, UUID_STR_LEN + 1, "%s", id);
	}
	json_decref(list);
	if(found == 1)
		return 0;
	if(!found)
		ctl_msg("alert: no rule named '%s' (sessionctl alert ls lists them)", ref);
	else
		ctl_msg("alert: %d rules are named '%s': give the id", found, ref);
	return found ? CTL_EXIT_USAGE : CTL_EXIT_API;
}

/* The secret: --secret-file's first line, SESSIOND_ALERT_SECRET, or a new random one
 * (printed once, since no read shows it again). */
static int secret_of(struct ctl_args *a, char *out, size_t n, int *generated)
{
	*generated = 0;
	const char *file = a->v[OPT_SECRET_FILE], *env = getenv("SESSIOND_ALERT_SECRET");
	if(file) {
		FILE *f = fopen(file, "r");
		int ok = f && fgets(out, (int)n, f);
		if(f)
			fclose(f);
		if(!ok)
			return ctl_usage("alert", "--secret-file: cannot read %s", file);
		out[strcspn(out, "\r\n")] = 0;
	} else if(env && *env) {
		snprintf(out, n, "%s", env);
	} else {
		unsigned char raw[24];
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(out, n, raw, sizeof(raw));
		*generated = 1;
	}
	return 0;
}

static int cmd_add(struct ctl *c, struct ctl_args *a)
{
	if(a->argc != 2)
		return ctl_usage("alert", "add needs one NAME: sessionctl alert add NAME --event E --url URL");
	if(!a->v[OPT_EVENT] || !a->v[OPT_URL])
		return ctl_usage("alert", "add needs --event (failed, warning, missed, stuck, repository-free-below) and --url");
	char secret[300];
	int generated, code = secret_of(a, secret, sizeof(secret), &generated);
	if(code)
		return code;
	json_t *body = json_object();
	json_object_set_new(body, "name", json_string(a->argv[1]));
	json_object_set_new(body, "event", json_string(a->v[OPT_EVENT]));
	json_object_set_new(body, "url", json_string(a->v[OPT_URL]));
	json_object_set_new(body, "secret", json_string(secret));
	if(a->v[OPT_JOB])
		json_object_set_new(body, "jobPattern", json_string(a->v[OPT_JOB]));
	if(a->v[OPT_TYPE])
		json_object_set_new(body, "sessionType", json_string(a->v[OPT_TYPE]));
	static const struct { enum ctl_opt opt; const char *key; } nums[] = {
		{OPT_MINUTES, "minutes"}, {OPT_SECONDS_N, "seconds"}, {OPT_PERCENT, "percent"}};
	for(size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		const char *v = a->v[nums[i].opt];
		char *end;
		long long n = v ? strtoll(v, &end, 10) : 0;
		if(v && (!*v || *end || n < 1)) {
			json_decref(body);
			return ctl_usage("alert", "--%s must be a positive whole number", nums[i].key);
		}
		if(v)
			json_object_set_new(body, nums[i].key, json_integer(n));
	}
	if(a->v[OPT_DISABLED])
		json_object_set_new(body, "disabled", json_true());
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	json_t *rule;
	c->need_role = ROLE_ADMIN;
	enum rc rc = ctl_call(c, "POST", "/api/v1/alerts", text, &rule);
	sodium_memzero(text, strlen(text));
	free(text);
	if(rc) {
		sodium_memzero(secret, sizeof(secret));
		return ctl_fail(c);
	}
	if(c->json)
		print_json(rule);
	else
		printf("%s\n", ctl_jstr(rule, "id"));
	if(generated)
		fprintf(stderr, "sessionctl: the webhook secret of this rule (shown only now): %s\n", secret);
	sodium_memzero(secret, sizeof(secret));
	json_decref(rule);
	return CTL_EXIT_OK;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* "job pattern, type" of a rule, or "any". */
static const char *scope(json_t *r, char *out, size_t n)
{
	const char *p = ctl_jstr(r, "jobPattern"), *t = ctl_jstr(r, "sessionType");
	snprintf(out, n, "%s%s%s", p ? p : "", p && t ? ", " : "", t ? t : "");
	return out[0] ? out : "any";
}

static int cmd_ls(struct ctl *c, struct ctl_args *a)
{
	if(a->argc != 1)
		return ctl_usage("alert", "ls takes no arguments");
	json_t *list;
	c->need_role = ROLE_READ;
	if(ctl_call(c, "GET", "/api/v1/alerts?limit=1000", NULL, &list))
		return ctl_fail(c);
	if(c->json) {
		print_json(json_object_get(list, "data"));
		json_decref(list);
		return CTL_EXIT_OK;
	}
	size_t i;
	json_t *r;
	printf("%-36s  %-20s  %-21s  %-20s  %-8s  %s\n", "ID", "NAME", "EVENT", "SCOPE", "STATE", "URL");
	json_array_foreach(json_object_get(list, "data"), i, r) {
		char ev[64], sc[128];
		const char *e = or_dash(ctl_jstr(r, "event"));
		if(ctl_jint(r, "minutes", 0))
			snprintf(ev, sizeof(ev), "%s %lldm", e, (long long)ctl_jint(r, "minutes", 0));
		else if(ctl_jint(r, "seconds", 0))
			snprintf(ev, sizeof(ev), "%s %llds", e, (long long)ctl_jint(r, "seconds", 0));
		else if(ctl_jint(r, "percent", 0))
			snprintf(ev, sizeof(ev), "%s %lld%%", e, (long long)ctl_jint(r, "percent", 0));
		else
			snprintf(ev, sizeof(ev), "%s", e);
		printf("%-36s  %-20s  %-21s  %-20s  %-8s  %s\n", or_dash(ctl_jstr(r, "id")), or_dash(ctl_jstr(r, "name")),
		       ev, scope(r, sc, sizeof(sc)), ctl_jbool(r, "disabled") ? "disabled" : "enabled",
		       or_dash(ctl_jstr(r, "url")));
	}
	json_decref(list);
	return CTL_EXIT_OK;
}

static int cmd_rm(struct ctl *c, struct ctl_args *a)
{
	if(a->argc != 2)
		return ctl_usage("alert", "rm needs one RULE (an id or a name)");
	char id[UUID_STR_LEN + 1], path[128];
	int code = rule_id(c, a->argv[1], id);
	if(code)
		return code;
	snprintf(path, sizeof(path), "/api/v1/alerts/%s", id);
	c->need_role = ROLE_ADMIN;
	if(ctl_call(c, "DELETE", path, NULL, NULL))
		return ctl_fail(c);
	if(c->json)
		printf("{\"id\":\"%s\",\"deleted\":true}\n", id);
	else
		fprintf(stderr, "Alert rule %s removed.\n", id);
	return CTL_EXIT_OK;
}

static void print_delivery(json_t *d)
{
	char when[64];
	json_t *sub = json_object_get(d, "subject");
	ctl_local_time(ctl_jstr(d, "createdTime"), when, sizeof(when));
	const char *err = ctl_jstr(d, "lastError");
	long long st = ctl_jint(d, "lastStatus", 0);
	char last[64] = "-";
	if(st)
		snprintf(last, sizeof(last), "HTTP %lld", st);
	printf("%-36s  %-19s  %-21s  %-9s  %8lld  %-8s  %s%s%s\n", or_dash(ctl_jstr(d, "id")), when,
	       or_dash(ctl_jstr(d, "event")), or_dash(ctl_jstr(d, "status")), (long long)ctl_jint(d, "attempts", 0), last,
	       or_dash(ctl_jstr(sub, "name")), err ? ": " : "", err ? err : "");
}

static const char *const delivery_head = "%-36s  %-19s  %-21s  %-9s  %8s  %-8s  %s\n";

static int cmd_test(struct ctl *c, struct ctl_args *a)
{
	if(a->argc != 2)
		return ctl_usage("alert", "test needs one RULE (an id or a name)");
	char id[UUID_STR_LEN + 1], path[160];
	int code = rule_id(c, a->argv[1], id);
	if(code)
		return code;
	snprintf(path, sizeof(path), "/api/v1/alerts/%s/test", id);
	c->need_role = ROLE_ADMIN;
	json_t *d;
	if(ctl_call(c, "POST", path, NULL, &d))
		return ctl_fail(c);
	/* wait a little for the first attempt, to say how it went */
	snprintf(path, sizeof(path), "/api/v1/alerts/deliveries/%s", or_dash(ctl_jstr(d, "id")));
	c->need_role = ROLE_READ;
	for(int i = 0; i < 40 && !ctl_jint(d, "attempts", 0); i++) {
		usleep(250000);
		json_t *now;
		if(ctl_call(c, "GET", path, NULL, &now))
			break;
		json_decref(d);
		d = now;
	}
	const char *status = ctl_jstr(d, "status");
	int ok = status && !strcmp(status, "delivered");
	if(c->json) {
		print_json(d);
	} else {
		printf(delivery_head, "ID", "CREATED", "EVENT", "STATUS", "ATTEMPTS", "LAST", "SUBJECT");
		print_delivery(d);
	}
	const char *err = ctl_jstr(d, "lastError");
	if(!ok)
		ctl_msg("alert: the test delivery is %s%s%s (sessionctl alert deliveries %s shows its attempts)",
		        or_dash(status), err ? ": " : "", err ? err : "", a->argv[1]);
	json_decref(d);
	return ok ? CTL_EXIT_OK : CTL_EXIT_API;
}

static int cmd_deliveries(struct ctl *c, struct ctl_args *a)
{
	if(a->argc > 2)
		return ctl_usage("alert", "deliveries takes at most one RULE (an id or a name)");
	struct buf path;
	buf_init(&path, 0);
	buf_addstr(&path, "/api/v1/alerts/deliveries?limit=");
	buf_addstr(&path, a->v[OPT_LIMIT] ? a->v[OPT_LIMIT] : "50");
	if(a->argc == 2) {
		char id[UUID_STR_LEN + 1];
		int code = rule_id(c, a->argv[1], id);
		if(code) {
			buf_free(&path);
			return code;
		}
		buf_addstr(&path, "&ruleId=");
		buf_addstr(&path, id);
	}
	if(a->v[OPT_DELIVERY_STATUS]) {
		buf_addstr(&path, "&status=");
		ctl_urlenc(&path, a->v[OPT_DELIVERY_STATUS]);
	}
	json_t *list;
	c->need_role = ROLE_READ;
	enum rc rc = ctl_call(c, "GET", buf_cstr(&path), NULL, &list);
	buf_free(&path);
	if(rc)
		return ctl_fail(c);
	if(c->json) {
		print_json(json_object_get(list, "data"));
	} else {
		size_t i;
		json_t *d;
		printf(delivery_head, "ID", "CREATED", "EVENT", "STATUS", "ATTEMPTS", "LAST", "SUBJECT");
		json_array_foreach(json_object_get(list, "data"), i, d)
			print_delivery(d);
	}
	json_decref(list);
	return CTL_EXIT_OK;
}

int ctl_cmd_alert(struct ctl *c, struct ctl_args *a)
{
	static const struct {
		const char *name;
		int (*fn)(struct ctl *c, struct ctl_args *a);
	} subs[] = {{"add", cmd_add}, {"ls", cmd_ls}, {"rm", cmd_rm}, {"test", cmd_test}, {"deliveries", cmd_deliveries}};
	for(size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if(!strcmp(a->argv[0], subs[i].name))
			return subs[i].fn(c, a);
	return ctl_usage("alert", "unknown subcommand '%s': add, ls, rm, test or deliveries", a->argv[0]);
}
