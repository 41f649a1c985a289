/* The HTTP side of sessionctl: libcurl requests, tokens (password grant,
 * single-use refresh grant, the 0600 cache file under a lock), and turning
 * failures into messages a user can act on. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "util/mem.h"
#include "util/timefmt.h"

#define REPLY_MAX ((size_t)256 << 20)
#define EXPIRY_MARGIN_US (60 * 1000000LL)   /* refresh this long before expiry */

void ctl_msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("sessionctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int ctl_fail(struct ctl *c)
{
	ctl_msg("%s", c->err[0] ? c->err : "request failed");
	return CTL_EXIT_API;
}

static void seterr(struct ctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void seterr(struct ctl *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

void ctl_init(struct ctl *c)
{
	memset(c, 0, sizeof(*c));
	c->timeout_s = CTL_TIMEOUT_S;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c->curl = curl_easy_init();
	if(!c->curl) {
		fputs("sessionctl: cannot initialise libcurl\n", stderr);
		abort();
	}
}

void ctl_free(struct ctl *c)
{
	curl_easy_cleanup(c->curl);
	if(c->password) {
		memset(c->password, 0, strlen(c->password));
		free(c->password);
	}
	if(c->api_key) {
		memset(c->api_key, 0, strlen(c->api_key));
		free(c->api_key);
	}
	free(c->access);
	free(c->refresh);
	curl_global_cleanup();
}

void ctl_urlenc(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for(; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || strchr("-._~", ch)) {
			buf_addc(b, (char)ch);
		} else {
			buf_addc(b, '%');
			buf_addc(b, hex[ch >> 4]);
			buf_addc(b, hex[ch & 15]);
		}
	}
}

/* ---------- raw HTTP ---------- */

struct reply {
	long status;
	struct buf body;
};

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	const int *flag = ud;
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return __atomic_load_n(flag, __ATOMIC_RELAXED) != 0;
}

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	return buf_add(b, p, size * n) ? 0 : size * n;
}

/* One request. RC_BUSY when no HTTP reply came back (c->err says why). */
static enum rc http(struct ctl *c, const char *method, const char *path, const char *ctype, const char *body,
                    const char *bearer, struct reply *rep)
{
	CURL *h = c->curl;
	struct buf url;
	buf_init(&url, 0);
	buf_addstr(&url, c->server);
	buf_addstr(&url, path);
	buf_init(&rep->body, REPLY_MAX);
	rep->status = 0;
	struct curl_slist *hdr = NULL;
	hdr = curl_slist_append(hdr, "x-api-version: " CTL_API_VERSION);
	hdr = curl_slist_append(hdr, "Accept: application/json");
	hdr = curl_slist_append(hdr, "Expect:");
	struct buf tmp;
	buf_init(&tmp, 0);
	if(bearer) {
		buf_printf(&tmp, "Authorization: Bearer %s", bearer);
		hdr = curl_slist_append(hdr, buf_cstr(&tmp));
		buf_reset(&tmp);
	}
	if(ctype) {
		buf_printf(&tmp, "Content-Type: %s", ctype);
		hdr = curl_slist_append(hdr, buf_cstr(&tmp));
	}
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, buf_cstr(&url));
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "sessionctl/" SESSIOND_VERSION);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->timeout_s < 5 ? c->timeout_s : 5L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s);
	if(c->cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	if(c->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if(c->abort_flag) {
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)c->abort_flag);
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &rep->body);
	if(strcmp(method, "GET"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if(body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else if(strcmp(method, "GET")) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	}
	CURLcode cc = curl_easy_perform(h);
	curl_slist_free_all(hdr);
	buf_free(&tmp);
	enum rc rc = RC_OK;
	if(cc != CURLE_OK) {
		if(cc == CURLE_COULDNT_CONNECT)
			seterr(c, "cannot connect to %s: %s (is sessiond running? set --server or SESSIOND_URL)", c->server,
			       curl_easy_strerror(cc));
		else if(cc == CURLE_OPERATION_TIMEDOUT)
			seterr(c, "%s did not answer %s %s within %ld s (--timeout)", c->server, method, path, c->timeout_s);
		else if(cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE)
			seterr(c, "cannot verify the TLS certificate of %s: %s (name the CA with --cacert FILE, or use "
			          "--insecure for a test server)", c->server, curl_easy_strerror(cc));
		else if(cc == CURLE_ABORTED_BY_CALLBACK)
			seterr(c, "%s %s: abandoned", method, path);
		else
			seterr(c, "%s %s: %s", method, buf_cstr(&url), curl_easy_strerror(cc));
		/* an untrusted certificate does not heal by retrying */
		rc = cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ? RC_FORBIDDEN : RC_BUSY;
	} else {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rep->status);
	}
	buf_free(&url);
	return rc;
}

