#include "auth.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"
#include "util/timefmt.h"

/* Token layout before base64url: version, kind, role, 1 spare byte, uid (4, big
 * endian), family id (16), token id (8), issued and expires (8 each, seconds), the
 * user's credential generation (8). The text form is base64url(payload) "."
 * base64url(MAC of the payload). Version 1 tokens (no generation) are refused. */
#define TOKEN_VERSION 2
#define PAYLOAD_LEN 56

static const char *const role_names[ROLE__COUNT] = {
	[ROLE_NONE] = "none", [ROLE_VIEWER] = "viewer", [ROLE_OPERATOR] = "operator",
	[ROLE_REPORTER] = "reporter", [ROLE_ADMIN] = "admin",
};

const char *auth_role_name(int role)
{
	return role >= 0 && role < ROLE__COUNT ? role_names[role] : "none";
}

int auth_role_parse(const char *s)
{
	for(int i = ROLE_VIEWER; i < ROLE__COUNT; i++)
		if(!strcasecmp(s, role_names[i]))
			return i;
	return -1;
}

/* The logout set: revoked token families (and tokens), keyed by text, in an
 * open-addressing hash table that is rebuilt (dropping what expired) as it grows. */
struct revoked {
	char key[40];               /* "" for a free slot */
	int64_t expires_us;
};

static struct {
	unsigned char key[crypto_auth_KEYBYTES];
	pthread_rwlock_t lock;
	struct revoked *set;        /* cap slots, cap a power of two */
	size_t n, cap;
	int64_t seq;                /* the highest stored revocation read */
	int64_t refreshed_us;       /* when the store was last asked for new ones */
	int ready;
	unsigned gen;              /* bumped whenever the key is (re)loaded */
} auth = {.lock = PTHREAD_RWLOCK_INITIALIZER};

