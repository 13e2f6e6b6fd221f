/* SPDX-License-Identifier: GPL-2.0 */
/*
 * couchestord: when the agent last moved each extent, kept on disk so
 * that migration.cooldown_period holds across restarts.  One text file per
 * volume, named by its UUID (a dm name can be reused by another volume):
 *   couchestord-moves 1 <nr_extents>
 *   <extent> <unix time>
 * holding the moves within the cooldown; replaced atomically.
 */
#ifndef CS_STATE_H
#define CS_STATE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Writes the entries of @last_move (@nr extents, unix times, 0 = never)
 * newer than @since.  Returns 0 or -errno with a message in @err.
 */
int cs_state_save(const char *dir, const char *uuid, const uint32_t *last_move,
		  uint32_t nr, uint32_t since, char *err, size_t errlen);

/*
 * Fills @last_move from the file (entries past @nr or later than @now
 * are dropped).  Returns how many it took, 0 if there is no file, or
 * -errno (a damaged file) with a message in @err; @last_move is then as
 * it was.
 */
int cs_state_load(const char *dir, const char *uuid, uint32_t *last_move, uint32_t nr,
		  uint32_t now, char *err, size_t errlen);

/*
 * The force-tier the agent applied to a volume (<uuid>.force: "<tier>
 * pinned|held"), written before the pin is asked of the kernel and
 * removed after the unpin, so a restart knows what to undo.  @tier ""
 * removes it.  Load gives 0 and an empty @tier when there is none.
 */
int cs_state_save_force(const char *dir, const char *uuid, const char *tier, int held,
			char *err, size_t errlen);
int cs_state_load_force(const char *dir, const char *uuid, char *tier, size_t len, int *held);

#endif /* CS_STATE_H */
