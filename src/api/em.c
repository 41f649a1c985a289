/* Enterprise Manager dialect. Its routes arrive with the EM issue; until then
 * every EM path answers 404 in EM's own error format. */
#include <stdio.h>

#include "api/api.h"
#include "util/xw.h"

static void em_error(struct req *r, enum rc rc, int status, const char *msg)
{
	r->status = status ? status : rc == RC_NOTFOUND ? 404 : 400;
	r->ctype = "application/xml; charset=utf-8";
	buf_reset(&r->out);
	struct xw w;
	xw_init(&w, &r->out);
	xw_start(&w, "Error");
	xw_attr(&w, "xmlns", "http://www.veeam.com/ent/v1.0");
	xw_attr(&w, "Message", msg);
	char code[16];
	snprintf(code, sizeof(code), "%d", r->status);
	xw_attr(&w, "StatusCode", code);
	xw_attr(&w, "Status", r->status == 404 ? "NotFound" : "BadRequest");
	xw_end(&w);
}

const struct dialect dialect_em = {
	.name = "em",
	.routes = NULL,
	.nroutes = 0,
	.error = em_error,
};
