/* guard: what libmicrohttpd 0.9.75 does not do for sessiond's connections.
 * - a deadline for receiving a request (request line, headers and body), apart
 *   from the idle keep-alive timeout: a connection that has started a request
 *   and not finished sending it within the deadline gets 408 and is closed;
 * - TLS bytes on a plain listener: the connection is closed at once;
 * - a parked request (long poll, event stream) whose client closed: a
 *   callback ends it at once instead of when its wait ends.
 * One thread watches every connection: an epoll set for closed parked clients,
 * and a scan of the connection list twice a second for deadlines (TCP_INFO's
 * byte count tells when an idle connection started a new request).
 * The http layer owns struct guard_conn through these calls; the guard frees it. */
#ifndef SESSIOND_HTTP_GUARD_H
#define SESSIOND_HTTP_GUARD_H

#include "util/rc.h"

struct guard_conn;

/** Starts the watcher thread; receive_s is the request receive deadline in seconds.
 *  RC_BACKEND when the thread or its epoll set cannot be created. */
enum rc guard_start(unsigned receive_s);
/** Stops the thread and frees every connection record. */
void guard_stop(void);

/** A connection was accepted (libmicrohttpd's NOTIFY_CONNECTION STARTED). tls: the
 *  listener speaks TLS (nothing is ever written to the socket in plain text).
 *  Closes it at once when it is plain and its first byte starts a TLS handshake. */
struct guard_conn *guard_conn_new(int fd, int tls);
/** The connection is being closed (NOTIFY_CONNECTION CLOSED, before its socket
 *  is closed); c is freed later by the guard. */
void guard_conn_closed(struct guard_conn *c);

/** The request line of a new request has arrived. */
void guard_request_line(struct guard_conn *c);
/** The whole request (headers and body) has arrived: no deadline until done. */
void guard_request_received(struct guard_conn *c);
/** The request ended; the connection waits (keep-alive) for the next one. */
void guard_request_done(struct guard_conn *c);

/** Watches a parked request: gone(arg) runs once, on the guard's thread, when
 *  the client closes its end, unless guard_unwatch() ran before. */
void guard_watch(struct guard_conn *c, void (*gone)(void *arg), void *arg);
/** Stops watching; after it returns gone() is not running and will not run. */
void guard_unwatch(struct guard_conn *c);

#endif
