#include "rc.h"

const char *rc_name(enum rc rc)
{
	switch(rc) {
	case RC_OK: return "ok";
	case RC_INVALID: return "invalid";
	case RC_NOTFOUND: return "not found";
	case RC_CONFLICT: return "conflict";
	case RC_PRECONDITION: return "precondition failed";
	case RC_UNAUTHORIZED: return "unauthorized";
	case RC_EXPIRED: return "expired";
	case RC_FORBIDDEN: return "forbidden";
	case RC_TOOLARGE: return "too large";
	case RC_BUSY: return "busy";
	case RC_BACKEND: return "backend failure";
	}
	return "unknown";
}
