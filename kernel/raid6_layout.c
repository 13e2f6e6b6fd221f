// SPDX-License-Identifier: GPL-2.0
/*
 * dm-couche raid6 layout and stripe recovery: pure functions over the
 * kernel's RAID-6 library, tested by KUnit.  raid6.c describes the layout.
 */
#include <linux/math64.h>
#include <linux/raid/pq.h>

#include "couche.h"

unsigned int couche_r6_role_member(u32 k, u64 g, unsigned int role)
{
	unsigned int n = k + 2, p = g % n;

	if (role == k)
		return p;
	if (role == k + 1)
		return (p + 1) % n;
	return (p + 2 + role) % n;
}

void couche_r6_locate(const struct couche_tier *t, u32 slot, sector_t off,
		      unsigned int *member, sector_t *sector, sector_t *left)
{
	sector_t stripe_data = (sector_t)t->k * t->chunk_sectors;
	u32 s = div64_u64(off, stripe_data);
	sector_t within = off - s * stripe_data;
	unsigned int d = within / t->chunk_sectors;
	sector_t coff = within - (sector_t)d * t->chunk_sectors;
	u64 g = (u64)slot * t->sps + s;

	*member = couche_r6_role_member(t->k, g, d);
	*sector = COUCHE_DATA_OFFSET + g * t->chunk_sectors + coff;
	*left = t->chunk_sectors - coff;
}

static void xor_into(u8 *dst, const u8 *src, size_t bytes)
{
	size_t i;

	for (i = 0; i < bytes / sizeof(unsigned long); i++)
		((unsigned long *)dst)[i] ^= ((const unsigned long *)src)[i];
}

/*
 * Rebuilds the failed roles of one stripe in place.  @ptrs holds k data
 * chunks, then P, then Q, each @bytes long (a multiple of PAGE_SIZE);
 * @failed flags the roles to rebuild.  Data is always rebuilt; P and Q
 * only as far as the library does on the way.  -EIO if more than two.
 */
int couche_r6_recover(u32 k, size_t bytes, void **ptrs, const bool *failed)
{
	unsigned int disks = k + 2, r, nfd = 0, fd[2] = { 0, 0 }, nf = 0;
	void *p[COUCHE_MAX_MEMBERS];
	size_t off;

	for (r = 0; r < disks; r++) {
		if (!failed[r])
			continue;
		nf++;
		if (r < k && nfd < 2)
			fd[nfd++] = r;
	}
	if (nf > 2)
		return -EIO;
	if (!nfd)
		return 0;
	/* The library's recovery works on single pages. */
	for (off = 0; off < bytes; off += PAGE_SIZE) {
		for (r = 0; r < disks; r++)
			p[r] = (u8 *)ptrs[r] + off;
		if (nfd == 2) {
			raid6_2data_recov(disks, PAGE_SIZE, fd[0], fd[1], p);
		} else if (!failed[k + 1]) {
			raid6_datap_recov(disks, PAGE_SIZE, fd[0], p);
		} else {
			/* Q is gone too: D = P xor the other data. */
			void *d = p[fd[0]], *pp = p[k];

			p[fd[0]] = (void *)raid6_empty_zero_page;
			p[k] = d;
			raid6_call.gen_syndrome(disks, PAGE_SIZE, p);
			xor_into(d, pp, PAGE_SIZE);
		}
	}
	return 0;
}

/*
 * Rebuilds the one lost role of a stripe, P and Q included, and checks the
 * rest against the parity it did not need: -EILSEQ if they disagree (some
 * other chunk is bad, so what would be rebuilt is wrong).  @ptrs as for
 * couche_r6_recover(); @scratch is two pages.
 */
int couche_r6_recover_one(u32 k, size_t bytes, void **ptrs, unsigned int lost, u8 *scratch)
{
	unsigned int disks = k + 2, r;
	u8 *tp = scratch, *tq = scratch + PAGE_SIZE;
	void *p[COUCHE_MAX_MEMBERS];
	size_t off;

	for (off = 0; off < bytes; off += PAGE_SIZE) {
		for (r = 0; r < k; r++)
			p[r] = (u8 *)ptrs[r] + off;
		p[k] = tp;
		p[k + 1] = tq;
		if (lost < k) {
			/* D = P xor the others' P; then Q must agree. */
			p[lost] = (void *)raid6_empty_zero_page;
			raid6_call.gen_syndrome(disks, PAGE_SIZE, p);
			p[lost] = (u8 *)ptrs[lost] + off;
			memcpy(p[lost], (u8 *)ptrs[k] + off, PAGE_SIZE);
			xor_into(p[lost], tp, PAGE_SIZE);
		}
		raid6_call.gen_syndrome(disks, PAGE_SIZE, p);
		/* A data chunk was rebuilt from P: only Q can disagree. */
		if ((lost > k && memcmp(tp, (u8 *)ptrs[k] + off, PAGE_SIZE)) ||
		    (lost != k + 1 && memcmp(tq, (u8 *)ptrs[k + 1] + off, PAGE_SIZE)))
			return -EILSEQ;
		if (lost >= k)
			memcpy((u8 *)ptrs[lost] + off, lost == k ? tp : tq, PAGE_SIZE);
	}
	return 0;
}
