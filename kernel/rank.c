// SPDX-License-Identifier: GPL-2.0
/*
 * dm-couche ranking: the N hottest (or coldest) extents of a pass over the
 * heat counters, in O(E log N) time and N entries of memory.  A heap keeps
 * the N best seen so far with the worst of them at the root; the result is
 * sorted at the end, best first, ties by extent number.
 */
#include <linux/kernel.h>
#include <linux/sort.h>

#include "couche.h"

/* True if @a ranks below @b: colder for top, hotter for bottom. */
static bool rank_below(const struct couche_rank *a, const struct couche_rank *b, bool top)
{
	u32 ka = top ? a->heat : ~a->heat, kb = top ? b->heat : ~b->heat;

	return ka < kb || (ka == kb && a->index > b->index);
}

static void rank_sift(struct couche_rank *h, u32 nr, u32 i, bool top)
{
	for (;;) {
		u32 l = 2 * i + 1, m = i;

		if (l < nr && rank_below(&h[l], &h[m], top))
			m = l;
		if (l + 1 < nr && rank_below(&h[l + 1], &h[m], top))
			m = l + 1;
		if (m == i)
			return;
		swap(h[i], h[m]);
		i = m;
	}
}

/* Offers @x to the heap @h of *@nr entries, at most @n (n >= 1). */
void couche_rank_push(struct couche_rank *h, u32 *nr, u32 n, struct couche_rank x, bool top)
{
	u32 j;

	if (*nr < n) {
		h[(*nr)++] = x;
		if (*nr == n)
			for (j = n / 2; j-- > 0;)
				rank_sift(h, n, j, top);
	} else if (rank_below(&h[0], &x, top)) {
		h[0] = x;
		rank_sift(h, n, 0, top);
	}
}

static int cmp_top(const void *a, const void *b)
{
	return rank_below(b, a, true) ? -1 : rank_below(a, b, true) ? 1 : 0;
}

static int cmp_bottom(const void *a, const void *b)
{
	return rank_below(b, a, false) ? -1 : rank_below(a, b, false) ? 1 : 0;
}

void couche_rank_sort(struct couche_rank *h, u32 nr, bool top)
{
	sort(h, nr, sizeof(*h), top ? cmp_top : cmp_bottom, NULL);
}
