// SPDX-License-Identifier: GPL-2.0
/*
 * Batched bypass: an order 0 swapin that continues a sequential run takes
 * its order 0 neighbours (the rest of the 2^page-cluster readahead window,
 * on the slots after its own) under one marker each, and installs them.
 *
 *  - sequential_map, sequential_read: with vm.page-cluster 3, a sequential
 *    swapin by faults, then by read(), swaps 7 of every 8 pages in by
 *    batches (shmem_swapin_batch), reads every page once, takes one major
 *    fault per window instead of one per page; with the batch knob off, or
 *    page-cluster 0, nothing is batched and every page faults (today's
 *    behaviour); data and accounting as always.
 *  - one_fault_maps_window: the fault that takes a batch maps all of it.
 *  - vma_bounds: a batch started by a fault ends with the faulting vma: it
 *    reads and maps nothing past it; MADV_RANDOM turns batching off.
 *  - random_no_batch: faults in a scattered order never batch: random
 *    access pays no neighbour reads (each page is read once, when asked).
 *  - neighbour_waiters: tasks reading a neighbour while the batch holds it
 *    sleep on its marker and get their page from the batch.
 *  - punch_mid_batch, truncate_mid_batch: a hole punched over two claimed
 *    neighbours, or a truncation below them, while the batch holds them:
 *    the markers are handed off, the owner drops those pages and frees
 *    their slots (swap back to the baseline), the rest is installed.
 *  - swapoff_mid_batch: swapoff while the batch holds its markers: it
 *    waits for them and completes; every page comes back.
 *  - read_error_neighbours: the batch's read fails (fault injection lets the
 *    owner's own read through and fails the next): the neighbours are given
 *    back, not poisoned; the tasks asleep on their markers wake and read
 *    them themselves; nothing is lost or leaked.
 *  - zero_pages_split_read: two zero-filled pages inside the window (the swap
 *    zeromap: never written to the device, read back without a read) split
 *    the batch's bio; every page gets its own slot's data.
 *  - cluster_end: a window whose neighbours' slots run past the end of a
 *    swap cluster (on a second zram device marked rotational, whose slots
 *    follow each other across cluster ends) is batched whole, pinned slot by
 *    slot (one pin of many slots takes one cluster's lock), for each of the
 *    8 places the cluster end can take in the window; data and accounting.
 *  - memcg_limit_half: the second half of the window was swapped out from
 *    a cgroup that cannot be charged: the batch stops there, the pages it
 *    could not charge stay on swap, untouched, until they can be.
 *  - charge_fail_waiters: the same with readers asleep on markers of both
 *    halves and a hole punched over a refused one while the batch holds its
 *    claim: the refused readers wake (and get ENOMEM from their own swapin),
 *    the charged half's reader gets its page, the punched slot is freed.
 *  - pin_refused_neighbours: swap readahead takes some of the claimed
 *    neighbours' slots before the batch pins them: the batch pins slot by
 *    slot up to the first taken, the rest come from the swap cache.
 *  - batch_input: the knob takes booleans only.
 *
 * The windows are held open with debug_batch_delay_us (after the pins and
 * charges) and debug_batch_claim_delay_us (before them), debug kernels only.
 * See docs/testing.md.
 */
#include "swapin_test.h"
#include "swapin_util.h"
#include "swapin_vmstat.h"
#include "swapin_cgroup.h"
#include "swapin_files.h"
#include "swapin_env.h"
#include "swapin_fault.h"

#include "swapin_swapdev.h"

#include <linux/falloc.h>

#define WINDOW		8	/* 2^page-cluster at the default 3 */
#define PAGE_CLUSTER	"/proc/sys/vm/page-cluster"

FIXTURE(batch) {
	struct env e;
	struct tfile t;
	struct swapdev sd1;	/* cluster_end's rotational device */
	long delay;		/* batch window, us */
};

FIXTURE_SETUP(batch)
{
	int r = env_setup(&self->e, _metadata->name);

	ASSERT_EQ(0, r) TH_LOG("setup: %s", self->e.err);
	self->t.fd = -1;
	self->sd1.path[0] = 0;
	if (!path_exists(SWAPIN_BATCH) || !path_exists(SWAPIN_BATCH_DELAY) ||
	    !path_exists(SWAPIN_BATCH_CLAIM_DELAY))
		SKIP(return, "no %s or its debug delays (kernel without batching, or without CONFIG_DEBUG_VM)",
		     SWAPIN_BATCH);
	ASSERT_OK(env_set_knob(&self->e, PAGE_CLUSTER, "3"));
	self->delay = race_delay_us(300000);
}

FIXTURE_TEARDOWN(batch)
{
	tf_close(&self->t);
	if (self->sd1.path[0])
		zram_swap_remove(&self->sd1);
	env_teardown(&self->e);
}

/*
 * Push @t's pages [0, n) out from one CPU: a batch takes neighbours on
 * consecutive slots, and a swap-out that moves to another CPU half-way
 * allocates the rest from that CPU's cluster (a batch of 1 instead of 7 was
 * seen once in make negative).
 */
static int out_one_cpu(struct tfile *t, size_t n, struct cg *c)
{
	cpu_set_t old;
	int r, cpu = sched_getcpu();

	if (cpu < 0 || sched_getaffinity(0, sizeof(old), &old) || pin_cpu(cpu))
		return force_out(t, 0, n, c);
	r = force_out(t, 0, n, c);
	sched_setaffinity(0, sizeof(old), &old);
	return r;
}

