#include "form.h"

#include <string.h>

#include "util/text.h"

/* Decodes s[0..n) into a new string; NULL when malformed. */
static char *decode(const char *s, size_t n, struct arena *a)
{
	char *out = arena_alloc(a, n + 1), *o = out;
	for(size_t i = 0; i < n; i++) {
		if(s[i] == '+')
			*o++ = ' ';
		else if(s[i] == '%') {
			if(i + 2 >= n)
				return NULL;
			int h = text_hexval(s[i + 1]), l = text_hexval(s[i + 2]);
			if(h < 0 || l < 0 || (h == 0 && l == 0))
				return NULL;
			*o++ = (char)(h * 16 + l);
			i += 2;
		} else
			*o++ = s[i];
	}
	*o = 0;
	return out;
}

const char *form_get(const char *body, size_t len, const char *name, struct arena *a)
{
	if(!body)
		return NULL;
	size_t nl = strlen(name);
	const char *p = body, *end = body + len;
	while(p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *fe = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(fe - p));
		const char *ke = eq ? eq : fe;
		char *key = decode(p, (size_t)(ke - p), a);
		if(key && strlen(key) == nl && !memcmp(key, name, nl))
			return eq ? decode(eq + 1, (size_t)(fe - eq - 1), a) : "";
		p = fe + 1;
	}
	return NULL;
}
