/* api/estate: the ingest API of the backup estate (PUT/GET/DELETE
 * /api/v1/estate/{kind}/{id}, lists, the change feed), and what the dialects use to
 * read an object's properties. */
#ifndef SESSIOND_API_ESTATE_H
#define SESSIOND_API_ESTATE_H
#include <jansson.h>
#include <stdint.h>

#include "api/api.h"

void estate_h_put(struct req *r);
void estate_h_get(struct req *r);
void estate_h_del(struct req *r);
void estate_h_list(struct req *r);
void estate_h_changes(struct req *r);

/** A non-negative integer query parameter (dflt when absent); answers 400 in VBR's shape and
 *  returns -1 when it is not one. */
int estate_q_num(struct req *r, const char *name, int64_t dflt, int64_t *out);
/** A name filter with '*' wildcards as a LIKE pattern ('\\' escapes '%', '_' and itself). */
const char *estate_like(struct req *r, const char *s);

/** The properties of e as a JSON object (an empty one when it has none); json_decref it. */
json_t *estate_props(const struct estate_rec *e);
/** A string property of props, NULL when absent. */
const char *estate_pstr(json_t *props, const char *key);
/** An integer property of props; dflt when absent. */
int64_t estate_pint(json_t *props, const char *key, int64_t dflt);
/** Whether props has the property key (not null). */
int estate_phas(json_t *props, const char *key);

#endif
