// SPDX-License-Identifier: GPL-2.0
/*
 * Large swap entries swapped in whole by the bypass, under one marker.
 *
 * A large shmem folio (64K mTHP of an anonymous shared mapping, or PMD THP
 * of a huge=always tmpfs) goes out to swap as one multi-index swap entry.
 * The bypass swaps it in as one folio of the entry's order, under one marker
 * covering the whole entry; whoever meets the marker at any index inside it
 * waits on the entry's first index.  These tests check that the folio comes
 * back large (one read per entry, the folio's size from /proc/kpageflags,
 * the per-size counters), that a fault, punch, truncate, swapoff anywhere
 * inside the entry behaves, and that every case the large swapin cannot
 * handle falls back to the split and order 0 path without splitting first
 * and without spinning.  zswap (which cannot load large folios in 6.12) is
 * tested in shmem_swapin_zswap, which runs last.
 *
 * See docs/testing.md.
 */
#include <sched.h>
#include <semaphore.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "swapin_test.h"
#include "swapin_util.h"
#include "swapin_vmstat.h"
#include "swapin_cgroup.h"
#include "swapin_files.h"
#include "swapin_env.h"
#include "swapin_thp.h"

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE	0x01
#define FALLOC_FL_PUNCH_HOLE	0x02
#endif

FIXTURE(large) {
	struct env e;
	struct tfile t;
	size_t op;		/* pages per large folio */
	int vlarge;		/* V_BYPASS_MTHP or V_BYPASS_PMD */
};

FIXTURE_VARIANT(large) {
	enum large_kind kind;
};

FIXTURE_VARIANT_ADD(large, mthp64k) { .kind = LARGE_MTHP64 };
FIXTURE_VARIANT_ADD(large, pmd) { .kind = LARGE_PMD };

FIXTURE_SETUP(large)
{
	int r = env_setup(&self->e, _metadata->name);

	ASSERT_EQ(0, r) TH_LOG("setup: %s", self->e.err);
	self->t.fd = -1;
	self->vlarge = variant->kind == LARGE_PMD ? V_BYPASS_PMD : V_BYPASS_MTHP;
	/*
	 * Only read: in 6.12 a write to the parameter, even "N", sets zswap
	 * up, and from then on large swapins fall back (zswap cannot load
	 * them).  shmem_swapin_zswap, which enables it, runs last.
	 */
	if (path_exists(ZSWAP_ENABLED)) {
		char z[8] = "";

		read_str(ZSWAP_ENABLED, z, sizeof(z));
		ASSERT_NE('Y', z[0]) TH_LOG("zswap is enabled: large swapins cannot be tested");
	}
}

FIXTURE_TEARDOWN(large)
{
	tf_close(&self->t);
	env_teardown(&self->e);
}

/* the file of the test, out as large entries; SKIPs what cannot be tested */
#define LARGE_OUT(npages, id) do {					\
	char __why[256];						\
	int __r = large_file_out(&self->e, variant->kind, &self->t,	\
				 (npages), (id), &self->op, __why,	\
				 sizeof(__why));			\
	if (__r == 1)							\
		SKIP(return, "%s", __why);				\
	ASSERT_EQ(0, __r);						\
} while (0)

/* the feature counts large swapins (a kernel with the large bypass) */
#define REQUIRE_LARGE_COUNTERS(s) do {					\
	ASSERT_TRUE((s)->present[V_BYPASS_MTHP])			\
		TH_LOG("no shmem_swapin_bypass_mthp in /proc/vmstat: kernel without the large bypass");\
} while (0)

/* every large folio of [first, first+n) is whole again */
static long count_small(struct tfile *t, size_t first, size_t n, size_t op)
{
	long small = 0;
	size_t i;

	for (i = first; i < first + n; i += op)
		if (tf_folio_pages(t, i) != (long)op)
			small++;
	return small;
}

/* ------------------------------------------------------------------ */
/* Several threads fault each entry at different offsets. */

