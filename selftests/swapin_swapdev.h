/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The swap device of the shmem cache-bypass swapin selftests: find the
 * active one (zram preferred), read how much of swap is used, swapon and
 * a bounded swapoff, a swapoff/swapon drain of the per-cpu swap slot
 * caches, and zram's count of stored bytes.
 */
#ifndef SWAPIN_SWAPDEV_H
#define SWAPIN_SWAPDEV_H

#include <stdbool.h>

struct swapdev {
	char path[256];
	int prio;		/* <0: let the kernel choose */
};
/* find the swap device (prefers zram); -1 if none is active */
int swapdev_detect(struct swapdev *sd);
long long swaps_used_kb(void);		/* sum of Used in /proc/swaps */
bool swap_active(const char *path);
int do_swapon(const struct swapdev *sd);		/* 0 or -errno */
/* swapoff from a forked child in the caller's cgroup; bounded */
int do_swapoff(const struct swapdev *sd, int timeout_s);	/* 0/-errno */
/* the same, and the time the swapoff spent on CPU (user + system), in us */
int do_swapoff_cpu(const struct swapdev *sd, int timeout_s, long long *cpu_us);
/* swapoff + swapon: empties the per-cpu swap slot caches */
int swap_drain(const struct swapdev *sd, int timeout_s);
long long zram_orig_bytes(const struct swapdev *sd);	/* -1 n/a */
/*
 * A second swap device: a new zram device (zram-control hot_add) of @bytes, with a
 * swap header written on it, swapped on at @prio.  -ENOENT without zram-control.
 */
int zram_swap_add(struct swapdev *sd, long long bytes, int prio);
/*
 * The same with the disk marked rotational before the swapon: the device then
 * has no swap clusters (no SWP_SOLIDSTATE) and hands out its slots in one
 * linear order, across the 512-slot boundaries an SSD's clusters have.
 */
int zram_swap_add_rotational(struct swapdev *sd, long long bytes, int prio);
/* swapoff (bounded) and hot_remove of a device made by zram_swap_add() */
int zram_swap_remove(struct swapdev *sd);
/* Used (kB) of one swap device in /proc/swaps, -1 if it is not active */
long long swapdev_used_kb(const struct swapdev *sd);

#endif
