/* libFuzzer target: token verification. Arbitrary text never verifies, and a
 * real token with any edit (the input gives positions and bytes) never verifies
 * either: no malleability in the base64 or the MAC check. With data[0] & 2, the
 * byte data[1] is tried in every position of every token (a deterministic replay
 * of the aliasing bug in corpus/token/regress-*). */
#include "fuzz_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_init();
	struct principal who;
	for(int kind = TOK_ACCESS; kind <= TOK_REFRESH; kind++)
		if(auth_verify((const char *)data, size, kind, &who) == RC_OK) {
			fprintf(stderr, "fuzz: arbitrary input verified as a token\n");
			abort();
		}
	if(size >= 2 && data[0] & 2) {
		/* data[1] in every position of every token we hold: never an alias that verifies */
		for(int k = ROLE_VIEWER; k <= ROLE__COUNT; k++) {
			const char *b = k < ROLE__COUNT ? fz.tok[k] : fz.refresh;
			int bkind = k < ROLE__COUNT ? TOK_ACCESS : TOK_REFRESH;
			char a[AUTH_TOKEN_MAX + 1];
			size_t bl = strlen(b);
			for(size_t i = 0; i < bl; i++) {
				if(b[i] == (char)data[1])
					continue;
				memcpy(a, b, bl + 1);
				a[i] = (char)data[1];
				if(auth_verify(a, bl, bkind, &who) == RC_OK) {
					fprintf(stderr, "fuzz: token with byte %d at %zu still verifies: %s\n", data[1], i, a);
					abort();
				}
			}
		}
	}
	const char *base = size && data[0] & 1 ? fz.refresh : fz.tok[ROLE_ADMIN];
	int kind = size && data[0] & 1 ? TOK_REFRESH : TOK_ACCESS;
	char t[AUTH_TOKEN_MAX + 8];
	size_t len = strlen(base);
	memcpy(t, base, len + 1);
	for(size_t i = 1; i + 1 < size; i += 2) {
		size_t pos = data[i] % (len + 1);
		if(pos == len && len < AUTH_TOKEN_MAX + 4)
			t[len++] = (char)data[i + 1];   /* append */
		else if(data[i + 1] == 0 && len > 1)
			memmove(t + pos, t + pos + 1, len-- - pos);   /* delete */
		else
			t[pos] = (char)data[i + 1];
	}
	t[len] = 0;
	int same = len == strlen(base) && !memcmp(t, base, len);
	enum rc rc = auth_verify(t, len, kind, &who);
	if((rc == RC_OK) != same) {
		fprintf(stderr, "fuzz: token '%s' (%s) verified as %d\n", t, same ? "unchanged" : "edited", rc);
		abort();
	}
	return 0;
}