struct entry_faulter {
	struct tfile *t;
	size_t nentries, op, off;
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
		size_t idx = en * f->op + f->off;
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
	struct tfile *t = &self->t;
	long delay = race_delay_us(20000);
	struct errlog *err = errlog_new();
	struct entry_faulter f[5];
	size_t offs[5], n, nentries;
	pthread_barrier_t bar;
	struct vmsnap v1, v2, v3;
	long long huge0 = 0;
	int k;

	ASSERT_NE(NULL, err);
	stat_refresh();
	huge0 = meminfo_kb("ShmemHugePages");
	LARGE_OUT(scaled(2048), 40);
	n = t->npages;
	nentries = n / self->op;

	/* several threads per entry, two of them at the same index */
	if (variant->kind == LARGE_MTHP64) {
		size_t o[5] = { 0, 5, 10, 15, 5 };

		memcpy(offs, o, sizeof(o));
	} else {
		size_t o[5] = { 0, 100, 257, 511, 257 };

		memcpy(offs, o, sizeof(o));
	}
	vm_snap(&v1);
	REQUIRE_LARGE_COUNTERS(&v1);
	ASSERT_OK(set_delay_us(delay));
	ASSERT_EQ(0, pthread_barrier_init(&bar, NULL, 5));
	for (k = 0; k < 5; k++) {
		f[k] = (struct entry_faulter){
			.t = t, .nentries = nentries, .op = self->op,
			.off = offs[k] % self->op, .err = err, .bar = &bar,
		};
		ASSERT_EQ(0, pthread_create(&f[k].tid, NULL, entry_fault_fn, &f[k]));
	}
	for (k = 0; k < 5; k++)
		pthread_join(f[k].tid, NULL);
	set_delay_us(0);
	vm_snap(&v2);
	vm_print("faults inside large entries", &v1, &v2);
	ASSERT_NO_ERRORS(err, "faulters inside large entries");
	ASSERT_EQ(0, tf_verify(t, 0, n, VIA_MAP, "after the race"));
	vm_snap(&v3);
	vm_print("total swapin", &v1, &v3);

