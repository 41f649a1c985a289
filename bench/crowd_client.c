/* The crowd's measuring client (bench/crowd.py runs it as build/sessiond-crowd-client).
 *
 * One process, one epoll: it opens the idle keep-alive connections (each makes one request
 * and then stays open), and the event streams (GET /api/v1/sessions/events), then sends writes
 * (a new session each, through POST /api/v1/sessions) one at a time and times, for every
 * subscriber, the span from the moment the write was sent until that subscriber read the event
 * naming the write's id. It also times the write's own answer (201: committed) and the first
 * subscriber's event, and counts every event that did not arrive within the timeout.
 *
 * It talks to bench/crowd.py through stdin and stdout, one JSON line per stage:
 *   {"stage":"held",...}    every connection is open (crowd.py reads the server's RSS), then
 *                           waits for a line on stdin;
 *   {"stage":"fanout",...}  the writes and their latencies (microseconds), then waits for a
 *                           line on stdin (crowd.py sends other requests meanwhile);
 *   {"stage":"end",...}     how many of a sample of the idle connections still answer.
 *
 * usage: sessiond-crowd-client --port P --token T [--idle N] [--subscribers N] [--writes N]
 *                              [--gap-ms MS] [--timeout-s S] [--version V] */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define NEEDLE_LEN 36          /* a session id: 8-4-4-4-12 hex digits */
#define OPEN_BATCH 500
#define OPEN_BUF 16384
#define RX_MAX (256 * 1024)

enum { C_CONNECTING, C_READING, C_OPEN };

struct conn {
	int fd;
	int state;
	char *buf;                 /* the answer while the connection opens */
	size_t len;
	/* an event stream's chunked body, decoded as it comes */
	int ck_state;              /* 0: size line, 1: data, 2: CRLF after data, 3: ended */
	size_t ck_left;
	unsigned long ck_size;
	int ck_ext;                /* in a chunk extension (";..."), skipped */
	char tail[NEEDLE_LEN];     /* the last bytes of data read, for a needle cut by a read */
	int tlen;
	int seen;                  /* the write index whose event this subscriber read last (-1: none) */
};

static struct {
	int port;
	const char *token;
	const char *version;
	int idle, subs, writes, gap_ms, timeout_s;
} cfg = {.version = "1.3-rev2", .idle = 10000, .subs = 2000, .writes = 20, .gap_ms = 200, .timeout_s = 20};

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("sessiond-crowd-client: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int connect_nb(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if(fd < 0)
		die("socket: %s", strerror(errno));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg.port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS)
		die("connect: %s", strerror(errno));
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
	while(n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if(k < 0 && errno == EINTR)
			continue;
		if(k < 0 && errno == EAGAIN) {
			struct timespec ts = {0, 100000};
			nanosleep(&ts, NULL);
			continue;
		}
		if(k <= 0)
			die("send: %s", k ? strerror(errno) : "closed");
		p += k;
		n -= (size_t)k;
	}
}

/* The length of a complete answer in buf (headers and Content-Length body), 0 while it is
 * incomplete; *hdr gets the header length. An answer without Content-Length ends at its headers. */
static size_t answer_len(const char *buf, size_t len, size_t *hdr)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4);
	if(!end)
		return 0;
	*hdr = (size_t)(end - buf) + 4;
	size_t body = 0;
	for(const char *p = buf; p < end; p++) {
		if((p == buf || p[-1] == '\n') && !strncasecmp(p, "content-length:", 15)) {
			body = strtoul(p + 15, NULL, 10);
			break;
		}
	}
	return len >= *hdr + body ? *hdr + body : 0;
}

/* Feeds data of an event stream's chunked body into c, returning 1 when the decoded bytes
 * hold needle. Looks across reads: the last NEEDLE_LEN - 1 bytes are kept. */
