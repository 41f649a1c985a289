/* http/listen: what the listeners stand on. Listening sockets bound from "HOST:PORT"
 * specs, and the TLS certificate every handshake takes, which SIGHUP can replace while
 * connections stay open (libmicrohttpd asks through a gnutls certificate callback). */
#ifndef SESSIOND_HTTP_LISTEN_H
#define SESSIOND_HTTP_LISTEN_H
#include <stddef.h>

#include "util/rc.h"

/** A listening socket (non-blocking, close-on-exec) on spec ("HOST:PORT", "[v6]:PORT",
 *  "localhost:PORT"), or -1 with the reason in err. */
int http_listen_socket(const char *spec, char *err, size_t errlen);

/** Loads the PEM certificate chain and key; they must belong together. RC_INVALID with
 *  the reason in err. The paths are kept for http_tls_reload. */
enum rc http_tls_open(const char *cert, const char *key, char *err, size_t errlen);
/** The gnutls_certificate_retrieve_function2 for MHD_OPTION_HTTPS_CERT_CALLBACK. */
void *http_tls_callback(void);
/** Frees every certificate loaded (after the daemons stopped). */
void http_tls_close(void);

#endif
