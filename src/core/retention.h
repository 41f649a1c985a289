/* retention: purges stopped sessions older than a configured age, in batches,
 * as a DatabaseMaintenance system session with its own log. Running sessions
 * are never purged (they have no end time). */
#ifndef SESSIOND_CORE_RETENTION_H
#define SESSIOND_CORE_RETENTION_H
#include <stdint.h>

#include "util/rc.h"

/** One maintenance run: removes sessions that ended before now_us - days.
 *  *purged gets the count. Blocking: call from a maintenance thread or a tool. */
enum rc retention_run(int days, int64_t now_us, int64_t *purged);
/** Runs retention_run at start and then every interval_s seconds. */
void retention_start(int days, unsigned interval_s);
void retention_stop(void);

#endif
