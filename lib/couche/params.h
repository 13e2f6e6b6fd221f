/* SPDX-License-Identifier: GPL-2.0 */
/* libcouche: the SET_PARAMS keys, in the order of enum couche_param_attr. */
#ifndef LIBCOUCHE_PARAMS_H
#define LIBCOUCHE_PARAMS_H

/* COUCHE_PARAM_A_* of "max_migrations" and the like; -1 if none. */
int couche_param_attr(const char *key);
/* Its name; NULL if @attr is none. */
const char *couche_param_name(int attr);

#endif /* LIBCOUCHE_PARAMS_H */
