/* SPDX-License-Identifier: GPL-2.0 */
/* couchestord: the agent's metrics, in the registry of metrics.h. */
#ifndef COUCHESTORD_AGENT_METRICS_H
#define COUCHESTORD_AGENT_METRICS_H

#include <stdbool.h>

struct cs_agent;
struct cs_metrics;

int cs_agent_metrics_declare(struct cs_metrics *m);
void cs_agent_metrics_publish(struct cs_metrics *m, const struct cs_agent *a, bool cycled);

#endif /* COUCHESTORD_AGENT_METRICS_H */
