/* ui: the web dashboard's files (ui/, linked in by ui_blob.S), served by the misc paths. */
#ifndef SESSIOND_API_UI_H
#define SESSIOND_API_UI_H
#include "api/api.h"

/** GET /: the dashboard's page, with its security headers. */
void ui_page(struct req *r);
/** GET /ui/{file}: one of its scripts, its style sheet or its icon; 404 for any other name. */
void ui_asset(struct req *r);

#endif
