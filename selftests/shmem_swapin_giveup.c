// SPDX-License-Identifier: GPL-2.0
/*
 * The swapin owner gives up while other tasks wait on its marker.
 *
 * Every way an owner can fail after its claim is driven on purpose, with
 * waiters already asleep on the marker: the debug knob debug_claim_delay_us
 * holds the claim open (the owner sleeps right after it, before its pin,
 * charge and read) while the waiters arrive, and fault injection (task
 * filtered: only the owner's requests fail) or a memory cgroup limit makes
 * the owner fail.  Each test asserts that the waiters really slept
 * (shmem_swapin_marker_wait), that every task returns (no one sleeps for
 * ever: the harness timeout and the kernel's lost wake-up detector would
 * say so) with the right data or the right error, that the path under test
 * ran (its counters), and that accounting returns to the baseline.
 *
 *  - read_error_order0: the owner's read fails: the page is poisoned, owner
 *    and waiters get EIO, as on the swap cache path.
 *  - read_error_large: a large read fails once: the owner replaces its
 *    marker by order 0 entries, everyone swaps in page by page, all data
 *    comes back.
 *  - charge_fail_order0: the owner's charge fails (memory.max 0, no swap):
 *    owner and waiters get ENOMEM, nothing changes; data intact afterwards.
 *  - charge_fail_large: the large charge fails, order 0 charges fit: the
 *    waiters and the owner swap in page by page, all data comes back.
 *  - split_fails_large: a large read fails and the owner cannot allocate
 *    the xarray nodes to split its marker: the entry goes back whole, a
 *    waiter swaps it in large, all data comes back.
 *  - pin_refused: swap readahead for a neighbour (swap cache path) reads
 *    the claimed slot before the owner pins it: the owner puts the entry
 *    back and takes the swap cache path; waiters get the data.
 *  - punch_then_charge_fails, punch_then_pin_refused: two events in one
 *    claim window: a hole is punched over the claimed page (the punch takes
 *    the marker, wakes the waiters and leaves the slot to the owner), then
 *    the owner's charge fails, or its pin is refused; the owner must free
 *    the slot it was left (swap back to the baseline), and everyone reads
 *    the hole.
 *  - unclaim_split_racing_readers: 16 readers arrive, 100 us apart, at pages
 *    of a large entry whose owner gives up (charge): all get their data, no
 *    one sleeps for ever (the lost wake-up of a lockless look into the
 *    unclaim's split, fixed on 2026-12-05), ten rounds.
 *  - unclaim_split_window: the same, made certain: a large owner's read
 *    fails (fault injection) and its unclaim holds the split of its marker
 *    open for 100 ms (debug_split_delay_us); 16 readers of other pages of
 *    the entry meet its claim (held 300 ms) and look again 300 ms after
 *    their first look (debug_wait_delay_us): while the marker is split and
 *    the swap entries are not yet stored.  All get their data, no one sleeps
 *    for ever.
 *  - claim_delay_input: the debug knobs refuse what is not a number, and
 *    the split delay (a busy wait with interrupts off) what is above 100 ms.
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
#include "swapin_fault.h"

#include <linux/falloc.h>

#define CLAIM_DELAY	"/sys/kernel/mm/shmem_swapin/debug_claim_delay_us"
#define SPLIT_DELAY	SWAPIN_SPLIT_DELAY
#define SPLIT_DELAY_US	100000
#define WAIT_DELAY	SWAPIN_WAIT_DELAY
#define WAIT_DELAY_US	300000
#define CLAIM_US	300000
#define NWAITERS	3
#define NRACERS		16
#define RACE_ROUNDS	10

FIXTURE(giveup) {
	struct env e;
	struct tfile t;
	size_t op;		/* pages per entry: 1, or of the large folio */
	long delay;		/* claim delay, us */
};

FIXTURE_SETUP(giveup)
{
	int r = env_setup(&self->e, _metadata->name);
	char buf[32];

	ASSERT_EQ(0, r) TH_LOG("setup: %s", self->e.err);
	self->t.fd = -1;
	self->op = 1;
	if (!path_exists(CLAIM_DELAY))
		SKIP(return, "no %s (kernel without the series, or without CONFIG_DEBUG_VM)",
		     CLAIM_DELAY);
	self->delay = race_delay_us(300000);
	snprintf(buf, sizeof(buf), "%ld", self->delay);
	ASSERT_EQ(0, env_set_knob(&self->e, CLAIM_DELAY, buf));
}

FIXTURE_TEARDOWN(giveup)
{
	tf_close(&self->t);
	env_teardown(&self->e);
}

