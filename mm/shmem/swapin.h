/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cache-bypass swapin for shmem: the swapin marker and its wait queues.
 *
 * While a task swaps a shmem page in without the swap cache, the mapping slot
 * holds a marker instead of the swap entry.  The marker is a non-swap value
 * entry (type SWP_PTE_MARKER, with no PTE marker bit set, so it is never taken
 * for the poisoned entry) that names the swap entry it stands for.  Whoever
 * meets a marker sleeps in shmem_marker_wait() until it is replaced or
 * removed; whoever replaces or removes one calls shmem_marker_wake().
 */
#ifndef _MM_SHMEM_SWAPIN_H
#define _MM_SHMEM_SWAPIN_H

#include <linux/bits.h>
#include <linux/fs.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/xarray.h>

enum shmem_swapin_mode {
	SHMEM_SWAPIN_MODE_SWAPCACHE,
	SHMEM_SWAPIN_MODE_BYPASS,
	SHMEM_SWAPIN_NR_MODES,
};

/*
 * Layout of the marker's offset field: tag bit on top, then the swap type of
 * the claimed entry, then its offset; the PTE marker bits stay clear.
 */
#define SHMEM_MARKER_TAG_BIT	(SWP_TYPE_SHIFT - 1)
#define SHMEM_MARKER_TYPE_SHIFT	(SHMEM_MARKER_TAG_BIT - MAX_SWAPFILES_SHIFT)
#define SHMEM_MARKER_OFF_SHIFT	2
#define SHMEM_MARKER_OFF_BITS	(SHMEM_MARKER_TYPE_SHIFT - SHMEM_MARKER_OFF_SHIFT)

/**
 * shmem_marker_fits - whether a swap entry can be named by a marker
 * @swap: the swap entry to be claimed
 *
 * Return: true if the offset of @swap fits in a marker.
 */
static inline bool shmem_marker_fits(swp_entry_t swap)
{
	return swp_offset(swap) < BIT_ULL(SHMEM_MARKER_OFF_BITS);
}

/**
 * shmem_swapin_marker - the marker that stands for a claimed swap entry
 * @swap: the swap entry being swapped in; shmem_marker_fits() must hold
 *
 * Return: an xarray value entry, distinct for each swap entry.
 */
static inline void *shmem_swapin_marker(swp_entry_t swap)
{
	unsigned long off = BIT(SHMEM_MARKER_TAG_BIT) |
		((unsigned long)swp_type(swap) << SHMEM_MARKER_TYPE_SHIFT) |
		(swp_offset(swap) << SHMEM_MARKER_OFF_SHIFT);

	return swp_to_radix_entry(swp_entry(SWP_PTE_MARKER, off));
}

/**
 * shmem_is_swapin_marker - whether a mapping entry is a swapin marker
 * @entry: an entry loaded from a shmem mapping
 *
 * Return: true if @entry is a marker made by shmem_swapin_marker().
 */
static inline bool shmem_is_swapin_marker(void *entry)
{
	swp_entry_t e;

	if (!xa_is_value(entry))
		return false;
	e = radix_to_swp_entry(entry);
	return swp_type(e) == SWP_PTE_MARKER &&
	       (swp_offset(e) & BIT(SHMEM_MARKER_TAG_BIT));
}

/**
 * shmem_swapin_marker_entry - the swap entry a marker stands for
 * @marker: a marker, as recognised by shmem_is_swapin_marker()
 *
 * Return: the swap entry claimed by the marker's owner.
 */
static inline swp_entry_t shmem_swapin_marker_entry(void *marker)
{
	unsigned long off = swp_offset(radix_to_swp_entry(marker));

	return swp_entry((off >> SHMEM_MARKER_TYPE_SHIFT) &
			 (BIT(MAX_SWAPFILES_SHIFT) - 1),
			 (off >> SHMEM_MARKER_OFF_SHIFT) &
			 (BIT_ULL(SHMEM_MARKER_OFF_BITS) - 1));
}

#ifdef CONFIG_SWAP

void shmem_marker_wait(struct address_space *mapping, pgoff_t index,
		       void *marker);
void shmem_marker_wake(struct address_space *mapping, pgoff_t index);
void shmem_marker_handoff_locked(void *marker);
void shmem_marker_handoff_wake(struct address_space *mapping, pgoff_t index);
void shmem_swapin_handoff_done(swp_entry_t swap);
int shmem_swapin_wait_handoffs(unsigned int type);
enum shmem_swapin_mode shmem_swapin_mode(void);
bool shmem_swapin_batch_enabled(void);
void shmem_swapin_debug_delay(void);
void shmem_swapin_debug_claim_delay(void);
void shmem_swapin_debug_batch_delay(void);
void shmem_swapin_debug_batch_claim_delay(void);
void shmem_swapin_debug_split_delay(void);

#else /* !CONFIG_SWAP */

static inline void shmem_marker_wait(struct address_space *mapping,
				     pgoff_t index, void *marker)
{
}

static inline void shmem_marker_wake(struct address_space *mapping,
				     pgoff_t index)
{
}

static inline void shmem_marker_handoff_locked(void *marker)
{
}

static inline void shmem_marker_handoff_wake(struct address_space *mapping,
					     pgoff_t index)
{
}

static inline void shmem_swapin_handoff_done(swp_entry_t swap)
{
}

static inline int shmem_swapin_wait_handoffs(unsigned int type)
{
	return 0;
}

static inline enum shmem_swapin_mode shmem_swapin_mode(void)
{
	return SHMEM_SWAPIN_MODE_SWAPCACHE;
}

static inline bool shmem_swapin_batch_enabled(void)
{
	return false;
}

static inline void shmem_swapin_debug_delay(void)
{
}

static inline void shmem_swapin_debug_claim_delay(void)
{
}

static inline void shmem_swapin_debug_batch_delay(void)
{
}

static inline void shmem_swapin_debug_batch_claim_delay(void)
{
}

static inline void shmem_swapin_debug_split_delay(void)
{
}

#endif /* CONFIG_SWAP */
#endif /* _MM_SHMEM_SWAPIN_H */
