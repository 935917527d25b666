// SPDX-License-Identifier: GPL-2.0
/*
 * Two swap devices: markers of both swap types at once, and swapoff of one
 * device while a swapin from the other holds its marker.
 *
 * A marker names the swap entry it stands for, type and offset.  With one
 * swap device the type is always 0, so a marker that lost its type (or
 * decoded the wrong one) would pass every other test.  Here a second zram
 * device (zram-control hot_add, priority above the first) takes a second
 * file, so type 0 and type 1 entries exist side by side:
 *
 *  - both_types: an owner on each device holds its marker (the claim held
 *    open by debug_claim_delay_us) while a waiter sleeps on each; all
 *    return their data; both devices' slots are freed.
 *  - swapoff_other_type: while an owner on one device holds its marker,
 *    the other device (holding a few pages of the other file, so that
 *    swapoff scans the shmem mappings at all) is swapped off: the swapoff
 *    must not wait for that marker, which is not on its device (both
 *    directions).  A swapoff that collected the other type's markers would
 *    sleep about the claim delay.
 *  - swapoff_only_handoff: a hole is punched over all of a file while an
 *    owner holds a claim in it: the slot is the owner's, the file has no
 *    swap left.  A swapoff of the other device empties the list of shmem
 *    inodes with swap; then the swapoff of the owner's device finds no
 *    inode to scan and must still wait for the owner to let the slot go,
 *    not fail or spin; everyone reads the hole.
 *
 * See docs/testing.md.
 */
#include "swapin_test.h"
#include "swapin_util.h"
#include "swapin_vmstat.h"
#include "swapin_swapdev.h"
#include "swapin_cgroup.h"
#include "swapin_files.h"
#include "swapin_env.h"

#include <linux/falloc.h>

#define CLAIM_DELAY	"/sys/kernel/mm/shmem_swapin/debug_claim_delay_us"
#define NPAGES		32
#define ZRAM1_BYTES	(32LL << 20)
#define KEEP		4	/* pages left on the device swapped off */

FIXTURE(twodev) {
	struct env e;
	struct swapdev sd1;	/* the second device */
	struct tfile a, b;	/* a on the first device, b on the second */
	long delay;
};

FIXTURE_SETUP(twodev)
{
	int r = env_setup(&self->e, _metadata->name);

	ASSERT_EQ(0, r) TH_LOG("setup: %s", self->e.err);
	self->a.fd = self->b.fd = -1;
	self->sd1.path[0] = 0;
	if (!path_exists(CLAIM_DELAY))
		SKIP(return, "no %s (kernel without the series, or without CONFIG_DEBUG_VM)",
		     CLAIM_DELAY);
	self->delay = race_delay_us(1000000);
}

FIXTURE_TEARDOWN(twodev)
{
	tf_close(&self->a);
	tf_close(&self->b);
	if (self->sd1.path[0])
		zram_swap_remove(&self->sd1);
	env_teardown(&self->e);
}

static int file_out(FIXTURE_DATA(twodev) *self, struct tfile *t,
		    const char *name, unsigned int id)
{
	if (tf_memfd(t, name, NPAGES, id, 0) || tf_map(t, PROT_READ | PROT_WRITE) ||
	    cg_enter(&self->e.cg) || tf_write(t, 0, NPAGES, 1) || cg_leave())
		return -1;
	return force_out(t, 0, NPAGES, &self->e.cg);
}

/* file a out on the first device, then the second device on, file b out on it */
#define TWO_FILES_OUT(ida, idb) do {					\
	long long __u1;							\
	int __r;							\
	ASSERT_EQ(0, file_out(self, &self->a, "twodev-a", (ida)));	\
	__r = zram_swap_add(&self->sd1, ZRAM1_BYTES,			\
			    self->e.sd.prio >= 0 ? self->e.sd.prio + 100 : 200);\
	if (__r == -ENOENT)						\
		SKIP(return, "no /sys/class/zram-control: cannot add a second zram device");\
	ASSERT_EQ(0, __r) TH_LOG("second zram swap device: %s", strerror(-__r));\
	ASSERT_EQ(0, use_up_slot_caches("twodev-filler", 512, 70));	\
	ASSERT_EQ(0, file_out(self, &self->b, "twodev-b", (idb)));	\
	__u1 = swapdev_used_kb(&self->sd1);				\
	ASSERT_GE(__u1, (long long)(NPAGES * ps / 1024))		\
		TH_LOG("file b did not go to %s (Used %lld kB)", self->sd1.path, __u1);\
} while (0)

