/* model/estate: the kinds of object of the backup estate (estate.def) and the
 * properties each takes. Core validates a reported object against this table; the
 * store keeps the kind's code and the properties as given. */
#ifndef SESSIOND_MODEL_ESTATE_H
#define SESSIOND_MODEL_ESTATE_H
#include <stddef.h>

#include "util/uuid.h"

enum estate_kind {
	EK_NONE = 0,
#define ESTATE__KIND(code, name, parent, flags) EK_##name = code,
#define KIND ESTATE__KIND
#define FIELD(kind, name, type, flags)
#include "model/estate.def"
#undef KIND
#undef FIELD
#undef ESTATE__KIND
	EK__END
};

enum estate_ftype { EF_STRING, EF_INT, EF_BOOL, EF_UUID, EF_TIME, EF_STRINGS };
enum { EFF_REQUIRED = 1, EFF_SECRET = 2 };   /* EFF_SECRET: stored, never shown */
enum { EKF_OWN = 1 };

struct estate_field {
	int kind;
	const char *name;
	enum estate_ftype type;
	int flags;
};

/** The name of kind code k (as in the ingest path), NULL for no kind. */
const char *estate_kind_name(int k);
/** The kind named s (exact), EK_NONE if none. */
int estate_kind_parse(const char *s);
/** Whether kind k is one of sessiond's own records (EKF_OWN): not written by reporters. */
int estate_kind_own(int k);
/** The kind a parentId of kind k names, EK_NONE when k has no parent. */
int estate_kind_parent(int k);
/** The first property of kind k (NULL if it has none); estate_field_next gives the
 *  one after f, NULL after the last. */
const struct estate_field *estate_field_first(int k);
const struct estate_field *estate_field_next(const struct estate_field *f);
/** The property name of kind k, NULL if k has none by that name. */
const struct estate_field *estate_field(int k, const char *name);
/** Every kind name, comma separated, into buf (for error messages). */
void estate_kind_list(char *buf, size_t n);

/** The id an estate object of kind named name gets when its reporter gives none
 *  (sessionctl, the demo): a version-8 UUID of the first 16 bytes of BLAKE2b keyed
 *  "sessiond-estate-id" over "<kind>/<name>" (exact bytes, case kept). A job's is the job
 *  id its sessions get (BLAKE2b keyed "sessiond-job-id" over the name), so a declared job
 *  and its sessions share one id. Permanent: stored ids depend on it. */
void estate_name_id(int kind, const char *name, struct uuid *out);

#endif
