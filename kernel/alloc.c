// SPDX-License-Identifier: GPL-2.0
/*
 * dm-couche slot allocation: one bit per extent-sized slot of a tier.
 * Callers hold the target lock.
 */
#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/slab.h>

#include "couche.h"

int couche_slots_init(struct couche_slots *s, u32 nr)
{
	s->bitmap = bitmap_zalloc(max_t(u32, nr, 1), GFP_KERNEL);
	if (!s->bitmap)
		return -ENOMEM;
	s->nr = nr;
	s->used = 0;
	s->hint = 0;
	return 0;
}

void couche_slots_exit(struct couche_slots *s)
{
	bitmap_free(s->bitmap);
	s->bitmap = NULL;
}

/* Next free slot at or after the hint, so fresh extents fill a tier in order. */
int couche_slot_alloc(struct couche_slots *s, u32 *slot)
{
	unsigned long bit;

	if (s->used >= s->nr)
		return -ENOSPC;
	bit = find_next_zero_bit(s->bitmap, s->nr, s->hint);
	if (bit >= s->nr)
		bit = find_first_zero_bit(s->bitmap, s->nr);
	if (WARN_ON_ONCE(bit >= s->nr))
		return -ENOSPC;
	__set_bit(bit, s->bitmap);
	s->used++;
	s->hint = bit + 1;
	*slot = bit;
	return 0;
}

/* Marks a slot found in the metadata as used; a second claim is corruption. */
int couche_slot_claim(struct couche_slots *s, u32 slot)
{
	if (slot >= s->nr)
		return -ERANGE;
	if (__test_and_set_bit(slot, s->bitmap))
		return -EEXIST;
	s->used++;
	return 0;
}

void couche_slot_free(struct couche_slots *s, u32 slot)
{
	if (WARN_ON_ONCE(slot >= s->nr || !test_bit(slot, s->bitmap)))
		return;
	__clear_bit(slot, s->bitmap);
	s->used--;
	if (slot < s->hint)
		s->hint = slot;
}

/*
 * The fastest tier with free slots beyond its reserve, else the fastest
 * with any free slot (a tier with reserve U32_MAX takes nothing), or
 * -ENOSPC.
 */
int couche_pick_tier(const struct couche_slots *const *slots,
		     const u32 *reserve, unsigned int nr_tiers)
{
	int t, any = -ENOSPC;

	for (t = 0; t < nr_tiers; t++) {
		u32 free = slots[t]->nr - slots[t]->used;

		if (reserve[t] == U32_MAX)
			continue;
		if (free > reserve[t])
			return t;
		if (free && any < 0)
			any = t;
	}
	return any;
}
