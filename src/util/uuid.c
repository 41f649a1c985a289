#include "uuid.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "timefmt.h"

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;

static void sodium_start(void)
{
	if(sodium_init() < 0)
		abort();
}

static void random_fill(void *p, size_t n)
{
	pthread_once(&sodium_once, sodium_start);
	randombytes_buf(p, n);
}

static int hexval(unsigned char c)
{
	if(c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if(c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int uuid_parse(const char *s, size_t n, struct uuid *u)
{
	struct uuid r;
	if(n != UUID_STR_LEN)
		return -1;
	size_t k = 0;
	for(size_t i = 0; i < n;) {
		if(i == 8 || i == 13 || i == 18 || i == 23) {
			if(s[i] != '-')
				return -1;
			i++;
			continue;
		}
		int hi = hexval((unsigned char)s[i]), lo = hexval((unsigned char)s[i + 1]);
		if(hi < 0 || lo < 0)
			return -1;
		r.b[k++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	*u = r;
	return 0;
}

static const char hex[] = "0123456789abcdef";

void uuid_format(const struct uuid *u, char *out)
{
	char *p = out;
	for(int i = 0; i < 16; i++) {
		if(i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[u->b[i] >> 4];
		*p++ = hex[u->b[i] & 15];
	}
	*p = 0;
}

char *uuid_hex(const struct uuid *u, char *out)
{
	for(int i = 0; i < 16; i++) {
		*out++ = hex[u->b[i] >> 4];
		*out++ = hex[u->b[i] & 15];
	}
	return out;
}

static void set_version(struct uuid *u, int v)
{
	u->b[6] = (unsigned char)((u->b[6] & 0x0F) | (v << 4));
	u->b[8] = (unsigned char)((u->b[8] & 0x3F) | 0x80);
}

void uuid_v7(struct uuid *u)
{
	int64_t now = time_now_us();
	uint64_t ms = (uint64_t)(now / 1000);
	/* rand_a carries the sub-millisecond fraction (RFC 9562 §6.2 method 3),
	 * so ids made in the same millisecond still sort by time. */
	unsigned sub = (unsigned)((now % 1000) * 4096 / 1000);
	random_fill(u->b + 8, 8);
	for(int i = 0; i < 6; i++)
		u->b[i] = (unsigned char)(ms >> (40 - 8 * i));
	u->b[6] = (unsigned char)(sub >> 8);
	u->b[7] = (unsigned char)sub;
	set_version(u, 7);
}

void uuid_v4(struct uuid *u)
{
	random_fill(u->b, sizeof u->b);
	set_version(u, 4);
}

int uuid_is_nil(const struct uuid *u)
{
	static const struct uuid nil;
	return memcmp(u->b, nil.b, sizeof u->b) == 0;
}

int uuid_eq(const struct uuid *a, const struct uuid *b)
{
	return memcmp(a->b, b->b, sizeof a->b) == 0;
}
