/* rc: the one error convention. Every fallible call returns an enum rc held in
 * a variable named rc and tested as `if(rc)`; details go to a caller's buffer. */
#ifndef SESSIOND_UTIL_RC_H
#define SESSIOND_UTIL_RC_H

enum rc {
	RC_OK = 0,
	RC_INVALID,      /* bad input: the message names the field */
	RC_NOTFOUND,
	RC_CONFLICT,     /* illegal state transition, duplicate id */
	RC_PRECONDITION, /* If-Match usn no longer current */
	RC_UNAUTHORIZED,
	RC_EXPIRED,      /* credentials were valid once */
	RC_FORBIDDEN,
	RC_TOOLARGE,
	RC_BUSY,
	RC_BACKEND,      /* storage failed */
};

const char *rc_name(enum rc rc);

#endif