static int stream_feed(struct conn *c, const char *p, size_t n, const char *needle, char *scratch)
{
	size_t out = 0;
	memcpy(scratch, c->tail, (size_t)c->tlen);
	out = (size_t)c->tlen;
	for(size_t i = 0; i < n;) {
		switch(c->ck_state) {
		case 0: {   /* "<hex>[;ext]\r\n" */
			char ch = p[i++];
			if(ch == '\n') {
				c->ck_left = c->ck_size;
				c->ck_state = c->ck_size ? 1 : 3;
				c->ck_size = 0;
				c->ck_ext = 0;
			} else if(ch == ';' || c->ck_ext) {
				c->ck_ext = 1;
			} else if(ch >= '0' && ch <= '9') {
				c->ck_size = c->ck_size * 16 + (unsigned long)(ch - '0');
			} else if((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f') {
				c->ck_size = c->ck_size * 16 + (unsigned long)((ch | 0x20) - 'a' + 10);
			}   /* else '\r', or an extension: ignored */
			break;
		}
		case 1: {
			size_t k = n - i < c->ck_left ? n - i : c->ck_left;
			memcpy(scratch + out, p + i, k);
			out += k;
			i += k;
			c->ck_left -= k;
			if(!c->ck_left)
				c->ck_state = 2;
			break;
		}
		case 2:   /* "\r\n" after the data */
			if(p[i++] == '\n')
				c->ck_state = 0;
			break;
		default:
			i = n;
		}
	}
	int hit = needle && memmem(scratch, out, needle, NEEDLE_LEN) != NULL;
	size_t keep = out < NEEDLE_LEN - 1 ? out : NEEDLE_LEN - 1;
	memcpy(c->tail, scratch + out - keep, keep);
	c->tlen = (int)keep;
	return hit;
}

/* Opens n connections, each sending req and reading its answer's headers (and, without
 * stream, its body), OPEN_BATCH at a time. */
static struct conn *open_many(int n, const char *req, int stream, char *scratch)
{
	struct conn *cs = calloc((size_t)(n ? n : 1), sizeof(*cs));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if(!cs || ep < 0)
		die("out of memory");
	size_t reqlen = strlen(req);
	int64_t deadline = now_us() + 120 * 1000000LL;
	for(int at = 0; at < n; at += OPEN_BATCH) {
		int end = at + OPEN_BATCH < n ? at + OPEN_BATCH : n, pending = end - at;
		for(int i = at; i < end; i++) {
			struct conn *c = &cs[i];
			c->fd = connect_nb();
			c->state = C_CONNECTING;
			c->seen = -1;
			struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
			if(epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev))
				die("epoll_ctl: %s", strerror(errno));
		}
		while(pending) {
			if(now_us() > deadline)
				die("timed out opening connections (%d of %d open)", end - pending, n);
			struct epoll_event evs[256];
			int k = epoll_wait(ep, evs, 256, 1000);
			for(int j = 0; j < k; j++) {
				struct conn *c = evs[j].data.ptr;
				if(c->state == C_CONNECTING) {
					int err = 0;
					socklen_t el = sizeof(err);
					getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
					if(err)
						die("connect: %s", strerror(err));
					send_all(c->fd, req, reqlen);
					c->state = C_READING;
					c->buf = malloc(OPEN_BUF);
					if(!c->buf)
						die("out of memory");
					struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
					continue;
				}
				ssize_t r = recv(c->fd, c->buf + c->len, OPEN_BUF - c->len, 0);
				if(r < 0 && (errno == EAGAIN || errno == EINTR))
					continue;
				if(r <= 0)
					die("the server closed a connection while it was opened");
				c->len += (size_t)r;
				size_t hdr = 0, full = 0;
				if(stream) {
					const char *e = memmem(c->buf, c->len, "\r\n\r\n", 4);
					if(!e) {
						if(c->len == OPEN_BUF)
							die("answer headers too long");
						continue;
					}
					hdr = (size_t)(e - c->buf) + 4;
				} else if(!(full = answer_len(c->buf, c->len, &hdr))) {
					if(c->len == OPEN_BUF)
						die("answer too long");
					continue;
				}
				if(strncmp(c->buf, "HTTP/1.1 200", 12))
					die("answer: %.200s", c->buf);
				if(stream)
					stream_feed(c, c->buf + hdr, c->len - hdr, NULL, scratch);
				else if(c->len != full)
					die("more than one answer on an idle connection");
				free(c->buf);
				c->buf = NULL;
				c->len = 0;
				c->state = C_OPEN;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				pending--;
			}
		}
	}
	close(ep);
	return cs;
}

