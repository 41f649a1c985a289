/* libFuzzer target: application/x-www-form-urlencoded bodies (the token request).
 * Whatever form_get returns, encoded again and parsed back, is the same string. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/form.h"
#include "util/mem.h"

static void roundtrip(const char *name, const char *v, struct arena *a)
{
	struct buf b;
	buf_init(&b, 0);
	buf_printf(&b, "x=1&%s=", name);
	for(const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
			buf_addc(&b, (char)*p);
		else if(*p == ' ')
			buf_addc(&b, '+');
		else
			buf_printf(&b, "%%%02X", *p);
	}
	const char *back = form_get(b.p, b.len, name, a);
	if(!back || strcmp(back, v)) {
		fprintf(stderr, "fuzz: form value '%s' came back as '%s'\n", v, back ? back : "(null)");
		abort();
	}
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"grant_type", "username", "password", "refresh_token", ""};
	struct arena a;
	arena_init(&a);
	const char *body = (const char *)data;
	for(size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = form_get(body, size, names[i], &a);
		if(v && names[i][0])
			roundtrip(names[i], v, &a);
	}
	/* a name taken from the input itself (up to its first '='), as a real key would be */
	const char *eq = memchr(body, '=', size);
	if(eq && eq > body && eq - body < 64 && !memchr(body, 0, (size_t)(eq - body))) {
		char name[64];
		memcpy(name, body, (size_t)(eq - body));
		name[eq - body] = 0;
		form_get(body, size, name, &a);
	}
	form_get(NULL, 0, "password", &a);
	arena_free(&a);
	return 0;
}
