/* demo: a living system for newcomers and integration developers. A seeded,
 * deterministic 30-day history of about twenty jobs in every dialect's families,
 * and a simulator thread that keeps starting sessions and advancing them. */
#ifndef SESSIOND_CORE_DEMO_H
#define SESSIOND_CORE_DEMO_H
#include <stdint.h>

#include "util/rc.h"

/** Writes the history ending at anchor_us (µs; the same seed and anchor give the
 *  same sessions, ids included) unless the store already holds sessions.
 *  Returns how many sessions were written in *n. */
enum rc demo_seed(uint64_t seed, int64_t anchor_us, int64_t *n);
/** Starts the simulator; interval_ms between steps. */
void demo_start(uint64_t seed, unsigned interval_ms);
void demo_stop(void);

#endif
