/* auth: users, roles, password checks and signed tokens.
 * Tokens are self-contained and MACed (libsodium crypto_auth) under a key kept
 * in the database, so any instance sharing the database verifies them in about
 * a microsecond. Logouts are stored and held in an in-memory hash set (a check
 * costs the same with none or a hundred thousand); a spent refresh token is
 * refused by the store's unique key, so spent tokens never grow that set. */
#ifndef SESSIOND_CORE_AUTH_H
#define SESSIOND_CORE_AUTH_H
#include <stddef.h>
#include <stdint.h>

#include "util/rc.h"

/* Roles (stored codes: never renumber). */
enum role { ROLE_NONE = 0, ROLE_VIEWER = 1, ROLE_OPERATOR = 2, ROLE_REPORTER = 3, ROLE_ADMIN = 4, ROLE__COUNT };

const char *auth_role_name(int role);
int auth_role_parse(const char *s);   /* -1 if unknown */

struct principal {
	int authenticated;
	int role;                  /* enum role */
	int64_t uid;
	int64_t gen;               /* the user's credential generation when it logged on */
	char user[64];             /* user name (for logs), may be empty for token principals */
	unsigned char sid[16];     /* token family: an access/refresh pair and its refreshes */
	uint64_t jti;              /* this token's id */
	int64_t issued_us;
	int64_t expires_us;
};

enum token_kind { TOK_ACCESS = 1, TOK_REFRESH = 2, TOK_CODE = 3 };

#define AUTH_ACCESS_TTL_S 900                 /* 15 minutes */
#define AUTH_REFRESH_TTL_S (14 * 24 * 3600)   /* 14 days */
#define AUTH_TOKEN_MAX 160
#define AUTH_CODE_TTL_S 60                    /* an OAuth2 authorization code */

struct token_pair {
	char access[AUTH_TOKEN_MAX];
	char refresh[AUTH_TOKEN_MAX];
	int64_t issued_us;
	int64_t access_expires_us;
	int64_t refresh_expires_us;
};

/** Loads (or creates) the token key and the revocation set. Call once at start. */
enum rc auth_init(void);

/** Checks a user's password (Argon2id: slow, never on a server worker thread).
 *  RC_OK fills *who; RC_UNAUTHORIZED for an unknown user or a wrong password. */
enum rc auth_password_check(const char *user, const char *password, struct principal *who);

/** Hashes a password with Argon2id into out (crypto_pwhash_STRBYTES). */
enum rc auth_password_hash(const char *password, char *out, size_t outlen);

/** Issues an access/refresh pair for who. A new family starts unless who->sid is
 *  set (refresh keeps the family). short_refresh: the refresh token lives for the
 *  access lifetime + 15 minutes. */
void auth_issue(struct principal *who, int short_refresh, struct token_pair *out);
/** auth_issue as if the time were now_us (tests make expired tokens with it). */
void auth_issue_at(struct principal *who, int short_refresh, int64_t now_us, struct token_pair *out);

#define AUTH_KEY_MAX 96
/** Makes a new API key: fills k's id and hash (the hash is static to the calling thread
 *  until its next call) and writes the key's text, shown once, into text. The caller
 *  sets name, role and times and stores it with core_key_add. */
struct key_rec;
void auth_key_new(struct key_rec *k, char text[AUTH_KEY_MAX]);

/** Issues a single-use authorization code (a TOK_CODE token of who's family, AUTH_CODE_TTL_S
 *  long) into out; *expires_us tells when it expires. Its exchange spends its token key
 *  (auth_token_key) the way a refresh does, so it works once, across restarts too. */
void auth_issue_code(const struct principal *who, char out[AUTH_TOKEN_MAX], int64_t *expires_us);

/** Verifies a token of the given kind. An API key ("sk_…") is accepted where an access
 *  token is, with the key's role. RC_UNAUTHORIZED (malformed, bad MAC, wrong
 *  kind, revoked, its user deleted or its credentials changed since it was issued) or
 *  RC_EXPIRED; RC_BACKEND when the user could not be read; RC_OK fills *who. */
enum rc auth_verify(const char *token, size_t len, int kind, struct principal *who);

/** The current credential generation and role of user uid, as this thread saw them
 *  within the last second (re-read from the store after that). RC_NOTFOUND when the
 *  user no longer exists. */
enum rc auth_user_current(int64_t uid, int64_t now_us, int64_t *gen, int *role);

/** The revocation key of a token family / of one token, as text (core_token_revoke). */
void auth_family_key(const struct principal *who, char out[40]);
void auth_token_key(const struct principal *who, char out[40]);

/** Adds a logout revocation to the in-memory set (after the store committed it). */
void auth_revoked_add(const char *key, int64_t expires_us);
/** Reads logout revocations that other instances stored since the last call (at most
 *  once a second, whichever thread asks first). */
void auth_revoked_refresh(int64_t now_us);
/** How many logout revocations the in-memory set holds (tests, metrics). */
size_t auth_revoked_count(void);

/* Logon attempts per client address: an attempt counts from when it is admitted;
 * failures in the last AUTH_LOGIN_WINDOW_S seconds plus attempts in flight may not pass
 * AUTH_LOGIN_FAILURES, and at most AUTH_LOGIN_INFLIGHT attempts of one address are
 * checked at once (Argon2id is slow on purpose: one address must not occupy it). */
#define AUTH_LOGIN_FAILURES 10
#define AUTH_LOGIN_WINDOW_S 60
#define AUTH_LOGIN_INFLIGHT 4
/** Sets the failures allowed per window (default AUTH_LOGIN_FAILURES; 0: no limit). */
void auth_login_limit(int failures);
/** Sets the attempts of one address checked at once (default AUTH_LOGIN_INFLIGHT). */
void auth_login_concurrency(int per_address);
/** Admits a logon attempt of client: 0 when admitted (then auth_login_done must follow),
 *  otherwise the seconds it must wait. */
int auth_login_admit(const char *client, int64_t now_us);
/** Ends an admitted attempt; failed counts it against the address. */
void auth_login_done(const char *client, int64_t now_us, int failed);

/** Constant-time comparison of two byte strings. */
int auth_equal(const void *a, size_t alen, const void *b, size_t blen);

#endif
