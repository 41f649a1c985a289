/* metrics: GET /metrics in the Prometheus text exposition format 0.0.4. Request counts
 * and latencies come from the http layer (api_metrics_request), store commit latency
 * from the writer (through core_on_commit_time), the rest from core when scraped:
 * sessions by type/state/result (recounted only when the usn moved), the newest result
 * and last success of every job, feed subscribers. */
#ifndef SESSIOND_API_METRICS_H
#define SESSIOND_API_METRICS_H
#include <stdint.h>

#include "api/api.h"

/* Request classes: the dialect, with ingest writes apart from VBR reads. */
enum metrics_class { MC_VBR, MC_EM, MC_VBAZ, MC_INGEST, MC_OTHER, MC__COUNT };

/** The class of a request answered by dialect d through route rt (NULL: none matched). */
enum metrics_class api_metrics_class(const struct dialect *d, const struct route *rt);

/** Records build information and the process start time, hooks the store commit timer and
 *  starts reading the store for the first scrape (on a thread of its own). */
void api_metrics_init(const char *version, int64_t started_us);
/** Ends that reading (before the store closes) and unhooks the commit timer. */
void api_metrics_shutdown(void);

/** Counts one answered request. Lock-free; any thread. */
void api_metrics_request(enum metrics_class c, int status, int64_t duration_us);

/** GET /metrics with the normal authentication (viewer role or above). */
extern const struct dialect dialect_metrics;

/** Answers r with the metrics (the route handler, and the --metrics-listen listener). */
void api_metrics(struct req *r);

#endif
