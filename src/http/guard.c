#include "guard.h"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/mem.h"
#include "util/timefmt.h"

#define SCAN_INTERVAL_US 500000 /* how often each connection's deadline is checked */
/* A scan reads each connection's received byte count (a getsockopt): with ten thousand
 * connections that is tens of milliseconds of one core. So the connections are in
 * SCAN_SLICES slices, and every SCAN_INTERVAL_US / SCAN_SLICES one slice is scanned: the
 * same work, and each connection still checked every SCAN_INTERVAL_US, without a burst that
 * takes a core (and g.lock) from the requests for that long. */
#define SCAN_SLICES 5

/* Where a connection is in its current request. Moves IDLE -> RECEIVING (request
 * line) -> HANDLING (whole request in) -> IDLE (done); KILLED is final. The
 * workers and the guard change it with compare-and-swap, so a request that
 * completes while the guard closes it for its deadline never gets two answers. */
enum phase { PH_IDLE, PH_RECEIVING, PH_HANDLING, PH_KILLED };

struct guard_conn {
	int fd;
	int tls;             /* TLS listener: never write plain text */
	int phase;           /* enum phase (atomic) */
	int64_t line_us;     /* when the current request line arrived (atomic) */
	unsigned done;       /* requests completed on this connection (atomic) */
	/* guarded by g.lock */
	unsigned seen_done;    /* `done` at the last scan */
	uint64_t base_bytes;   /* bytes received when the scan saw `done` change */
	int64_t first_byte_us; /* when a scan first saw bytes of the next request; 0: none yet */
	int closed;            /* guard_conn_closed ran: waiting in the grave list */
	int watched;           /* fd is in the epoll set */
	int slice;             /* in g.head[slice], scanned with it (fixed) */
	void (*gone)(void *arg);
	void *gone_arg;
	struct guard_conn *prev, *next;
};

static struct {
	pthread_mutex_t lock;
	struct guard_conn *head[SCAN_SLICES]; /* live connections, by slice */
	struct guard_conn *grave; /* closed; freed by the thread before its next epoll_wait */
	int efd;                  /* epoll: parked connections' sockets, and wake */
	int wake;                 /* eventfd to stop the thread */
	int stop;
	int running;
	pthread_t thread;
	int64_t receive_us; /* the request receive deadline */
} g = {.lock = PTHREAD_MUTEX_INITIALIZER, .efd = -1, .wake = -1};

static const char timeout_answer[] = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                                     "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 56\r\n\r\n"
                                     "the request was not received in time (--header-timeout)\n";