	/* one read and one install per entry, whole */
	EXPECT_PAGES("pages read from swap", vm_reads(&v1, &v3), n);
	EXPECT_PAGES("pages installed", vm_installs(&v1, &v3), n);
	EXPECT_EQ((long long)n, vm_d(&v1, &v3, V_BYPASS));
	EXPECT_EQ((long long)nentries, vm_d(&v1, &v3, self->vlarge))
		TH_LOG("%s: %lld large folios swapped in whole, %zu entries",
		       vm_names[self->vlarge], vm_d(&v1, &v3, self->vlarge), nentries);
	EXPECT_EQ(0, vm_d(&v1, &v3, V_LARGE_FALLBACK));
	EXPECT_EQ(0, vm_d(&v1, &v3, V_SWAPCACHE));
	/* the threads at other offsets waited on each entry's marker */
	EXPECT_VM_GT(&v1, &v2, V_WAIT, 0);
	EXPECT_NO_FALLBACK(&v1, &v3);
	EXPECT_EQ(0, count_small(t, 0, n, self->op))
		TH_LOG("a folio came back split (size from /proc/kpageflags)");
	if (variant->kind == LARGE_PMD) {
		stat_refresh();
		EXPECT_EQ(huge0 + (long long)(n * ps / 1024), meminfo_kb("ShmemHugePages"))
			TH_LOG("ShmemHugePages: %lld kB before the file, the file is %zu kB",
			       huge0, n * ps / 1024);
	}
	EXPECT_EQ((long long)n, tf_resident(t, 0, n, NULL));
	if (t->fd >= 0)
		EXPECT_EQ((long long)(n * ps / 512), tf_blocks(t));
	EXPECT_EQ((long long)(n * ps), cg_wait_shmem(&e->cg, n * ps));
	acct_print("all in", e, t);
	tf_close(t);
	errlog_free(err);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/*
 * A punch of one page inside an entry while the entry is being read: the
 * punch cannot remove the large marker; it waits for the swapin and then
 * treats the large folio as a partial folio (zeroes the page).
 */
TEST_F_TIMEOUT(large, punch_inside_entry, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	long delay = race_delay_us(400000);
	struct vmsnap v0, v1;
	struct reader o;
	uint64_t t0, t1;
	size_t n, p, i;

	LARGE_OUT(1, 41);
	ASSERT_LE(0, t->fd) TH_LOG("no fd to punch with");
	n = t->npages;
	p = self->op / 2 + 1;
	vm_snap(&v0);
	REQUIRE_LARGE_COUNTERS(&v0);
	ASSERT_OK(set_delay_us(delay));
	ASSERT_OK(cg_enter(&e->cg));
	ASSERT_EQ(0, reader_start(&o, t, 1, M_PREAD));
	sleep_us(delay / 4);
	t0 = now_us();
	ASSERT_EQ(0, fallocate(t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       p * ps, ps));
	t1 = now_us();
	pthread_join(o.tid, NULL);
	set_delay_us(0);
	ASSERT_OK(cg_leave());
	vm_snap(&v1);
	vm_print("punch inside a large entry", &v0, &v1);
	diag("the punch took %llu us (the owner's read: %llu us)",
	     (unsigned long long)(t1 - t0),
	     (unsigned long long)(o.t_end - o.t_start));
	EXPECT_EQ(1, o.gen) TH_LOG("owner: %s", o.msg);
	/* it waited for the swapin rather than removing the marker */
	EXPECT_GT((long long)(t1 - t0), delay / 2)
		TH_LOG("the punch did not wait for the large swapin");
	EXPECT_EQ(0, vm_d(&v0, &v1, V_HANDOFF));
	EXPECT_EQ(1, vm_d(&v0, &v1, self->vlarge));
	EXPECT_GT(vm_d(&v0, &v1, V_WAIT), 0);
	for (i = 0; i < n; i++)
		t->gen[i] = i == p ? 0 : 1;
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "after the punch"));
	EXPECT_EQ((long long)tf_resident(t, 0, n, NULL) * (long long)(ps / 512),
		  tf_blocks(t));
	tf_close(t);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/*
 * A waiter at an index inside the entry (not its first) while the owner
 * reads; the whole entry is punched: the punch hands the large marker off
 * and must wake the waiter, who waits keyed on the entry's first index.
 */
TEST_F_TIMEOUT(large, waiter_on_punched_entry, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	long delay = race_delay_us(800000);
	struct vmsnap v0, v1, va;
	struct reader o, w;
	uint64_t t_rm;
	size_t n, i;

	LARGE_OUT(1, 42);
	ASSERT_LE(0, t->fd);
	n = t->npages;
	vm_snap(&v0);
	REQUIRE_LARGE_COUNTERS(&v0);
	ASSERT_OK(set_delay_us(delay));
	ASSERT_OK(cg_enter(&e->cg));
	vm_snap(&va);
	ASSERT_EQ(0, reader_start(&o, t, 0, M_PREAD));
	sleep_us(delay / 8);
	ASSERT_EQ(0, reader_start(&w, t, self->op - 1, M_FAULT));
	ASSERT_TRUE(vm_wait_above(V_WAIT, va.v[V_WAIT], delay / 2))
		TH_LOG("nobody waited on the large marker");
	t_rm = now_us();
	ASSERT_EQ(0, fallocate(t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       0, n * ps));
	pthread_join(w.tid, NULL);
	pthread_join(o.tid, NULL);
	set_delay_us(0);
	ASSERT_OK(cg_leave());
	vm_snap(&v1);
	vm_print("whole entry punched", &v0, &v1);
	diag("waiter back %lld us after the punch, owner %lld us",
	     (long long)(w.t_end - t_rm), (long long)(o.t_end - t_rm));
	EXPECT_GT(vm_d(&v0, &v1, V_HANDOFF), 0);
	EXPECT_LT((long long)(w.t_end - t_rm), delay / 4)
		TH_LOG("the waiter at a sub-index was not woken by the handoff");
	EXPECT_LT(w.t_end, o.t_end);
	EXPECT_EQ(0, w.gen) TH_LOG("waiter: %s", w.msg);
	EXPECT_EQ(0, o.gen) TH_LOG("owner: %s", o.msg);
	for (i = 0; i < n; i++)
		t->gen[i] = 0;
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "after the punch"));
	EXPECT_EQ((long long)tf_resident(t, 0, n, NULL) * (long long)(ps / 512),
		  tf_blocks(t));
	tf_close(t);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/* ftruncate() into the middle of an entry while it is being read. */

