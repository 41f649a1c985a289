/* VB for Azure dialect. Its routes arrive with the Azure issue; until then
 * every Azure path answers 404 as application/problem+json. */
#include "api/api.h"
#include "util/jw.h"

static void vbaz_error(struct req *r, enum rc rc, int status, const char *msg)
{
	r->status = status ? status : rc == RC_NOTFOUND ? 404 : 400;
	r->ctype = "application/problem+json";
	buf_reset(&r->out);
	struct jw w;
	jw_init(&w, &r->out);
	jw_obj(&w);
	jw_kstr(&w, "title", msg);
	jw_kint(&w, "status", r->status);
	jw_obj_end(&w);
}

const struct dialect dialect_vbaz = {
	.name = "vbaz",
	.routes = NULL,
	.nroutes = 0,
	.error = vbaz_error,
};
