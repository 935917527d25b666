// SPDX-License-Identifier: GPL-2.0
/*
 * Large swap entries and zswap:
 *  - large.faults_inside_entry: large shmem folios (64K mTHP of anonymous
 *    shared memory, or PMD THP of a huge=always tmpfs) swapped out as
 *    multi-index swap entries, then faulted by several threads at several
 *    indexes inside each entry (two of them at the same index); variants
 *    with zswap enabled.
 *  - ss.zswap_vs_writeback: pages stored in zswap, bypass swapins racing
 *    with memory.reclaim, which drives zswap writeback of the same
 *    cgroup's entries.
 *
 * See docs/testing.md.
 */
#include <dirent.h>

#include "swapin_test.h"
#include "swapin_util.h"
#include "swapin_vmstat.h"
#include "swapin_cgroup.h"
#include "swapin_files.h"
#include "swapin_env.h"

#define KIND_MTHP64	0
#define KIND_PMD	1

FIXTURE(large) {
	struct env e;
};

FIXTURE_VARIANT(large) {
	int kind;
	bool zswap;
};

FIXTURE_VARIANT_ADD(large, mthp64k) { .kind = KIND_MTHP64, .zswap = false };
FIXTURE_VARIANT_ADD(large, mthp64k_zswap) { .kind = KIND_MTHP64, .zswap = true };
FIXTURE_VARIANT_ADD(large, pmd) { .kind = KIND_PMD, .zswap = false };
FIXTURE_VARIANT_ADD(large, pmd_zswap) { .kind = KIND_PMD, .zswap = true };

FIXTURE_SETUP(large)
{
	int r = env_setup(&self->e, _metadata->name);

	ASSERT_EQ(0, r) TH_LOG("setup: %s", self->e.err);
}

FIXTURE_TEARDOWN(large)
{
	env_teardown(&self->e);
}

static long long mthp_stat(const char *size, const char *stat)
{
	char path[256];

	snprintf(path, sizeof(path), THP_DIR "/hugepages-%s/stats/%s", size,
		 stat);
	return read_ll(path);
}

/* only 64K for anonymous shmem: every other size to "never" */
static int mthp_only_64k(struct env *e)
{
	char path[512];
	DIR *d = opendir(THP_DIR);
	struct dirent *de;
	int r = 0;

	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "hugepages-", 10) ||
		    !strcmp(de->d_name, "hugepages-64kB"))
			continue;
		snprintf(path, sizeof(path), THP_DIR "/%s/shmem_enabled",
			 de->d_name);
		if (path_exists(path) && env_set_knob(e, path, "never"))
			r = -EINVAL;
	}
	closedir(d);
	if (r)
		return r;
	return env_set_knob(e, THP_DIR "/hugepages-64kB/shmem_enabled",
			    "always");
}

struct entry_faulter {
	struct tfile *t;
	size_t nentries, order_pages, off;
	struct errlog *err;
	pthread_barrier_t *bar;
	pthread_t tid;
};

static void *entry_fault_fn(void *arg)
{
	struct entry_faulter *f = arg;
	struct rbuf rb;
	char msg[400];
	size_t en;

	if (rbuf_init(&rb))
		return NULL;
	pthread_barrier_wait(f->bar);
	for (en = 0; en < f->nentries; en++) {
		size_t idx = en * f->order_pages + f->off;
		int g = read_page(f->t, f->t->fd, f->t->map, idx, M_FAULT, &rb,
				  msg, sizeof(msg));

		if (g != f->t->gen[idx])
			errlog_add(f->err, "fault at offset %zu of entry %zu: %s",
				   f->off, en, g == -1 ? msg : "wrong generation/EOF");
	}
	rbuf_free(&rb);
	return NULL;
}

