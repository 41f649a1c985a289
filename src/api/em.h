/* Enterprise Manager dialect: what tests and other modules see of it.
 * Logon sessions live in a process-local table (mutex-protected, sliding
 * 15-minute idle expiry); they do not survive a restart and are not shared
 * between instances. */
#ifndef SESSIOND_API_EM_H
#define SESSIOND_API_EM_H
#include <stddef.h>
#include <stdint.h>

#include "core/auth.h"
#include "util/rc.h"
#include "util/uuid.h"

#define EM_LOGON_IDLE_US ((int64_t)15 * 60 * 1000000)
#define EM_LOGON_MAX 4096         /* live logon sessions kept at once */
#define EM_TOKEN_MAX 64

/** Starts a logon session for who at now_us. sid receives the SessionId (uuid
 *  text, 37 bytes), token the X-RestSvcSessionId value (base64 of sid). */
enum rc em_logon_add(const struct principal *who, int64_t now_us, char sid[37], char token[EM_TOKEN_MAX]);
/** Finds the session of token, refreshing its idle timer. RC_UNAUTHORIZED when
 *  unknown, RC_EXPIRED when idle longer than EM_LOGON_IDLE_US (then removed). */
enum rc em_logon_touch(const char *token, int64_t now_us, struct principal *who, char sid[37]);
/** Ends the session with SessionId sid; RC_NOTFOUND if there is none. */
enum rc em_logon_remove(const char *sid);
/** Forgets every logon session (tests). */
void em_logon_reset(void);

/** The stable uid (a name-based uuid) of the backup server called name. */
void em_server_uuid(const char *name, struct uuid *out);

#endif
