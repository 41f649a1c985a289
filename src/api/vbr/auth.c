/* VBR dialect: the oauth2 endpoints (token, authorization codes, logout). */
#include "api/vbr/vbr_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/token.h"
#include "util/form.h"

/* ---------- token endpoint ---------- */

static void write_token(struct req *r, const struct login *l)
{
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	jw_kstr(&w, "access_token", l->tokens.access);
	jw_kstr(&w, "token_type", "bearer");
	jw_kstr(&w, "refresh_token", l->tokens.refresh);
	jw_kint(&w, "expires_in", AUTH_ACCESS_TTL_S);
	vbr_time(&w, ".issued", l->tokens.issued_us);
	vbr_time(&w, ".expires", l->tokens.access_expires_us);
	jw_obj_end(&w);
	req_add_header(r, "Cache-Control", "no-store");
}

static const struct token_dialect vbr_tokens;

/* ---- authorization codes (1.0-rev2 ... 1.2-rev1: POST /api/oauth2/authorization_code) ----
 * A code is a signed TOK_CODE token of the caller's family that lasts AUTH_CODE_TTL_S. The
 * grant_type=authorization_code exchange records its token key as spent (REVOKE_SPENT) in
 * the store before it answers, exactly as a refresh does, so a code works once, across
 * restarts and instances too; the caller's logout revokes an unused code with its family. */

static void code_spent(struct req *r)
{
	struct login *l = r->work;
	if(l->w->rc == RC_CONFLICT) {
		vbr_error(r, RC_UNAUTHORIZED, 401, "the authorization code was already used");
		return;
	}
	if(l->w->rc) {
		vbr_error(r, l->w->rc, 0, "cannot record the authorization code's use");
		return;
	}
	struct user_rec u;
	enum rc urc = core_user_get_uid(l->who.uid, r->arena, &u);
	if(urc) {
		if(urc == RC_NOTFOUND)
			vbr_error(r, RC_UNAUTHORIZED, 401, "the user of this authorization code no longer exists");
		else
			vbr_error(r, urc, 0, "cannot read the user of this authorization code");
		return;
	}
	l->who.role = u.role;
	snprintf(l->who.user, sizeof(l->who.user), "%s", u.name);
	memset(l->who.sid, 0, sizeof(l->who.sid));   /* the exchange starts a token family of its own */
	auth_issue(&l->who, l->short_refresh, &l->tokens);
	write_token(r, l);
}

static void code_grant(struct req *r)
{
	struct login *l = arena_zalloc(r->arena, sizeof(*l));
	l->d = &vbr_tokens;
	const char *srt = form_get(r->body, r->body_len, "use_short_term_refresh", r->arena);
	l->short_refresh = srt && !strcasecmp(srt, "true");
	const char *code = form_get(r->body, r->body_len, "code", r->arena);
	if(!code || !*code) {
		vbr_error(r, RC_INVALID, 400, "code is required for the authorization_code grant");
		return;
	}
	enum rc rc = auth_verify(code, strlen(code), TOK_CODE, &l->who);
	if(rc) {
		vbr_error(r, rc, 401, rc == RC_EXPIRED ? "the authorization code has expired" : "the authorization code is not valid");
		return;
	}
	char *key = arena_alloc(r->arena, 40);
	auth_token_key(&l->who, key);
	l->w = api_write(r, code_spent);
	r->work = l;
	core_token_revoke(l->w, key, REVOKE_SPENT, l->who.expires_us);
}

void vbr__h_token(struct req *r)
{
	const char *grant = form_get(r->body, r->body_len, "grant_type", r->arena);
	if(grant && !strcasecmp(grant, "authorization_code")) {
		code_grant(r);
		return;
	}
	token_grant(r, &vbr_tokens);
}

void vbr__h_authorization_code(struct req *r)
{
	if(vbr__fam(r) > VBR_12) {
		vbr_error(r, RC_NOTFOUND, 404,
		          arena_printf(r->arena, "authorization codes are available up to x-api-version %s",
		                       catalog_vbr(catalog_vbr_newest(VBR_12))->name));
		return;
	}
	char code[AUTH_TOKEN_MAX];
	int64_t expires;
	auth_issue_code(&r->who, code, &expires);
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	jw_kstr(&w, "code", code);
	jw_obj_end(&w);
	req_add_header(r, "Cache-Control", "no-store");
}

static void logged_out(struct req *r)
{
	struct jw jw;
	vbr_json(r, 200, &jw);
	jw_obj(&jw);
	jw_obj_end(&jw);
}

void vbr__h_logout(struct req *r)
{
	token_logout(r, &vbr_tokens);
}

static const struct token_dialect vbr_tokens = {
	.fail = vbr_error,
	.answer = write_token,
	.logged_out = logged_out,
};
