/* SPDX-License-Identifier: GPL-2.0 */
/* couchestorctl: a volume shown as text or JSON. */
#ifndef COUCHESTORCTL_DEV_H
#define COUCHESTORCTL_DEV_H

#include "couche/vol.h"

struct json_object *ctl_dev_json(const struct couche_vol *d);
void ctl_dev_print(const struct couche_vol *d);

#endif /* COUCHESTORCTL_DEV_H */