/* the owner: marks itself for fault injection (if asked), then reads */
struct owner {
	struct tfile *t;
	size_t idx;
	bool inject;
	int gen;
	char msg[400];
	pthread_t tid;
};

static void *owner_fn(void *arg)
{
	struct owner *o = arg;

	o->gen = read_page_marked(o->t, o->idx, o->inject, o->msg, sizeof(o->msg));
	return NULL;
}

/*
 * Start the owner on @oidx, then, @lead_us later (it holds its claim by then),
 * NWAITERS readers on @widx[]; return once they all sleep on the marker, with
 * how many marker waits were seen (-1 if a thread could not start).  The
 * claim stays held (debug_claim_delay_us): the caller may act in its window,
 * then end_claim().
 */
static long long hold_claim(FIXTURE_DATA(giveup) *self, struct owner *o,
			    size_t oidx, bool inject, struct reader *w,
			    const size_t *widx, long lead_us)
{
	struct vmsnap s;
	long long base;
	int i;

	vm_snap(&s);
	base = s.v[V_WAIT];
	memset(o, 0, sizeof(*o));
	o->t = &self->t;
	o->idx = oidx;
	o->inject = inject;
	if (pthread_create(&o->tid, NULL, owner_fn, o))
		return -1;
	sleep_us(lead_us);
	for (i = 0; i < NWAITERS; i++)
		if (reader_start(&w[i], &self->t, widx[i], M_PREAD))
			return -1;
	vm_wait_above(V_WAIT, base + NWAITERS - 1, 5000000);
	vm_snap(&s);
	return s.v[V_WAIT] - base;
}

/* the owner and the waiters of hold_claim() are back */
static void end_claim(struct owner *o, struct reader *w)
{
	int i;

	pthread_join(o->tid, NULL);
	for (i = 0; i < NWAITERS; i++)
		pthread_join(w[i].tid, NULL);
}

/*
 * hold_claim() and end_claim() with nothing in between: the owner fails on
 * its own.  Returns how many marker waits were seen; @v0 and @v1 are the
 * counters before and after, printed under @what.
 */
static long long race_giveup(FIXTURE_DATA(giveup) *self, struct owner *o,
			     size_t oidx, bool inject, struct reader *w,
			     const size_t *widx, const char *what,
			     struct vmsnap *v0, struct vmsnap *v1)
{
	long long waits;

	vm_snap(v0);
	*v1 = *v0;		/* as it is, should the race fail to start */
	waits = hold_claim(self, o, oidx, inject, w, widx, self->delay / 3);
	if (waits < 0)
		return -1;
	end_claim(o, w);
	vm_snap(v1);
	vm_print(what, v0, v1);
	return waits;
}

/* the file of the test: order 0 pages of a memfd, out */
static int order0_out(FIXTURE_DATA(giveup) *self, size_t n, unsigned int id)
{
	struct tfile *t = &self->t;

	if (tf_memfd(t, "giveup", n, id, 0) || tf_map(t, PROT_READ | PROT_WRITE) ||
	    cg_enter(&self->e.cg) || tf_write(t, 0, n, 1) || cg_leave())
		return -1;
	return force_out(t, 0, n, &self->e.cg);
}

#define LARGE_OUT(id) do {						\
	char __why[256];						\
	int __r = large_file_out(&self->e, LARGE_PMD, &self->t, 1, (id),\
				 &self->op, __why, sizeof(__why));	\
	if (__r == 1)							\
		SKIP(return, "%s", __why);				\
	ASSERT_EQ(0, __r);						\
} while (0)

#define ARM(expr) do {							\
	int __r = (expr);						\
	if (__r == -ENOENT)						\
		SKIP(return, "no fault injection (CONFIG_FAULT_INJECTION_DEBUG_FS, FAIL_MAKE_REQUEST, FAILSLAB)");\
	ASSERT_EQ(0, __r) TH_LOG("%s: %s", #expr, strerror(-__r));	\
} while (0)

/* waiters asleep on the marker when the owner gave up */
#define EXPECT_WAITED(waits)						\
	EXPECT_GE((waits), NWAITERS)					\
		TH_LOG("only %lld of %d readers slept on the marker: the race did not overlap",\
		       (long long)(waits), NWAITERS)

/* the waiters' pages: spread over the large entry the owner faults at 0 */
static void spread_waiters(size_t *widx, size_t op)
{
	int i;

	for (i = 0; i < NWAITERS; i++)
		widx[i] = (i + 1) * op / (NWAITERS + 1);
}

