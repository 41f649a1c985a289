/* api/alerts: the admin API of alert rules and deliveries (/api/v1/alerts…, routed by
 * the VBR dialect; docs/ALERTS.md). Reading needs the viewer role, writing admin. */
#ifndef SESSIOND_API_ALERTS_H
#define SESSIOND_API_ALERTS_H

#include "api/api.h"

void alerts_h_create(struct req *r);
void alerts_h_list(struct req *r);
void alerts_h_get(struct req *r);
void alerts_h_put(struct req *r);
void alerts_h_del(struct req *r);
void alerts_h_test(struct req *r);
void alerts_h_deliveries(struct req *r);
void alerts_h_delivery(struct req *r);

#endif