TEST_F_TIMEOUT(large, truncate_across_entry, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	long delay = race_delay_us(400000);
	long long wall, cpu;
	struct rusage r0, r1;
	struct vmsnap v0, v1;
	uint64_t t0;
	struct reader o;
	size_t n, half, i;

	if (variant->kind != LARGE_PMD)
		SKIP(return, "anonymous shared memory cannot be truncated");
	LARGE_OUT(1, 43);
	n = t->npages;
	half = self->op / 2 + 3;
	vm_snap(&v0);
	REQUIRE_LARGE_COUNTERS(&v0);
	ASSERT_OK(set_delay_us(delay));
	ASSERT_OK(cg_enter(&e->cg));
	ASSERT_EQ(0, reader_start(&o, t, 1, M_PREAD));
	sleep_us(delay / 4);
	getrusage(RUSAGE_THREAD, &r0);
	t0 = now_us();
	ASSERT_EQ(0, ftruncate(t->fd, half * ps));
	wall = now_us() - t0;
	getrusage(RUSAGE_THREAD, &r1);
	cpu = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) * 1000000LL +
	      (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) +
	      (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1000000LL +
	      (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec);
	pthread_join(o.tid, NULL);
	set_delay_us(0);
	ASSERT_EQ(0, ftruncate(t->fd, n * ps));
	ASSERT_OK(cg_leave());
	vm_snap(&v1);
	vm_print("truncate across a large entry", &v0, &v1);
	diag("the truncation took %lld us, %lld us of it on CPU", wall, cpu);
	/* it waited for the swapin in flight: slept, did not loop */
	EXPECT_GT(wall, delay / 2);
	EXPECT_LT(cpu, delay / 5)
		TH_LOG("the truncation spun for %lld us while the owner read", cpu);
	EXPECT_EQ(1, o.gen) TH_LOG("owner: %s", o.msg);
	EXPECT_EQ(1, vm_d(&v0, &v1, self->vlarge));
	for (i = 0; i < n; i++)
		t->gen[i] = i < half ? 1 : 0;
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "after shrink and regrow"));
	EXPECT_EQ((long long)tf_resident(t, 0, n, NULL) * (long long)(ps / 512),
		  tf_blocks(t));
	tf_close(t);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/*
 * ftruncate() to a page boundary inside a large entry that is still out
 * (no swapin in progress): the entry crosses the new size, so the part
 * below it must be kept and the part above dropped; the truncation must
 * finish (not loop) and nothing may be lost.
 */