/* owner and waiters all read the data of their page */
static void expect_race_data(struct __test_metadata *_metadata, struct tfile *t,
			     const struct owner *o, const struct reader *w,
			     const size_t *widx)
{
	int i;

	EXPECT_EQ(t->gen[o->idx], o->gen) TH_LOG("owner: %s", o->msg);
	for (i = 0; i < NWAITERS; i++) {
		EXPECT_EQ(t->gen[widx[i]], w[i].gen)
			TH_LOG("waiter %d at %zu: %s", i, widx[i], w[i].msg);
	}
}

/* ------------------------------------------------------------------ */

TEST_F_TIMEOUT(giveup, read_error_order0, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	size_t n = 16, idx = 5, widx[NWAITERS] = { 5, 5, 5 };
	struct reader w[NWAITERS];
	struct vmsnap v0, v1;
	struct owner o;
	long long waits;
	int i;

	ASSERT_EQ(0, order0_out(self, n, 61));
	ARM(fault_bio_arm(e, e->sd.path, 1));
	waits = race_giveup(self, &o, idx, true, w, widx,
			    "owner's read fails", &v0, &v1);
	ASSERT_OK(env_set_knob(e, CLAIM_DELAY, "0"));
	EXPECT_WAITED(waits);
	EXPECT_EQ(0, fault_bio_left()) TH_LOG("the injected read failure was not used");
	/* as on the swap cache path: the page is poisoned, all get EIO */
	EXPECT_TRUE(o.gen == R_ERR && msg_says(o.msg, EIO))
		TH_LOG("owner: gen %d, %s", o.gen, o.msg);
	for (i = 0; i < NWAITERS; i++) {
		EXPECT_TRUE(w[i].gen == R_ERR && msg_says(w[i].msg, EIO))
			TH_LOG("waiter %d: gen %d, %s", i, w[i].gen, w[i].msg);
	}
	EXPECT_EQ(0, vm_d(&v0, &v1, V_BYPASS));
	/* the other pages are intact */
	for (i = 0; i < (int)n; i++) {
		if (i != (int)idx)
			EXPECT_EQ(0, tf_verify(t, i, 1, VIA_PREAD, "next to the poisoned page"));
	}
	tf_close(t);
	CHECK_BACK(e);
}

TEST_F_TIMEOUT(giveup, read_error_large, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	size_t widx[NWAITERS];
	struct reader w[NWAITERS];
	struct vmsnap v0, v1;
	struct owner o;
	long long waits;

	LARGE_OUT(62);
	spread_waiters(widx, self->op);
	ARM(fault_bio_arm(e, e->sd.path, 1));
	waits = race_giveup(self, &o, 0, true, w, widx,
			    "owner's large read fails once", &v0, &v1);
	ASSERT_OK(env_set_knob(e, CLAIM_DELAY, "0"));
	EXPECT_WAITED(waits);
	EXPECT_EQ(0, fault_bio_left()) TH_LOG("the injected read failure was not used");
	/* the marker became order 0 entries: nobody tried large again */
	EXPECT_EQ(1, vm_d(&v0, &v1, V_LARGE_FALLBACK));
	EXPECT_EQ(0, vm_d(&v0, &v1, V_BYPASS_PMD));
	expect_race_data(_metadata, t, &o, w, widx);
	EXPECT_EQ(0, tf_verify(t, 0, t->npages, VIA_PREAD, "after the failed large read"));
	tf_close(t);
	CHECK_BACK(e);
}

/* memory.max a little above the usage, no swap: charges beyond it fail */
static int limit_charges(struct env *e, long long room)
{
	char buf[64];

	if (cg_write(&e->cg, "memory.swap.max", "0"))
		return -1;
	/* drain the per-cpu charge stocks first (see charge_fail_falls_back) */
	snprintf(buf, sizeof(buf), "%lld", cg_read(&e->cg, "memory.current") - (long long)ps);
	cg_write(&e->cg, "memory.high", buf);
	if (cg_write(&e->cg, "memory.high", "max"))
		return -1;
	snprintf(buf, sizeof(buf), "%lld", cg_read(&e->cg, "memory.current") + room);
	return cg_write(&e->cg, "memory.max", buf);
}

/*
 * No charge can succeed: memory.max 0, no swap.  A limit at the usage was
 * not enough: reclaim of the cgroup's own kernel objects (or a refilled
 * per-cpu charge stock) could make room for one page, and the owner's charge
 * then succeeded now and then.  The cgroup has no task (the test runs from
 * the root cgroup; the charge goes to the cgroup that swapped the page out),
 * so the limit's OOM finds nothing to kill.
 */