static json_t *parse(struct reply *rep)
{
	if(!rep->body.len)
		return NULL;
	return json_loadb(rep->body.p, rep->body.len, 0, NULL);
}

/* The server's own words for a failed reply. */
static const char *server_message(json_t *j)
{
	const char *m = ctl_jstr(j, "message");
	if(!m)
		m = ctl_jstr(j, "detail");
	if(!m)
		m = ctl_jstr(j, "title");
	return m;
}

/* Maps a non-2xx reply to an rc and a message. */
static enum rc status_error(struct ctl *c, const char *method, const char *path, long status, json_t *j)
{
	const char *m = server_message(j);
	if(!m)
		m = "";
	switch(status) {
	case 400:
		seterr(c, "the server refused the request: %s", m);
		return RC_INVALID;
	case 401:
		seterr(c, "not logged in or the login expired (%s): run `sessionctl login`, or set SESSIOND_USER and "
		          "SESSIOND_PASSWORD", m);
		return RC_UNAUTHORIZED;
	case 403:
		seterr(c, "permission denied (%s): this needs the %s role", m, c->need_role ? c->need_role : "right");
		return RC_FORBIDDEN;
	case 404:
		seterr(c, "not found: %s", *m ? m : path);
		return RC_NOTFOUND;
	case 409:
		seterr(c, "conflict: %s", m);
		return RC_CONFLICT;
	case 412:
		seterr(c, "precondition failed: %s", m);
		return RC_PRECONDITION;
	case 429:
	case 502:
	case 503:
	case 504:
		seterr(c, "the server is busy or unavailable (HTTP %ld%s%s)", status, *m ? ": " : "", m);
		return RC_BUSY;
	default:
		seterr(c, "%s %s failed with HTTP %ld%s%s", method, path, status, *m ? ": " : "", m);
		return status >= 500 ? RC_BUSY : RC_BACKEND;
	}
}

/* ---------- token cache ---------- */

int ctl_cache_path(char *out, size_t n)
{
	const char *x = getenv("XDG_CONFIG_HOME");
	int len;
	if(x && *x)
		len = snprintf(out, n, "%s/sessiond/token.json", x);
	else if(getenv("HOME") && *getenv("HOME"))
		len = snprintf(out, n, "%s/.config/sessiond/token.json", getenv("HOME"));
	else
		return -1;
	return len < 0 || (size_t)len >= n ? -1 : 0;
}