TEST_F_TIMEOUT(large, faults_inside_entry, 400)
{
	struct env *e = &self->e;
	size_t n = scaled(2048), order_pages, nentries;
	long delay = race_delay_us(3000);
	struct errlog *err = errlog_new();
	struct entry_faulter f[5];
	size_t offs[5];
	pthread_barrier_t bar;
	struct vmsnap v0, v1, v2, v3;
	long long alloc0 = 0, swpout0 = 0, swpout1, huge0 = 0;
	char path[320], dir[256];
	struct tfile t;
	int k, r;

	ASSERT_NE(NULL, err);
	if (variant->zswap) {
		r = env_set_knob(e, ZSWAP_ENABLED, "Y");
		if (r == -ENOENT)
			SKIP(return, "no %s (kernel without zswap)", ZSWAP_ENABLED);
		ASSERT_OK(r);
	} else if (path_exists(ZSWAP_ENABLED)) {
		ASSERT_OK(env_set_knob(e, ZSWAP_ENABLED, "N"));
	}

	memset(&t, 0, sizeof(t));
	t.fd = -1;
	if (variant->kind == KIND_MTHP64) {
		r = mthp_only_64k(e);
		if (r == -ENOENT)
			SKIP(return, "kernel without per-size shmem mTHP (%s/hugepages-64kB/shmem_enabled)",
			     THP_DIR);
		ASSERT_OK(r);
		order_pages = (64 << 10) / ps;
		n = (n + order_pages - 1) / order_pages * order_pages;
		alloc0 = mthp_stat("64kB", "shmem_alloc");
		swpout0 = mthp_stat("64kB", "swpout");
		t.npages = n;
		t.id = 40;
		t.gen = calloc(n, sizeof(*t.gen));
		ASSERT_NE(NULL, t.gen);
		/* anonymous shared memory: the per-size knobs apply to it */
		t.map = mmap_aligned(n * ps, 2UL << 20, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, t.map);
		t.maplen = n * ps;
		ASSERT_OK(cg_enter(&e->cg));
		ASSERT_OK(tf_write_map(&t, 0, n, 1));
		ASSERT_OK(cg_leave());
		snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
			 (unsigned long)t.map, (unsigned long)(t.map + n * ps));
		t.fd = open(path, O_RDWR | O_CLOEXEC);
		if (t.fd < 0)
			diag("cannot open %s (%s): st_blocks not checked", path,
			     strerror(errno));
		diag("64K shmem folios allocated: %lld",
		     mthp_stat("64kB", "shmem_alloc") - alloc0);
		if (mthp_stat("64kB", "shmem_alloc") - alloc0 <= 0) {
			tf_close(&t);
			SKIP(return, "no 64K shmem folio was allocated");
		}
	} else {
		r = env_mount_tmpfs(e, "huge=always,size=64m", dir, sizeof(dir));
		if (r == -EINVAL)
			SKIP(return, "tmpfs rejects huge=always (no CONFIG_TRANSPARENT_HUGEPAGE)");
		ASSERT_OK(r);
		order_pages = (2UL << 20) / ps;
		n = (n + order_pages - 1) / order_pages * order_pages;
		snprintf(path, sizeof(path), "%s/huge", dir);
		stat_refresh();
		huge0 = meminfo_kb("ShmemHugePages");
		ASSERT_OK(tf_open(&t, path, n, 41));
		ASSERT_OK(tf_map(&t, PROT_READ | PROT_WRITE));
		ASSERT_OK(cg_enter(&e->cg));
		ASSERT_OK(tf_write(&t, 0, n, 1));
		ASSERT_OK(cg_leave());
		stat_refresh();
		diag("ShmemHugePages grew by %lld kB",
		     meminfo_kb("ShmemHugePages") - huge0);
		if (meminfo_kb("ShmemHugePages") - huge0 <= 0) {
			tf_close(&t);
			SKIP(return, "no PMD THP was allocated in the huge=always tmpfs");
		}
	}
	nentries = n / order_pages;

	vm_snap(&v0);
	ASSERT_OK(force_out(&t, 0, n, &e->cg));
	vm_snap(&v1);
	vm_print("swap out", &v0, &v1);
	if (variant->kind == KIND_MTHP64) {
		swpout1 = mthp_stat("64kB", "swpout");
		diag("64K swpout %lld, swpout_fallback %lld", swpout1 - swpout0,
		     mthp_stat("64kB", "swpout_fallback"));
	} else {
		swpout1 = vm_d(&v0, &v1, V_THP_SWPOUT);
		swpout0 = 0;
		diag("thp_swpout %lld, thp_swpout_fallback %lld", swpout1,
		     vm_d(&v0, &v1, V_THP_SWPOUT_FB));
	}
	if (swpout1 - swpout0 <= 0) {
		tf_close(&t);
		SKIP(return, "the large folios were split at swapout (no CONFIG_THP_SWAP or no free swap cluster): no large swap entry to test");
	}
	EXPECT_GE(vm_outs(&v0, &v1), (long long)n);

	/* several threads per entry, two of them at the same index */
	if (variant->kind == KIND_MTHP64) {
		size_t o[5] = { 0, 5, 10, 15, 5 };

		memcpy(offs, o, sizeof(o));
	} else {
		size_t o[5] = { 0, 100, 257, 511, 257 };

		memcpy(offs, o, sizeof(o));
	}
	for (k = 0; k < 5; k++)
		offs[k] = offs[k] % order_pages;
	ASSERT_OK(set_delay_us(delay));
	ASSERT_EQ(0, pthread_barrier_init(&bar, NULL, 5));
	for (k = 0; k < 5; k++) {
		f[k] = (struct entry_faulter){
			.t = &t, .nentries = nentries,
			.order_pages = order_pages, .off = offs[k], .err = err,
			.bar = &bar,
		};
		ASSERT_EQ(0, pthread_create(&f[k].tid, NULL, entry_fault_fn, &f[k]));
	}
	for (k = 0; k < 5; k++)
		pthread_join(f[k].tid, NULL);
	set_delay_us(0);
	vm_snap(&v2);
	vm_print("faults inside large entries", &v1, &v2);
	ASSERT_NO_ERRORS(err, "faulters inside large entries");
	/* the rest of every entry */
	ASSERT_EQ(0, tf_verify(&t, 0, n, VIA_MAP, "after the race"));
	vm_snap(&v3);
	vm_print("total swapin", &v1, &v3);

	EXPECT_PAGES("pages read from swap", vm_reads(&v1, &v3), n);
	EXPECT_PAGES("pages installed", vm_installs(&v1, &v3), n);
	EXPECT_VM_GT(&v1, &v3, V_BYPASS, 0);
	EXPECT_VM_GT(&v1, &v2, V_WAIT, 0);
	EXPECT_EQ((long long)n, tf_resident(&t, 0, n, NULL));
	if (t.fd >= 0)
		EXPECT_EQ((long long)(n * ps / 512), tf_blocks(&t));
	EXPECT_EQ((long long)(n * ps), cg_wait_shmem(&e->cg, n * ps));
	acct_print("all in", e, &t);

	tf_close(&t);
	errlog_free(err);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */

struct reclaimer {
	struct cg *cg;
	struct sweep *a;
	long start;
	long calls;
	pthread_t tid;
};

static void *reclaim_fn(void *arg)
{
	struct reclaimer *rc = arg;

	/* let the bypass swap some pages in from zswap first */
	wait_cur(&rc->a->cur, &rc->a->done, rc->start);
	while (!rc->a->done) {
		/* shrinks this cgroup's zswap entries (zswap writeback) */
		cg_write(rc->cg, "memory.reclaim", "64K");
		rc->calls++;
		sleep_us(2000);
	}
	return NULL;
}

TEST_F_TIMEOUT(ss, zswap_vs_writeback, 300)
{
	struct env *e = &self->e;
	size_t n = scaled(512);
	long delay = race_delay_us(3000);
	struct errlog *err = errlog_new();
	struct vmsnap v0, v1, v2, v3;
	struct reclaimer rc;
	struct sweep a, c;
	struct tfile t;
	int r;

	ASSERT_NE(NULL, err);
	r = env_set_knob(e, ZSWAP_ENABLED, "Y");
	if (r == -ENOENT)
		SKIP(return, "no %s (kernel without zswap)", ZSWAP_ENABLED);
	ASSERT_OK(r);
	if (path_exists(ZSWAP_SHRINKER))
		ASSERT_OK(env_set_knob(e, ZSWAP_SHRINKER, "Y"));

	ASSERT_OK(tf_memfd(&t, "zswap", n, 42, 0));
	ASSERT_OK(tf_map(&t, PROT_READ | PROT_WRITE));
	ASSERT_OK(cg_enter(&e->cg));
	ASSERT_OK(tf_write(&t, 0, n, 1));
	ASSERT_OK(cg_leave());
	vm_snap(&v0);
	ASSERT_OK(force_out(&t, 0, n, &e->cg));
	vm_snap(&v1);
	vm_print("swap out", &v0, &v1);
	if (vm_d(&v0, &v1, V_ZSWPOUT) < (long long)n / 2) {
		tf_close(&t);
		SKIP(return, "zswap stored only %lld of %zu pages (compressor or zpool unavailable?)",
		     vm_d(&v0, &v1, V_ZSWPOUT), n);
	}

	ASSERT_OK(set_delay_us(delay));
	a = (struct sweep){
		.t = &t, .fd = -1, .first = 0, .n = n, .step = 1,
		.how = M_FAULT, .err = err, .name = "faulter",
	};
	c = a;
	c.how = M_PREAD;
	c.name = "reader";
	c.start_delay_us = delay / 2;
	rc = (struct reclaimer){ .cg = &e->cg, .a = &a, .start = n / 8 };
	ASSERT_EQ(0, sweep_start(&a));
	ASSERT_EQ(0, sweep_start(&c));
	ASSERT_EQ(0, pthread_create(&rc.tid, NULL, reclaim_fn, &rc));
	pthread_join(a.tid, NULL);
	pthread_join(c.tid, NULL);
	pthread_join(rc.tid, NULL);
	set_delay_us(0);
	vm_snap(&v2);
	vm_print("race with zswap writeback", &v1, &v2);
	diag("memory.reclaim calls: %ld, zswap writebacks: %lld", rc.calls,
	     vm_d(&v1, &v2, V_ZSWPWB));
	ASSERT_NO_ERRORS(err, "zswap swapins racing reclaim");
	ASSERT_EQ(0, tf_verify(&t, 0, n, VIA_PREAD, "after the race"));
	vm_snap(&v3);
	vm_print("total", &v1, &v3);
	EXPECT_VM_GT(&v1, &v2, V_BYPASS, 0);
	EXPECT_VM_GT(&v1, &v2, V_ZSWPIN, 0);
	EXPECT_VM_GT(&v1, &v2, V_WAIT, 0);
	EXPECT_GE(vm_installs(&v1, &v3), (long long)n);
	EXPECT_EQ((long long)n, tf_resident(&t, 0, n, NULL));
	EXPECT_EQ((long long)(n * ps / 512), tf_blocks(&t));
	EXPECT_EQ((long long)(n * ps), cg_wait_shmem(&e->cg, n * ps));
	tf_close(&t);
	errlog_free(err);
	CHECK_BACK(e);
}

TEST_HARNESS_MAIN
