/* Paths outside the Veeam dialects: the ingest API description, liveness (/healthz:
 * the process answers), readiness (/readyz: the store works) and the dashboard (api/ui.c). */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/ui.h"
#include "core/core.h"
#include "core/health.h"
#include "util/jw.h"

extern const char api_openapi_json[];   /* docs/openapi.json, linked in by openapi_blob.S */

static void misc_error(struct req *r, enum rc rc, int status, const char *msg)
{
	struct jw w;
	r->status = status ? status : rc == RC_NOTFOUND ? 404 : 400;
	r->ctype = "application/json";
	buf_reset(&r->out);
	jw_init(&w, &r->out);
	jw_obj(&w);
	jw_kint(&w, "status", r->status);
	jw_kstr(&w, "message", msg);
	jw_obj_end(&w);
}

static void h_openapi(struct req *r)
{
	r->status = 200;
	r->ctype = "application/json";
	buf_addstr(&r->out, api_openapi_json);
}

static void h_health(struct req *r)
{
	r->status = 200;
	r->ctype = "application/json";
	buf_addstr(&r->out, "{\"status\":\"ok\"}");
}

/* Ready: the store reads (and no storage failure is going on). */
static void h_ready(struct req *r)
{
	struct arena *a = r->arena;
	const char *v;
	enum rc rc = core_kv_get("installation_id", a, &v);
	char cause[256];
	health_cause(cause, sizeof(cause));
	struct jw w;
	r->ctype = "application/json";
	jw_init(&w, &r->out);
	jw_obj(&w);
	if(rc || !health_ok()) {
		r->status = 503;
		req_add_header(r, "Retry-After", "1");
		jw_kstr(&w, "status", "unavailable");
		jw_kstr(&w, "message", cause[0] ? cause : "the store cannot be read");
	} else {
		r->status = 200;
		jw_kstr(&w, "status", "ok");
	}
	jw_obj_end(&w);
}

static const struct route routes[] = {
	{M_GET, "/openapi.json", PERM_PUBLIC, h_openapi, 0},
	{M_GET, "/healthz", PERM_PUBLIC, h_health, 0},
	{M_GET, "/readyz", PERM_PUBLIC, h_ready, 0},
	{M_GET, "/", PERM_PUBLIC, ui_page, 0},
	{M_GET, "/ui/{file}", PERM_PUBLIC, ui_asset, 0},
};

const struct dialect dialect_misc = {
	.name = "misc",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.error = misc_error,
};
