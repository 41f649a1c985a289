#include "timefmt.h"

#include <time.h>

#define US_PER_SEC INT64_C(1000000)
#define US_PER_DAY (INT64_C(86400) * US_PER_SEC)

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z: the years 1 to 9999 that the
 * four-digit year of RFC 3339 and every dialect's date type (.NET DateTime) can hold. */
#define TIME_MIN_US (INT64_C(-719162) * US_PER_DAY)
#define TIME_MAX_US (INT64_C(2932897) * US_PER_DAY - 1)

int64_t time_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * US_PER_SEC + ts.tv_nsec / 1000;
}

/* Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
	static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if(m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

/* Reads exactly k decimal digits at s[*i]. */
static int digits(const char *s, size_t n, size_t *i, int k, int *out)
{
	int v = 0;
	if(n - *i < (size_t)k)
		return -1;
	for(int j = 0; j < k; j++) {
		unsigned char c = (unsigned char)s[*i + (size_t)j];
		if(c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*i += (size_t)k;
	*out = v;
	return 0;
}

static int expect(const char *s, size_t n, size_t *i, char c)
{
	if(*i >= n || s[*i] != c)
		return -1;
	(*i)++;
	return 0;
}

/* An optional '.' and 1..9 digits, truncated to microseconds. */
static int fraction(const char *s, size_t n, size_t *i, int64_t *us)
{
	*us = 0;
	if(*i >= n || s[*i] != '.')
		return 0;
	(*i)++;
	int k = 0;
	int64_t scale = 100000;
	while(*i < n && s[*i] >= '0' && s[*i] <= '9') {
		if(++k > 9)
			return -1;
		*us += (s[*i] - '0') * scale;
		scale /= 10;
		(*i)++;
	}
	return k ? 0 : -1;
}

int time_parse(const char *s, size_t n, int64_t *us)
{
	size_t i = 0;
	int y, mo, d, h, mi, se, oh, om;
	int64_t frac;
	if(digits(s, n, &i, 4, &y) || expect(s, n, &i, '-') || digits(s, n, &i, 2, &mo) ||
	   expect(s, n, &i, '-') || digits(s, n, &i, 2, &d))
		return -1;
	if(mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	if(i >= n || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
		return -1;
	i++;
	if(digits(s, n, &i, 2, &h) || expect(s, n, &i, ':') || digits(s, n, &i, 2, &mi) ||
	   expect(s, n, &i, ':') || digits(s, n, &i, 2, &se) || fraction(s, n, &i, &frac))
		return -1;
	if(h > 23 || mi > 59 || se > 59 || i >= n)
		return -1;

	int sign;
	int64_t off = 0;
	char c = s[i];
	if(c == 'Z' || c == 'z') {
		i++;
		sign = 0;
	} else {
		if(c == '+' || c == ' ') {
			sign = 1;
			i++;
		} else if(c == '-') {
			sign = -1;
			i++;
		} else if(c == '%' && n - i >= 3 && s[i + 1] == '2' &&
			  (s[i + 2] == 'B' || s[i + 2] == 'b')) {
			sign = 1;
			i += 3;
		} else {
			return -1;
		}
		if(digits(s, n, &i, 2, &oh))
			return -1;
		if(i < n && s[i] == ':')
			i++;
		if(digits(s, n, &i, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = sign * ((int64_t)oh * 3600 + om * 60) * US_PER_SEC;
	}
	if(i != n)
		return -1;

	int64_t t = days_from_civil(y, mo, d) * US_PER_DAY +
		    ((int64_t)h * 3600 + mi * 60 + se) * US_PER_SEC + frac - off;
	if(t < TIME_MIN_US || t > TIME_MAX_US)
		return -1;
	*us = t;
	return 0;
}

static char *put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/* Writes v (>= 0) with at least `width` digits. */
static char *putnum(char *p, uint64_t v, int width)
{
	char tmp[24];
	int k = 0;
	do {
		tmp[k++] = (char)('0' + v % 10);
		v /= 10;
	} while(v);
	while(k < width)
		tmp[k++] = '0';
	while(k)
		*p++ = tmp[--k];
	return p;
}

/* Splits us into calendar date, time of day and microseconds, and writes
 * "YYYY-MM-DD" + sep + "HH:MM:SS". Years outside 0..9999 get a sign or
 * more digits. */
static char *put_datetime(char *p, int64_t us, char sep, int64_t *micro)
{
	int64_t days = us / US_PER_DAY, rem = us % US_PER_DAY;
	if(rem < 0) {
		days--;
		rem += US_PER_DAY;
	}
	int64_t y;
	int m, d;
	civil_from_days(days, &y, &m, &d);
	int64_t secs = rem / US_PER_SEC;
	*micro = rem % US_PER_SEC;
	if(y < 0) {
		*p++ = '-';
		p = putnum(p, (uint64_t)0 - (uint64_t)y, 4);
	} else {
		p = putnum(p, (uint64_t)y, 4);
	}
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	p = put2(p, d);
	*p++ = sep;
	p = put2(p, (int)(secs / 3600));
	*p++ = ':';
	p = put2(p, (int)(secs / 60 % 60));
	*p++ = ':';
	return put2(p, (int)(secs % 60));
}

/* Writes k (0..7) fractional digits of micro, with a leading '.' when k > 0. */
static char *put_frac(char *p, int64_t micro, int k)
{
	if(k <= 0)
		return p;
	char f[7];
	int64_t v = micro * 10;
	for(int j = 6; j >= 0; j--) {
		f[j] = (char)('0' + v % 10);
		v /= 10;
	}
	*p++ = '.';
	for(int j = 0; j < k; j++)
		*p++ = f[j];
	return p;
}

size_t time_format(int64_t us, int frac_digits, char *out)
{
	int64_t micro;
	if(frac_digits < 0)
		frac_digits = 0;
	if(frac_digits > 7)
		frac_digits = 7;
	char *p = put_datetime(out, us, 'T', &micro);
	p = put_frac(p, micro, frac_digits);
	*p++ = 'Z';
	*p = 0;
	return (size_t)(p - out);
}

size_t time_format_plain(int64_t us, char *out)
{
	int64_t micro;
	char *p = put_datetime(out, us, ' ', &micro);
	*p = 0;
	return (size_t)(p - out);
}

size_t timespan_format(int64_t us, char *out)
{
	char *p = out;
	uint64_t u = (uint64_t)us;
	if(us < 0) {
		*p++ = '-';
		u = (uint64_t)0 - u;
	}
	uint64_t days = u / (uint64_t)US_PER_DAY;
	uint64_t rem = u % (uint64_t)US_PER_DAY;
	if(days) {
		p = putnum(p, days, 1);
		*p++ = '.';
	}
	uint64_t secs = rem / (uint64_t)US_PER_SEC;
	p = put2(p, (int)(secs / 3600));
	*p++ = ':';
	p = put2(p, (int)(secs / 60 % 60));
	*p++ = ':';
	p = put2(p, (int)(secs % 60));
	p = put_frac(p, (int64_t)(rem % (uint64_t)US_PER_SEC), 7);
	*p = 0;
	return (size_t)(p - out);
}

int timespan_parse(const char *s, size_t n, int64_t *us)
{
	size_t i = 0;
	int neg = 0;
	if(i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	/* Leading number: days when a '.' follows, else hours (1 or 2 digits). */
	uint64_t lead = 0;
	size_t start = i;
	while(i < n && s[i] >= '0' && s[i] <= '9') {
		if(i - start >= 9)
			return -1;
		lead = lead * 10 + (uint64_t)(s[i] - '0');
		i++;
	}
	if(i == start || i >= n)
		return -1;
	uint64_t days = 0;
	int h, m, sec;
	if(s[i] == '.') {
		days = lead;
		i++;
		size_t hs = i;
		if(digits(s, n, &i, 2, &h)) {
			i = hs;
			if(digits(s, n, &i, 1, &h))
				return -1;
		}
	} else {
		if(i - start > 2)
			return -1;
		h = (int)lead;
	}
	int64_t frac;
	if(expect(s, n, &i, ':') || digits(s, n, &i, 2, &m) || expect(s, n, &i, ':') ||
	   digits(s, n, &i, 2, &sec) || fraction(s, n, &i, &frac) || i != n)
		return -1;
	/* The largest day count whose whole last day still fits in int64. */
	if(h > 23 || m > 59 || sec > 59 || days > 106751990)
		return -1;
	int64_t t = (int64_t)days * US_PER_DAY + ((int64_t)h * 3600 + m * 60 + sec) * US_PER_SEC + frac;
	*us = neg ? -t : t;
	return 0;
}
