#include "model/schedule.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

/* A number or (for months and days) a name; advances *p. -1 when there is none. */
static int value(const char **p, const char *const *names, int nnames, int name_base)
{
	const char *s = *p;
	if(isdigit((unsigned char)*s)) {
		long v = strtol(s, (char **)p, 10);
		return v > 1000 ? -1 : (int)v;
	}
	for(int i = 0; names && i < nnames; i++)
		if(!strncasecmp(s, names[i], 3) && !isalpha((unsigned char)s[3])) {
			*p = s + 3;
			return i + name_base;
		}
	return -1;
}

/* One field: a comma list of `*`, `a`, `a-b`, each with an optional `/step`. */
static int field(const char *s, int lo, int hi, const char *const *names, int nnames, int name_base,
                 uint64_t *bits, int *any)
{
	*bits = 0;
	*any = !strcmp(s, "*");
	const char *p = s;
	for(;;) {
		int a, b, step = 1, single = 0;
		if(*p == '*') {
			a = lo;
			b = hi;
			p++;
		} else {
			if((a = value(&p, names, nnames, name_base)) < 0)
				return -1;
			b = a;
			single = *p != '-';
			if(*p == '-') {
				p++;
				if((b = value(&p, names, nnames, name_base)) < 0)
					return -1;
			}
		}
		if(*p == '/') {
			p++;
			if(!isdigit((unsigned char)*p))
				return -1;
			step = (int)strtol(p, (char **)&p, 10);
			if(step < 1)
				return -1;
			if(single)
				b = hi;   /* "a/n": from a to the end */
		}
		if(a < lo || b > hi || a > b)
			return -1;
		for(int v = a; v <= b; v += step)
			*bits |= 1ull << v;
		if(*p == 0)
			return 0;
		if(*p++ != ',')
			return -1;
	}
}

int schedule_parse(const char *s, struct schedule *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if(!s || !*s || strlen(s) > 200) {
		snprintf(err, errlen, "a schedule is a 5-field cron expression or an interval such as 15m");
		return -1;
	}
	/* an interval */
	char *end;
	if(isdigit((unsigned char)s[0])) {
		long long n = strtoll(s, &end, 10);
		static const struct { char c; int64_t us; } units[] = {
			{'s', 1000000LL}, {'m', 60000000LL}, {'h', 3600000000LL}, {'d', 86400000000LL}};
		for(size_t i = 0; i < sizeof(units) / sizeof(units[0]) && end[0] && !end[1]; i++)
			if(end[0] == units[i].c) {
				if(n < 1 || n > 366LL * 86400000000LL / units[i].us) {
					snprintf(err, errlen, "an interval is from 1s to 366d");
					return -1;
				}
				out->interval_us = n * units[i].us;
				return 0;
			}
	}
	char buf[201], *f[6], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", s);
	int n = 0;
	for(char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
		if(n < 6)
			f[n++] = t;
		else
			n++;
	uint64_t b[5];
	int any[5];
	static const char *const what[] = {"minute", "hour", "day of month", "month", "day of week"};
	if(n != 5) {
		snprintf(err, errlen, "a cron schedule has 5 fields (minute hour day-of-month month day-of-week); "
		                      "an interval is a number with s, m, h or d");
		return -1;
	}
	static const int lo[] = {0, 0, 1, 1, 0}, hi[] = {59, 23, 31, 12, 7};
	for(int i = 0; i < 5; i++) {
		const char *const *names = i == 3 ? month_names : i == 4 ? day_names : NULL;
		int rc = field(f[i], lo[i], hi[i], names, i == 3 ? 12 : 7, i == 3 ? 1 : 0, &b[i], &any[i]);
		if(rc) {
			snprintf(err, errlen, "the %s field '%.40s' is not valid", what[i], f[i]);
			return -1;
		}
	}
	out->minute = b[0];
	out->hour = (uint32_t)b[1];
	out->dom = (uint32_t)b[2];
	out->month = (uint16_t)b[3];
	out->dow = (uint8_t)((b[4] | (b[4] >> 7)) & 0x7f);   /* 7 is Sunday too */
	out->dom_any = any[2];
	out->dow_any = any[4];
	return 0;
}

static int day_matches(const struct schedule *sc, const struct tm *t)
{
	int dom = (sc->dom >> t->tm_mday) & 1, dow = (sc->dow >> t->tm_wday) & 1;
	if(sc->dom_any || sc->dow_any)
		return dom && dow;
	return dom || dow;
}

int64_t schedule_next(const struct schedule *sc, int64_t from_us)
{
	if(sc->interval_us)
		return from_us + sc->interval_us;
	time_t t = (time_t)(from_us / 1000000) / 60 * 60 + 60;   /* the next whole minute */
	struct tm tm;
	gmtime_r(&t, &tm);
	for(int days = 0; days < 5 * 366 + 1; days++) {
		if(((sc->month >> (tm.tm_mon + 1)) & 1) && day_matches(sc, &tm)) {
			for(int h = days ? 0 : tm.tm_hour; h < 24; h++) {
				if(!((sc->hour >> h) & 1))
					continue;
				for(int m = days || h != tm.tm_hour ? 0 : tm.tm_min; m < 60; m++)
					if((sc->minute >> m) & 1) {
						struct tm x = tm;
						x.tm_hour = h;
						x.tm_min = m;
						x.tm_sec = 0;
						return (int64_t)timegm(&x) * 1000000;
					}
			}
		}
		/* the next day at midnight */
		tm.tm_mday++;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		t = timegm(&tm);
		gmtime_r(&t, &tm);
	}
	return 0;
}
