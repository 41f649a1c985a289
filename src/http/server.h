/* http: the libmicrohttpd daemon(s), request limits, routing to a dialect,
 * suspension of waiting requests and the access log. */
#ifndef SESSIOND_HTTP_SERVER_H
#define SESSIOND_HTTP_SERVER_H
#include <stddef.h>

#include "util/rc.h"

#define HTTP_MAX_LISTEN 8

struct http_config {
	const char *listen[HTTP_MAX_LISTEN]; /* "HOST:PORT" or "[v6]:PORT" */
	int nlisten;
	const char *tls_cert;      /* PEM file paths; both or neither */
	const char *tls_key;
	unsigned threads;          /* worker threads per listener; 0 = one per core */
	unsigned conn_limit;       /* open connections per listener */
	unsigned timeout_s;        /* idle connection timeout, seconds */
	size_t body_max;           /* request body bytes */
	size_t header_max;         /* per-connection buffer for the request line and headers */
	unsigned header_timeout_s; /* a started request must be fully received within this; 0: 10 */
	unsigned per_addr_limit;   /* open connections per client address (0: no limit) */
	unsigned waiting_per_user; /* long polls and event streams per user at once (0: no limit) */
	size_t response_max;       /* largest buffered answer in bytes (0: BUF_DEFAULT_MAX) */
	const char *metrics_listen;/* "HOST:PORT" of a plain-HTTP listener for /metrics without
	                              authentication (and /healthz, /readyz); NULL: none */
};

/** Binds every listening socket (--listen, then metrics_listen) without serving yet, so a
 *  port in use is known before anything else happens; http_start serves them. On failure
 *  nothing stays bound. */
enum rc http_bind(const struct http_config *c, char *err, size_t errlen);
/** Starts serving every listener (binding first unless http_bind ran); on failure nothing
 *  stays running. A request line per request goes to the log (util/log.h). */
enum rc http_start(const struct http_config *c, char *err, size_t errlen);
/** Reads the TLS certificate and key files again; new connections get them, connections
 *  already open keep theirs. On failure (err says why) the old ones stay in use. */
enum rc http_tls_reload(char *err, size_t errlen);
/** Stops accepting, waits up to drain_ms for requests in flight, then stops. */
void http_stop(unsigned drain_ms);

#endif