/* @n order 0 pages of a memfd written from the test's cgroup, then out */
static int file_out(FIXTURE_DATA(batch) *self, size_t n, unsigned int id)
{
	struct tfile *t = &self->t;

	if (tf_memfd(t, "batch", n, id, 0) || tf_map(t, PROT_READ | PROT_WRITE) ||
	    cg_enter(&self->e.cg) || tf_write(t, 0, n, 1) || cg_leave())
		return -1;
	return out_one_cpu(t, n, &self->e.cg);
}

static void touch_seq(struct tfile *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)*(volatile char *)(t->map + i * ps);
}

static long read_seq(struct tfile *t, size_t n)
{
	char *buf = malloc(ps);
	size_t i;
	long bad = 0;

	for (i = 0; buf && i < n; i++)
		if (pread(t->fd, buf, ps, i * ps) != (ssize_t)ps)
			bad++;
	free(buf);
	return buf ? bad : -1;
}

/*
 * One sequential swapin of @n pages, by faults (@by_read false) or read(),
 * with the batch knob at @on and page-cluster at @cluster; checks what a
 * batch must do (or not do) and the data, and returns the snapshot deltas.
 */
static void seq_swapin(struct __test_metadata *_metadata,
		       FIXTURE_DATA(batch) *self, bool by_read, bool on,
		       const char *cluster, size_t n, unsigned int id)
{
	struct tfile *t = &self->t;
	struct vmsnap v0, v1;
	char what[128];
	long long batched, major;

	snprintf(what, sizeof(what), "%s, batch %s, page-cluster %s",
		 by_read ? "read()" : "faults", on ? "on" : "off", cluster);
	ASSERT_OK(env_set_knob(&self->e, SWAPIN_BATCH, on ? "1" : "0"));
	ASSERT_OK(env_set_knob(&self->e, PAGE_CLUSTER, cluster));
	ASSERT_EQ(0, file_out(self, n, id));
	vm_snap(&v0);
	if (by_read) {
		ASSERT_EQ(0, read_seq(t, n));
	} else {
		touch_seq(t, n);
	}
	vm_snap(&v1);
	vm_print(what, &v0, &v1);
	batched = vm_d(&v0, &v1, V_BATCH);
	major = vm_d(&v0, &v1, V_PGMAJFAULT);
	diag("%s: %lld pages batched, %lld major faults for %zu pages",
	     what, batched, major, n);

	EXPECT_PAGES("shmem_swapin_bypass", vm_d(&v0, &v1, V_BYPASS), n);
	EXPECT_EQ(0, vm_d(&v0, &v1, V_SWAPCACHE));
	/* every page read once: no neighbour read for nothing */
	EXPECT_PAGES("pages read", vm_reads(&v0, &v1), n);
	EXPECT_EQ(0, vm_d(&v0, &v1, V_PSWPOUT))
		TH_LOG("%s: pages written out again during the swapin", what);
	if (on && atoi(cluster) == 3) {
		/*
		 * 7 of every window of 8 come with the first, but for one page
		 * (and one more fault) wherever the file's slots jump: an SSD
		 * hands its clusters (256 or 512 slots) out interleaved, so a
		 * file's slots jump at each cluster end it crosses.
		 */
		long long jumps = n / 256 + 2;

		EXPECT_GE(batched, (long long)(n / WINDOW * (WINDOW - 1)) - jumps)
			TH_LOG("%s: only %lld pages came in batches", what, batched);
		EXPECT_LE(batched, (long long)n);
		if (!by_read) {
			EXPECT_LE(major, (long long)(n / WINDOW + SLACK) + jumps)
				TH_LOG("%s: %lld major faults, one per window expected",
				       what, major);
		}
	} else {
		EXPECT_EQ(0, batched) TH_LOG("%s: batched %lld pages", what, batched);
		if (!by_read)
			EXPECT_GE(major, (long long)n);
	}
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_MAP, what));
	tf_close(t);
	CHECK_BACK(&self->e);
}

TEST_F_TIMEOUT(batch, sequential_map, 300)
{
	size_t n = scaled(1024) / WINDOW * WINDOW;

	seq_swapin(_metadata, self, false, true, "3", n, 11);
	seq_swapin(_metadata, self, false, false, "3", n, 12);
	seq_swapin(_metadata, self, false, true, "0", n, 13);
}

/* the fault that takes a batch maps it: the faults on the batch never come */
TEST_F_TIMEOUT(batch, one_fault_maps_window, 300)
{
	struct tfile *t = &self->t;
	size_t n = 4 * WINDOW;
	struct vmsnap v0, v1;
	long mapped;

	ASSERT_EQ(0, file_out(self, n, 15));
	vm_snap(&v0);
	(void)*(volatile char *)t->map;
	vm_snap(&v1);
	vm_print("one fault at the start of a window", &v0, &v1);
	EXPECT_EQ(WINDOW - 1, vm_d(&v0, &v1, V_BATCH));
	EXPECT_EQ(1, vm_d(&v0, &v1, V_PGMAJFAULT));
	mapped = tf_mapped(t, 0, WINDOW, NULL);
	EXPECT_EQ(WINDOW, mapped)
		TH_LOG("%ld of the window's %d pages mapped by its fault", mapped, WINDOW);
	EXPECT_EQ(0, tf_mapped(t, WINDOW, n - WINDOW, NULL));
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_MAP, "after the window's fault"));
	tf_close(t);
	CHECK_BACK(&self->e);
}