static int refuse_charges(struct env *e)
{
	return cg_write(&e->cg, "memory.swap.max", "0") ||
	       cg_write(&e->cg, "memory.max", "0");
}

static int unlimit_charges(struct env *e)
{
	return cg_write(&e->cg, "memory.max", "max") ||
	       cg_write(&e->cg, "memory.swap.max", "max");
}

TEST_F_TIMEOUT(giveup, charge_fail_order0, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	size_t n = 16, idx = 9, widx[NWAITERS] = { 9, 9, 9 };
	struct reader w[NWAITERS];
	struct vmsnap v0, v1;
	struct owner o;
	long long waits;
	int i;

	ASSERT_EQ(0, order0_out(self, n, 63));
	e->allow_oom = true;
	env_quiet_console(e);
	ASSERT_EQ(0, refuse_charges(e));
	waits = race_giveup(self, &o, idx, false, w, widx,
			    "owner's charge fails", &v0, &v1);
	ASSERT_OK(env_set_knob(e, CLAIM_DELAY, "0"));
	ASSERT_EQ(0, unlimit_charges(e));
	EXPECT_WAITED(waits);
	/* read() gets ENOMEM, for the owner and for each waiter in turn */
	EXPECT_TRUE(o.gen == R_ERR && msg_says(o.msg, ENOMEM))
		TH_LOG("owner: gen %d, %s", o.gen, o.msg);
	for (i = 0; i < NWAITERS; i++) {
		EXPECT_TRUE(w[i].gen == R_ERR && msg_says(w[i].msg, ENOMEM))
			TH_LOG("waiter %d: gen %d, %s", i, w[i].gen, w[i].msg);
	}
	EXPECT_EQ(0, vm_d(&v0, &v1, V_BYPASS));
	/* nothing changed: the entry is back, and reads in once allowed */
	EXPECT_EQ(0, tf_resident(t, 0, n, NULL));
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "after the limit"));
	tf_close(t);
	CHECK_BACK(e);
}

TEST_F_TIMEOUT(giveup, charge_fail_large, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	size_t widx[NWAITERS];
	struct reader w[NWAITERS];
	struct vmsnap v0, v1;
	struct owner o;
	long long waits;

	LARGE_OUT(64);
	spread_waiters(widx, self->op);
	/* the owner and each waiter swap in their own page, no neighbours */
	ASSERT_OK(env_batch_off(e));
	/* room for a quarter of the large folio: its order 0 pages fit */
	ASSERT_EQ(0, limit_charges(e, (long long)(self->op / 4) * (long long)ps));
	waits = race_giveup(self, &o, 0, false, w, widx,
			    "owner's large charge fails", &v0, &v1);
	ASSERT_OK(env_set_knob(e, CLAIM_DELAY, "0"));
	EXPECT_WAITED(waits);
	EXPECT_EQ(1, vm_d(&v0, &v1, V_LARGE_FALLBACK));
	EXPECT_EQ(0, vm_d(&v0, &v1, V_BYPASS_PMD));
	EXPECT_EQ(NWAITERS + 1, vm_d(&v0, &v1, V_BYPASS));
	expect_race_data(_metadata, t, &o, w, widx);
	ASSERT_EQ(0, unlimit_charges(e));
	EXPECT_EQ(0, tf_verify(t, 0, t->npages, VIA_PREAD, "after the limit"));
	tf_close(t);
	CHECK_BACK(e);
}

/*
 * A large owner gives up (its charge fails) while readers of other pages of
 * its entry keep arriving: each finds the marker, and must sleep keyed on
 * the entry's first index, where the unclaim wakes, or finds the order 0
 * swap entries the unclaim stored.  A reader that looked while the unclaim's
 * xas_split() had published order 0 copies of the marker, before the swap
 * entries were stored, keyed its wait on its own index and slept for ever
 * (fixed 2026-12-05: the marker lookup is made under the xarray lock).  The
 * window is short: several rounds, readers started 100 us apart; a reader
 * left asleep is named by the lost wake-up detector (DEBUG_VM), or times
 * the test out.  A stress of the give-up with many readers either way.
 */
