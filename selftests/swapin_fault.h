/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection for the shmem swapin selftests (CONFIG_FAULT_INJECTION
 * with its debugfs): make the next N swap reads (fail_make_request on the
 * swap device) or allocations from one slab cache (failslab with its cache
 * filter) fail, for the threads that ask for it only (task filter,
 * /proc/thread-self/make-it-fail).  Every knob goes through env_set_knob(),
 * so teardown restores it even after a killed test.
 */
#ifndef SWAPIN_FAULT_H
#define SWAPIN_FAULT_H

#include <stdbool.h>

struct env;

/*
 * Arm: fail the next @times bios of the block device under @swapdev_path
 * (e.g. /dev/zram0), for marked threads only.  0, -ENOENT if the kernel has
 * no fail_make_request (then SKIP), other -errno on error.
 */
int fault_bio_arm(struct env *e, const char *swapdev_path, int times);
/*
 * The same, but the bios of the marked threads get through until @bytes of
 * them have (a bio that does not fit in what is left of @bytes fails): e.g.
 * one page, to let a fault's own read through and fail the next read.
 */
int fault_bio_arm_after(struct env *e, const char *swapdev_path, long bytes,
			int times);
/* Arm: fail the next @times allocations from slab cache @cache */
int fault_slab_arm(struct env *e, const char *cache, int times);
/* mark (or unmark) the calling thread as one whose requests may fail */
int fault_this_thread(bool on);
/* injected failures still to come: "times" of fail_make_request / failslab */
long fault_bio_left(void);
long fault_slab_left(void);

#endif