/*
 * The window ends where the vma does: a mapping of the file's first 4 pages
 * only, in front of a PROT_NONE reservation; the fault on page 0 batches
 * pages 1-3 and maps them, and reads and maps nothing past the vma.  Then
 * MADV_RANDOM on a mapping of the whole file: faults in order batch nothing.
 */
TEST_F_TIMEOUT(batch, vma_bounds, 300)
{
	struct tfile *t = &self->t;
	size_t n = 2 * WINDOW, in_vma = WINDOW / 2, i;
	struct vmsnap v0, v1, v2;
	char *base, *map;

	ASSERT_EQ(0, file_out(self, n, 17));
	/* 2 MiB aligned: the window's pages in one page table (the batch maps no further) */
	base = mmap_aligned(WINDOW * ps, 2UL << 20, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, base);
	map = mmap(base, in_vma * ps, PROT_READ, MAP_SHARED | MAP_FIXED, t->fd, 0);
	ASSERT_EQ(base, map);
	vm_snap(&v0);
	(void)*(volatile char *)map;
	vm_snap(&v1);
	vm_print("a fault in a 4-page vma", &v0, &v1);
	EXPECT_EQ((long long)(in_vma - 1), vm_d(&v0, &v1, V_BATCH))
		TH_LOG("the batch did not end with the vma");
	EXPECT_PAGES("pages read", vm_reads(&v0, &v1), in_vma);
	EXPECT_EQ((long)in_vma, pages_mapped(map, in_vma, NULL));
	EXPECT_EQ(0, pages_mapped(base + in_vma * ps, WINDOW - in_vma, NULL))
		TH_LOG("pages mapped past the end of the faulting vma");
	ASSERT_EQ(0, munmap(base, WINDOW * ps));

	map = mmap(NULL, n * ps, PROT_READ, MAP_SHARED, t->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, madvise(map, n * ps, MADV_RANDOM));
	for (i = WINDOW; i < n; i++)
		(void)*(volatile char *)(map + i * ps);
	vm_snap(&v2);
	vm_print("faults in order under MADV_RANDOM", &v1, &v2);
	EXPECT_EQ(0, vm_d(&v1, &v2, V_BATCH))
		TH_LOG("MADV_RANDOM: %lld pages batched", vm_d(&v1, &v2, V_BATCH));
	EXPECT_PAGES("pages read", vm_reads(&v1, &v2), WINDOW);
	ASSERT_EQ(0, munmap(map, n * ps));
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "after the vma tests"));
	tf_close(t);
	CHECK_BACK(&self->e);
}

TEST_F_TIMEOUT(batch, sequential_read, 300)
{
	size_t n = scaled(1024) / WINDOW * WINDOW;

	seq_swapin(_metadata, self, true, true, "3", n, 21);
	seq_swapin(_metadata, self, true, false, "3", n, 22);
}

TEST_F_TIMEOUT(batch, random_no_batch, 300)
{
	struct tfile *t = &self->t;
	size_t n = 1024, k;
	struct vmsnap v0, v1;

	ASSERT_EQ(0, file_out(self, n, 31));
	vm_snap(&v0);
	/* every step 97 pages on (mod n): never near the last swapin */
	for (k = 1; k <= n; k++)
		(void)*(volatile char *)(t->map + (k * 97 % n) * ps);
	vm_snap(&v1);
	vm_print("scattered faults", &v0, &v1);
	EXPECT_EQ(0, vm_d(&v0, &v1, V_BATCH))
		TH_LOG("scattered faults batched %lld pages", vm_d(&v0, &v1, V_BATCH));
	EXPECT_PAGES("pages read", vm_reads(&v0, &v1), n);
	EXPECT_PAGES("shmem_swapin_bypass", vm_d(&v0, &v1, V_BYPASS), n);
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_MAP, "after scattered faults"));
	tf_close(t);
	CHECK_BACK(&self->e);
}

/*
 * Start a read of page @idx that starts a batch, and return once the batch
 * holds its neighbours in the window of the debug knob @window: claimed,
 * pinned and charged (SWAPIN_BATCH_DELAY), or only claimed, before the pins
 * and charges (SWAPIN_BATCH_CLAIM_DELAY).
 */
static int batch_start(FIXTURE_DATA(batch) *self, struct reader *o, size_t idx,
		       const char *window)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", self->delay);
	if (env_set_knob(&self->e, window, buf))
		return -1;
	if (reader_start(o, &self->t, idx, M_PREAD))
		return -1;
	/* the main page's read is quick: the batch is in its window then */
	sleep_us(self->delay / 3);
	return 0;
}

static void batch_end(FIXTURE_DATA(batch) *self, struct reader *o,
		      const char *window)
{
	/* the owner read the knob when it went to sleep: later batches don't */
	env_set_knob(&self->e, window, "0");
	pthread_join(o->tid, NULL);
}

