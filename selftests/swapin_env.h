/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-test environment of the shmem cache-bypass swapin selftests: setup
 * resets the feature's knobs, makes sure swap is on, creates the test's
 * cgroup and takes the accounting baseline after a swap drain; the end of
 * a test checks the accounting is back at the baseline and the kernel log
 * is clean; knobs and mounts changed by a test are journaled in
 * SHMEM_SWAPIN_STATE_DIR and restored in teardown, or by the next test if
 * this one was killed.
 */
#ifndef SWAPIN_ENV_H
#define SWAPIN_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swapin_swapdev.h"
#include "swapin_cgroup.h"

struct tfile;

struct acct {
	long long swap_used_kb;		/* /proc/swaps Used, after a drain */
	long long shmem_kb;		/* /proc/meminfo Shmem */
	long long zram_orig;		/* zram mm_stat orig_data_size */
	long long cg_current;		/* memory.current */
	long long cg_swap;		/* memory.swap.current */
	long long cg_shmem;		/* memory.stat shmem */
};

#define ENV_MAX_MNT 2
struct env {
	char name[128];
	struct swapdev sd;
	struct cg cg;
	int kmsg_fd;
	bool allow_oom;			/* OOM reports expected in kmsg */
	struct acct base;
	char mnt[ENV_MAX_MNT][256];
	char err[512];
	uint64_t t0;			/* setup time, for the duration */
};

int env_setup(struct env *e, const char *test_name);
/*
 * Checks everything is back to the baseline (call after all files of the
 * test are gone): swap Used, memory.swap.current, memory.stat shmem,
 * memory.current, Shmem, zram.  Also scans the kernel log.  Returns the
 * number of failed checks, each printed as a diagnostic.
 */
int env_check_back(struct env *e);
int env_kmsg_check(struct env *e);
void env_teardown(struct env *e);

/* set a sysfs knob, remembering the old value for teardown (journal) */
int env_set_knob(struct env *e, const char *path, const char *val);
/*
 * Batched bypass off for this test (journaled, like env_set_knob()): for
 * scenarios that count swapins, marker waits or charges page by page;
 * shmem_swapin_batch tests batches.  0 also on a kernel without batching.
 */
int env_batch_off(struct env *e);
/*
 * Keep expected kernel reports (memcg OOM) off the console, where the rig's
 * console check would take their "Call Trace:" for a kernel problem; they
 * stay in /dev/kmsg, which env_kmsg_check() scans.  Restored in teardown.
 */
int env_quiet_console(struct env *e);
/* mount a private tmpfs (options may be NULL), unmounted in teardown */
int env_mount_tmpfs(struct env *e, const char *opts, char *dir, size_t len);
void env_restore_journal(void);

/* print accounting values of a live file (diagnostic) */
void acct_print(const char *label, struct env *e, struct tfile *t);

#endif