TEST_F_TIMEOUT(giveup, unclaim_split_racing_readers, 600)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	struct reader r[NRACERS];
	size_t idx[NRACERS];
	long long fallbacks = 0;
	struct vmsnap v0, v1;
	int round, i;

	ASSERT_OK(env_set_knob(e, CLAIM_DELAY, "0"));
	ASSERT_OK(env_batch_off(e));
	for (round = 0; round < RACE_ROUNDS; round++) {
		LARGE_OUT(90 + round);
		/* room for a quarter of the large folio: the 2M charge fails */
		ASSERT_EQ(0, limit_charges(e, (long long)(self->op / 4) * (long long)ps));
		vm_snap(&v0);
		for (i = 0; i < NRACERS; i++) {
			idx[i] = i * self->op / NRACERS + i % 5;
			ASSERT_EQ(0, reader_start(&r[i], t, idx[i], M_PREAD));
			sleep_us(100);
		}
		for (i = 0; i < NRACERS; i++)
			pthread_join(r[i].tid, NULL);
		vm_snap(&v1);
		fallbacks += vm_d(&v0, &v1, V_LARGE_FALLBACK);
		for (i = 0; i < NRACERS; i++) {
			EXPECT_EQ(t->gen[idx[i]], r[i].gen)
				TH_LOG("round %d, reader of page %zu: %s", round, idx[i], r[i].msg);
		}
		ASSERT_EQ(0, unlimit_charges(e));
		EXPECT_EQ(0, tf_verify(t, 0, t->npages, VIA_PREAD, "after the round"));
		tf_close(t);
	}
	vm_print("last round", &v0, &v1);
	/* every round's large swapin gave up and fell back to order 0 */
	EXPECT_GE(fallbacks, RACE_ROUNDS);
	CHECK_BACK(e);
}

/* the readers of the split window: created first, all let go at once */
static pthread_mutex_t sw_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sw_cond = PTHREAD_COND_INITIALIZER;
static bool sw_go;

struct sw_reader {
	struct reader r;
	long stagger_us;	/* after the go */
};

static void *split_window_reader(void *arg)
{
	struct sw_reader *sw = arg;

	pthread_mutex_lock(&sw_lock);
	while (!sw_go)
		pthread_cond_wait(&sw_cond, &sw_lock);
	pthread_mutex_unlock(&sw_lock);
	sleep_us(sw->stagger_us);
	return reader_fn(&sw->r);
}

static void split_window_go(bool go)
{
	pthread_mutex_lock(&sw_lock);
	sw_go = go;
	pthread_cond_broadcast(&sw_cond);
	pthread_mutex_unlock(&sw_lock);
}

/*
 * The window of the lost wake-up above, held open.  The owner of a 2 MiB
 * entry holds its claim CLAIM_US (debug_claim_delay_us), then fails its read
 * (fault injection, the owner's requests only), and its unclaim spins
 * SPLIT_DELAY_US between xas_split() and the stores of the order 0 swap
 * entries (debug_split_delay_us), under the xarray lock with interrupts off.
 * Readers of other pages of the entry come while the claim is held, look
 * at the whole marker, and each then sleeps WAIT_DELAY_US before it queues
 * and looks again (debug_wait_delay_us): into the half-done split, whose
 * window opens CLAIM_US (plus the failed read) after the claim.  Their first
 * look must come before the split: a reader that first looks into it, with
 * or without the lock, ends on the xarray lock (the lookup's, or that of
 * shmem_marker_thrashing()) and sees only the stores done.  It is the look
 * after queueing that a lockless lookup gets wrong: it rekeys the wait on
 * its own index and sleeps for ever (the lost wake-up detector names it, or
 * the harness times out); under the lock it waits for the stores and swaps
 * its page in.  Eight waves of readers, 15 ms apart, so that second looks
 * fall in the window whatever the failed read takes (40 ms measured on the
 * debug kernel under TCG; anything up to the split delay).  In the correct
 * kernel the first second look into the window spins on the xarray lock,
 * with interrupts off, until the stores: the readers behind it on that CPU
 * wait, which is harmless.  Each reader's start and end are printed,
 * relative to the owner's.
 */