TEST_F_TIMEOUT(large, truncate_inside_swapped_entry, 120)
{
	const char *modes[] = { "bypass", "swapcache" };
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	struct vmsnap v0, v1;
	size_t n, half, i;
	uint64_t t0, took;
	int m;

	if (variant->kind != LARGE_PMD)
		SKIP(return, "anonymous shared memory cannot be truncated");
	for (m = 0; m < 2; m++) {
		ASSERT_OK(set_mode(modes[m]));
		LARGE_OUT(1, 48 + m);
		n = t->npages;
		half = self->op / 2 + 3;
		vm_snap(&v0);
		t0 = now_us();
		ASSERT_EQ(0, ftruncate(t->fd, half * ps));
		took = now_us() - t0;
		ASSERT_EQ(0, ftruncate(t->fd, n * ps));
		vm_snap(&v1);
		vm_print(modes[m], &v0, &v1);
		diag("%s: the truncation took %llu us", modes[m],
		     (unsigned long long)took);
		for (i = 0; i < n; i++)
			t->gen[i] = i < half ? 1 : 0;
		EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "after shrink and regrow"));
		EXPECT_EQ((long long)tf_resident(t, 0, n, NULL) * (long long)(ps / 512),
			  tf_blocks(t));
		tf_close(t);
	}
	ASSERT_OK(set_mode("bypass"));
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/*
 * MADV_WILLNEED read an order-0 folio into the swap cache for a slot inside
 * a large entry: the large swapin cannot pin the whole range, so it falls
 * back to the split and order 0 path (upstream's softlockup case: a retry
 * there would never succeed).  Bounded by the harness timeout.
 */
TEST_F_TIMEOUT(large, willneed_order0_inside, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	struct vmsnap v0, v1;
	size_t n;

	LARGE_OUT(1, 44);
	n = t->npages;
	vm_snap(&v0);
	REQUIRE_LARGE_COUNTERS(&v0);
	ASSERT_EQ(0, madvise(t->map, ps, MADV_WILLNEED));
	usleep(100000);
	ASSERT_EQ(0, tf_verify(t, 2, 1, VIA_MAP, "fault inside the entry"));
	ASSERT_EQ(0, tf_verify(t, 0, n, VIA_MAP, "the rest"));
	vm_snap(&v1);
	vm_print("WILLNEED then faults", &v0, &v1);
	EXPECT_GT(vm_d(&v0, &v1, V_LARGE_FALLBACK), 0)
		TH_LOG("the large swapin did not fall back over a cached slot");
	EXPECT_EQ(0, vm_d(&v0, &v1, self->vlarge));
	EXPECT_PAGES("pages installed", vm_installs(&v0, &v1), n);
	EXPECT_EQ((long long)n, tf_resident(t, 0, n, NULL));
	tf_close(t);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/*
 * A cgroup that cannot take a large folio's charge: memory.max a little
 * above what it holds, swap.max 0 (reclaim cannot make room by swapping).
 * The large swapin falls back to order 0; the pages the limit allows come
 * in; nothing is lost once the limits are lifted.
 */
TEST_F_TIMEOUT(large, charge_fail_falls_back, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	struct vmsnap v0, v1, v2;
	char buf[64];
	size_t n, i;

	LARGE_OUT(1, 45);
	n = t->npages;
	vm_snap(&v0);
	REQUIRE_LARGE_COUNTERS(&v0);
	ASSERT_OK(cg_write(&e->cg, "memory.swap.max", "0"));
	/*
	 * memory.high just below the usage makes the kernel drain the per-cpu
	 * charge stocks (a 64K charge could be served from them without
	 * meeting the limit), without the OOM a memory.max below the usage
	 * would cause; then memory.max with half a large folio of room.
	 */
	snprintf(buf, sizeof(buf), "%lld", cg_read(&e->cg, "memory.current") - (long long)ps);
	cg_write(&e->cg, "memory.high", buf);
	ASSERT_OK(cg_write(&e->cg, "memory.high", "max"));
	snprintf(buf, sizeof(buf), "%lld",
		 cg_read(&e->cg, "memory.current") + (long long)(n / 2) * (long long)ps);
	ASSERT_OK(cg_write(&e->cg, "memory.max", buf));
	/* a few pages by read(): each a fallback, then an order-0 swapin */
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, tf_verify(t, i * (self->op / 4), 1, VIA_PREAD,
				       "under the limit"));
	vm_snap(&v1);
	vm_print("under a limit below the large folio", &v0, &v1);
	EXPECT_GE(vm_d(&v0, &v1, V_LARGE_FALLBACK), 1);
	EXPECT_EQ(0, vm_d(&v0, &v1, self->vlarge));
	EXPECT_GE(vm_d(&v0, &v1, V_BYPASS), 4);
	ASSERT_OK(cg_write(&e->cg, "memory.max", "max"));
	ASSERT_OK(cg_write(&e->cg, "memory.swap.max", "max"));
	ASSERT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "after the limits"));
	vm_snap(&v2);
	EXPECT_PAGES("pages installed", vm_installs(&v0, &v2), n);
	EXPECT_EQ((long long)n, tf_resident(t, 0, n, NULL));
	tf_close(t);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/* swapoff while threads fault large entries. */