TEST_F_TIMEOUT(batch, neighbour_waiters, 300)
{
	struct tfile *t = &self->t;
	size_t n = 16, widx[2] = { 3, 6 };
	struct reader o, w[2];
	struct vmsnap v0, v1;
	int i;

	ASSERT_EQ(0, file_out(self, n, 41));
	vm_snap(&v0);
	ASSERT_OK(batch_start(self, &o, 0, SWAPIN_BATCH_DELAY));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, reader_start(&w[i], t, widx[i], i ? M_FAULT : M_PREAD));
	}
	vm_wait_above(V_WAIT, v0.v[V_WAIT] + 1, 5000000);
	batch_end(self, &o, SWAPIN_BATCH_DELAY);
	for (i = 0; i < 2; i++)
		pthread_join(w[i].tid, NULL);
	vm_snap(&v1);
	vm_print("readers of claimed neighbours", &v0, &v1);
	EXPECT_GE(vm_d(&v0, &v1, V_WAIT), 2)
		TH_LOG("the readers of claimed neighbours did not wait on their markers");
	EXPECT_NO_FALLBACK(&v0, &v1);
	EXPECT_EQ(WINDOW - 1, vm_d(&v0, &v1, V_BATCH));
	EXPECT_PAGES("pages read", vm_reads(&v0, &v1), WINDOW);
	EXPECT_EQ(t->gen[0], o.gen) TH_LOG("owner: %s", o.msg);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(t->gen[widx[i]], w[i].gen)
			TH_LOG("reader of page %zu: %s", widx[i], w[i].msg);
	}
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "after the batch"));
	tf_close(t);
	CHECK_BACK(&self->e);
}

/* a pread of page @idx by a thread marked for fault injection */
static void *marked_read_fn(void *arg)
{
	struct reader *r = arg;

	r->gen = read_page_marked(r->t, r->idx, true, r->msg, sizeof(r->msg));
	return NULL;
}

TEST_F_TIMEOUT(batch, read_error_neighbours, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	size_t n = 2 * WINDOW, widx[2] = { 3, 6 };
	struct reader o = { 0 }, w[2];
	struct vmsnap v0, v1;
	long long batched;
	char buf[32];
	int i, r;

	ASSERT_EQ(0, file_out(self, n, 45));
	/* the owner's own read (one page) gets through, the next read fails */
	r = fault_bio_arm_after(e, e->sd.path, ps, 1);
	if (r == -ENOENT)
		SKIP(return, "no fault injection (CONFIG_FAULT_INJECTION_DEBUG_FS, FAIL_MAKE_REQUEST)");
	ASSERT_EQ(0, r) TH_LOG("arming fail_make_request: %s", strerror(-r));
	snprintf(buf, sizeof(buf), "%ld", self->delay);
	ASSERT_OK(env_set_knob(e, SWAPIN_BATCH_DELAY, buf));
	vm_snap(&v0);
	o.t = t;
	o.idx = 0;
	ASSERT_EQ(0, pthread_create(&o.tid, NULL, marked_read_fn, &o));
	sleep_us(self->delay / 3);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, reader_start(&w[i], t, widx[i], i ? M_FAULT : M_PREAD));
	vm_wait_above(V_WAIT, v0.v[V_WAIT] + 1, 5000000);
	pthread_join(o.tid, NULL);
	ASSERT_OK(env_set_knob(e, SWAPIN_BATCH_DELAY, "0"));
	for (i = 0; i < 2; i++)
		pthread_join(w[i].tid, NULL);
	vm_snap(&v1);
	vm_print("the batch's read fails, readers wait on its neighbours", &v0, &v1);
	batched = vm_d(&v0, &v1, V_BATCH);

	EXPECT_EQ(0, fault_bio_left()) TH_LOG("the injected read failure was not used");
	EXPECT_EQ(t->gen[0], o.gen) TH_LOG("owner (its own read got through): %s", o.msg);
	EXPECT_GE(vm_d(&v0, &v1, V_WAIT), 2)
		TH_LOG("the readers of claimed neighbours did not wait on their markers");
	/* at least the neighbour whose read failed was given back, not installed */
	EXPECT_LT(batched, WINDOW - 1) TH_LOG("%lld neighbours installed", batched);
	EXPECT_EQ(0, vm_d(&v0, &v1, V_HANDOFF));
	/* not poisoned: the readers woke and read their pages themselves */
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(t->gen[widx[i]], w[i].gen)
			TH_LOG("reader of page %zu: %s", widx[i], w[i].msg);
	}
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "after the failed batch"));
	EXPECT_EQ((long long)(n * ps / 512), tf_blocks(t));
	tf_close(t);
	CHECK_BACK(e);
}

TEST_F_TIMEOUT(batch, zero_pages_split_read, 300)
{
	struct tfile *t = &self->t;
	size_t n = 2 * WINDOW, zeros[2] = { 2, 5 };
	struct vmsnap v0, v1;
	int i;

	ASSERT_EQ(0, tf_memfd(t, "batch", n, 47, 0));
	ASSERT_EQ(0, tf_map(t, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, cg_enter(&self->e.cg));
	ASSERT_EQ(0, tf_write(t, 0, n, 1));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, tf_write(t, zeros[i], 1, 0));
	ASSERT_EQ(0, cg_leave());
	ASSERT_EQ(0, out_one_cpu(t, n, &self->e.cg));
	vm_snap(&v0);
	(void)*(volatile char *)t->map;
	vm_snap(&v1);
	vm_print("one fault on a window with two zero pages", &v0, &v1);
	EXPECT_EQ(WINDOW - 1, vm_d(&v0, &v1, V_BATCH));
	EXPECT_EQ(2, vm_d(&v0, &v1, V_SWPIN_ZERO))
		TH_LOG("the zero pages were not served from the swap zeromap");
	EXPECT_PAGES("pages read", vm_reads(&v0, &v1), WINDOW);
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_MAP, "after a window with zero pages"));
	tf_close(t);
	CHECK_BACK(&self->e);
}