TEST_F_TIMEOUT(giveup, unclaim_split_window, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	struct sw_reader sr[NRACERS];
	struct reader *r[NRACERS];
	uint64_t t0, t_end;
	struct vmsnap v0, v1;
	struct owner o;
	char buf[32];
	int i;

	if (!path_exists(SPLIT_DELAY))
		SKIP(return, "no %s (kernel without the split delay knob)", SPLIT_DELAY);
	ASSERT_OK(env_set_knob(e, CLAIM_DELAY, "0"));
	ASSERT_OK(env_batch_off(e));
	LARGE_OUT(70);
	/* no limit: the owner's 2M charge must not reclaim (it delays the split) */
	ASSERT_EQ(0, unlimit_charges(e));
	ARM(fault_bio_arm(e, e->sd.path, 1));
	snprintf(buf, sizeof(buf), "%d", SPLIT_DELAY_US);
	ASSERT_OK(env_set_knob(e, SPLIT_DELAY, buf));
	snprintf(buf, sizeof(buf), "%d", WAIT_DELAY_US);
	ASSERT_OK(env_set_knob(e, WAIT_DELAY, buf));
	snprintf(buf, sizeof(buf), "%d", CLAIM_US);
	ASSERT_OK(env_set_knob(e, CLAIM_DELAY, buf));
	split_window_go(false);
	for (i = 0; i < NRACERS; i++) {
		memset(&sr[i], 0, sizeof(sr[i]));
		r[i] = &sr[i].r;
		r[i]->t = t;
		/* pages all over the entry, none the owner's */
		r[i]->idx = 1 + i * (self->op - 1) / NRACERS + i % 3;
		r[i]->how = M_PREAD;
		/* the first look while the claim is held, the second in the split */
		sr[i].stagger_us = CLAIM_US + SPLIT_DELAY_US / 2 - WAIT_DELAY_US +
				   (i % 8) * 15000;
		ASSERT_EQ(0, pthread_create(&r[i]->tid, NULL, split_window_reader, &sr[i]));
	}
	vm_snap(&v0);
	memset(&o, 0, sizeof(o));
	o.t = t;
	o.idx = 0;
	o.inject = true;
	t0 = now_us();
	ASSERT_EQ(0, pthread_create(&o.tid, NULL, owner_fn, &o));
	split_window_go(true);
	pthread_join(o.tid, NULL);
	t_end = now_us();
	for (i = 0; i < NRACERS; i++)
		pthread_join(r[i]->tid, NULL);
	vm_snap(&v1);
	ASSERT_OK(env_set_knob(e, SPLIT_DELAY, "0"));
	ASSERT_OK(env_set_knob(e, WAIT_DELAY, "0"));
	ASSERT_OK(env_set_knob(e, CLAIM_DELAY, "0"));
	vm_print("split window", &v0, &v1);
	diag("owner: from +0.0 ms to +%.1f ms", (double)(t_end - t0) / 1000);
	for (i = 0; i < NRACERS; i++) {
		diag("reader of page %zu: from %+.1f ms to %+.1f ms", r[i]->idx,
		     ((double)r[i]->t_start - (double)t0) / 1000,
		     ((double)r[i]->t_end - (double)t0) / 1000);
		EXPECT_EQ(t->gen[r[i]->idx], r[i]->gen)
			TH_LOG("reader of page %zu: %s", r[i]->idx, r[i]->msg);
	}
	EXPECT_EQ(t->gen[0], o.gen) TH_LOG("owner: %s", o.msg);
	EXPECT_EQ(0, fault_bio_left()) TH_LOG("the injected read failure was not used");
	/* the owner's read failed and its marker was split: the path ran */
	EXPECT_EQ(1, vm_d(&v0, &v1, V_LARGE_FALLBACK));
	EXPECT_EQ(0, vm_d(&v0, &v1, V_BYPASS_PMD));
	/* the readers met the claim (their first look came before the split) */
	EXPECT_GE(vm_d(&v0, &v1, V_WAIT), NRACERS)
		TH_LOG("only %lld of %d readers met the marker",
		       vm_d(&v0, &v1, V_WAIT), NRACERS);
	EXPECT_EQ(0, tf_verify(t, 0, t->npages, VIA_PREAD, "after the split window"));
	tf_close(t);
	CHECK_BACK(e);
}

TEST_F_TIMEOUT(giveup, split_fails_large, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	size_t widx[NWAITERS];
	struct reader w[NWAITERS];
	struct vmsnap v0, v1;
	struct owner o;
	long long waits;

	LARGE_OUT(65);
	spread_waiters(widx, self->op);
	ARM(fault_bio_arm(e, e->sd.path, 1));
	ARM(fault_slab_arm(e, "radix_tree_node", 1));
	waits = race_giveup(self, &o, 0, true, w, widx,
			    "large read fails, no memory to split the marker", &v0, &v1);
	ASSERT_OK(env_set_knob(e, CLAIM_DELAY, "0"));
	EXPECT_WAITED(waits);
	EXPECT_EQ(0, fault_bio_left()) TH_LOG("the injected read failure was not used");
	EXPECT_EQ(0, fault_slab_left()) TH_LOG("the injected split failure was not used");
	/*
	 * The entry went back whole: either a waiter claimed it again and
	 * swapped it in whole, or the owner's own split came first.
	 */
	EXPECT_EQ(1, vm_d(&v0, &v1, V_BYPASS_PMD) + vm_d(&v0, &v1, V_LARGE_FALLBACK))
		TH_LOG("PMD swapins %lld, large entries split %lld",
		       vm_d(&v0, &v1, V_BYPASS_PMD), vm_d(&v0, &v1, V_LARGE_FALLBACK));
	diag("after the failed split the entry was %s",
	     vm_d(&v0, &v1, V_BYPASS_PMD) ? "swapped in whole by a waiter" : "split by its owner");
	expect_race_data(_metadata, t, &o, w, widx);
	EXPECT_EQ(0, tf_verify(t, 0, t->npages, VIA_PREAD, "after the failed split"));
	tf_close(t);
	CHECK_BACK(e);
}

