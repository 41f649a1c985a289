#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>

#include "core/auth.h"
#include "core/core.h"
#include "core/logon.h"
#include "store_fixture.h"
#include "util/timefmt.h"

static struct fx fx;

static int setup(void **state)
{
	memset(&fx, 0, sizeof(fx));
	fx_mkdir(&fx);
	char err[256] = "";
	if(core_open(fx.path, err, sizeof(err)) || auth_init()) {
		fprintf(stderr, "core_open: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	core_close();
	fx_rmdir(&fx);
	return 0;
}

/* A principal of a stored user with that role (tokens are only good for a user that
 * exists with the credentials they were issued under). */
static struct principal user(int role)
{
	char name[32];
	snprintf(name, sizeof(name), "u-%s", auth_role_name(role));
	struct arena a;
	arena_init(&a);
	struct user_rec u;
	if(core_user_get(name, &a, &u)) {
		struct core_write w = {0};
		assert_int_equal(core_user_add(&w, name, "$argon2id$not-a-real-hash", role), RC_OK);
		assert_int_equal(core_user_get(name, &a, &u), RC_OK);
	}
	struct principal p;
	memset(&p, 0, sizeof(p));
	p.role = role;
	p.uid = u.uid;
	p.gen = u.gen;
	arena_free(&a);
	return p;
}

static void test_roundtrip(void **state)
{
	struct principal who = user(ROLE_REPORTER), got;
	struct token_pair tp;
	int64_t before = time_now_us();
	auth_issue(&who, 0, &tp);
	assert_true(strlen(tp.access) < AUTH_TOKEN_MAX);
	assert_int_equal(auth_verify(tp.access, strlen(tp.access), TOK_ACCESS, &got), RC_OK);
	assert_true(got.authenticated);
	assert_int_equal(got.role, ROLE_REPORTER);
	assert_int_equal(got.uid, who.uid);
	assert_int_equal(got.gen, who.gen);
	assert_memory_equal(got.sid, who.sid, 16);
	assert_int_equal(got.expires_us - got.issued_us, (int64_t)AUTH_ACCESS_TTL_S * 1000000);
	assert_true(got.issued_us <= time_now_us() && got.issued_us >= before - 1000000);
	assert_int_equal(tp.access_expires_us, got.expires_us);
	uint64_t ajti = got.jti;
	assert_int_equal(auth_verify(tp.refresh, strlen(tp.refresh), TOK_REFRESH, &got), RC_OK);
	assert_int_equal(tp.refresh_expires_us - tp.issued_us, (int64_t)AUTH_REFRESH_TTL_S * 1000000);
	assert_true(got.jti != ajti);
	/* Wrong kind: a refresh token is no access token, nor the reverse. */
	assert_int_equal(auth_verify(tp.refresh, strlen(tp.refresh), TOK_ACCESS, &got), RC_UNAUTHORIZED);
	assert_int_equal(auth_verify(tp.access, strlen(tp.access), TOK_REFRESH, &got), RC_UNAUTHORIZED);

	/* A refresh keeps the family; a short refresh lives access TTL + 15 min. */
	struct token_pair tp2;
	auth_issue(&who, 1, &tp2);
	assert_int_equal(auth_verify(tp2.access, strlen(tp2.access), TOK_ACCESS, &got), RC_OK);
	assert_memory_equal(got.sid, who.sid, 16);
	assert_int_equal(tp2.refresh_expires_us - tp2.issued_us, (int64_t)(AUTH_ACCESS_TTL_S + 900) * 1000000);
	assert_string_not_equal(tp.access, tp2.access);
	struct principal other = user(ROLE_VIEWER);
	auth_issue(&other, 0, &tp2);
	assert_memory_not_equal(other.sid, who.sid, 16);
}

static void test_tampered(void **state)
{
	struct principal who = user(ROLE_VIEWER), got;
	struct token_pair tp;
	auth_issue(&who, 0, &tp);
	size_t n = strlen(tp.access);
	const char *dot = strchr(tp.access, '.');
	assert_non_null(dot);
	size_t d = (size_t)(dot - tp.access);
	char t[AUTH_TOKEN_MAX];
	/* Flip each character of payload and MAC in turn (base64url stays base64url). */
	for(size_t i = 0; i < n; i++) {
		if(i == d)
			continue;
		memcpy(t, tp.access, n + 1);
		t[i] = t[i] == 'A' ? 'B' : 'A';
		enum rc rc = auth_verify(t, n, TOK_ACCESS, &got);
		if(rc != RC_UNAUTHORIZED)
			fail_msg("changed byte %zu: %s", i, rc_name(rc));
	}
	/* A viewer token turned admin by editing the role byte: refused. */
	unsigned char p[64];
	size_t plen;
	assert_int_equal(sodium_base642bin(p, sizeof(p), tp.access, d, NULL, &plen, NULL,
	                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	p[2] = ROLE_ADMIN;
	char forged[AUTH_TOKEN_MAX];
	sodium_bin2base64(forged, sizeof(forged), p, plen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(forged + strlen(forged), sizeof(forged) - strlen(forged), "%s", dot);
	assert_int_equal(auth_verify(forged, strlen(forged), TOK_ACCESS, &got), RC_UNAUTHORIZED);
	/* Truncated, empty, no dot, garbage, trailing bytes, too long. */
	static const char *const bad[] = {"", ".", "abc", "abc.def", "!!!.???"};
	for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(auth_verify(bad[i], strlen(bad[i]), TOK_ACCESS, &got), RC_UNAUTHORIZED);
	assert_int_equal(auth_verify(tp.access, n - 1, TOK_ACCESS, &got), RC_UNAUTHORIZED);
	assert_int_equal(auth_verify(tp.access, d, TOK_ACCESS, &got), RC_UNAUTHORIZED);
	memcpy(t, tp.access, n);
	memcpy(t + n, "AA", 3);
	assert_int_equal(auth_verify(t, n + 2, TOK_ACCESS, &got), RC_UNAUTHORIZED);
	char big[AUTH_TOKEN_MAX * 2];
	memset(big, 'A', sizeof(big));
	big[10] = '.';
	assert_int_equal(auth_verify(big, sizeof(big), TOK_ACCESS, &got), RC_UNAUTHORIZED);
	/* The untouched token still verifies. */
	assert_int_equal(auth_verify(tp.access, n, TOK_ACCESS, &got), RC_OK);
}

static void test_expired(void **state)
{
	struct principal who = user(ROLE_ADMIN), got;
	struct token_pair tp;
	int64_t now = time_now_us();
	auth_issue_at(&who, 0, now - ((int64_t)AUTH_ACCESS_TTL_S + 5) * 1000000, &tp);
	assert_int_equal(auth_verify(tp.access, strlen(tp.access), TOK_ACCESS, &got), RC_EXPIRED);
	/* Its refresh token (14 days) is still good. */
	assert_int_equal(auth_verify(tp.refresh, strlen(tp.refresh), TOK_REFRESH, &got), RC_OK);
	auth_issue_at(&who, 0, now - ((int64_t)AUTH_REFRESH_TTL_S + 5) * 1000000, &tp);
	assert_int_equal(auth_verify(tp.refresh, strlen(tp.refresh), TOK_REFRESH, &got), RC_EXPIRED);
	/* One second before expiry: fine. */
	auth_issue_at(&who, 0, now - ((int64_t)AUTH_ACCESS_TTL_S - 5) * 1000000, &tp);
	assert_int_equal(auth_verify(tp.access, strlen(tp.access), TOK_ACCESS, &got), RC_OK);
	/* An expired token that is also tampered with is unauthorized, not expired. */
	auth_issue_at(&who, 0, now - ((int64_t)AUTH_ACCESS_TTL_S + 5) * 1000000, &tp);
	tp.access[strlen(tp.access) - 1] ^= 1;
	assert_int_equal(auth_verify(tp.access, strlen(tp.access), TOK_ACCESS, &got), RC_UNAUTHORIZED);
}

static void test_revoked(void **state)
{
	struct principal who = user(ROLE_OPERATOR), got;
	struct token_pair tp, keep;
	auth_issue(&who, 0, &tp);
	struct principal other = user(ROLE_OPERATOR);
	auth_issue(&other, 0, &keep);
	assert_int_equal(auth_verify(tp.access, strlen(tp.access), TOK_ACCESS, &got), RC_OK);
	char key[40];
	auth_family_key(&got, key);
	assert_int_equal(key[0], 'f');
	assert_int_equal(strlen(key), 33);
	auth_revoked_add(key, time_now_us() + 60000000);
	assert_int_equal(auth_verify(tp.access, strlen(tp.access), TOK_ACCESS, &got), RC_UNAUTHORIZED);
	assert_int_equal(auth_verify(tp.refresh, strlen(tp.refresh), TOK_REFRESH, &got), RC_UNAUTHORIZED);
	assert_int_equal(auth_verify(keep.access, strlen(keep.access), TOK_ACCESS, &got), RC_OK);

	/* A single token (a used refresh token) can be revoked alone. */
	struct token_pair tp2;
	auth_issue(&other, 0, &tp2);
	assert_int_equal(auth_verify(tp2.refresh, strlen(tp2.refresh), TOK_REFRESH, &got), RC_OK);
	auth_token_key(&got, key);
	assert_int_equal(key[0], 't');
	auth_revoked_add(key, time_now_us() + 60000000);
	assert_int_equal(auth_verify(tp2.refresh, strlen(tp2.refresh), TOK_REFRESH, &got), RC_UNAUTHORIZED);
	assert_int_equal(auth_verify(tp2.access, strlen(tp2.access), TOK_ACCESS, &got), RC_OK);

	/* Revocations stored in the database are loaded by the next start. */
	struct token_pair tp3;
	struct principal third = user(ROLE_VIEWER);
	auth_issue(&third, 0, &tp3);
	assert_int_equal(auth_verify(tp3.access, strlen(tp3.access), TOK_ACCESS, &got), RC_OK);
	auth_family_key(&got, key);
	struct core_write w = {0};
	assert_int_equal(core_token_revoke(&w, key, REVOKE_LOGOUT, time_now_us() + 60000000), RC_OK);
	/* A revocation stored by another instance is seen within a second or so... */
	assert_int_equal(auth_verify(tp3.access, strlen(tp3.access), TOK_ACCESS, &got), RC_OK);
	auth_revoked_refresh(time_now_us() + 2000000);
	assert_int_equal(auth_verify(tp3.access, strlen(tp3.access), TOK_ACCESS, &got), RC_UNAUTHORIZED);
	/* ... and a spent refresh token (kind REVOKE_SPENT) never enters the set: the store's key refuses reuse. */
	size_t before = auth_revoked_count();
	struct core_write sp = {0};
	assert_int_equal(core_token_revoke(&sp, "t0000000000000001", REVOKE_SPENT, time_now_us() + 60000000), RC_OK);
	struct core_write sp2 = {0};
	assert_int_equal(core_token_revoke(&sp2, "t0000000000000001", REVOKE_SPENT, time_now_us() + 60000000), RC_CONFLICT);
	auth_revoked_refresh(time_now_us() + 4000000);
	assert_int_equal(auth_revoked_count(), before);
	core_close();
	char err[256] = "";
	assert_int_equal(core_open(fx.path, err, sizeof(err)), RC_OK);
	assert_int_equal(auth_init(), RC_OK);
	assert_int_equal(auth_verify(tp3.access, strlen(tp3.access), TOK_ACCESS, &got), RC_UNAUTHORIZED);
	/* ... and the token key too: tokens survive a restart. */
	assert_int_equal(auth_verify(keep.access, strlen(keep.access), TOK_ACCESS, &got), RC_OK);
}

/* The logout set is a hash set: many revocations, each found, none confused. */
static void test_revoked_many(void **state)
{
	int64_t exp = time_now_us() + 600000000;
	size_t before = auth_revoked_count();
	char key[40];
	for(int i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "f%032x", i);
		auth_revoked_add(key, exp);
	}
	assert_int_equal(auth_revoked_count(), before + 20000);
	struct principal who = user(ROLE_VIEWER), got;
	struct token_pair tp;
	auth_issue(&who, 0, &tp);
	assert_int_equal(auth_verify(tp.access, strlen(tp.access), TOK_ACCESS, &got), RC_OK);
	auth_family_key(&got, key);
	auth_revoked_add(key, exp);
	auth_revoked_add(key, exp);   /* twice: still one entry */
	assert_int_equal(auth_revoked_count(), before + 20001);
	assert_int_equal(auth_verify(tp.access, strlen(tp.access), TOK_ACCESS, &got), RC_UNAUTHORIZED);
	auth_revoked_add("f-expired", time_now_us() - 1);   /* already over: not kept */
	assert_int_equal(auth_revoked_count(), before + 20001);
}

/* EM logon sessions: stored, sliding idle expiry, an absolute lifetime, logoff. */
static void test_logon(void **state)
{
	int64_t t0 = time_now_us();
	struct principal v = user(ROLE_VIEWER);
	struct logon_rec l = {.uid = v.uid, .gen = v.gen, .role = ROLE_VIEWER, .user = "viewer", .created_us = t0, .last_us = t0};
	snprintf(l.sid, sizeof(l.sid), "0190a1b2-0000-4000-8000-000000000001");
	struct core_write w = {0};
	assert_int_equal(core_logon_create(&w, &l, LOGON_PER_USER), RC_OK);
	struct logon_rec got;
	char name[64];
	/* used every 14 minutes for an hour: never expires (sliding) */
	for(int i = 1; i <= 4; i++)
		assert_int_equal(logon_check(l.sid, t0 + i * 14LL * 60 * 1000000, &got, name, sizeof(name)), RC_OK);
	assert_string_equal(name, "viewer");
	assert_int_equal(got.uid, v.uid);
	assert_int_equal(got.role, ROLE_VIEWER);
	int64_t last = t0 + 4 * 14LL * 60 * 1000000;
	assert_int_equal(logon_check(l.sid, last + LOGON_IDLE_US, &got, name, sizeof(name)), RC_OK);
	last += LOGON_IDLE_US;
	/* It survives the cache: a fresh read from the store (as after a restart) knows it,
	 * with its last use as stored (touches are queued; a write queued after them waits). */
	struct core_write sync = {0};
	assert_int_equal(core_kv_put(&sync, "test", "sync"), RC_OK);
	logon_cache_reset();
	assert_int_equal(logon_check(l.sid, last + 1000, &got, name, sizeof(name)), RC_OK);
	last += 1000;
	assert_int_equal(logon_check(l.sid, last + LOGON_IDLE_US + 1, &got, name, sizeof(name)), RC_EXPIRED);
	assert_int_equal(logon_check("0190a1b2-0000-4000-8000-0000000000ff", t0, &got, name, sizeof(name)),
	                 RC_UNAUTHORIZED);
	/* An absolute lifetime, however busy. */
	snprintf(l.sid, sizeof(l.sid), "0190a1b2-0000-4000-8000-000000000002");
	struct core_write w2 = {0};
	assert_int_equal(core_logon_create(&w2, &l, LOGON_PER_USER), RC_OK);
	int64_t t;
	for(t = t0; t < t0 + LOGON_MAX_AGE_US; t += 10LL * 60 * 1000000)
		assert_int_equal(logon_check(l.sid, t, &got, name, sizeof(name)), RC_OK);
	assert_int_equal(logon_check(l.sid, t0 + LOGON_MAX_AGE_US + 1, &got, name, sizeof(name)), RC_EXPIRED);
	/* logoff */
	snprintf(l.sid, sizeof(l.sid), "0190a1b2-0000-4000-8000-000000000003");
	struct core_write w3 = {0}, d1 = {0}, d2 = {0};
	assert_int_equal(core_logon_create(&w3, &l, LOGON_PER_USER), RC_OK);
	assert_int_equal(logon_check(l.sid, t0, &got, name, sizeof(name)), RC_OK);
	assert_int_equal(core_logon_delete(&d1, l.sid), RC_OK);
	logon_forget(l.sid);
	assert_int_equal(core_logon_delete(&d2, l.sid), RC_NOTFOUND);
	assert_int_equal(logon_check(l.sid, t0, &got, name, sizeof(name)), RC_UNAUTHORIZED);
}

/* Deleting a user, or changing its role or password, ends its tokens and logons at once
 * (within the second the user cache keeps), and a new user never gets an old uid. */
static void test_credentials_change(void **state)
{
	struct core_write w = {0};
	assert_int_equal(core_user_add(&w, "dave", "$argon2id$x", ROLE_OPERATOR), RC_OK);
	struct principal who = {.role = ROLE_OPERATOR, .uid = w.user.uid, .gen = w.user.gen}, got;
	assert_int_equal(w.user.gen, 1);
	struct token_pair tp;
	auth_issue(&who, 0, &tp);
	int64_t t0 = time_now_us();
	struct logon_rec l = {.uid = who.uid, .gen = who.gen, .role = ROLE_OPERATOR, .user = "dave", .created_us = t0,
	                      .last_us = t0};
	snprintf(l.sid, sizeof(l.sid), "0190a1b2-0000-4000-8000-0000000000d1");
	struct core_write lw = {0};
	assert_int_equal(core_logon_create(&lw, &l, LOGON_PER_USER), RC_OK);
	char name[64];
	struct logon_rec lg;
	assert_int_equal(auth_verify(tp.access, strlen(tp.access), TOK_ACCESS, &got), RC_OK);
	assert_int_equal(logon_check(l.sid, t0, &lg, name, sizeof(name)), RC_OK);
	/* demoted: the role change bumps the generation */
	struct core_write c = {0};
	assert_int_equal(core_user_change(&c, "dave", NULL, ROLE_VIEWER), RC_OK);
	assert_int_equal(c.user.gen, 2);
	int64_t gen;
	int role;
	assert_int_equal(auth_user_current(who.uid, time_now_us() + 2000000, &gen, &role), RC_OK);
	assert_int_equal(gen, 2);
	assert_int_equal(role, ROLE_VIEWER);
	assert_int_equal(auth_verify(tp.access, strlen(tp.access), TOK_ACCESS, &got), RC_UNAUTHORIZED);
	assert_int_equal(auth_verify(tp.refresh, strlen(tp.refresh), TOK_REFRESH, &got), RC_UNAUTHORIZED);
	assert_int_equal(logon_check(l.sid, t0 + 2000000, &lg, name, sizeof(name)), RC_UNAUTHORIZED);
	/* a token issued under the new credentials works; deleting the user ends it */
	who.gen = 2;
	who.role = ROLE_VIEWER;
	auth_issue(&who, 0, &tp);
	assert_int_equal(auth_verify(tp.access, strlen(tp.access), TOK_ACCESS, &got), RC_OK);
	struct core_write d = {0};
	assert_int_equal(core_user_del(&d, "dave"), RC_OK);
	assert_int_equal(auth_user_current(who.uid, time_now_us() + 4000000, &gen, &role), RC_NOTFOUND);
	assert_int_equal(auth_verify(tp.access, strlen(tp.access), TOK_ACCESS, &got), RC_UNAUTHORIZED);
	/* the next user gets a new uid, so the old tokens can never name it */
	struct core_write a2 = {0};
	assert_int_equal(core_user_add(&a2, "erin", "$argon2id$x", ROLE_ADMIN), RC_OK);
	assert_true(a2.user.uid > who.uid);
}

static void test_equal(void **state)
{
	assert_true(auth_equal("abc", 3, "abc", 3));
	assert_false(auth_equal("abc", 3, "abd", 3));
	assert_false(auth_equal("abc", 3, "abcd", 4));
	assert_false(auth_equal("abcd", 4, "abc", 3));
	assert_true(auth_equal("", 0, "", 0));
	assert_false(auth_equal("\0a", 2, "\0b", 2));
	/* Constant time: the first and the last byte differing cost the same (within noise). */
	enum { N = 4096, REPS = 20000 };
	static unsigned char a[N], b1[N], b2[N];
	memset(a, 7, N);
	memcpy(b1, a, N);
	memcpy(b2, a, N);
	b1[0] ^= 1;
	b2[N - 1] ^= 1;
	double best[2] = {1e30, 1e30};
	for(int round = 0; round < 5; round++)
		for(int k = 0; k < 2; k++) {
			int64_t t0 = time_now_us();
			int sum = 0;
			for(int i = 0; i < REPS / 10; i++)
				sum += auth_equal(a, N, k ? b2 : b1, N);
			int64_t dt = time_now_us() - t0;
			assert_int_equal(sum, 0);
			if(dt < best[k])
				best[k] = (double)dt;
		}
	/* An early-exit memcmp would make the first case ~4096x faster. */
	assert_true(best[0] * 3 > best[1]);
}

static void test_password(void **state)
{
	char hash[crypto_pwhash_STRBYTES];
	assert_int_equal(auth_password_hash("correct horse", hash, sizeof(hash)), RC_OK);
	assert_int_equal(strncmp(hash, "$argon2id$", 10), 0);
	assert_int_equal(crypto_pwhash_str_verify(hash, "correct horse", 13), 0);
	assert_int_not_equal(crypto_pwhash_str_verify(hash, "correct horsf", 13), 0);
	char hash2[crypto_pwhash_STRBYTES];
	assert_int_equal(auth_password_hash("correct horse", hash2, sizeof(hash2)), RC_OK);
	assert_string_not_equal(hash, hash2);   /* salted */
	char small[16];
	assert_int_equal(auth_password_hash("x", small, sizeof(small)), RC_INVALID);

	struct core_write w = {0};
	assert_int_equal(core_user_add(&w, "carol", hash, ROLE_REPORTER), RC_OK);
	struct principal who;
	assert_int_equal(auth_password_check("carol", "correct horse", &who), RC_OK);
	assert_true(who.authenticated);
	assert_int_equal(who.role, ROLE_REPORTER);
	assert_string_equal(who.user, "carol");
	assert_true(who.uid > 0);
	assert_int_equal(auth_password_check("carol", "wrong", &who), RC_UNAUTHORIZED);
	assert_int_equal(auth_password_check("nobody", "correct horse", &who), RC_UNAUTHORIZED);
	assert_int_equal(auth_password_check("Carol", "correct horse", &who), RC_UNAUTHORIZED);
}

static void test_roles(void **state)
{
	assert_int_equal(auth_role_parse("viewer"), ROLE_VIEWER);
	assert_int_equal(auth_role_parse("ADMIN"), ROLE_ADMIN);
	assert_int_equal(auth_role_parse("none"), -1);
	assert_int_equal(auth_role_parse("root"), -1);
	for(int r = ROLE_VIEWER; r < ROLE__COUNT; r++)
		assert_int_equal(auth_role_parse(auth_role_name(r)), r);
	assert_string_equal(auth_role_name(99), "none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_tampered), cmocka_unit_test(test_expired),
		cmocka_unit_test(test_revoked),   cmocka_unit_test(test_equal),    cmocka_unit_test(test_password),
		cmocka_unit_test(test_roles),     cmocka_unit_test(test_revoked_many), cmocka_unit_test(test_logon),
		cmocka_unit_test(test_credentials_change),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