TEST_F_TIMEOUT(batch, punch_mid_batch, 300)
{
	struct tfile *t = &self->t;
	size_t n = 16, holes[2] = { 2, 5 };
	struct vmsnap v0, v1;
	struct reader o;
	int i;

	ASSERT_EQ(0, file_out(self, n, 51));
	vm_snap(&v0);
	ASSERT_OK(batch_start(self, &o, 0, SWAPIN_BATCH_DELAY));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, fallocate(t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				       holes[i] * ps, ps));
		t->gen[holes[i]] = 0;
	}
	batch_end(self, &o, SWAPIN_BATCH_DELAY);
	vm_snap(&v1);
	vm_print("holes punched in a batch", &v0, &v1);
	EXPECT_EQ(2, vm_d(&v0, &v1, V_HANDOFF))
		TH_LOG("the punch did not hand off the two claimed neighbours");
	EXPECT_EQ(WINDOW - 1 - 2, vm_d(&v0, &v1, V_BATCH));
	EXPECT_EQ(t->gen[0], o.gen) TH_LOG("owner: %s", o.msg);
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "after the punched batch"));
	EXPECT_EQ((long long)((n - 2) * ps / 512), tf_blocks(t));
	tf_close(t);
	/* the owner freed the slots the punch left it */
	CHECK_BACK(&self->e);
}

TEST_F_TIMEOUT(batch, truncate_mid_batch, 300)
{
	struct tfile *t = &self->t;
	size_t n = 16, keep = 3, i;
	struct vmsnap v0, v1;
	struct reader o;

	ASSERT_EQ(0, file_out(self, n, 61));
	vm_snap(&v0);
	ASSERT_OK(batch_start(self, &o, 0, SWAPIN_BATCH_DELAY));
	ASSERT_EQ(0, ftruncate(t->fd, keep * ps));
	batch_end(self, &o, SWAPIN_BATCH_DELAY);
	vm_snap(&v1);
	vm_print("truncated under a batch", &v0, &v1);
	/* pages 3..7 were claimed neighbours */
	EXPECT_EQ(WINDOW - keep, vm_d(&v0, &v1, V_HANDOFF));
	EXPECT_EQ(keep - 1, vm_d(&v0, &v1, V_BATCH));
	EXPECT_EQ(t->gen[0], o.gen) TH_LOG("owner: %s", o.msg);
	EXPECT_EQ(0, tf_verify(t, 0, keep, VIA_PREAD, "below the truncation"));
	EXPECT_EQ((long long)(keep * ps / 512), tf_blocks(t));
	for (i = keep; i < n; i++)
		t->gen[i] = 0;
	tf_close(t);
	CHECK_BACK(&self->e);
}

struct swapoff_arg {
	struct swapdev *sd;
	int r;
	uint64_t us;
};

static void *swapoff_fn(void *arg)
{
	struct swapoff_arg *a = arg;
	uint64_t t0 = now_us();

	a->r = do_swapoff(a->sd, 120);
	a->us = now_us() - t0;
	return NULL;
}

TEST_F_TIMEOUT(batch, swapoff_mid_batch, 300)
{
	struct tfile *t = &self->t;
	struct swapoff_arg a = { .sd = &self->e.sd };
	size_t n = 16;
	struct vmsnap v0, v1;
	struct reader o;
	pthread_t tid;

	ASSERT_EQ(0, file_out(self, n, 71));
	vm_snap(&v0);
	ASSERT_OK(batch_start(self, &o, 0, SWAPIN_BATCH_DELAY));
	ASSERT_EQ(0, pthread_create(&tid, NULL, swapoff_fn, &a));
	batch_end(self, &o, SWAPIN_BATCH_DELAY);
	pthread_join(tid, NULL);
	vm_snap(&v1);
	vm_print("swapoff under a batch", &v0, &v1);
	EXPECT_EQ(0, a.r) TH_LOG("swapoff failed: %s", strerror(-a.r));
	diag("swapoff took %llu us (batch window %ld us)",
	     (unsigned long long)a.us, self->delay);
	/* swapoff met the batch's markers and slept on them */
	EXPECT_GE(vm_d(&v0, &v1, V_WAIT), 1);
	EXPECT_EQ(t->gen[0], o.gen) TH_LOG("owner: %s", o.msg);
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "after swapoff"));
	EXPECT_EQ(0, do_swapon(&self->e.sd));
	tf_close(t);
	CHECK_BACK(&self->e);
}

/* a shim: @k pages of a memfd (pattern @id) out, which move the next file's slots on */
static int shim_out(struct tfile *shim, size_t k, unsigned int id)
{
	if (tf_memfd(shim, "batch-shim", k, id, 0) ||
	    tf_map(shim, PROT_READ | PROT_WRITE) || tf_write(shim, 0, k, 1))
		return -1;
	return force_out(shim, 0, k, NULL);
}

