/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup v2 helpers of the shmem cache-bypass swapin selftests: each test
 * runs in its own child of the cgroup v2 root (/sys/fs/cgroup or
 * SHMEM_SWAPIN_CGROUP, with the memory controller), named
 * shmem_swapin.<test>.<pid>; these create, read, write, enter, leave and
 * remove it, and sweep those left behind by killed tests.
 */
#ifndef SWAPIN_CGROUP_H
#define SWAPIN_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct cg {
	char path[512];
	bool created;
};
const char *cg_root(void);
int cg_prepare_root(char *msg, size_t len);
int cg_create(struct cg *c, const char *tag);
int cg_write(struct cg *c, const char *file, const char *val);
long long cg_read(struct cg *c, const char *file);	/* "max" -> LLONG_MAX */
long long cg_keyed(struct cg *c, const char *file, const char *key);
int cg_enter(struct cg *c);		/* move this process in */
int cg_enter_pid(struct cg *c, pid_t pid);
int cg_leave(void);			/* back to the root cgroup */
int cg_destroy(struct cg *c);
void cg_sweep_stale(void);

#endif