/* both files closed, the second device removed (before the accounting check) */
#define TWO_FILES_DONE() do {						\
	tf_close(&self->a);						\
	tf_close(&self->b);						\
	ASSERT_EQ(0, zram_swap_remove(&self->sd1));			\
	self->sd1.path[0] = 0;						\
} while (0)

static int set_claim_delay(struct env *e, long us)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", us);
	return env_set_knob(e, CLAIM_DELAY, buf);
}

TEST_F_TIMEOUT(twodev, both_types, 300)
{
	struct env *e = &self->e;
	struct reader o[2], w[2];
	struct vmsnap v0, v1;
	long long used1;
	int i;

	TWO_FILES_OUT(71, 72);
	/* exactly one swapin per device: no neighbours in batches */
	ASSERT_OK(env_batch_off(e));
	ASSERT_OK(set_claim_delay(e, self->delay));
	vm_snap(&v0);
	/* an owner on each device, then a waiter on each marker */
	ASSERT_EQ(0, reader_start(&o[0], &self->a, 3, M_PREAD));
	ASSERT_EQ(0, reader_start(&o[1], &self->b, 3, M_PREAD));
	sleep_us(self->delay / 3);
	ASSERT_EQ(0, reader_start(&w[0], &self->a, 3, M_FAULT));
	ASSERT_EQ(0, reader_start(&w[1], &self->b, 3, M_FAULT));
	vm_wait_above(V_WAIT, v0.v[V_WAIT] + 1, 5000000);
	for (i = 0; i < 2; i++) {
		pthread_join(o[i].tid, NULL);
		pthread_join(w[i].tid, NULL);
	}
	vm_snap(&v1);
	vm_print("an owner on each device", &v0, &v1);
	ASSERT_OK(set_claim_delay(e, 0));
	EXPECT_GE(vm_d(&v0, &v1, V_WAIT), 2)
		TH_LOG("the waiters did not both sleep on a marker");
	EXPECT_EQ(2, vm_d(&v0, &v1, V_BYPASS));
	EXPECT_EQ(self->a.gen[3], o[0].gen) TH_LOG("owner on the first device: %s", o[0].msg);
	EXPECT_EQ(self->b.gen[3], o[1].gen) TH_LOG("owner on the second device: %s", o[1].msg);
	EXPECT_EQ(self->a.gen[3], w[0].gen) TH_LOG("waiter on the first device: %s", w[0].msg);
	EXPECT_EQ(self->b.gen[3], w[1].gen) TH_LOG("waiter on the second device: %s", w[1].msg);
	EXPECT_EQ(0, tf_verify(&self->a, 0, NPAGES, VIA_PREAD, "file a"));
	EXPECT_EQ(0, tf_verify(&self->b, 0, NPAGES, VIA_PREAD, "file b"));
	/*
	 * Slots freed go through the per-CPU swap slot caches, which Used
	 * counts until they are flushed: the accounting check below drains
	 * them (swapoff/swapon) before it compares with the baseline.
	 */
	used1 = swapdev_used_kb(&self->sd1);
	diag("%s: %lld kB in use before the drain", self->sd1.path, used1);
	TWO_FILES_DONE();
	CHECK_BACK(e);
}

struct swapoff_run {
	struct swapdev *sd;
	int rc;
	uint64_t us;		/* wall time */
	long long cpu_us;	/* of it on CPU (the swapoff's) */
	pthread_t tid;
};

static void *swapoff_fn(void *arg)
{
	struct swapoff_run *s = arg;
	uint64_t t0 = now_us();

	s->rc = do_swapoff_cpu(s->sd, 120, &s->cpu_us);
	s->us = now_us() - t0;
	return NULL;
}