static size_t key_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for(; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

static void put_be(unsigned char *p, uint64_t v, int n)
{
	for(int i = n - 1; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

static uint64_t get_be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for(int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static int collect(void *ctx, const char *key, int64_t exp)
{
	(void)ctx;
	auth_revoked_add(key, exp);
	return 0;
}

enum rc auth_init(void)
{
	if(sodium_init() < 0)
		return RC_BACKEND;
	struct arena a;
	arena_init(&a);
	const char *hex = NULL;
	enum rc rc = core_kv_get("token_key", &a, &hex);
	size_t klen = 0;
	if(!rc && (sodium_hex2bin(auth.key, sizeof(auth.key), hex, strlen(hex), NULL, &klen, NULL) || klen != sizeof(auth.key)))
		rc = RC_NOTFOUND;
	if(rc == RC_NOTFOUND) {
		char text[2 * sizeof(auth.key) + 1];
		crypto_auth_keygen(auth.key);
		sodium_bin2hex(text, sizeof(text), auth.key, sizeof(auth.key));
		struct core_write w = {0};
		rc = core_kv_put(&w, "token_key", text);
		sodium_memzero(text, sizeof(text));
	}
	arena_free(&a);
	if(rc)
		return rc;
	__atomic_add_fetch(&auth.gen, 1, __ATOMIC_RELEASE);
	int64_t now = time_now_us(), last = 0;
	rc = core_revoked_list(REVOKE_LOGOUT, now, 0, &last, collect, NULL);
	auth.seq = last;
	auth.refreshed_us = now;
	auth.ready = 1;
	return rc;
}

enum rc auth_password_hash(const char *password, char *out, size_t outlen)
{
	if(outlen < crypto_pwhash_STRBYTES)
		return RC_INVALID;
	/* Argon2id at OWASP's recommended cost: 2 passes over 19 MiB. */
	if(crypto_pwhash_str_alg(out, password, strlen(password), 2, 19u << 20, crypto_pwhash_ALG_ARGON2ID13))
		return RC_BACKEND;
	return RC_OK;
}

static char dummy_hash[crypto_pwhash_STRBYTES];

static void make_dummy(void)
{
	if(auth_password_hash("sessiond-no-such-user", dummy_hash, sizeof(dummy_hash)))
		dummy_hash[0] = 0;
}

enum rc auth_password_check(const char *user, const char *password, struct principal *who)
{
	struct arena a;
	arena_init(&a);
	struct user_rec u;
	enum rc rc = core_user_get(user, &a, &u);
	if(rc == RC_NOTFOUND) {
		/* Spend the same time as for a real user, so names cannot be probed. */
		static pthread_once_t once = PTHREAD_ONCE_INIT;
		pthread_once(&once, make_dummy);
		if(crypto_pwhash_str_verify(dummy_hash, password, strlen(password)) == 0)
			rc = RC_UNAUTHORIZED;
		arena_free(&a);
		return RC_UNAUTHORIZED;
	}
	if(rc) {
		arena_free(&a);
		return rc;
	}
	if(crypto_pwhash_str_verify(u.hash, password, strlen(password)) != 0) {
		arena_free(&a);
		return RC_UNAUTHORIZED;
	}
	memset(who, 0, sizeof(*who));
	who->authenticated = 1;
	who->role = u.role;
	who->uid = u.uid;
	who->gen = u.gen;
	snprintf(who->user, sizeof(who->user), "%s", u.name);
	arena_free(&a);
	return RC_OK;
}

static void mint(const struct principal *who, int kind, int64_t issued_s, int64_t expires_s, uint64_t jti,
                 char *out)
{
	unsigned char p[PAYLOAD_LEN] = {0};
	p[0] = TOKEN_VERSION;
	p[1] = (unsigned char)kind;
	p[2] = (unsigned char)who->role;
	put_be(p + 4, (uint64_t)who->uid, 4);
	memcpy(p + 8, who->sid, 16);
	put_be(p + 24, jti, 8);
	put_be(p + 32, (uint64_t)issued_s, 8);
	put_be(p + 40, (uint64_t)expires_s, 8);
	put_be(p + 48, (uint64_t)who->gen, 8);
	unsigned char mac[crypto_auth_BYTES];
	crypto_auth(mac, p, sizeof(p), auth.key);
	sodium_bin2base64(out, AUTH_TOKEN_MAX, p, sizeof(p), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	size_t n = strlen(out);
	out[n++] = '.';
	sodium_bin2base64(out + n, AUTH_TOKEN_MAX - n, mac, sizeof(mac), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void auth_issue(struct principal *who, int short_refresh, struct token_pair *out)
{
	auth_issue_at(who, short_refresh, time_now_us(), out);
}

void auth_issue_at(struct principal *who, int short_refresh, int64_t now_us, struct token_pair *out)
{
	static const unsigned char zero[16];
	if(!memcmp(who->sid, zero, 16))
		randombytes_buf(who->sid, sizeof(who->sid));
	int64_t now_s = now_us / 1000000;
	int64_t refresh_ttl = short_refresh ? AUTH_ACCESS_TTL_S + 900 : AUTH_REFRESH_TTL_S;
	uint64_t jti;
	randombytes_buf(&jti, sizeof(jti));
	mint(who, TOK_ACCESS, now_s, now_s + AUTH_ACCESS_TTL_S, jti, out->access);
	mint(who, TOK_REFRESH, now_s, now_s + refresh_ttl, jti + 1, out->refresh);
	out->issued_us = now_s * 1000000;
	out->access_expires_us = (now_s + AUTH_ACCESS_TTL_S) * 1000000;
	out->refresh_expires_us = (now_s + refresh_ttl) * 1000000;
}

void auth_issue_code(const struct principal *who, char out[AUTH_TOKEN_MAX], int64_t *expires_us)
{
	int64_t now_s = time_now_us() / 1000000;
	uint64_t jti;
	randombytes_buf(&jti, sizeof(jti));
	mint(who, TOK_CODE, now_s, now_s + AUTH_CODE_TTL_S, jti, out);
	*expires_us = (now_s + AUTH_CODE_TTL_S) * 1000000;
}

static int is_revoked(const char *key)
{
	int found = 0;
	pthread_rwlock_rdlock(&auth.lock);
	if(auth.cap)
		for(size_t i = key_hash(key) & (auth.cap - 1); auth.set[i].key[0]; i = (i + 1) & (auth.cap - 1))
			if(!strcmp(auth.set[i].key, key)) {
				found = 1;
				break;
			}
	pthread_rwlock_unlock(&auth.lock);
	return found;
}

void auth_family_key(const struct principal *who, char out[40])
{
	out[0] = 'f';
	sodium_bin2hex(out + 1, 39, who->sid, 16);
}

void auth_token_key(const struct principal *who, char out[40])
{
	unsigned char b[8];
	put_be(b, who->jti, 8);
	out[0] = 't';
	sodium_bin2hex(out + 1, 39, b, 8);
}

/* libsodium 1.0.18 decodes any byte >= 0x80 as '_' (found by fuzzing): only the
 * base64url alphabet and one '.' may reach the decoder, or tokens get aliases. */
static int token_chars_ok(const char *t, size_t len)
{
	for(size_t i = 0; i < len; i++) {
		char c = t[i];
		if(!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		     c == '.'))
			return 0;
	}
	return 1;
}

/* Tokens verified lately, per thread: a hit skips the base64 decoding and the MAC.
 * Only the exact bytes of a token that verified before can hit; expiry and
 * revocation are checked on every use. */
#define VERIFIED_SLOTS 64

struct verified {
	char token[AUTH_TOKEN_MAX];
	size_t len;
	int kind;
	unsigned gen;               /* the key generation it verified under */
	struct principal who;
};

static pthread_key_t verified_key;
static pthread_once_t verified_once = PTHREAD_ONCE_INIT;

static void make_verified_key(void)
{
	pthread_key_create(&verified_key, free);
}

static struct verified *verified_slot(const char *token, size_t len)
{
	pthread_once(&verified_once, make_verified_key);
	struct verified *t = pthread_getspecific(verified_key);
	if(!t) {
		t = xcalloc(VERIFIED_SLOTS, sizeof(*t));
		pthread_setspecific(verified_key, t);
	}
	/* The MAC's last characters are as good as random. */
	unsigned h = len >= 4 ? (unsigned char)token[len - 1] * 31u + (unsigned char)token[len - 2] * 7u +
	                        (unsigned char)token[len - 3] : 0;
	return &t[h % VERIFIED_SLOTS];
}

static unsigned key_hash_slot(const char *id);

/* Users' current credential generation and role, per thread, re-read from the store
 * after USER_TTL_US: deleting a user or changing its role or password (which bump the
 * generation) ends its tokens and logons within that time, on every instance. */
#define USER_SLOTS 64
#define USER_TTL_US 1000000

struct user_seen {
	int64_t uid;
	int64_t gen;                /* 0: no such user */
	int role;
	int64_t fetched_us;
	char name[64];              /* the user's name (for the log's request lines) */
};

static pthread_key_t users_key;
static pthread_once_t users_once = PTHREAD_ONCE_INIT;

static void make_users_key(void)
{
	pthread_key_create(&users_key, free);
}

enum rc auth_user_current(int64_t uid, int64_t now_us, int64_t *gen, int *role)
{
	pthread_once(&users_once, make_users_key);
	struct user_seen *t = pthread_getspecific(users_key);
	if(!t) {
		t = xcalloc(USER_SLOTS, sizeof(*t));
		pthread_setspecific(users_key, t);
	}
	struct user_seen *e = &t[(uint64_t)uid % USER_SLOTS];
	if(e->uid != uid || now_us - e->fetched_us >= USER_TTL_US || now_us < e->fetched_us) {
		struct arena a;
		arena_init(&a);
		struct user_rec u;
		enum rc rc = core_user_get_uid(uid, &a, &u);
		if(rc && rc != RC_NOTFOUND) {
			arena_free(&a);
			return rc;
		}
		e->uid = uid;
		e->gen = rc ? 0 : u.gen;
		e->role = rc ? ROLE_NONE : u.role;
		e->fetched_us = now_us;
		snprintf(e->name, sizeof(e->name), "%s", rc ? "" : u.name);
		arena_free(&a);
	}
	if(!e->gen)
		return RC_NOTFOUND;
	*gen = e->gen;
	*role = e->role;
	return RC_OK;
}

/* The name auth_user_current saw for uid on this thread ("" if none). */
static void user_name(int64_t uid, char *out, size_t n)
{
	struct user_seen *t = pthread_getspecific(users_key);
	struct user_seen *e = t ? &t[(uint64_t)uid % USER_SLOTS] : NULL;
	snprintf(out, n, "%s", e && e->uid == uid ? e->name : "");
}

static enum rc check_live(struct principal *who)
{
	int64_t now = time_now_us();
	if(who->expires_us <= now)
		return RC_EXPIRED;
	/* The user must still exist with the credentials the token was issued under. */
	int64_t gen;
	int role;
	enum rc rc = auth_user_current(who->uid, now, &gen, &role);
	if(rc)
		return rc == RC_NOTFOUND ? RC_UNAUTHORIZED : rc;
	if(!who->user[0])
		user_name(who->uid, who->user, sizeof(who->user));
	if(gen != who->gen || role != who->role)
		return RC_UNAUTHORIZED;
	auth_revoked_refresh(now);
	if(__atomic_load_n(&auth.n, __ATOMIC_RELAXED)) {
		char key[40];
		auth_family_key(who, key);
		if(is_revoked(key))
			return RC_UNAUTHORIZED;
		auth_token_key(who, key);
		if(is_revoked(key))
			return RC_UNAUTHORIZED;
	}
	who->authenticated = 1;
	return RC_OK;
}

static enum rc verify_mac(const char *token, size_t len, int kind, struct principal *who);

static unsigned key_hash_slot(const char *id)
{
	unsigned h = 2166136261u;
	for(; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h % USER_SLOTS;
}

/* ---- API keys: "sk_" + 16 characters of id, ".", 43 characters of secret ---- */

#define KEY_ID_LEN 19            /* "sk_" + base64url of 12 bytes */
#define KEY_SECRET_BYTES 32
#define KEY_TOUCH_US ((int64_t)60 * 1000000)

/* The hex BLAKE2b-256 of a key's secret, keyed with its id. */
static void key_digest(const char *id, const char *secret, size_t slen, char out[65])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof(h), (const unsigned char *)secret, slen, (const unsigned char *)id, strlen(id));
	sodium_bin2hex(out, 65, h, sizeof(h));
}

void auth_key_new(struct key_rec *k, char text[AUTH_KEY_MAX])
{
	unsigned char idb[12], sec[KEY_SECRET_BYTES];
	randombytes_buf(idb, sizeof(idb));
	randombytes_buf(sec, sizeof(sec));
	memcpy(k->id, "sk_", 3);
	sodium_bin2base64(k->id + 3, sizeof(k->id) - 3, idb, sizeof(idb), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char secret[64];
	sodium_bin2base64(secret, sizeof(secret), sec, sizeof(sec), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(text, AUTH_KEY_MAX, "%s.%s", k->id, secret);
	static __thread char hex[65];
	key_digest(k->id, secret, strlen(secret), hex);
	k->hash = hex;
	sodium_memzero(sec, sizeof(sec));
	sodium_memzero(secret, sizeof(secret));
}

/* Keys seen lately, per thread, re-read after USER_TTL_US (a deleted key stops within it). */
struct key_seen {
	char id[24];
	char hash[65];              /* "" when there is no such key */
	char name[48];
	int role;
	int64_t last_used_us;
	int64_t fetched_us;
};

static pthread_key_t keys_key;
static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

static void make_keys_key(void)
{
	pthread_key_create(&keys_key, free);
}

static void key_touched(struct core_write *w)
{
	free(w);
}

static enum rc verify_key(const char *token, size_t len, struct principal *who)
{
	const char *dot = memchr(token, '.', len);
	if(!dot || dot - token != KEY_ID_LEN || !token_chars_ok(token, len))
		return RC_UNAUTHORIZED;
	char id[24];
	memcpy(id, token, KEY_ID_LEN);
	id[KEY_ID_LEN] = 0;
	pthread_once(&keys_once, make_keys_key);
	struct key_seen *t = pthread_getspecific(keys_key);
	if(!t) {
		t = xcalloc(USER_SLOTS, sizeof(*t));
		pthread_setspecific(keys_key, t);
	}
	struct key_seen *e = &t[key_hash_slot(id)];
	int64_t now = time_now_us();
	if(strcmp(e->id, id) || now - e->fetched_us >= USER_TTL_US || now < e->fetched_us) {
		struct arena a;
		arena_init(&a);
		struct key_rec k;
		enum rc rc = core_key_get(id, &a, &k);
		if(rc && rc != RC_NOTFOUND) {
			arena_free(&a);
			return rc;
		}
		memset(e, 0, sizeof(*e));
		snprintf(e->id, sizeof(e->id), "%s", id);
		if(!rc) {
			snprintf(e->hash, sizeof(e->hash), "%s", k.hash ? k.hash : "");
			snprintf(e->name, sizeof(e->name), "%s", k.name ? k.name : "");
			e->role = k.role;
			e->last_used_us = k.last_used_us;
		}
		e->fetched_us = now;
		arena_free(&a);
	}
	char hex[65];
	key_digest(id, dot + 1, len - (size_t)(dot + 1 - token), hex);
	if(!e->hash[0] || !auth_equal(hex, 64, e->hash, strlen(e->hash)) || e->role <= ROLE_NONE || e->role >= ROLE__COUNT)
		return RC_UNAUTHORIZED;
	memset(who, 0, sizeof(*who));
	who->authenticated = 1;
	who->role = e->role;
	who->uid = -(int64_t)(key_hash_slot(id) + 1);   /* keys are no users: a uid no user has */
	who->expires_us = INT64_MAX;
	snprintf(who->user, sizeof(who->user), "key:%s", e->name);
	if(now - e->last_used_us >= KEY_TOUCH_US) {
		e->last_used_us = now;
		struct core_write *w = xcalloc(1, sizeof(*w) + 48);
		char *name = (char *)(w + 1);
		snprintf(name, 48, "%s", e->name);
		struct key_rec k = {.name = name, .last_used_us = now};
		snprintf(k.id, sizeof(k.id), "%s", id);
		w->done = key_touched;
		core_key_touch(w, &k);
	}
	return RC_OK;
}

enum rc auth_verify(const char *token, size_t len, int kind, struct principal *who)
{
	if(len > AUTH_TOKEN_MAX)
		return RC_UNAUTHORIZED;
	if(kind == TOK_ACCESS && len > 3 && !memcmp(token, "sk_", 3))
		return verify_key(token, len, who);
	struct verified *v = verified_slot(token, len);
	unsigned gen = __atomic_load_n(&auth.gen, __ATOMIC_ACQUIRE);
	if(v->len == len && v->kind == kind && v->gen == gen && sodium_memcmp(v->token, token, len) == 0) {
		*who = v->who;
		return check_live(who);
	}
	enum rc rc = verify_mac(token, len, kind, who);
	if(rc)
		return rc;
	memcpy(v->token, token, len);
	v->len = len;
	v->kind = kind;
	v->gen = gen;
	v->who = *who;
	return check_live(who);
}

static enum rc verify_mac(const char *token, size_t len, int kind, struct principal *who)
{
	const char *dot = memchr(token, '.', len);
	if(!dot || len > AUTH_TOKEN_MAX || !token_chars_ok(token, len))
		return RC_UNAUTHORIZED;
	unsigned char p[PAYLOAD_LEN + 4], mac[crypto_auth_BYTES + 4];
	size_t plen = 0, mlen = 0;
	if(sodium_base642bin(p, sizeof(p), token, (size_t)(dot - token), NULL, &plen, NULL,
	                     sodium_base64_VARIANT_URLSAFE_NO_PADDING) || plen != PAYLOAD_LEN)
		return RC_UNAUTHORIZED;
	if(sodium_base642bin(mac, sizeof(mac), dot + 1, len - (size_t)(dot + 1 - token), NULL, &mlen, NULL,
	                     sodium_base64_VARIANT_URLSAFE_NO_PADDING) || mlen != crypto_auth_BYTES)
		return RC_UNAUTHORIZED;
	if(crypto_auth_verify(mac, p, PAYLOAD_LEN, auth.key) != 0)
		return RC_UNAUTHORIZED;
	if(p[0] != TOKEN_VERSION || p[1] != kind || p[2] <= ROLE_NONE || p[2] >= ROLE__COUNT)
		return RC_UNAUTHORIZED;
	memset(who, 0, sizeof(*who));
	who->role = p[2];
	who->uid = (int64_t)get_be(p + 4, 4);
	memcpy(who->sid, p + 8, 16);
	who->jti = get_be(p + 24, 8);
	who->issued_us = (int64_t)get_be(p + 32, 8) * 1000000;
	who->expires_us = (int64_t)get_be(p + 40, 8) * 1000000;
	who->gen = (int64_t)get_be(p + 48, 8);
	return RC_OK;
}

/* Puts key into a table of cap slots (the lock is held). */
static void set_put(struct revoked *set, size_t cap, const char *key, int64_t expires_us)
{
	size_t i = key_hash(key) & (cap - 1);
	while(set[i].key[0] && strcmp(set[i].key, key))
		i = (i + 1) & (cap - 1);
	snprintf(set[i].key, sizeof(set[i].key), "%s", key);
	set[i].expires_us = expires_us;
}

void auth_revoked_add(const char *key, int64_t expires_us)
{
	int64_t now = time_now_us();
	if(expires_us <= now)
		return;
	pthread_rwlock_wrlock(&auth.lock);
	if(2 * (auth.n + 1) > auth.cap) {
		/* Rebuild at a load of a half, without what has expired on its own. */
		size_t live = 0;
		for(size_t i = 0; i < auth.cap; i++)
			live += auth.set[i].key[0] && auth.set[i].expires_us > now;
		size_t cap = 64;
		while(cap < 4 * (live + 1))
			cap *= 2;
		struct revoked *set = xcalloc(cap, sizeof(*set));
		for(size_t i = 0; i < auth.cap; i++)
			if(auth.set[i].key[0] && auth.set[i].expires_us > now)
				set_put(set, cap, auth.set[i].key, auth.set[i].expires_us);
		free(auth.set);
		auth.set = set;
		auth.cap = cap;
		auth.n = live;
	}
	size_t before = 0;
	for(size_t i = key_hash(key) & (auth.cap - 1); auth.set[i].key[0]; i = (i + 1) & (auth.cap - 1))
		if(!strcmp(auth.set[i].key, key)) {
			before = 1;
			break;
		}
	set_put(auth.set, auth.cap, key, expires_us);
	if(!before)
		__atomic_store_n(&auth.n, auth.n + 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&auth.lock);
}

void auth_revoked_refresh(int64_t now_us)
{
	int64_t last = __atomic_load_n(&auth.refreshed_us, __ATOMIC_RELAXED);
	if(!auth.ready || now_us - last < 1000000 ||
	   !__atomic_compare_exchange_n(&auth.refreshed_us, &last, now_us, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	int64_t seq = __atomic_load_n(&auth.seq, __ATOMIC_ACQUIRE), got = seq;
	if(!core_revoked_list(REVOKE_LOGOUT, now_us, seq, &got, collect, NULL) && got > seq)
		__atomic_store_n(&auth.seq, got, __ATOMIC_RELEASE);
}

size_t auth_revoked_count(void)
{
	return __atomic_load_n(&auth.n, __ATOMIC_RELAXED);
}

/* Logon attempts by client address: a small table, a slot per address (collisions
 * evict the older window, never an address with attempts in flight), so memory stays
 * fixed whatever addresses come. An attempt counts from the moment it is admitted:
 * failures in the window plus attempts still being checked may not pass the limit,
 * and no address has more than its share of the password checks in flight. */
#define THROTTLE_SLOTS 1024
#define THROTTLE_PROBE 8

static struct {
	pthread_mutex_t lock;
	struct {
		char addr[48];
		int64_t start_us;      /* start of the current window */
		int count;             /* failures in it */
		int inflight;          /* admitted attempts not yet done */
	} slot[THROTTLE_SLOTS];
	int limit;                 /* failures allowed per window; 0: no limit */
	int per_address;           /* attempts in flight per address */
} throttle = {.lock = PTHREAD_MUTEX_INITIALIZER, .limit = AUTH_LOGIN_FAILURES, .per_address = AUTH_LOGIN_INFLIGHT};

void auth_login_limit(int failures)
{
	__atomic_store_n(&throttle.limit, failures, __ATOMIC_RELAXED);
}

void auth_login_concurrency(int per_address)
{
	__atomic_store_n(&throttle.per_address, per_address > 0 ? per_address : 1, __ATOMIC_RELAXED);
}

static unsigned addr_hash(const char *s)
{
	unsigned h = 2166136261u;
	for(; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot of client, made when it has none; the lock is held. */
static int throttle_slot(const char *client, int64_t now_us)
{
	const int64_t window = (int64_t)AUTH_LOGIN_WINDOW_S * 1000000;
	unsigned h = addr_hash(client);
	int victim = -1;
	for(int i = 0; i < THROTTLE_PROBE; i++) {
		int k = (int)((h + (unsigned)i) % THROTTLE_SLOTS);
		if(!strcmp(throttle.slot[k].addr, client))
			return k;
		if(throttle.slot[k].inflight)
			continue;
		if(victim < 0 || throttle.slot[k].start_us < throttle.slot[victim].start_us)
			victim = k;
	}
	if(victim < 0)
		return -1;             /* every slot nearby has attempts in flight */
	(void)window;
	snprintf(throttle.slot[victim].addr, sizeof(throttle.slot[victim].addr), "%s", client);
	throttle.slot[victim].start_us = now_us;
	throttle.slot[victim].count = 0;
	throttle.slot[victim].inflight = 0;
	return victim;
}

int auth_login_admit(const char *client, int64_t now_us)
{
	const int64_t window = (int64_t)AUTH_LOGIN_WINDOW_S * 1000000;
	int limit = __atomic_load_n(&throttle.limit, __ATOMIC_RELAXED);
	int per_address = __atomic_load_n(&throttle.per_address, __ATOMIC_RELAXED);
	int wait_s = 0;
	pthread_mutex_lock(&throttle.lock);
	int k = throttle_slot(client ? client : "-", now_us);
	if(k < 0) {
		wait_s = 1;
	} else {
		if(throttle.slot[k].start_us + window <= now_us) {
			throttle.slot[k].start_us = now_us;
			throttle.slot[k].count = 0;
		}
		if(limit > 0 && throttle.slot[k].count + throttle.slot[k].inflight >= limit)
			wait_s = (int)((throttle.slot[k].start_us + window - now_us + 999999) / 1000000);
		else if(throttle.slot[k].inflight >= per_address)
			wait_s = 1;
		else
			throttle.slot[k].inflight++;
	}
	pthread_mutex_unlock(&throttle.lock);
	return wait_s;
}

void auth_login_done(const char *client, int64_t now_us, int failed)
{
	const int64_t window = (int64_t)AUTH_LOGIN_WINDOW_S * 1000000;
	pthread_mutex_lock(&throttle.lock);
	int k = throttle_slot(client ? client : "-", now_us);
	if(k >= 0) {
		if(throttle.slot[k].inflight > 0)
			throttle.slot[k].inflight--;
		if(throttle.slot[k].start_us + window <= now_us) {
			throttle.slot[k].start_us = now_us;
			throttle.slot[k].count = 0;
		}
		if(failed)
			throttle.slot[k].count++;
	}
	pthread_mutex_unlock(&throttle.lock);
}

int auth_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if(alen != blen)
		return 0;
	return sodium_memcmp(a, b, alen) == 0;
}