/*
 * The slots of a window's neighbours can run past the end of a swap cluster
 * (512 slots with THP swap, 256 without), where the batch must not pin them
 * with one swapcache_prepare(): that takes the lock of one cluster.  On an
 * SSD a device hands its clusters out in an interleaved order, so a file
 * seldom gets consecutive slots across a cluster's end; a second zram device
 * marked rotational has no clusters and hands its slots out in one linear
 * order, which makes it certain.  Eight files, each after a shim of k = 0..7
 * pages, all from one CPU: the files' first slots take all eight residues
 * mod 8, and each 640-page file crosses a multiple of 512; in six of the
 * eight, some window's neighbours straddle it.
 */
TEST_F_TIMEOUT(batch, cluster_end, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t, shim = { .fd = -1 };
	size_t n = 640 / WINDOW * WINDOW, k;
	struct vmsnap v0, v1;
	long long batched = 0, bypass = 0, reads = 0, used;
	char what[64];
	cpu_set_t old;
	int r;

	ASSERT_EQ(0, sched_getaffinity(0, sizeof(old), &old));
	ASSERT_EQ(0, pin_cpu(sched_getcpu()));
	r = zram_swap_add_rotational(&self->sd1, 64LL << 20,
				     e->sd.prio >= 0 ? e->sd.prio + 100 : 200);
	if (r == -ENOENT)
		SKIP(return, "no /sys/class/zram-control: cannot add a second zram device");
	ASSERT_EQ(0, r) TH_LOG("rotational zram swap device: %s", strerror(-r));
	/* the per-CPU slot cache still holds slots of the first device */
	ASSERT_EQ(0, use_up_slot_caches("batch-filler", 512, 89));

	for (k = 0; k < WINDOW; k++) {
		snprintf(what, sizeof(what), "file after a %zu page shim", k);
		if (k) {
			ASSERT_EQ(0, shim_out(&shim, k, 90));
		}
		ASSERT_EQ(0, file_out(self, n, 91 + k));
		used = swapdev_used_kb(&self->sd1);
		EXPECT_GE(used, (long long)((n + k) * ps / 1024))
			TH_LOG("%s: only %lld KiB on the rotational device", what, used);
		vm_snap(&v0);
		touch_seq(t, n);
		vm_snap(&v1);
		batched += vm_d(&v0, &v1, V_BATCH);
		bypass += vm_d(&v0, &v1, V_BYPASS);
		reads += vm_reads(&v0, &v1);
		EXPECT_EQ(0, tf_verify(t, 0, n, VIA_MAP, what));
		if (k)
			EXPECT_EQ(0, tf_verify(&shim, 0, k, VIA_PREAD, "the shim"));
		tf_close(t);
		tf_close(&shim);
	}
	sched_setaffinity(0, sizeof(old), &old);
	diag("%lld of %zu pages batched in 8 files", batched, WINDOW * n);
	EXPECT_PAGES("shmem_swapin_bypass", bypass, WINDOW * n);
	EXPECT_PAGES("pages read", reads, WINDOW * n);
	/* 7 of every window of 8, where the window crosses a cluster end too */
	EXPECT_GE(batched, (long long)(WINDOW * (n / WINDOW * (WINDOW - 1) - SLACK)))
		TH_LOG("only %lld pages came in batches", batched);
	EXPECT_EQ(0, zram_swap_remove(&self->sd1));
	self->sd1.path[0] = 0;
	CHECK_BACK(e);
}

/*
 * @n pages of a memfd, out: pages 0..3 and 8..@n-1 written from the test's
 * cgroup, the second half of the first window (4..7) from @other, which then
 * refuses every charge (memory.max 0, no swap).
 */
static int split_window_out(FIXTURE_DATA(batch) *self, size_t n,
			    unsigned int id, struct cg *other)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	size_t half = WINDOW / 2;

	if (tf_memfd(t, "batch", n, id, 0) || tf_map(t, PROT_READ | PROT_WRITE) ||
	    cg_create(other, "batch-other"))
		return -1;
	if (cg_enter(&e->cg) || tf_write(t, 0, half, 1) ||
	    tf_write(t, WINDOW, n - WINDOW, 1) ||
	    cg_enter(other) || tf_write(t, half, half, 1) || cg_leave())
		return -1;
	if (out_one_cpu(t, n, &e->cg))
		return -1;
	/* nothing can be charged to the other cgroup */
	return cg_write(other, "memory.swap.max", "0") ||
	       cg_write(other, "memory.max", "0");
}

static int unlimit(struct cg *c)
{
	return cg_write(c, "memory.max", "max") ||
	       cg_write(c, "memory.swap.max", "max");
}

