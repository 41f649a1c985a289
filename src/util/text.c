#include "text.h"

#include <ctype.h>

size_t text_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	if(c >= 0xC2 && c <= 0xDF)
		return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if(c >= 0xE0 && c <= 0xEF) {
		if(n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F))
			return 0;
		return 3;
	}
	if(c >= 0xF0 && c <= 0xF4) {
		if(n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		   (p[3] & 0xC0) != 0x80)
			return 0;
		if((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
			return 0;
		return 4;
	}
	return 0;
}

int text_hexval(char c)
{
	if(c >= '0' && c <= '9')
		return c - '0';
	if(c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if(c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t text_unescape(char *s)
{
	char *o = s;
	for(const char *p = s; *p; p++) {
		int h, l;
		if(*p == '%' && (h = text_hexval(p[1])) >= 0 && (l = text_hexval(p[2])) >= 0 && (h | l)) {
			*o++ = (char)(h * 16 + l);
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = 0;
	return (size_t)(o - s);
}

int text_glob(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;
	while(*s) {
		if(*p == '*') {
			star = p++;
			resume = s;
		} else if(*p && tolower((unsigned char)*p) == tolower((unsigned char)*s)) {
			p++;
			s++;
		} else if(star) {
			p = star + 1;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while(*p == '*')
		p++;
	return !*p;
}
