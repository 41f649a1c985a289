/* token: the OAuth2 token endpoint shared by the VBR and Azure dialects — the
 * password and single-use refresh grants, and logout — with each dialect
 * supplying only how it answers. */
#ifndef SESSIOND_API_TOKEN_H
#define SESSIOND_API_TOKEN_H

#include "api/api.h"
#include "core/auth.h"

struct login;

struct token_dialect {
	/** Answers a refused grant or logout in the dialect's error format. */
	void (*fail)(struct req *r, enum rc rc, int status, const char *msg);
	/** Answers a granted login: the principal and tokens are in l. */
	void (*answer)(struct req *r, const struct login *l);
	/** Answers a completed logout. */
	void (*logged_out)(struct req *r);
};

/* One grant in progress (lives in the request's arena). */
struct login {
	const struct token_dialect *d;
	const char *user;
	const char *password;
	int short_refresh;          /* the refresh token lives 15 minutes past the access token */
	enum rc rc;
	struct principal who;
	struct token_pair tokens;
	struct core_write *w;       /* the refresh token's revocation: refresh tokens are single-use */
};

/** POST /api/oauth2/token: parses the form body and runs the grant; the answer
 *  comes later through d (Argon2id and the revocation both wait off-worker). */
void token_grant(struct req *r, const struct token_dialect *d);
/** Revokes the caller's token family (its access and refresh tokens). */
void token_logout(struct req *r, const struct token_dialect *d);

#endif
