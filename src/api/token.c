#include "api/token.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"
#include "util/form.h"

static enum rc check_password(void *arg)
{
	struct login *l = arg;
	return l->rc = auth_password_check(l->user, l->password, &l->who);
}

static void password_checked(struct req *r)
{
	struct login *l = r->work;
	if(l->rc) {
		l->d->fail(r, l->rc, l->rc == RC_UNAUTHORIZED ? 401 : 0,
		           l->rc == RC_UNAUTHORIZED ? "the user name or password is wrong" : "cannot check credentials");
		return;
	}
	snprintf(r->who.user, sizeof(r->who.user), "%s", l->who.user);
	auth_issue(&l->who, l->short_refresh, &l->tokens);
	l->d->answer(r, l);
}

static void refresh_revoked(struct req *r)
{
	struct login *l = r->work;
	if(l->w->rc == RC_CONFLICT) {
		l->d->fail(r, RC_UNAUTHORIZED, 401, "the refresh_token was already used");
		return;
	}
	if(l->w->rc) {
		l->d->fail(r, l->w->rc, 0, "cannot record the refresh");
		return;
	}
	/* The user may have been removed or changed role since the token was issued. */
	struct user_rec u;
	enum rc urc = core_user_get_uid(l->who.uid, r->arena, &u);
	if(urc) {
		if(urc == RC_NOTFOUND)
			l->d->fail(r, RC_UNAUTHORIZED, 401, "the user of this refresh_token no longer exists");
		else
			l->d->fail(r, urc, 0, "cannot read the user of this refresh_token");
		return;
	}
	l->who.role = u.role;
	snprintf(l->who.user, sizeof(l->who.user), "%s", u.name);
	auth_issue(&l->who, l->short_refresh, &l->tokens);
	l->d->answer(r, l);
}

void token_grant(struct req *r, const struct token_dialect *d)
{
	struct login *l = arena_zalloc(r->arena, sizeof(*l));
	l->d = d;
	r->work = l;
	const char *grant = form_get(r->body, r->body_len, "grant_type", r->arena);
	const char *srt = form_get(r->body, r->body_len, "use_short_term_refresh", r->arena);
	if(!srt)
		srt = form_get(r->body, r->body_len, "short_lived_refresh_token", r->arena);
	l->short_refresh = srt && !strcasecmp(srt, "true");
	if(!grant) {
		d->fail(r, RC_INVALID, 400, "grant_type is required (password or refresh_token)");
		return;
	}
	if(!strcasecmp(grant, "password")) {
		l->user = form_get(r->body, r->body_len, "username", r->arena);
		l->password = form_get(r->body, r->body_len, "password", r->arena);
		if(!l->user || !*l->user || !l->password) {
			d->fail(r, RC_INVALID, 400, "username and password are required for the password grant");
			return;
		}
		api_logon(r, check_password, l, password_checked);
		return;
	}
	if(!strcasecmp(grant, "refresh_token")) {
		const char *tok = form_get(r->body, r->body_len, "refresh_token", r->arena);
		if(!tok || !*tok) {
			d->fail(r, RC_INVALID, 400, "refresh_token is required for the refresh_token grant");
			return;
		}
		enum rc rc = auth_verify(tok, strlen(tok), TOK_REFRESH, &l->who);
		if(rc) {
			const char *msg;
			int status = api_token_refused(r, rc, "refresh_token", &msg);
			d->fail(r, rc, status, msg);
			return;
		}
		/* Single use: record this token as spent; a second use finds it there. */
		char *key = arena_alloc(r->arena, 40);
		auth_token_key(&l->who, key);
		l->w = api_write(r, refresh_revoked);
		r->work = l;   /* the continuation runs after this handler returns */
		core_token_revoke(l->w, key, REVOKE_SPENT, l->who.expires_us);
		return;
	}
	d->fail(r, RC_INVALID, 400, "unsupported grant_type (use password or refresh_token)");
}

struct logout {
	struct core_write *w;
	const struct token_dialect *d;
	char key[40];
	int64_t expires_us;
};

static void revoked(struct req *r)
{
	struct logout *lo = r->work;
	if(lo->w->rc && lo->w->rc != RC_CONFLICT) {
		lo->d->fail(r, lo->w->rc, 0, "cannot record the logout");
		return;
	}
	auth_revoked_add(lo->key, lo->expires_us);
	lo->d->logged_out(r);
}

void token_logout(struct req *r, const struct token_dialect *d)
{
	struct logout *lo = arena_zalloc(r->arena, sizeof(*lo));
	auth_family_key(&r->who, lo->key);
	lo->d = d;
	lo->expires_us = r->who.issued_us + (int64_t)AUTH_REFRESH_TTL_S * 1000000;
	lo->w = api_write(r, revoked);
	r->work = lo;
	core_token_revoke(lo->w, lo->key, REVOKE_LOGOUT, lo->expires_us);
}