/*
 * While an owner reads page @idx of @t (on one device) with its claim held
 * open, swap off @off (the other device, which holds a few pages of the other
 * file, so that swapoff does scan the shmem mappings); returns how long the
 * swapoff took, or -1.  The swapoff's own swapins take the swap cache path
 * (mode switched for it): the claim delay would hold each of them too.
 */
static long long swapoff_during_claim(struct __test_metadata *_metadata,
				      FIXTURE_DATA(twodev) *self,
				      struct tfile *t, size_t idx,
				      struct swapdev *off)
{
	struct swapoff_run s = { .sd = off };
	struct reader o, w;
	struct vmsnap v0, v1;

	vm_snap(&v0);
	if (set_claim_delay(&self->e, self->delay) ||
	    reader_start(&o, t, idx, M_PREAD))
		return -1;
	sleep_us(self->delay / 4);
	if (reader_start(&w, t, idx, M_PREAD))
		return -1;
	vm_wait_above(V_WAIT, v0.v[V_WAIT], 5000000);
	if (set_mode("swapcache") || pthread_create(&s.tid, NULL, swapoff_fn, &s))
		return -1;
	pthread_join(s.tid, NULL);
	set_mode("bypass");
	pthread_join(o.tid, NULL);
	pthread_join(w.tid, NULL);
	vm_snap(&v1);
	set_claim_delay(&self->e, 0);
	vm_print("swapoff of the other device during a claim", &v0, &v1);
	EXPECT_EQ(0, s.rc) TH_LOG("swapoff %s: %s", off->path, strerror(-s.rc));
	EXPECT_GE(vm_d(&v0, &v1, V_WAIT), 1);
	EXPECT_EQ(t->gen[idx], o.gen) TH_LOG("owner: %s", o.msg);
	EXPECT_EQ(t->gen[idx], w.gen) TH_LOG("waiter: %s", w.msg);
	return s.rc ? -1 : (long long)s.us;
}

TEST_F_TIMEOUT(twodev, swapoff_other_type, 300)
{
	struct env *e = &self->e;
	long long took;

	TWO_FILES_OUT(73, 74);
	/* b read in but its first KEEP pages, a claim on the first device */
	ASSERT_EQ(0, tf_verify(&self->b, KEEP, NPAGES - KEEP, VIA_PREAD, "file b in"));
	took = swapoff_during_claim(_metadata, self, &self->a, 5, &self->sd1);
	diag("swapoff of %s took %lld us while a claim on %s was held %ld us",
	     self->sd1.path, took, e->sd.path, self->delay);
	EXPECT_GE(took, 0);
	EXPECT_LT(took, self->delay / 2)
		TH_LOG("swapoff of %s waited for a marker of %s", self->sd1.path, e->sd.path);
	ASSERT_EQ(0, do_swapon(&self->sd1));

	/* and the other way round: b out again (to the second device), a in but KEEP pages */
	ASSERT_EQ(0, force_out(&self->b, 0, NPAGES, &e->cg));
	ASSERT_EQ(0, tf_verify(&self->a, KEEP, NPAGES - KEEP, VIA_PREAD, "file a in"));
	took = swapoff_during_claim(_metadata, self, &self->b, 5, &e->sd);
	diag("swapoff of %s took %lld us while a claim on %s was held %ld us",
	     e->sd.path, took, self->sd1.path, self->delay);
	EXPECT_GE(took, 0);
	EXPECT_LT(took, self->delay / 2)
		TH_LOG("swapoff of %s waited for a marker of %s", e->sd.path, self->sd1.path);
	ASSERT_EQ(0, do_swapon(&e->sd));

	EXPECT_EQ(0, tf_verify(&self->a, 0, NPAGES, VIA_PREAD, "file a at the end"));
	EXPECT_EQ(0, tf_verify(&self->b, 0, NPAGES, VIA_PREAD, "file b at the end"));
	TWO_FILES_DONE();
	CHECK_BACK(e);
}