static int mkdirs(const char *file)
{
	char dir[4096];
	size_t n = strlen(file);
	if(n >= sizeof(dir))
		return -1;
	memcpy(dir, file, n + 1);
	char *slash = strrchr(dir, '/');
	if(!slash || slash == dir)
		return 0;
	*slash = 0;
	for(char *p = dir + 1; *p; p++)
		if(*p == '/') {
			*p = 0;
			if(mkdir(dir, 0700) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	if(mkdir(dir, 0700) && errno != EEXIST)
		return -1;
	return 0;
}

/* Holds an exclusive lock on "<cache>.lock" so that two processes never spend the
 * same single-use refresh token. Returns the fd (-1 on failure). */
static int cache_lock(const char *path)
{
	char lock[4200];
	if(mkdirs(path))
		return -1;
	snprintf(lock, sizeof(lock), "%s.lock", path);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if(fd < 0)
		return -1;
	if(flock(fd, LOCK_EX)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void cache_unlock(int fd)
{
	if(fd >= 0)
		close(fd);
}

static json_t *cache_read(const char *path)
{
	json_t *j = json_load_file(path, 0, NULL);
	if(!json_is_object(j)) {
		json_decref(j);
		j = json_object();
	}
	if(!json_is_object(json_object_get(j, "servers")))
		json_object_set_new(j, "servers", json_object());
	return j;
}

/* Writes the whole cache file atomically, mode 0600. */
static int cache_write(const char *path, json_t *j)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	if(!text)
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ok = fd >= 0 && fchmod(fd, 0600) == 0;
	size_t len = strlen(text), off = 0;
	while(ok && off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if(w < 0 && errno == EINTR)
			continue;
		ok = w > 0;
		off += w > 0 ? (size_t)w : 0;
	}
	ok = ok && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	if(fd >= 0)
		ok = close(fd) == 0 && ok;
	free(text);
	if(!ok || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void set_tokens(struct ctl *c, json_t *tok)
{
	free(c->access);
	free(c->refresh);
	const char *a = ctl_jstr(tok, "access_token"), *r = ctl_jstr(tok, "refresh_token");
	c->access = a ? xstrdup(a) : NULL;
	c->refresh = r ? xstrdup(r) : NULL;
	int64_t ttl = ctl_jint(tok, "expires_in", 900);
	c->access_exp_us = time_now_us() + ttl * 1000000LL;
}

static json_t *cache_entry(struct ctl *c)
{
	json_t *e = json_object();
	json_object_set_new(e, "user", json_string(c->user ? c->user : ""));
	json_object_set_new(e, "access_token", json_string(c->access ? c->access : ""));
	json_object_set_new(e, "refresh_token", json_string(c->refresh ? c->refresh : ""));
	json_object_set_new(e, "access_expires", json_integer(c->access_exp_us / 1000000));
	return e;
}

static int load_entry(struct ctl *c, json_t *e)
{
	const char *a = ctl_jstr(e, "access_token"), *r = ctl_jstr(e, "refresh_token");
	if(!a || !r || !*r)
		return -1;
	free(c->access);
	free(c->refresh);
	c->access = *a ? xstrdup(a) : NULL;
	c->refresh = xstrdup(r);
	c->access_exp_us = ctl_jint(e, "access_expires", 0) * 1000000LL;
	return 0;
}

/* ---------- grants ---------- */

static enum rc token_call(struct ctl *c, const char *form, json_t **tok)
{
	struct reply rep;
	enum rc rc = http(c, "POST", "/api/oauth2/token", "application/x-www-form-urlencoded", form, NULL, &rep);
	*tok = NULL;
	if(!rc) {
		json_t *j = parse(&rep);
		if(rep.status == 200 && ctl_jstr(j, "access_token")) {
			*tok = j;
		} else if(rep.status == 200) {
			seterr(c, "the token reply from %s has no access_token (is this a sessiond server?)", c->server);
			json_decref(j);
			rc = RC_BACKEND;
		} else {
			rc = status_error(c, "POST", "/api/oauth2/token", rep.status, j);
			json_decref(j);
		}
	}
	buf_free(&rep.body);
	return rc;
}

static enum rc password_grant(struct ctl *c, const char *user, const char *password)
{
	struct buf f;
	buf_init(&f, 0);
	buf_addstr(&f, "grant_type=password&username=");
	ctl_urlenc(&f, user);
	buf_addstr(&f, "&password=");
	ctl_urlenc(&f, password);
	json_t *tok;
	enum rc rc = token_call(c, buf_cstr(&f), &tok);
	memset(f.p, 0, f.len);
	buf_free(&f);
	if(rc == RC_UNAUTHORIZED)
		seterr(c, "login as %s failed: wrong user name or password", user);
	if(rc)
		return rc;
	set_tokens(c, tok);
	json_decref(tok);
	return RC_OK;
}

static enum rc refresh_grant(struct ctl *c)
{
	struct buf f;
	buf_init(&f, 0);
	buf_addstr(&f, "grant_type=refresh_token&refresh_token=");
	ctl_urlenc(&f, c->refresh);
	json_t *tok;
	enum rc rc = token_call(c, buf_cstr(&f), &tok);
	buf_free(&f);
	if(rc)
		return rc;
	set_tokens(c, tok);
	json_decref(tok);
	return RC_OK;
}

static int load_password(struct ctl *c)
{
	if(c->password)
		return 0;
	if(c->password_file) {
		FILE *f = fopen(c->password_file, "r");
		if(!f) {
			seterr(c, "cannot read the password file %s: %s", c->password_file, strerror(errno));
			return -1;
		}
		char line[1024];
		if(!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
		line[strcspn(line, "\r\n")] = 0;
		c->password = xstrdup(line);
		memset(line, 0, sizeof(line));
		return 0;
	}
	const char *p = getenv("SESSIOND_PASSWORD");
	if(!p) {
		seterr(c, "no password for user %s: use --password-file FILE or set SESSIOND_PASSWORD", c->user);
		return -1;
	}
	c->password = xstrdup(p);
	return 0;
}

/* Tokens from the cache for this server, refreshed (and written back) when the
 * access token is about to expire. force: refresh even if it looks valid. */
static enum rc from_cache(struct ctl *c, int force)
{
	char path[4096];
	if(ctl_cache_path(path, sizeof(path))) {
		seterr(c, "no credentials: set SESSIOND_USER and SESSIOND_PASSWORD (no HOME for a token cache)");
		return RC_UNAUTHORIZED;
	}
	int lock = cache_lock(path);
	json_t *all = cache_read(path);
	json_t *servers = json_object_get(all, "servers");
	json_t *e = json_object_get(servers, c->server);
	enum rc rc = RC_OK;
	char *stale = c->access ? xstrdup(c->access) : NULL;
	if(!e || load_entry(c, e)) {
		seterr(c, "not logged in to %s: run `sessionctl login` (or set SESSIOND_USER and SESSIOND_PASSWORD)",
		       c->server);
		rc = RC_UNAUTHORIZED;
	} else if(force && stale && c->access && strcmp(stale, c->access) &&
	          c->access_exp_us - EXPIRY_MARGIN_US > time_now_us()) {
		/* another process refreshed meanwhile: its token is the new one */
	} else if(force || !c->access || c->access_exp_us - EXPIRY_MARGIN_US < time_now_us()) {
		const char *u = ctl_jstr(e, "user");
		char *user = xstrdup(u ? u : "");
		rc = refresh_grant(c);
		if(!rc) {
			const char *save = c->user;
			c->user = user;
			json_object_set_new(servers, c->server, cache_entry(c));
			c->user = save;
			if(cache_write(path, all))
				ctl_msg("warning: cannot update the token cache %s: %s", path, strerror(errno));
		} else if(rc == RC_UNAUTHORIZED) {
			seterr(c, "the saved login for %s has expired or was revoked: run `sessionctl login`", c->server);
		}
		free(user);
	}
	free(stale);
	json_decref(all);
	cache_unlock(lock);
	c->from_cache = 1;
	return rc;
}

/* Makes sure c->access holds a usable token. force: the server said the current
 * one is no longer valid. */
static enum rc authenticate(struct ctl *c, int force)
{
	if(c->api_key) {   /* a key does not expire: a refusal is final */
		if(force) {
			seterr(c, "the API key was refused (revoked, or not this server's)");
			return RC_UNAUTHORIZED;
		}
		if(!c->access)
			c->access = xstrdup(c->api_key);
		c->access_exp_us = INT64_MAX;
		return RC_OK;
	}
	if(c->access && !force && c->access_exp_us - EXPIRY_MARGIN_US > time_now_us())
		return RC_OK;
	if(!c->user)
		return from_cache(c, force || c->access != NULL);
	enum rc rc = RC_UNAUTHORIZED;
	if(c->refresh) {
		rc = refresh_grant(c);
		if(rc == RC_BUSY || rc == RC_FORBIDDEN)
			return rc;
	}
	if(rc) {
		if(load_password(c))
			return RC_UNAUTHORIZED;
		rc = password_grant(c, c->user, c->password);
	}
	return rc;
}

enum rc ctl_call(struct ctl *c, const char *method, const char *path, const char *body, json_t **out)
{
	if(out)
		*out = NULL;
	c->status = 0;
	c->err[0] = 0;
	enum rc rc = authenticate(c, 0);
	for(int attempt = 0; !rc; attempt++) {
		struct reply rep;
		rc = http(c, method, path, body ? "application/json" : NULL, body, c->access, &rep);
		if(rc) {
			buf_free(&rep.body);
			break;
		}
		c->status = rep.status;
		json_t *j = parse(&rep);
		buf_free(&rep.body);
		if(rep.status == 401 && attempt == 0) {
			json_decref(j);
			rc = authenticate(c, 1);
			continue;
		}
		if(rep.status >= 200 && rep.status < 300) {
			if(out)
				*out = j;
			else
				json_decref(j);
			return RC_OK;
		}
		rc = status_error(c, method, path, rep.status, j);
		json_decref(j);
	}
	return rc;
}

enum rc ctl_login(struct ctl *c, const char *user, const char *password, char *path, size_t pathlen)
{
	if(ctl_cache_path(path, pathlen)) {
		seterr(c, "cannot find a place for the token cache: set XDG_CONFIG_HOME or HOME");
		return RC_INVALID;
	}
	enum rc rc = password_grant(c, user, password);
	if(rc)
		return rc;
	int lock = cache_lock(path);
	if(lock < 0) {
		seterr(c, "cannot create %s: %s", path, strerror(errno));
		return RC_BACKEND;
	}
	json_t *all = cache_read(path);
	const char *save = c->user;
	c->user = user;
	json_object_set_new(json_object_get(all, "servers"), c->server, cache_entry(c));
	c->user = save;
	if(cache_write(path, all)) {
		seterr(c, "cannot write the token cache %s: %s", path, strerror(errno));
		rc = RC_BACKEND;
	}
	json_decref(all);
	cache_unlock(lock);
	return rc;
}

/* ---------- JSON helpers ---------- */

const char *ctl_jstr(json_t *o, const char *key)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int64_t ctl_jint(json_t *o, const char *key, int64_t dflt)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
	if(json_is_integer(v))
		return json_integer_value(v);
	if(json_is_real(v))
		return (int64_t)json_real_value(v);
	return dflt;
}

int ctl_jbool(json_t *o, const char *key)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
	return json_is_true(v);
}

const char *ctl_result(json_t *s)
{
	const char *r = ctl_jstr(json_object_get(s, "result"), "result");
	return r ? r : "None";
}

const char *ctl_result_message(json_t *s)
{
	const char *m = ctl_jstr(json_object_get(s, "result"), "message");
	return m ? m : "";
}

int ctl_canceled(json_t *s)
{
	return ctl_jbool(json_object_get(s, "result"), "isCanceled");
}

void ctl_local_time(const char *s, char *out, size_t n)
{
	int64_t us;
	if(!s || time_parse(s, strlen(s), &us)) {
		snprintf(out, n, "-");
		return;
	}
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	localtime_r(&t, &tm);
	if(!strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(out, n, "-");
}
