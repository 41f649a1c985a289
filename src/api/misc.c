/* Paths outside the Veeam dialects: the ingest API description and a health probe. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
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

static const struct route routes[] = {
	{M_GET, "/openapi.json", PERM_PUBLIC, h_openapi},
	{M_GET, "/healthz", PERM_PUBLIC, h_health},
};

const struct dialect dialect_misc = {
	.name = "misc",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.error = misc_error,
};
