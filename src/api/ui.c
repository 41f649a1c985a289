/* The web dashboard (docs/DASHBOARD.md): GET / and GET /ui/{file} answer the files of ui/,
 * linked into the binary by ui_blob.S. The page reads everything else through the VBR
 * dialect with a bearer token it keeps in memory, so these answers hold no data and need no
 * authentication; they carry a Content-Security-Policy that allows only our own files. */
#include "api/ui.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ASSET_DECL(sym) extern const char sym[], sym##_end[]
ASSET_DECL(ui_index_html);
ASSET_DECL(ui_app_css);
ASSET_DECL(ui_api_js);
ASSET_DECL(ui_charts_js);
ASSET_DECL(ui_pages_js);
ASSET_DECL(ui_app_js);
ASSET_DECL(ui_icon_svg);

struct asset {
	const char *name;    /* the {file} of /ui/{file}; "" for the page itself */
	const char *ctype;
	const char *start, *end;
};

#define ASSET(name, ctype, sym) {name, ctype, sym, sym##_end}
static const struct asset assets[] = {
	ASSET("", "text/html; charset=utf-8", ui_index_html),
	ASSET("app.css", "text/css; charset=utf-8", ui_app_css),
	ASSET("api.js", "text/javascript; charset=utf-8", ui_api_js),
	ASSET("charts.js", "text/javascript; charset=utf-8", ui_charts_js),
	ASSET("pages.js", "text/javascript; charset=utf-8", ui_pages_js),
	ASSET("app.js", "text/javascript; charset=utf-8", ui_app_js),
	ASSET("icon.svg", "image/svg+xml", ui_icon_svg),
};

/* No inline script or style anywhere, no other origin, no framing. The page builds its
 * charts with the DOM (SVG elements), which style-src 'self' allows. */
#define UI_CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " \
               "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; " \
               "frame-ancestors 'none'"

/* FNV-1a of the file: its ETag, so a reload revalidates with a 304. The files are small
 * and fixed, and the hash takes microseconds, so it is not kept. */
static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for(size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static void serve(struct req *r, const struct asset *a)
{
	size_t len = (size_t)(a->end - a->start);
	char *etag = arena_printf(r->arena, "\"%016llx\"", (unsigned long long)fnv1a(a->start, len));
	req_add_header(r, "Content-Security-Policy", UI_CSP);
	req_add_header(r, "X-Content-Type-Options", "nosniff");
	req_add_header(r, "Referrer-Policy", "no-referrer");
	req_add_header(r, "X-Frame-Options", "DENY");
	req_add_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	req_add_header(r, "Cache-Control", "no-cache");
	req_add_header(r, "ETag", etag);
	r->ctype = a->ctype;
	const char *inm = req_header(r, "If-None-Match");
	if(inm && strstr(inm, etag)) {
		r->status = 304;
		return;
	}
	r->status = 200;
	buf_add(&r->out, a->start, len);
}

void ui_page(struct req *r)
{
	serve(r, &assets[0]);
}

void ui_asset(struct req *r)
{
	const char *name = r->params[0];
	for(size_t i = 1; i < sizeof(assets) / sizeof(assets[0]); i++)
		if(!strcmp(name, assets[i].name)) {
			serve(r, &assets[i]);
			return;
		}
	dialect_misc.error(r, RC_NOTFOUND, 404, "no such dashboard file");
}