TEST_F_TIMEOUT(twodev, swapoff_only_handoff, 300)
{
	struct env *e = &self->e;
	struct swapoff_run s0 = { .sd = &e->sd }, s1 = { .sd = &self->sd1 };
	struct reader o, w;
	struct vmsnap v0, v1;
	uint64_t t_punch;
	long long left;
	char b1[64];

	TWO_FILES_OUT(75, 76);
	/* the second device keeps a few pages of b: its swapoff scans the inode list */
	ASSERT_EQ(0, tf_verify(&self->b, KEEP, NPAGES - KEEP, VIA_PREAD, "file b in"));
	ASSERT_OK(set_claim_delay(e, self->delay));
	vm_snap(&v0);
	ASSERT_EQ(0, reader_start(&o, &self->a, 5, M_PREAD));
	sleep_us(self->delay / 4);
	ASSERT_EQ(0, reader_start(&w, &self->a, 5, M_PREAD));
	vm_wait_above(V_WAIT, v0.v[V_WAIT], 5000000);
	/* all of a punched: the claimed slot is left to the owner, a has no swap */
	ASSERT_EQ(0, fallocate(self->a.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			       NPAGES * ps));
	t_punch = now_us();
	memset(self->a.gen, 0, NPAGES * sizeof(self->a.gen[0]));
	/* swapoff of the second device (its swapins through the swap cache, undelayed) */
	ASSERT_OK(set_mode("swapcache"));
	ASSERT_EQ(0, pthread_create(&s1.tid, NULL, swapoff_fn, &s1));
	pthread_join(s1.tid, NULL);
	EXPECT_EQ(0, s1.rc) TH_LOG("swapoff %s: %s", self->sd1.path, strerror(-s1.rc));
	/* then the owner's device: only the owner's slot is in use there */
	left = (long long)self->delay - (long long)(now_us() - o.t_start);
	ASSERT_EQ(0, pthread_create(&s0.tid, NULL, swapoff_fn, &s0));
	pthread_join(s0.tid, NULL);
	ASSERT_OK(set_mode("bypass"));
	pthread_join(o.tid, NULL);
	pthread_join(w.tid, NULL);
	vm_snap(&v1);
	ASSERT_OK(set_claim_delay(e, 0));
	vm_print("swapoff with only a handed-off slot left", &v0, &v1);
	diag("punch %lld us after the owner started; swapoff of %s took %lld us (%lld us on CPU), the claim had %lld us left",
	     (long long)(t_punch - o.t_start), e->sd.path, (long long)s0.us,
	     s0.cpu_us, left);
	EXPECT_EQ(0, s0.rc) TH_LOG("swapoff %s: %s", e->sd.path, strerror(-s0.rc));
	/* it waited for the owner: the slot could not be freed before */
	EXPECT_GE((long long)s0.us, left / 2)
		TH_LOG("swapoff of %s returned before the owner let its slot go", e->sd.path);
	/* and slept meanwhile: a swapoff that rescans until the slot is free spins */
	EXPECT_LT(s0.cpu_us, left / 5)
		TH_LOG("swapoff of %s spent %lld us on CPU waiting for the owner's slot",
		       e->sd.path, s0.cpu_us);
	EXPECT_GE(vm_d(&v0, &v1, V_HANDOFF), 1);
	EXPECT_EQ(0, vm_d(&v0, &v1, V_BYPASS));
	EXPECT_EQ(0, o.gen) TH_LOG("owner read %s: %s", gen_str(o.gen, b1, sizeof(b1)), o.msg);
	EXPECT_EQ(0, w.gen) TH_LOG("waiter read %s: %s", gen_str(w.gen, b1, sizeof(b1)), w.msg);
	ASSERT_EQ(0, do_swapon(&e->sd));
	EXPECT_EQ(0, tf_verify(&self->a, 0, NPAGES, VIA_PREAD, "file a (a hole)"));
	EXPECT_EQ(0, tf_verify(&self->b, 0, NPAGES, VIA_PREAD, "file b at the end"));
	TWO_FILES_DONE();
	CHECK_BACK(e);
}

TEST_HARNESS_MAIN
