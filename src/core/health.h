/* health: whether the store works. A storage failure (a read or a write the backend
 * refused: disk full, a read-only file, an I/O error, corruption) starts an episode:
 * its cause is logged once, health_ok() is false (/readyz fails and answers carry
 * Retry-After), and a probe every second ends the episode once the store reads and
 * writes again, logging that too. */
#ifndef SESSIOND_CORE_HEALTH_H
#define SESSIOND_CORE_HEALTH_H
#include <stddef.h>
#include <stdint.h>

/** Records a storage failure (starts an episode unless one is on). */
void health_failed(const char *cause);
/** 1 while the store works, 0 during an episode. */
int health_ok(void);
/** The cause of the current episode into buf ("" when healthy). */
void health_cause(char *buf, size_t len);
/** Starts and stops the probe (core_open_store / core_close do). */
void health_start(void);
void health_stop(void);

#endif