static void new_uuid(char out[NEEDLE_LEN + 1])
{
	unsigned char b[16];
	static int rnd = -1;
	if(rnd < 0 && (rnd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) < 0)
		die("/dev/urandom: %s", strerror(errno));
	if(read(rnd, b, sizeof(b)) != (ssize_t)sizeof(b))
		die("/dev/urandom: short read");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, NEEDLE_LEN + 1, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	         b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void wait_line(void)
{
	char line[64];
	if(!fgets(line, sizeof(line), stdin))
		exit(0);   /* crowd.py went away */
}

static void print_list(const char *name, const int64_t *v, int n)
{
	printf("\"%s\":[", name);
	for(int i = 0; i < n; i++)
		printf("%s%lld", i ? "," : "", (long long)v[i]);
	printf("]");
}

/* The writes, one at a time, and every subscriber's latency for each. */
static void fan_out(struct conn *subs, char *scratch)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	/* the writer's connection is open and was used once before the first write: neither its
	 * connect nor its first accept is inside the figure */
	char req0[256];
	snprintf(req0, sizeof(req0), "GET /api/v1/serverTime HTTP/1.1\r\nHost: x\r\nx-api-version: %s\r\n\r\n", cfg.version);
	struct conn *wc = open_many(1, req0, 0, scratch);
	struct conn w = *wc;
	free(wc);
	for(int i = 0; i < cfg.subs; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &subs[i]};
		if(epoll_ctl(ep, EPOLL_CTL_ADD, subs[i].fd, &ev))
			die("epoll_ctl: %s", strerror(errno));
	}
	struct epoll_event wev = {.events = EPOLLIN, .data.ptr = &w};
	epoll_ctl(ep, EPOLL_CTL_ADD, w.fd, &wev);
	int64_t *lat = calloc((size_t)cfg.writes * (size_t)(cfg.subs ? cfg.subs : 1), sizeof(int64_t));
	int64_t *first = calloc((size_t)cfg.writes + 1, sizeof(int64_t));
	int64_t *ack = calloc((size_t)cfg.writes + 1, sizeof(int64_t));
	int64_t *got = calloc((size_t)cfg.writes + 1, sizeof(int64_t));
	char *rx = malloc(RX_MAX), *wbuf = malloc(OPEN_BUF);
	if(!lat || !first || !ack || !got || !rx || !wbuf)
		die("out of memory");
	int nlat = 0;
	long missing = 0;
	for(int i = 0; i < cfg.writes; i++) {
		char id[NEEDLE_LEN + 1], body[256], req[4096];
		new_uuid(id);
		int bl = snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"crowd %d\",\"sessionType\":\"BackupJob\"}", id, i);
		int rl = snprintf(req, sizeof(req),
		                  "POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nx-api-version: %s\r\nAuthorization: Bearer %s\r\n"
		                  "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		                  cfg.version, cfg.token, bl, body);
		if(rl >= (int)sizeof(req))
			die("token too long");
		int waiting = cfg.subs, acked = 0;
		size_t wlen = 0;
		first[i] = -1;
		ack[i] = -1;
		int64_t t0 = now_us(), deadline = t0 + (int64_t)cfg.timeout_s * 1000000;
		send_all(w.fd, req, (size_t)rl);
		while((waiting || !acked) && now_us() < deadline) {
			struct epoll_event evs[512];
			int k = epoll_wait(ep, evs, 512, 100);
			for(int j = 0; j < k; j++) {
				struct conn *c = evs[j].data.ptr;
				ssize_t r = recv(c->fd, c == &w ? wbuf + wlen : rx, c == &w ? OPEN_BUF - wlen : RX_MAX, 0);
				int64_t t = now_us();
				if(r < 0 && (errno == EAGAIN || errno == EINTR))
					continue;
				if(r <= 0)
					die(c == &w ? "the server closed the writer's connection" : "the server closed an event stream");
				if(c == &w) {
					wlen += (size_t)r;
					size_t hdr, full = answer_len(wbuf, wlen, &hdr);
					if(!full)
						continue;
					if(strncmp(wbuf, "HTTP/1.1 201", 12))
						die("write: %.200s", wbuf);
					ack[i] = t - t0;
					acked = 1;
					memmove(wbuf, wbuf + full, wlen - full);
					wlen -= full;
					continue;
				}
				if(stream_feed(c, rx, (size_t)r, id, scratch) && c->seen != i) {
					c->seen = i;
					lat[nlat++] = t - t0;
					if(first[i] < 0)
						first[i] = t - t0;
					waiting--;
				}
			}
		}
		if(!acked)
			die("write %d: no answer within %d s", i, cfg.timeout_s);
		missing += waiting;
		got[i] = cfg.subs - waiting;
		/* the gap: the streams are read meanwhile (keep-alive comments, late events) */
		int64_t until = now_us() + (int64_t)cfg.gap_ms * 1000;
		while(now_us() < until) {
			struct epoll_event evs[512];
			int64_t left = (until - now_us()) / 1000;
			int k = epoll_wait(ep, evs, 512, left > 0 ? (int)left : 0);
			for(int j = 0; j < k; j++) {
				struct conn *c = evs[j].data.ptr;
				ssize_t r = recv(c->fd, c == &w ? wbuf + wlen : rx, c == &w ? OPEN_BUF - wlen : RX_MAX, 0);
				if(r == 0)
					die("the server closed a connection between writes");
				if(r > 0 && c != &w)
					stream_feed(c, rx, (size_t)r, NULL, scratch);
			}
		}
	}
	printf("{\"stage\":\"fanout\",\"writes\":%d,\"subscribers\":%d,\"missing\":%ld,", cfg.writes, cfg.subs, missing);
	print_list("latency_us", lat, nlat);
	printf(",");
	print_list("first_us", first, cfg.writes);
	printf(",");
	print_list("ack_us", ack, cfg.writes);
	printf(",");
	print_list("got", got, cfg.writes);
	printf("}\n");
	fflush(stdout);
	free(lat);
	free(first);
	free(ack);
	free(got);
	free(rx);
	free(wbuf);
	close(w.fd);
	close(ep);
}