static uint64_t bytes_received(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	if(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return 0;
	return ti.tcpi_bytes_received;
}

/* Ends c's request for its deadline: 408 on plain connections, then both directions
 * shut, which libmicrohttpd sees as the client leaving. Under g.lock. */
static void kill_conn(struct guard_conn *c, int phase)
{
	if(!__atomic_compare_exchange_n(&c->phase, &phase, PH_KILLED, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return; /* the request moved on meanwhile */
	if(!c->tls)
		(void)!send(c->fd, timeout_answer, sizeof(timeout_answer) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	shutdown(c->fd, SHUT_RDWR);
}

/* Under g.lock: closes connections of one slice whose request did not arrive within the
 * deadline. */
static void scan(int64_t now, int slice)
{
	for(struct guard_conn *c = g.head[slice]; c; c = c->next) {
		int ph = __atomic_load_n(&c->phase, __ATOMIC_ACQUIRE);
		if(ph == PH_KILLED || ph == PH_HANDLING)
			continue;
		unsigned done = __atomic_load_n(&c->done, __ATOMIC_ACQUIRE);
		if(done != c->seen_done) {
			c->seen_done = done;
			c->first_byte_us = 0;
			c->base_bytes = bytes_received(c->fd);
			continue;
		}
		int64_t start = c->first_byte_us;
		if(ph == PH_RECEIVING) {
			int64_t line = __atomic_load_n(&c->line_us, __ATOMIC_ACQUIRE);
			if(!start || line < start)
				start = line;
		} else if(!start && bytes_received(c->fd) > c->base_bytes) {
			c->first_byte_us = now; /* the next request began (within one scan interval) */
			continue;
		}
		if(start && now - start > g.receive_us)
			kill_conn(c, ph);
	}
}

static void *run(void *arg)
{
	(void)arg;
	struct epoll_event ev[64];
	int64_t next_scan = 0;
	int slice = 0;
	for(;;) {
		pthread_mutex_lock(&g.lock);
		while(g.grave) {
			struct guard_conn *c = g.grave;
			g.grave = c->next;
			free(c);
		}
		int stop = g.stop;
		pthread_mutex_unlock(&g.lock);
		if(stop)
			break;
		int n = epoll_wait(g.efd, ev, 64, SCAN_INTERVAL_US / SCAN_SLICES / 1000);
		int64_t now = time_now_us();
		pthread_mutex_lock(&g.lock);
		for(int i = 0; i < n; i++) {
			struct guard_conn *c = ev[i].data.ptr;
			if(!c || c->closed || !c->gone)
				continue;
			void (*gone)(void *) = c->gone;
			c->gone = NULL;
			gone(c->gone_arg);
		}
		if(now >= next_scan) {
			scan(now, slice);
			slice = (slice + 1) % SCAN_SLICES;
			next_scan = now + SCAN_INTERVAL_US / SCAN_SLICES;
		}
		pthread_mutex_unlock(&g.lock);
	}
	return NULL;
}

enum rc guard_start(unsigned receive_s)
{
	g.receive_us = (int64_t)receive_s * 1000000;
	g.stop = 0;
	g.efd = epoll_create1(EPOLL_CLOEXEC);
	g.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if(g.efd < 0 || g.wake < 0 || epoll_ctl(g.efd, EPOLL_CTL_ADD, g.wake, &ev) ||
	   pthread_create(&g.thread, NULL, run, NULL)) {
		guard_stop();
		return RC_BACKEND;
	}
	g.running = 1;
	return RC_OK;
}

void guard_stop(void)
{
	if(g.running) {
		pthread_mutex_lock(&g.lock);
		g.stop = 1;
		pthread_mutex_unlock(&g.lock);
		uint64_t one = 1;
		(void)!write(g.wake, &one, sizeof(one));
		pthread_join(g.thread, NULL);
		g.running = 0;
	}
	pthread_mutex_lock(&g.lock);
	for(int i = 0; i < SCAN_SLICES; i++)
		while(g.head[i]) {
			struct guard_conn *c = g.head[i];
			g.head[i] = c->next;
			free(c);
		}
	while(g.grave) {
		struct guard_conn *c = g.grave;
		g.grave = c->next;
		free(c);
	}
	pthread_mutex_unlock(&g.lock);
	if(g.efd >= 0)
		close(g.efd);
	if(g.wake >= 0)
		close(g.wake);
	g.efd = g.wake = -1;
}

struct guard_conn *guard_conn_new(int fd, int tls)
{
	static unsigned made;
	struct guard_conn *c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->tls = tls;
	c->slice = (int)(__atomic_fetch_add(&made, 1, __ATOMIC_RELAXED) % SCAN_SLICES);
	if(!tls) {
		/* The listener defers accept until data arrived, so the first byte is here:
		 * 0x16 starts a TLS handshake record, which no HTTP/1 request does. */
		unsigned char b = 0;
		if(recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1 && b == 0x16) {
			c->phase = PH_KILLED;
			shutdown(fd, SHUT_RDWR);
		}
	}
	pthread_mutex_lock(&g.lock);
	c->next = g.head[c->slice];
	if(c->next)
		c->next->prev = c;
	g.head[c->slice] = c;
	pthread_mutex_unlock(&g.lock);
	return c;
}

void guard_conn_closed(struct guard_conn *c)
{
	if(!c)
		return;
	pthread_mutex_lock(&g.lock);
	if(c->watched && g.efd >= 0)
		epoll_ctl(g.efd, EPOLL_CTL_DEL, c->fd, NULL);
	c->watched = 0;
	c->gone = NULL;
	if(c->prev)
		c->prev->next = c->next;
	else
		g.head[c->slice] = c->next;
	if(c->next)
		c->next->prev = c->prev;
	c->closed = 1;
	c->prev = NULL;
	c->next = g.grave;
	g.grave = c;
	if(!g.running) { /* no thread to free it (stopping) */
		g.grave = c->next;
		free(c);
	}
	pthread_mutex_unlock(&g.lock);
}

/* A worker lost the race against kill_conn: wait until the guard finished shutting
 * the socket, so nothing the worker sends can come before the 408. */
static void killed_sync(void)
{
	pthread_mutex_lock(&g.lock);
	pthread_mutex_unlock(&g.lock);
}

static void move(struct guard_conn *c, int from, int to)
{
	int cur = from;
	if(!__atomic_compare_exchange_n(&c->phase, &cur, to, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) && cur == PH_KILLED)
		killed_sync();
}

void guard_request_line(struct guard_conn *c)
{
	if(!c)
		return;
	__atomic_store_n(&c->line_us, time_now_us(), __ATOMIC_RELEASE);
	move(c, PH_IDLE, PH_RECEIVING);
}

void guard_request_received(struct guard_conn *c)
{
	if(c)
		move(c, PH_RECEIVING, PH_HANDLING);
}

void guard_request_done(struct guard_conn *c)
{
	if(!c)
		return;
	__atomic_add_fetch(&c->done, 1, __ATOMIC_RELEASE);
	int cur = __atomic_load_n(&c->phase, __ATOMIC_ACQUIRE);
	while(cur != PH_KILLED && cur != PH_IDLE &&
	      !__atomic_compare_exchange_n(&c->phase, &cur, PH_IDLE, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
}

void guard_watch(struct guard_conn *c, void (*gone)(void *arg), void *arg)
{
	if(!c)
		return;
	pthread_mutex_lock(&g.lock);
	c->gone = gone;
	c->gone_arg = arg;
	if(!c->watched && !c->closed && g.efd >= 0) {
		/* Edge-triggered: reported once when the peer shuts its end (at once if it
		 * already did); bytes of a pipelined next request do not count. */
		struct epoll_event ev = {.events = EPOLLRDHUP | EPOLLET, .data.ptr = c};
		if(!epoll_ctl(g.efd, EPOLL_CTL_ADD, c->fd, &ev))
			c->watched = 1;
	}
	pthread_mutex_unlock(&g.lock);
}

void guard_unwatch(struct guard_conn *c)
{
	if(!c)
		return;
	pthread_mutex_lock(&g.lock);
	c->gone = NULL;
	if(c->watched && g.efd >= 0)
		epoll_ctl(g.efd, EPOLL_CTL_DEL, c->fd, NULL);
	c->watched = 0;
	pthread_mutex_unlock(&g.lock);
}