TEST_F_TIMEOUT(batch, memcg_limit_half, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	size_t n = 16, half = WINDOW / 2;
	struct vmsnap v0, v1, v2;
	struct cg other;

	ASSERT_EQ(0, split_window_out(self, n, 81, &other));
	vm_snap(&v0);
	ASSERT_EQ(0, tf_verify(t, 0, 1, VIA_PREAD, "the page that starts the batch"));
	vm_snap(&v1);
	vm_print("batch into a cgroup that refuses", &v0, &v1);
	EXPECT_EQ(half - 1, vm_d(&v0, &v1, V_BATCH))
		TH_LOG("the batch did not stop at the first page it could not charge");
	EXPECT_EQ((long)half, tf_resident(t, 0, WINDOW, NULL));
	EXPECT_EQ(0, cg_read(&other, "memory.current"));

	ASSERT_EQ(0, unlimit(&other));
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "with the limit lifted"));
	vm_snap(&v2);
	vm_print("the rest", &v1, &v2);
	EXPECT_PAGES("pages read in all", vm_reads(&v0, &v2), n);
	EXPECT_EQ((long long)(half * ps), cg_wait_shmem(&other, half * ps));
	tf_close(t);
	cg_destroy(&other);
	CHECK_BACK(e);
}

/*
 * memcg_limit_half with tasks asleep on the markers of both halves, and a
 * hole punched over a refused neighbour, all while the batch holds its
 * fresh claim (before its pins and charges): the charges stop at page 4;
 * the refused neighbours' entries go back and their readers wake (their own
 * swapins then fail to charge: ENOMEM, as on any swapin into that cgroup);
 * the punched neighbour's slot, left to the batch, is freed by it; the
 * charged half is installed and its reader gets its page from the batch.
 */
TEST_F_TIMEOUT(batch, charge_fail_waiters, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	size_t n = 16, half = WINDOW / 2, hole = WINDOW - 1;
	size_t widx[3] = { 2, 5, 6 };
	struct reader o, w[3];
	struct vmsnap v0, v1, v2;
	struct cg other;
	int i;

	ASSERT_EQ(0, split_window_out(self, n, 83, &other));
	e->allow_oom = true;
	if (env_quiet_console(e))
		diag("cannot lower the console loglevel: the OOM reports below will reach the console");
	vm_snap(&v0);
	ASSERT_OK(batch_start(self, &o, 0, SWAPIN_BATCH_CLAIM_DELAY));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, reader_start(&w[i], t, widx[i], M_PREAD));
	/* the punch must land inside the claim window, after the readers */
	ASSERT_TRUE(vm_wait_above(V_WAIT, v0.v[V_WAIT] + 2, 5000000))
		TH_LOG("the readers did not all sleep on their markers: the window did not overlap");
	ASSERT_EQ(0, fallocate(t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       hole * ps, ps));
	t->gen[hole] = 0;
	batch_end(self, &o, SWAPIN_BATCH_CLAIM_DELAY);
	for (i = 0; i < 3; i++)
		pthread_join(w[i].tid, NULL);
	vm_snap(&v1);
	vm_print("charges refused half-way, readers on both halves, a punch", &v0, &v1);

	EXPECT_GE(vm_d(&v0, &v1, V_WAIT), 3)
		TH_LOG("the readers of claimed neighbours did not wait on their markers");
	EXPECT_EQ(half - 1, vm_d(&v0, &v1, V_BATCH))
		TH_LOG("the batch did not stop at the first page it could not charge");
	EXPECT_EQ(1, vm_d(&v0, &v1, V_HANDOFF))
		TH_LOG("the punch did not hand off the claimed neighbour");
	EXPECT_EQ(t->gen[0], o.gen) TH_LOG("owner: %s", o.msg);
	EXPECT_EQ(t->gen[widx[0]], w[0].gen)
		TH_LOG("reader of page %zu (charged half): %s", widx[0], w[0].msg);
	for (i = 1; i < 3; i++) {
		EXPECT_TRUE(w[i].gen == R_ERR && msg_says(w[i].msg, ENOMEM))
			TH_LOG("reader of page %zu (refused half): gen %d, %s",
			       widx[i], w[i].gen, w[i].msg);
	}
	EXPECT_EQ(0, cg_read(&other, "memory.current"));

	ASSERT_EQ(0, unlimit(&other));
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "with the limit lifted"));
	vm_snap(&v2);
	vm_print("the rest", &v1, &v2);
	/* every page but the hole read once, none of them twice */
	EXPECT_PAGES("pages read in all", vm_reads(&v0, &v2), n - 1);
	EXPECT_EQ((long long)((n - 1) * ps / 512), tf_blocks(t));
	EXPECT_EQ((long long)((half - 1) * ps), cg_wait_shmem(&other, (half - 1) * ps));
	tf_close(t);
	cg_destroy(&other);
	/* the batch freed the slot the punch left it */
	CHECK_BACK(e);
}

/*
 * Swap readahead (the swap cache path, switched on for one read) of the
 * page after a window reads the slots of that page's 8-slot block into the
 * swap cache while the batch holds its neighbours claimed, not yet pinned.
 * Where the block starts inside the window, the batch's one pin of all its
 * slots is refused, and it pins slot by slot up to the first one readahead
 * took; the rest go back, and come from the swap cache (a reader asleep on
 * the last one, then a read of each).  Where the block starts depends on
 * the file's first slot mod 8: eight files, each after a shim of k = 0..7
 * pages, all from one CPU, move it round; at least one window must have its
 * pin refused part-way.
 */
