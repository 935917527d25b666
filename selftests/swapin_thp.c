// SPDX-License-Identifier: GPL-2.0
/*
 * Large shmem folios for the swapin selftests: see swapin_thp.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "swapin_util.h"
#include "swapin_vmstat.h"
#include "swapin_cgroup.h"
#include "swapin_files.h"
#include "swapin_env.h"
#include "swapin_thp.h"

long long mthp_stat(const char *size, const char *stat)
{
	char path[256];

	snprintf(path, sizeof(path), THP_DIR "/hugepages-%s/stats/%s", size,
		 stat);
	return read_ll(path);
}

int mthp_only(struct env *e, const char *size)
{
	char path[512], want[64];
	DIR *d = opendir(THP_DIR);
	struct dirent *de;
	int r = 0;

	if (!d)
		return -ENOENT;
	snprintf(want, sizeof(want), "hugepages-%s", size);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "hugepages-", 10) ||
		    !strcmp(de->d_name, want))
			continue;
		snprintf(path, sizeof(path), THP_DIR "/%s/shmem_enabled",
			 de->d_name);
		if (path_exists(path) && env_set_knob(e, path, "never"))
			r = -EINVAL;
	}
	closedir(d);
	if (r)
		return r;
	snprintf(path, sizeof(path), THP_DIR "/%s/shmem_enabled", want);
	if (!path_exists(path))
		return -ENOENT;
	return env_set_knob(e, path, "always");
}

int large_push_out(struct env *e, enum large_kind kind, struct tfile *t,
		   size_t first, size_t n)
{
	(void)kind;
	return force_out(t, first, n, &e->cg);
}

int large_file_out(struct env *e, enum large_kind kind, struct tfile *t,
		   size_t npages, unsigned int id, size_t *order_pages,
		   char *why, size_t len)
{
	struct vmsnap v0, v1;
	long long before, out;
	char path[320], dir[256];
	size_t n, op;
	int r;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (kind == LARGE_MTHP64) {
		r = mthp_only(e, "64kB");
		if (r == -ENOENT) {
			snprintf(why, len, "kernel without per-size shmem mTHP (%s/hugepages-64kB/shmem_enabled)",
				 THP_DIR);
			return 1;
		}
		if (r)
			return -1;
		op = (64 << 10) / ps;
		n = (npages + op - 1) / op * op;
		before = mthp_stat("64kB", "shmem_alloc");
		t->npages = n;
		t->id = id;
		t->gen = calloc(n, sizeof(*t->gen));
		if (!t->gen)
			return -1;
		/* anonymous shared memory: the per-size knobs apply to it */
		t->map = mmap_aligned(n * ps, 2UL << 20, PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (t->map == MAP_FAILED) {
			t->map = NULL;
			return -1;
		}
		t->maplen = n * ps;
		if (cg_enter(&e->cg) || tf_write_map(t, 0, n, 1) || cg_leave())
			return -1;
		/* an fd for pread, fallocate and st_blocks */
		snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
			 (unsigned long)t->map, (unsigned long)(t->map + n * ps));
		t->fd = open(path, O_RDWR | O_CLOEXEC);
		if (t->fd < 0)
			diag("cannot open %s (%s): no fd for this file", path,
			     strerror(errno));
		if (mthp_stat("64kB", "shmem_alloc") - before <= 0) {
			snprintf(why, len, "no 64K shmem folio was allocated");
			return 1;
		}
		before = mthp_stat("64kB", "swpout");
	} else {
		r = env_mount_tmpfs(e, "huge=always,size=64m", dir, sizeof(dir));
		if (r == -EINVAL) {
			snprintf(why, len, "tmpfs rejects huge=always (no CONFIG_TRANSPARENT_HUGEPAGE)");
			return 1;
		}
		if (r)
			return -1;
		op = (2UL << 20) / ps;
		n = (npages + op - 1) / op * op;
		snprintf(path, sizeof(path), "%s/huge%u", dir, id);
		stat_refresh();
		before = meminfo_kb("ShmemHugePages");
		if (tf_open(t, path, n, id) || tf_map(t, PROT_READ | PROT_WRITE) ||
		    cg_enter(&e->cg) || tf_write(t, 0, n, 1) || cg_leave())
			return -1;
		stat_refresh();
		if (meminfo_kb("ShmemHugePages") - before <= 0) {
			snprintf(why, len, "no PMD THP was allocated in the huge=always tmpfs");
			return 1;
		}
		before = 0;
	}
	*order_pages = op;
	vm_snap(&v0);
	if (force_out(t, 0, n, &e->cg))
		return -1;
	vm_snap(&v1);
	vm_print("swap out", &v0, &v1);
	out = kind == LARGE_MTHP64 ? mthp_stat("64kB", "swpout") - before :
				     vm_d(&v0, &v1, V_THP_SWPOUT);
	diag("large folios swapped out whole: %lld of %zu", out, n / op);
	if (out <= 0) {
		snprintf(why, len, "the large folios were split at swapout (no CONFIG_THP_SWAP or no free swap cluster): no large swap entry to test");
		return 1;
	}
	return 0;
}
