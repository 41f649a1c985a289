#include "router.h"

#include <stdio.h>
#include <string.h>

#include "api/cache.h"

int router_match(const char *pat, const char *path, struct req *r)
{
	const char *p = pat, *s = path;
	int np = 0;
	while(*p && *s) {
		if(*p == '{') {
			const char *pe = strchr(p, '}');
			const char *se = strchr(s, '/');
			if(!pe)
				return 0;
			if(!se)
				se = s + strlen(s);
			if(se == s || np >= REQ_MAX_PARAMS)
				return 0;
			if(r)
				r->params[np] = arena_strndup(r->arena, s, (size_t)(se - s));
			np++;
			p = pe + 1;
			s = se;
			continue;
		}
		if(*p != *s)
			return 0;
		p++;
		s++;
	}
	/* A trailing slash on either side does not matter. */
	if(*s == '/' && !s[1])
		s++;
	if(*p == '/' && !p[1])
		p++;
	if(*p || *s)
		return 0;
	if(r)
		r->nparams = np;
	return 1;
}

static const struct route *find(const struct dialect *d, struct req *r, int *path_matched)
{
	int m = r->method == M_HEAD ? M_GET : r->method;
	for(size_t i = 0; i < d->nroutes; i++) {
		const struct route *rt = &d->routes[i];
		if(!router_match(rt->pattern, r->path, r))
			continue;
		*path_matched = 1;
		if(rt->methods & m)
			return rt;
	}
	return NULL;
}

const struct route *router_dispatch(struct req *r, int body_too_large)
{
	const struct dialect *d = api_dialect_for(r);
	if(body_too_large) {
		d->error(r, RC_TOOLARGE, 413, "the request body is larger than the server accepts");
		return NULL;
	}
	if(d->prepare && d->prepare(r))
		return NULL;
	int path_matched = 0;
	const struct route *rt = find(d, r, &path_matched);
	if(!rt) {
		/* An unknown path of a dialect answers an unauthenticated caller with the
		 * dialect's 401 first: the 404 is for those who may look. */
		if(!path_matched && d->authenticate && d->authenticate(r))
			return NULL;
		if(path_matched)
			d->error(r, RC_INVALID, 405, "this method is not allowed on this resource");
		else
			d->error(r, RC_NOTFOUND, 404, "no such resource");
		return NULL;
	}
	if(rt->perm != PERM_PUBLIC) {
		if(d->authenticate(r))
			return rt;
		if(!api_allowed(&r->who, rt->perm)) {
			d->error(r, RC_FORBIDDEN, 403, "your role does not allow this operation");
			return rt;
		}
	}
	api_route_call(r, rt);
	return rt;
}