/* a fault on a neighbour through the swap cache path, with readahead */
struct neighbour {
	struct tfile *t;
	size_t idx;
	int gen;
	char msg[400];
	pthread_t tid;
};

static void *neighbour_fn(void *arg)
{
	struct neighbour *nb = arg;
	struct rbuf rb;

	nb->gen = R_ERR;
	if (rbuf_init(&rb))
		return NULL;
	nb->gen = read_page(nb->t, nb->t->fd, NULL, nb->idx, M_PREAD, &rb,
			    nb->msg, sizeof(nb->msg));
	rbuf_free(&rb);
	return NULL;
}

/* swap readahead of 8 slots (the default; the rig's is 0): restored in teardown */
static int readahead_on(struct env *e)
{
	char cluster[16] = "";

	read_str("/proc/sys/vm/page-cluster", cluster, sizeof(cluster));
	return atoi(cluster) < 3 ? env_set_knob(e, "/proc/sys/vm/page-cluster", "3") : 0;
}

/*
 * Swap cache path swapins (the mode switched for them) of the pages on either
 * side of a held claim: their readahead windows, one of which holds the
 * claimed slot (the file's slots are consecutive), read it into the swap cache.
 */
static int read_neighbours(struct tfile *t, struct neighbour *nb)
{
	int i, r = set_mode("swapcache");

	for (i = 0; !r && i < 2; i++) {
		nb[i].t = t;
		r = pthread_create(&nb[i].tid, NULL, neighbour_fn, &nb[i]);
		if (!r)
			pthread_join(nb[i].tid, NULL);
	}
	return set_mode("bypass") || r ? -1 : 0;
}

TEST_F_TIMEOUT(giveup, pin_refused, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	size_t n = 16, idx = 4, widx[NWAITERS] = { 4, 4, 4 };
	struct reader w[NWAITERS];
	struct neighbour nb[2] = { { .idx = 3 }, { .idx = 5 } };
	struct vmsnap v0, v1;
	struct owner o;
	long long waits;
	int i;

	ASSERT_EQ(0, order0_out(self, n, 66));
	ASSERT_OK(readahead_on(e));
	vm_snap(&v0);
	waits = hold_claim(self, &o, idx, false, w, widx, self->delay / 4);
	ASSERT_LE(0, waits);
	/* while the owner still holds its claim unpinned */
	ASSERT_OK(read_neighbours(t, nb));
	end_claim(&o, w);
	vm_snap(&v1);
	vm_print("readahead takes the claimed slot before the pin", &v0, &v1);
	ASSERT_OK(env_set_knob(e, CLAIM_DELAY, "0"));
	EXPECT_WAITED(waits);
	/* the owner met the readahead folio: it took the swap cache path */
	EXPECT_GE(vm_d(&v0, &v1, V_FALLBACK), 1);
	EXPECT_EQ(t->gen[idx], o.gen) TH_LOG("owner: %s", o.msg);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(t->gen[nb[i].idx], nb[i].gen)
			TH_LOG("neighbour %zu: %s", nb[i].idx, nb[i].msg);
	}
	for (i = 0; i < NWAITERS; i++) {
		EXPECT_EQ(t->gen[widx[i]], w[i].gen)
			TH_LOG("waiter %d: %s", i, w[i].msg);
	}
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "after the refused pin"));
	tf_close(t);
	CHECK_BACK(e);
}

/* punch page @idx of @t: the data there is zeros from now on */
static int punch_page(struct tfile *t, size_t idx)
{
	if (fallocate(t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, idx * ps, ps))
		return -1;
	t->gen[idx] = 0;
	return 0;
}

/* owner and waiters read the hole: zeros */
static void expect_all_read_hole(struct __test_metadata *_metadata,
				 const struct owner *o, const struct reader *w)
{
	char b[64];
	int i;

	EXPECT_EQ(0, o->gen) TH_LOG("owner read %s, not the hole: %s",
				    gen_str(o->gen, b, sizeof(b)), o->msg);
	for (i = 0; i < NWAITERS; i++) {
		EXPECT_EQ(0, w[i].gen) TH_LOG("waiter %d read %s, not the hole: %s", i,
					      gen_str(w[i].gen, b, sizeof(b)), w[i].msg);
	}
}