struct swapoff_arg {
	struct swapdev *sd;
	int rc;
	pthread_t tid;
};

static void *swapoff_fn(void *arg)
{
	struct swapoff_arg *a = arg;

	a->rc = do_swapoff(a->sd, 120);
	return NULL;
}

TEST_F_TIMEOUT(large, swapoff_during_large, 400)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	long delay = race_delay_us(20000);
	struct errlog *err = errlog_new();
	struct swapoff_arg so = { .sd = &e->sd };
	struct sweep s[2];
	struct vmsnap v0, v1;
	size_t n;
	int k;

	ASSERT_NE(NULL, err);
	LARGE_OUT(scaled(1024), 46);
	n = t->npages;
	vm_snap(&v0);
	REQUIRE_LARGE_COUNTERS(&v0);
	ASSERT_OK(set_delay_us(delay));
	for (k = 0; k < 2; k++) {
		s[k] = (struct sweep){
			.t = t, .fd = -1, .first = 0, .n = n,
			.step = k ? -(int)self->op / 2 : (int)self->op / 2,
			.how = M_FAULT, .err = err, .name = "faulter",
		};
		ASSERT_EQ(0, sweep_start(&s[k]));
	}
	sleep_us(delay);
	ASSERT_EQ(0, pthread_create(&so.tid, NULL, swapoff_fn, &so));
	for (k = 0; k < 2; k++)
		pthread_join(s[k].tid, NULL);
	pthread_join(so.tid, NULL);
	set_delay_us(0);
	vm_snap(&v1);
	vm_print("swapoff and faults", &v0, &v1);
	EXPECT_EQ(0, so.rc) TH_LOG("swapoff: %s", strerror(-so.rc));
	ASSERT_OK(do_swapon(&e->sd));
	ASSERT_NO_ERRORS(err, "faulters racing swapoff");
	ASSERT_EQ(0, tf_verify(t, 0, n, VIA_MAP, "after swapoff"));
	EXPECT_EQ((long long)n, tf_resident(t, 0, n, NULL));
	EXPECT_PAGES("pages installed", vm_installs(&v0, &v1), n);
	EXPECT_GT(vm_d(&v0, &v1, self->vlarge), 0);
	EXPECT_EQ(0, count_small(t, 0, n, self->op));
	tf_close(t);
	errlog_free(err);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/*
 * Priority inversion with a large entry, on one CPU: an owner (SCHED_OTHER)
 * swaps an entry in and sleeps in the debug delay holding the marker; a
 * SCHED_FIFO thread faults another index of the same entry.  It must sleep
 * on the marker (keyed on the entry's first index), not spin: every round
 * ends within the delay plus a bound.
 */
struct fifo_large {
	struct tfile *t;
	size_t op;
	int cpu;
	long delay;
	size_t entry;
	sem_t go_owner, go_fifo, owner_in, done;
	int owner_gen, fifo_gen;
	uint64_t fifo_us;
	volatile int stop;
};

static void *fifo_large_owner(void *arg)
{
	struct fifo_large *c = arg;
	char buf[4096];

	pin_cpu(c->cpu);
	while (!c->stop) {
		sem_wait(&c->go_owner);
		if (c->stop)
			break;
		sem_post(&c->owner_in);
		c->owner_gen = safe_copy_page(buf, c->t->map + c->entry * c->op * ps) ?
			       -1 : page_gen(buf, c->t->id, c->entry * c->op, NULL, 0);
		sem_post(&c->done);
	}
	return NULL;
}

