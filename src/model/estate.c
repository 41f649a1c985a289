#include "model/estate.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

struct kind_row {
	const char *name;
	int parent;
	int flags;
};

static const struct kind_row kinds[EK__END] = {
#define KIND(code, kname, kparent, kflags) [code] = {#kname, EK_##kparent, kflags},
#define FIELD(kind, name, type, flags)
#include "model/estate.def"
#undef KIND
#undef FIELD
};

/* Every property, grouped by kind as estate.def lists them; a zero row ends it. */
static const struct estate_field fields[] = {
#define KIND(code, name, parent, flags)
#define FIELD(fkind, fname, ftype, fflags) {EK_##fkind, #fname, ftype, fflags},
#include "model/estate.def"
#undef KIND
#undef FIELD
	{0, NULL, 0, 0},
};

/* The build fails on a duplicate kind code: each is a case label of one switch. */
static inline int code_is_kind(int code)
{
	switch(code) {
#define KIND(code, name, parent, flags) case code:
#define FIELD(kind, name, type, flags)
#include "model/estate.def"
#undef KIND
#undef FIELD
		return 1;
	default:
		return 0;
	}
}

const char *estate_kind_name(int k)
{
	return k > 0 && k < EK__END && code_is_kind(k) ? kinds[k].name : NULL;
}

int estate_kind_parse(const char *s)
{
	for(int k = 1; s && k < EK__END; k++)
		if(kinds[k].name && !strcmp(kinds[k].name, s))
			return k;
	return EK_NONE;
}

int estate_kind_own(int k)
{
	return estate_kind_name(k) && (kinds[k].flags & EKF_OWN);
}

int estate_kind_parent(int k)
{
	return estate_kind_name(k) ? kinds[k].parent : EK_NONE;
}

const struct estate_field *estate_field_first(int k)
{
	for(const struct estate_field *f = fields; f->name; f++)
		if(f->kind == k)
			return f;
	return NULL;
}

const struct estate_field *estate_field_next(const struct estate_field *f)
{
	return f && f[1].name && f[1].kind == f->kind ? f + 1 : NULL;
}

const struct estate_field *estate_field(int k, const char *name)
{
	for(const struct estate_field *f = estate_field_first(k); f; f = estate_field_next(f))
		if(!strcmp(f->name, name))
			return f;
	return NULL;
}

void estate_kind_list(char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = 0;
	for(int k = 1; k < EK__END && used < n; k++)
		if(kinds[k].name && !(kinds[k].flags & EKF_OWN))
			used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? ", " : "", kinds[k].name);
}

void estate_name_id(int kind, const char *name, struct uuid *out)
{
	unsigned char h[16];
	if(kind == EK_job) {
		crypto_generichash(h, sizeof(h), (const unsigned char *)name, strlen(name),
		                   (const unsigned char *)"sessiond-job-id", 15);
	} else {
		static const char key[] = "sessiond-estate-id";
		const char *k = estate_kind_name(kind);
		crypto_generichash_state st;
		crypto_generichash_init(&st, (const unsigned char *)key, sizeof(key) - 1, sizeof(h));
		crypto_generichash_update(&st, (const unsigned char *)(k ? k : ""), k ? strlen(k) : 0);
		crypto_generichash_update(&st, (const unsigned char *)"/", 1);
		crypto_generichash_update(&st, (const unsigned char *)name, strlen(name));
		crypto_generichash_final(&st, h, sizeof(h));
	}
	h[6] = (unsigned char)((h[6] & 0x0f) | 0x80); /* version 8: name-derived */
	h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
	memcpy(out->b, h, 16);
}
