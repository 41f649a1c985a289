/* model/schedule: when a job is expected to run. A schedule is either a 5-field cron
 * expression (minute hour day-of-month month day-of-week, in UTC; `*`, lists, ranges,
 * steps, month and day names; day-of-month and day-of-week both restricted means
 * either) or an interval: a positive number with a unit s, m, h or d ("15m", "1d"). */
#ifndef SESSIOND_MODEL_SCHEDULE_H
#define SESSIOND_MODEL_SCHEDULE_H
#include <stddef.h>
#include <stdint.h>

struct schedule {
	int64_t interval_us;        /* > 0: an interval schedule */
	uint64_t minute;            /* bit m: minute m (0-59) */
	uint32_t hour;              /* bit h */
	uint32_t dom;               /* bit d: day of month d (1-31) */
	uint16_t month;             /* bit m: month m (1-12) */
	uint8_t dow;                /* bit d: day of week d (0 = Sunday) */
	int dom_any, dow_any;       /* the field was `*` */
};

/** Parses s; 0 on success, else -1 with the reason in err. */
int schedule_parse(const char *s, struct schedule *out, char *err, size_t errlen);
/** The first expected start strictly after from_us (µs since the epoch): for an interval,
 *  from_us + the interval; for cron, the next matching minute. 0 when none within 5 years. */
int64_t schedule_next(const struct schedule *sc, int64_t from_us);

#endif
