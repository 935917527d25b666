/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the shmem cache-bypass swapin selftests observe of the kernel and
 * set in it: snapshots of /proc/vmstat (the feature's counters and the
 * swap counters), /proc/meminfo, and the feature's sysfs knobs (mode,
 * debug_delay_us) with the paths of the zswap and THP knobs the tests set.
 */
#ifndef SWAPIN_VMSTAT_H
#define SWAPIN_VMSTAT_H

#include <stdbool.h>
#include <stddef.h>

/* ------------------------------------------------------------------ */
/* Kernel interface of the feature (docs/design.md section 7).        */

#define SWAPIN_SYSFS_DIR	"/sys/kernel/mm/shmem_swapin"
#define SWAPIN_MODE		SWAPIN_SYSFS_DIR "/mode"
#define SWAPIN_DELAY		SWAPIN_SYSFS_DIR "/debug_delay_us"
#define SWAPIN_BATCH		SWAPIN_SYSFS_DIR "/batch"
#define SWAPIN_BATCH_DELAY	SWAPIN_SYSFS_DIR "/debug_batch_delay_us"
#define SWAPIN_BATCH_CLAIM_DELAY SWAPIN_SYSFS_DIR "/debug_batch_claim_delay_us"
#define SWAPIN_SPLIT_DELAY	SWAPIN_SYSFS_DIR "/debug_split_delay_us"
#define SWAPIN_WAIT_DELAY	SWAPIN_SYSFS_DIR "/debug_wait_delay_us"
#define ZSWAP_ENABLED		"/sys/module/zswap/parameters/enabled"
#define ZSWAP_SHRINKER		"/sys/module/zswap/parameters/shrinker_enabled"
#define THP_DIR			"/sys/kernel/mm/transparent_hugepage"

/* ------------------------------------------------------------------ */
/* /proc/vmstat */

enum {
	V_BYPASS, V_SWAPCACHE, V_FALLBACK, V_WAIT, V_HANDOFF,	/* feature */
	V_PSWPIN, V_PSWPOUT, V_ZSWPIN, V_ZSWPOUT, V_ZSWPWB,
	V_SWPIN_ZERO, V_SWPOUT_ZERO, V_THP_SWPOUT, V_THP_SWPOUT_FB,
	V_PGMAJFAULT, V_OOM_KILL,
	/* large swap entries (0 where the kernel does not count them) */
	V_BYPASS_MTHP, V_BYPASS_PMD, V_LARGE_FALLBACK,
	/* order 0 neighbours swapped in by batches (0 without batching) */
	V_BATCH,
	V_NR
};
#define V_NR_FEATURE 5
extern const char *const vm_names[V_NR];

struct vmsnap {
	long long v[V_NR];
	bool present[V_NR];
};
int vm_snap(struct vmsnap *s);
static inline long long vm_d(const struct vmsnap *a, const struct vmsnap *b,
			     int i)
{
	return b->v[i] - a->v[i];
}
/* pages read from swap: device reads + zswap loads + zero-map fills */
long long vm_reads(const struct vmsnap *a, const struct vmsnap *b);
/* pages written out: device writes + zswap stores + zero-map */
long long vm_outs(const struct vmsnap *a, const struct vmsnap *b);
/* pages installed by shmem_swapin_folio: bypass + swap cache path */
long long vm_installs(const struct vmsnap *a, const struct vmsnap *b);
void vm_print(const char *label, const struct vmsnap *a,
	      const struct vmsnap *b);
/* 0 if all feature counters exist, else -1 naming the first missing one */
int vm_feature_check(const struct vmsnap *s, char *msg, size_t len);

/* ------------------------------------------------------------------ */
/* the feature's knobs */

/* SHMEM_SWAPIN_ALLOW_STOCK=1: a kernel without the feature is tolerated */
bool allow_stock(void);
int set_mode(const char *mode);		/* "bypass" / "swapcache" */
int get_mode(char *buf, size_t len);
int set_delay_us(long us);		/* -ENOENT without the knob */

void stat_refresh(void);		/* fold per-cpu vmstat */
long long meminfo_kb(const char *key);

#endif