/* One more request on a sample of the idle connections: how many answer 200. */
static int still_open(struct conn *idle, int n, int sample)
{
	char req[256];
	snprintf(req, sizeof(req), "GET /api/v1/serverTime HTTP/1.1\r\nHost: x\r\nx-api-version: %s\r\n\r\n", cfg.version);
	int ok = 0, step = n / sample > 0 ? n / sample : 1;
	for(int i = 0, done = 0; i < n && done < sample; i += step, done++) {
		int fd = idle[i].fd;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		struct timeval tv = {10, 0};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		char got[64];
		if(send(fd, req, strlen(req), MSG_NOSIGNAL) < 0)
			continue;
		ssize_t r = recv(fd, got, sizeof(got), 0);
		ok += r >= 12 && !strncmp(got, "HTTP/1.1 200", 12);
	}
	return ok;
}

int main(int argc, char **argv)
{
	for(int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if(!v)
			die("%s needs a value", a);
		i++;
		if(!strcmp(a, "--port"))
			cfg.port = atoi(v);
		else if(!strcmp(a, "--token"))
			cfg.token = v;
		else if(!strcmp(a, "--idle"))
			cfg.idle = atoi(v);
		else if(!strcmp(a, "--subscribers"))
			cfg.subs = atoi(v);
		else if(!strcmp(a, "--writes"))
			cfg.writes = atoi(v);
		else if(!strcmp(a, "--gap-ms"))
			cfg.gap_ms = atoi(v);
		else if(!strcmp(a, "--timeout-s"))
			cfg.timeout_s = atoi(v);
		else if(!strcmp(a, "--version"))
			cfg.version = v;
		else
			die("unknown argument %s", a);
	}
	if(!cfg.port || !cfg.token || cfg.idle < 0 || cfg.subs < 0 || cfg.writes < 0)
		die("usage: sessiond-crowd-client --port P --token T [--idle N] [--subscribers N] [--writes N] "
		    "[--gap-ms MS] [--timeout-s S]");
	struct rlimit rl;
	if(!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if(rl.rlim_cur < (rlim_t)(cfg.idle + cfg.subs + 64))
			die("needs %d open files, the limit allows %llu", cfg.idle + cfg.subs + 64, (unsigned long long)rl.rlim_cur);
	}
	char *scratch = malloc(RX_MAX + NEEDLE_LEN);
	if(!scratch)
		die("out of memory");
	char req[4096];
	snprintf(req, sizeof(req), "GET /api/v1/serverTime HTTP/1.1\r\nHost: x\r\nx-api-version: %s\r\n\r\n", cfg.version);
	int64_t t0 = now_us();
	struct conn *idle = open_many(cfg.idle, req, 0, scratch);
	int64_t t1 = now_us();
	if(snprintf(req, sizeof(req), "GET /api/v1/sessions/events HTTP/1.1\r\nHost: x\r\nx-api-version: %s\r\n"
	                              "Authorization: Bearer %s\r\n\r\n", cfg.version, cfg.token) >= (int)sizeof(req))
		die("token too long");
	struct conn *subs = open_many(cfg.subs, req, 1, scratch);
	int64_t t2 = now_us();
	printf("{\"stage\":\"held\",\"idle\":%d,\"subscribers\":%d,\"open_idle_s\":%.2f,\"open_subscribers_s\":%.2f}\n",
	       cfg.idle, cfg.subs, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
	fflush(stdout);
	wait_line();
	fan_out(subs, scratch);
	wait_line();
	int sample = cfg.idle < 100 ? cfg.idle : 100;
	int ok = still_open(idle, cfg.idle, sample);
	printf("{\"stage\":\"end\",\"idle_still_open\":%d,\"idle_sampled\":%d}\n", ok, sample);
	fflush(stdout);
	return 0;
}