TEST_F_TIMEOUT(batch, pin_refused_neighbours, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t, shim = { .fd = -1 }, warm = { .fd = -1 };
	size_t n = 2 * WINDOW, k;
	struct reader o, w, ra;
	struct vmsnap v0, v1, v2;
	long long batched, from_cache;
	int partial = 0, len = 0;
	char what[64], seen[64] = "";
	cpu_set_t old;

	/*
	 * Swap readahead sizes its window from the hits of the last ones
	 * (swapin_nr_pages(), global): with no history it reads one page.
	 * A file read in order in mode swapcache before each round leaves the
	 * window at 2^page-cluster and halves it at most once by page 8.
	 */
	ASSERT_EQ(0, tf_memfd(&warm, "batch-warm", WINDOW * n, 99, 0));
	ASSERT_EQ(0, tf_map(&warm, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, tf_write(&warm, 0, WINDOW * n, 1));
	ASSERT_EQ(0, force_out(&warm, 0, WINDOW * n, NULL));
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(old), &old));
	for (k = 0; k < WINDOW; k++) {
		snprintf(what, sizeof(what), "file after a %zu page shim", k);
		/* shim and file out from one CPU: consecutive slots */
		ASSERT_EQ(0, pin_cpu(sched_getcpu()));
		if (k) {
			ASSERT_EQ(0, shim_out(&shim, k, 100));
		}
		ASSERT_EQ(0, file_out(self, n, 101 + k));
		ASSERT_EQ(0, sched_setaffinity(0, sizeof(old), &old));
		ASSERT_OK(set_mode("swapcache"));
		EXPECT_EQ(0, tf_verify(&warm, k * n, n, VIA_PREAD, "readahead warm-up"));
		ASSERT_OK(set_mode("bypass"));

		vm_snap(&v0);
		ASSERT_OK(batch_start(self, &o, 0, SWAPIN_BATCH_CLAIM_DELAY));
		ASSERT_EQ(0, reader_start(&w, t, WINDOW - 1, M_PREAD));
		ASSERT_TRUE(vm_wait_above(V_WAIT, v0.v[V_WAIT], 5000000))
			TH_LOG("%s: the reader of page 7 did not sleep on its marker", what);
		/* readahead around page 8, while the batch is unpinned */
		ASSERT_OK(set_mode("swapcache"));
		ASSERT_EQ(0, reader_start(&ra, t, WINDOW, M_PREAD));
		pthread_join(ra.tid, NULL);
		ASSERT_OK(set_mode("bypass"));
		batch_end(self, &o, SWAPIN_BATCH_CLAIM_DELAY);
		pthread_join(w.tid, NULL);
		vm_snap(&v1);
		vm_print(what, &v0, &v1);
		batched = vm_d(&v0, &v1, V_BATCH);
		EXPECT_GE(vm_d(&v0, &v1, V_WAIT), 1)
			TH_LOG("%s: the reader of page 7 did not wait on its marker", what);
		EXPECT_EQ(t->gen[0], o.gen) TH_LOG("%s: owner: %s", what, o.msg);
		EXPECT_EQ(t->gen[WINDOW - 1], w.gen) TH_LOG("%s: reader: %s", what, w.msg);
		EXPECT_EQ(t->gen[WINDOW], ra.gen) TH_LOG("%s: readahead: %s", what, ra.msg);
		EXPECT_TRUE(batched >= 0 && batched <= WINDOW - 1)
			TH_LOG("%s: %lld pages batched", what, batched);

		/*
		 * The neighbours not batched were all in the swap cache: each
		 * one swapped in from there (as page 8 was, by its read).
		 */
		EXPECT_EQ(0, tf_verify(t, 1, WINDOW - 1, VIA_PREAD, what));
		vm_snap(&v2);
		from_cache = vm_d(&v0, &v2, V_SWAPCACHE) - 1;
		EXPECT_EQ(WINDOW - 1 - batched, from_cache)
			TH_LOG("%s: %lld batched, %lld from the swap cache", what,
			       batched, from_cache);
		EXPECT_EQ(0, vm_d(&v1, &v2, V_BYPASS))
			TH_LOG("%s: a neighbour given back was read from swap again", what);
		if (batched > 0 && batched < WINDOW - 1)
			partial++;
		len += snprintf(seen + len, sizeof(seen) - len, " %lld", batched);

		EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, what));
		if (k)
			EXPECT_EQ(0, tf_verify(&shim, 0, k, VIA_PREAD, "the shim"));
		tf_close(t);
		tf_close(&shim);
	}
	tf_close(&warm);
	diag("pages batched per window:%s", seen);
	EXPECT_GE(partial, 1)
		TH_LOG("no window's pin was refused part-way (batched:%s)", seen);
	CHECK_BACK(e);
}

TEST_F(batch, batch_input)
{
	char buf[16] = "";

	EXPECT_NE(0, write_str(SWAPIN_BATCH, "maybe"));
	EXPECT_NE(0, write_str(SWAPIN_BATCH, "2"));
	ASSERT_EQ(0, env_set_knob(&self->e, SWAPIN_BATCH, "0"));
	ASSERT_EQ(0, read_str(SWAPIN_BATCH, buf, sizeof(buf)));
	EXPECT_EQ(0, atoi(buf));
	ASSERT_EQ(0, env_set_knob(&self->e, SWAPIN_BATCH, "1"));
	ASSERT_EQ(0, read_str(SWAPIN_BATCH, buf, sizeof(buf)));
	EXPECT_EQ(1, atoi(buf));
}

TEST_HARNESS_MAIN
