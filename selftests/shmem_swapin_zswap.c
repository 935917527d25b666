// SPDX-License-Identifier: GPL-2.0
/*
 * zswap: the tests that enable it, in a binary of their own that runs last
 * (run_guest.sh): 6.12's zswap cannot load a large folio, so once zswap has
 * been enabled in a boot, large shmem swap entries are split and swapped in
 * page by page for the rest of it; the large bypass tests must run before.
 *  - ss.zswap_enabled_during_large_claim (first: it needs a boot in which
 *    zswap was never enabled): zswap is enabled while a large owner holds
 *    its claim (debug_claim_delay_us); the owner looks again before its
 *    read, gives the entry back as order 0 entries and swaps in page by
 *    page with the tasks that waited on it; data intact.
 *  - large_zswap.faults_inside_entry: large entries fall back to the split
 *    and order 0 path, counted as shmem_swapin_large_fallback, data intact.
 *  - ss.zswap_vs_writeback: pages stored in zswap, bypass swapins racing
 *    with memory.reclaim, which drives zswap writeback of the same
 *    cgroup's entries.
 *
 * See docs/testing.md.
 */
#include "swapin_test.h"
#include "swapin_util.h"
#include "swapin_vmstat.h"
#include "swapin_cgroup.h"
#include "swapin_files.h"
#include "swapin_env.h"
#include "swapin_thp.h"

#define CLAIM_DELAY	"/sys/kernel/mm/shmem_swapin/debug_claim_delay_us"

/* first in the file: the ss fixture runs before the others, this test first in it */
TEST_F_TIMEOUT(ss, zswap_enabled_during_large_claim, 300)
{
	struct env *e = &self->e;
	long delay = race_delay_us(300000);
	struct reader o, w[2];
	struct vmsnap v0, v1;
	size_t op = 1, widx[2];
	char buf[32] = "", why[256];
	struct tfile t;
	int r, i;

	if (!path_exists(ZSWAP_ENABLED))
		SKIP(return, "no %s (kernel without zswap)", ZSWAP_ENABLED);
	if (!path_exists(CLAIM_DELAY))
		SKIP(return, "no %s (kernel without the series, or without CONFIG_DEBUG_VM)",
		     CLAIM_DELAY);
	read_str(ZSWAP_ENABLED, buf, sizeof(buf));
	if (buf[0] == 'Y')
		SKIP(return, "zswap already enabled in this boot: run this test first");
	r = large_file_out(e, LARGE_PMD, &t, 1, 69, &op, why, sizeof(why));
	if (r == 1) {
		tf_close(&t);
		SKIP(return, "%s", why);
	}
	ASSERT_EQ(0, r);
	snprintf(buf, sizeof(buf), "%ld", delay);
	ASSERT_OK(env_set_knob(e, CLAIM_DELAY, buf));
	vm_snap(&v0);
	/* the owner claims the 2M entry and sleeps; two waiters join */
	ASSERT_EQ(0, reader_start(&o, &t, 0, M_PREAD));
	sleep_us(delay / 4);
	for (i = 0; i < 2; i++) {
		widx[i] = (i + 1) * op / 3;
		ASSERT_EQ(0, reader_start(&w[i], &t, widx[i], M_PREAD));
	}
	vm_wait_above(V_WAIT, v0.v[V_WAIT] + 1, 5000000);
	/* zswap set up during the claim: the owner must not read 2M now */
	ASSERT_OK(env_set_knob(e, ZSWAP_ENABLED, "Y"));
	pthread_join(o.tid, NULL);
	for (i = 0; i < 2; i++)
		pthread_join(w[i].tid, NULL);
	vm_snap(&v1);
	vm_print("zswap enabled during a large claim", &v0, &v1);
	ASSERT_OK(env_set_knob(e, CLAIM_DELAY, "0"));
	EXPECT_GE(vm_d(&v0, &v1, V_WAIT), 2)
		TH_LOG("the waiters did not sleep on the marker: the race did not overlap");
	EXPECT_EQ(0, vm_d(&v0, &v1, V_BYPASS_PMD))
		TH_LOG("a 2M folio was read after zswap was enabled");
	EXPECT_EQ(1, vm_d(&v0, &v1, V_LARGE_FALLBACK));
	EXPECT_EQ(t.gen[0], o.gen) TH_LOG("owner: %s", o.msg);
	EXPECT_EQ(t.gen[widx[0]], w[0].gen) TH_LOG("first waiter: %s", w[0].msg);
	EXPECT_EQ(t.gen[widx[1]], w[1].gen) TH_LOG("second waiter: %s", w[1].msg);
	EXPECT_EQ(0, tf_verify(&t, 0, t.npages, VIA_PREAD, "after zswap came up"));
	tf_close(&t);
	CHECK_BACK(e);
}

FIXTURE(large_zswap) {
	struct env e;
};

FIXTURE_VARIANT(large_zswap) {
	enum large_kind kind;
};

FIXTURE_VARIANT_ADD(large_zswap, mthp64k) { .kind = LARGE_MTHP64 };
FIXTURE_VARIANT_ADD(large_zswap, pmd) { .kind = LARGE_PMD };

FIXTURE_SETUP(large_zswap)
{
	int r = env_setup(&self->e, _metadata->name);

	ASSERT_EQ(0, r) TH_LOG("setup: %s", self->e.err);
}

FIXTURE_TEARDOWN(large_zswap)
{
	env_teardown(&self->e);
}

/*
 * With zswap enabled, a large entry is split and swapped in page by page
 * (6.12's zswap_load() cannot load a large folio): counted as a large
 * fallback, never read as a large folio, data intact.
 */
TEST_F_TIMEOUT(large_zswap, faults_inside_entry, 400)
{
	struct env *e = &self->e;
	size_t order_pages, n, i;
	struct vmsnap v0, v1;
	struct tfile t;
	char why[256];
	int r;

	r = env_set_knob(e, ZSWAP_ENABLED, "Y");
	if (r == -ENOENT)
		SKIP(return, "no %s (kernel without zswap)", ZSWAP_ENABLED);
	ASSERT_OK(r);
	r = large_file_out(e, variant->kind, &t, 1024, 60, &order_pages, why,
			   sizeof(why));
	if (r == 1) {
		tf_close(&t);
		SKIP(return, "%s", why);
	}
	ASSERT_EQ(0, r);
	n = t.npages;
	vm_snap(&v0);
	for (i = 3; i < n; i += order_pages)
		ASSERT_EQ(0, tf_verify(&t, i, 1, VIA_MAP, "fault inside an entry"));
	ASSERT_EQ(0, tf_verify(&t, 0, n, VIA_MAP, "the rest"));
	vm_snap(&v1);
	vm_print("zswap on", &v0, &v1);
	EXPECT_PAGES("pages installed", vm_installs(&v0, &v1), n);
	EXPECT_EQ(0, vm_d(&v0, &v1, V_BYPASS_MTHP) + vm_d(&v0, &v1, V_BYPASS_PMD))
		TH_LOG("a large folio was swapped in with zswap enabled");
	if (v1.present[V_LARGE_FALLBACK])
		EXPECT_GE(vm_d(&v0, &v1, V_LARGE_FALLBACK),
			  (long long)(n / order_pages))
			TH_LOG("large entries fell back without being counted");
	EXPECT_VM_GT(&v0, &v1, V_BYPASS, 0);
	EXPECT_EQ(1, tf_folio_pages(&t, 3));
	EXPECT_EQ((long long)n, tf_resident(&t, 0, n, NULL));
	tf_close(&t);
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