TEST_F_TIMEOUT(giveup, punch_then_charge_fails, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	size_t n = 16, idx = 7, widx[NWAITERS] = { 7, 7, 7 };
	struct reader w[NWAITERS];
	struct vmsnap v0, v1;
	long long waits, max0;
	struct owner o;

	ASSERT_EQ(0, order0_out(self, n, 67));
	e->allow_oom = true;
	env_quiet_console(e);
	ASSERT_EQ(0, refuse_charges(e));
	max0 = cg_keyed(&e->cg, "memory.events", "max");
	vm_snap(&v0);
	waits = hold_claim(self, &o, idx, false, w, widx, self->delay / 4);
	ASSERT_LE(0, waits);
	/* within the claim: the punch takes the marker, the slot is the owner's */
	ASSERT_EQ(0, punch_page(t, idx));
	end_claim(&o, w);
	vm_snap(&v1);
	vm_print("punch in the claim window, then the charge fails", &v0, &v1);
	ASSERT_OK(env_set_knob(e, CLAIM_DELAY, "0"));
	EXPECT_WAITED(waits);
	/* the owner did try to charge (after the punch): the limit was hit */
	EXPECT_GT(cg_keyed(&e->cg, "memory.events", "max"), max0)
		TH_LOG("the owner's charge never hit memory.max: the path was not taken");
	ASSERT_EQ(0, unlimit_charges(e));
	EXPECT_EQ(1, vm_d(&v0, &v1, V_HANDOFF));
	EXPECT_EQ(0, vm_d(&v0, &v1, V_BYPASS));
	expect_all_read_hole(_metadata, &o, w);
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "after the punch"));
	tf_close(t);
	/* the slot the punch left to the owner is free again */
	CHECK_BACK(e);
}

TEST_F_TIMEOUT(giveup, punch_then_pin_refused, 300)
{
	struct env *e = &self->e;
	struct tfile *t = &self->t;
	size_t n = 16, idx = 4, widx[NWAITERS] = { 4, 4, 4 };
	struct reader w[NWAITERS];
	struct neighbour nb[2] = { { .idx = 3 }, { .idx = 5 } };
	struct vmsnap v0, v1;
	struct owner o;
	long long waits;
	int i;

	ASSERT_EQ(0, order0_out(self, n, 68));
	ASSERT_OK(readahead_on(e));
	vm_snap(&v0);
	waits = hold_claim(self, &o, idx, false, w, widx, self->delay / 4);
	ASSERT_LE(0, waits);
	/* within the claim: readahead reads the slot, then the punch takes the marker */
	ASSERT_OK(read_neighbours(t, nb));
	ASSERT_EQ(0, punch_page(t, idx));
	end_claim(&o, w);
	vm_snap(&v1);
	vm_print("readahead and a punch in the claim window", &v0, &v1);
	ASSERT_OK(env_set_knob(e, CLAIM_DELAY, "0"));
	EXPECT_WAITED(waits);
	EXPECT_EQ(1, vm_d(&v0, &v1, V_HANDOFF));
	/* the owner's bypass did not happen; only the neighbours went through the cache */
	EXPECT_EQ(0, vm_d(&v0, &v1, V_BYPASS));
	expect_all_read_hole(_metadata, &o, w);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(t->gen[nb[i].idx], nb[i].gen)
			TH_LOG("neighbour %zu: %s", nb[i].idx, nb[i].msg);
	}
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "after the punch"));
	tf_close(t);
	CHECK_BACK(e);
}

TEST_F(giveup, claim_delay_input)
{
	char before[32] = "", after[32] = "";
	int fd;

	read_str(CLAIM_DELAY, before, sizeof(before));
	fd = open(CLAIM_DELAY, O_WRONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, write(fd, "soon", 4));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
	read_str(CLAIM_DELAY, after, sizeof(after));
	EXPECT_STREQ(before, after);

	if (!path_exists(SPLIT_DELAY))
		return;
	read_str(SPLIT_DELAY, before, sizeof(before));
	fd = open(SPLIT_DELAY, O_WRONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, write(fd, "soon", 4));
	EXPECT_EQ(EINVAL, errno);
	/* a busy wait with interrupts off: not above 100 ms */
	EXPECT_EQ(-1, write(fd, "100001", 6));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
	read_str(SPLIT_DELAY, after, sizeof(after));
	EXPECT_STREQ(before, after);
}

TEST_HARNESS_MAIN
