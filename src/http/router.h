/* router: picks the dialect and route for a request and runs it. */
#ifndef SESSIOND_HTTP_ROUTER_H
#define SESSIOND_HTTP_ROUTER_H

#include "api/api.h"

/** Routes r and runs its handler (which may suspend r). body_too_large: the body
 *  exceeded the limit and was dropped; the answer is 413. Returns the route that
 *  matched (whether or not its permission was granted), NULL when none did. */
const struct route *router_dispatch(struct req *r, int body_too_large);

/** Matches path against a route pattern, filling r->params. 1 on a match. */
int router_match(const char *pattern, const char *path, struct req *r);

#endif
