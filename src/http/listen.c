#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/server.h"
#include "util/buf.h"
#include "util/mem.h"

/* A TLS certificate chain and its key, as the handshake callback hands them out. SIGHUP
 * loads a new one; older ones stay (sessions may still point at them) until http_stop. */
struct tls_cred {
	gnutls_pcert_st pcert[16];
	unsigned npcert;
	gnutls_privkey_t key;
	struct tls_cred *older;
};

/* The newest credential (atomic: read by handshakes) and the files it came from. */
static struct {
	struct tls_cred *cred;
	const char *cert, *key;
} tls;

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if(!f) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	struct buf b;
	buf_init(&b, 1 << 20);
	char tmp[4096];
	size_t n;
	while((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		if(buf_add(&b, tmp, n))
			break;
	fclose(f);
	if(b.failed) {
		snprintf(err, errlen, "%s is too large", path);
		return NULL;
	}
	return buf_take(&b, len);
}

static void cred_free(struct tls_cred *c)
{
	while(c) {
		struct tls_cred *older = c->older;
		for(unsigned i = 0; i < c->npcert; i++)
			gnutls_pcert_deinit(&c->pcert[i]);
		if(c->key)
			gnutls_privkey_deinit(c->key);
		free(c);
		c = older;
	}
}

/* Whether the key belongs to the first certificate (their public keys agree). */
static int cred_matches(struct tls_cred *c)
{
	gnutls_pubkey_t pub;
	gnutls_datum_t a = {0}, b = {0};
	int ok = 0;
	if(gnutls_pubkey_init(&pub) < 0)
		return 0;
	if(gnutls_pubkey_import_privkey(pub, c->key, 0, 0) >= 0 &&
	   gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &a) >= 0 &&
	   gnutls_pubkey_export2(c->pcert[0].pubkey, GNUTLS_X509_FMT_DER, &b) >= 0)
		ok = a.size == b.size && !memcmp(a.data, b.data, a.size);
	gnutls_free(a.data);
	gnutls_free(b.data);
	gnutls_pubkey_deinit(pub);
	return ok;
}

/* Reads --tls-cert (a PEM chain) and --tls-key into a new credential. */
static struct tls_cred *cred_load(char *err, size_t errlen)
{
	size_t clen = 0, klen = 0;
	char *cert = read_file(tls.cert, &clen, err, errlen);
	char *key = cert ? read_file(tls.key, &klen, err, errlen) : NULL;
	struct tls_cred *c = NULL;
	if(!key)
		goto out;
	c = xcalloc(1, sizeof(*c));
	gnutls_datum_t cd = {(unsigned char *)cert, (unsigned)clen}, kd = {(unsigned char *)key, (unsigned)klen};
	c->npcert = sizeof(c->pcert) / sizeof(c->pcert[0]);
	int g = gnutls_pcert_list_import_x509_raw(c->pcert, &c->npcert, &cd, GNUTLS_X509_FMT_PEM, 0);
	if(g < 0 || !c->npcert) {
		c->npcert = 0;
		snprintf(err, errlen, "%s: not a PEM certificate (%s)", tls.cert, gnutls_strerror(g));
		goto bad;
	}
	if((g = gnutls_privkey_init(&c->key)) < 0 ||
	   (g = gnutls_privkey_import_x509_raw(c->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		snprintf(err, errlen, "%s: not a PEM private key (%s)", tls.key, gnutls_strerror(g));
		goto bad;
	}
	if(!cred_matches(c)) {
		snprintf(err, errlen, "%s does not belong to the certificate in %s", tls.key, tls.cert);
		goto bad;
	}
	goto out;
bad:
	cred_free(c);
	c = NULL;
out:
	if(key)
		explicit_bzero(key, klen);
	free(key);
	free(cert);
	return c;
}

/* Every handshake takes the newest credential. */
static int cert_callback(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
                         const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
                         unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
	(void)session;
	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	struct tls_cred *c = __atomic_load_n(&tls.cred, __ATOMIC_ACQUIRE);
	if(!c)
		return -1;
	*pcert = c->pcert;
	*pcert_length = c->npcert;
	*privkey = c->key;
	return 0;
}

enum rc http_tls_reload(char *err, size_t errlen)
{
	if(!tls.cred) {
		snprintf(err, errlen, "TLS is not configured");
		return RC_INVALID;
	}
	struct tls_cred *c = cred_load(err, errlen);
	if(!c)
		return RC_INVALID;
	c->older = tls.cred;   /* handshakes in progress may still use it */
	__atomic_store_n(&tls.cred, c, __ATOMIC_RELEASE);
	return RC_OK;
}

enum rc http_tls_open(const char *cert, const char *key, char *err, size_t errlen)
{
	http_tls_close();
	tls.cert = cert;
	tls.key = key;
	tls.cred = cred_load(err, errlen);
	return tls.cred ? RC_OK : RC_INVALID;
}

void *http_tls_callback(void) { return (void *)cert_callback; }

void http_tls_close(void)
{
	cred_free(tls.cred);
	tls.cred = NULL;
}

static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	if(!colon || colon == spec)
		return -1;
	size_t hl = (size_t)(colon - spec);
	if(hl >= sizeof(host))
		return -1;
	memcpy(host, spec, hl);
	host[hl] = 0;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if(*end || port < 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if(host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		host[hl - 1] = 0;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if(inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return -1;
		*len = sizeof(*s6);
		return 0;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	if(!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if(inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return -1;
	*len = sizeof(*s4);
	return 0;
}

int http_listen_socket(const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if(parse_listen(spec, &ss, &sl)) {
		snprintf(err, errlen, "bad listen address '%s' (want HOST:PORT)", spec);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int on = 1;
	if(fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if(ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	}
	if(fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 1024)) {
		snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(errno));
		if(fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