static void *fifo_large_rt(void *arg)
{
	struct fifo_large *c = arg;
	struct sched_param sp = { .sched_priority = 10 };
	char buf[4096];
	size_t idx;
	uint64_t t0;

	pin_cpu(c->cpu);
	if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
		c->fifo_gen = -100;
		sem_post(&c->done);
		return NULL;
	}
	while (!c->stop) {
		sem_wait(&c->go_fifo);
		if (c->stop)
			break;
		idx = c->entry * c->op + c->op - 1;
		t0 = now_us();
		c->fifo_gen = safe_copy_page(buf, c->t->map + idx * ps) ? -1 :
			      page_gen(buf, c->t->id, idx, NULL, 0);
		c->fifo_us = now_us() - t0;
		sem_post(&c->done);
	}
	return NULL;
}

TEST_F_TIMEOUT(large, fifo_vs_preempted_large_owner, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	long delay = race_delay_us(20000);
	struct fifo_large c;
	pthread_t ot, rt;
	struct vmsnap v0, v1;
	uint64_t worst = 0;
	size_t n, nentries, en;

	LARGE_OUT(variant->kind == LARGE_PMD ? 2048 : 128, 47);
	n = t->npages;
	nentries = n / self->op;
	if (nentries > 8)
		nentries = 8;
	memset(&c, 0, sizeof(c));
	c.t = t;
	c.op = self->op;
	c.cpu = last_cpu();
	c.delay = delay;
	sem_init(&c.go_owner, 0, 0);
	sem_init(&c.go_fifo, 0, 0);
	sem_init(&c.owner_in, 0, 0);
	sem_init(&c.done, 0, 0);
	vm_snap(&v0);
	REQUIRE_LARGE_COUNTERS(&v0);
	ASSERT_OK(set_delay_us(delay));
	ASSERT_EQ(0, pthread_create(&ot, NULL, fifo_large_owner, &c));
	ASSERT_EQ(0, pthread_create(&rt, NULL, fifo_large_rt, &c));
	for (en = 0; en < nentries; en++) {
		c.entry = en;
		sem_post(&c.go_owner);
		sem_wait(&c.owner_in);
		sleep_us(delay / 4);
		sem_post(&c.go_fifo);
		sem_wait(&c.done);
		sem_wait(&c.done);
		if (c.fifo_gen == -100)
			break;
		if (c.fifo_us > worst)
			worst = c.fifo_us;
		EXPECT_EQ(1, c.owner_gen);
		EXPECT_EQ(1, c.fifo_gen);
	}
	c.stop = 1;
	sem_post(&c.go_owner);
	sem_post(&c.go_fifo);
	pthread_join(ot, NULL);
	pthread_join(rt, NULL);
	set_delay_us(0);
	if (c.fifo_gen == -100)
		SKIP(return, "SCHED_FIFO refused");
	vm_snap(&v1);
	vm_print("fifo vs preempted large owner", &v0, &v1);
	diag("worst SCHED_FIFO fault: %llu us (delay %ld us, %zu rounds)",
	     (unsigned long long)worst, delay, nentries);
	EXPECT_LT((long long)worst, delay + 250000)
		TH_LOG("the FIFO waiter took %llu us: it spun instead of sleeping on the marker",
		       (unsigned long long)worst);
	EXPECT_GT(vm_d(&v0, &v1, V_WAIT), 0);
	EXPECT_EQ((long long)nentries, vm_d(&v0, &v1, self->vlarge));
	ASSERT_EQ(0, tf_verify(t, 0, n, VIA_MAP, "at the end"));
	tf_close(t);
	CHECK_BACK(e);
}

TEST_HARNESS_MAIN
