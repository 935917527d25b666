// SPDX-License-Identifier: GPL-2.0
/*
 * The wake-up and handoff paths of the marker-synchronised shmem swapin.
 *
 * These scenarios put a task where a broken protocol would lose it:
 * - a waiter sleeping on a marker at the moment truncation or hole punch
 *   removes it (it must be woken by the removal, not by the owner, who
 *   installs nothing after a handoff);
 * - a second swapin of the same index, by a second owner, while the first
 *   owner (whose marker was punched) is still reading: the first owner must
 *   not take the second owner's marker for its own (ABA);
 * - swapoff while a handed-off owner still holds its slot: swapoff must
 *   sleep, not rescan every shmem inode until the read ends;
 * - a waiter on the marker of a page refaulting from the workingset: its
 *   wait is a memory stall (PSI), as a wait on the locked folio of a swap
 *   cache read is.
 * Every scenario checks the data, the accounting back at the baseline, and
 * from /proc/vmstat that the race overlapped.  The owner's read is held
 * open by /sys/kernel/mm/shmem_swapin/debug_delay_us.
 *
 * Eviction (the last close of an unlinked file) removes markers too, but no
 * task can wait on a marker then: a waiter holds the file (an open file, a
 * mapping, or swapoff's stop_eviction count); evict_vs_swapoff in
 * shmem_swapin_race covers eviction under swapoff's own swapin.
 *
 * See docs/testing.md.
 */
#include <sys/resource.h>
#include <sys/swap.h>
#include <sys/syscall.h>

#include "swapin_test.h"

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE	0x01
#define FALLOC_FL_PUNCH_HOLE	0x02
#endif

/* a value of /proc/vmstat that is not in struct vmsnap; -1 if missing */
static long long vmstat_key(const char *key)
{
	char name[64];
	long long v, r = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", name, &v) == 2)
		if (!strcmp(name, key)) {
			r = v;
			break;
		}
	fclose(f);
	return r;
}

/* ------------------------------------------------------------------ */
/*
 * A waiter on a marker that truncation or hole punch removes: the removal
 * must wake it.  The owner's read goes on for the whole debug delay and,
 * after the handoff, installs nothing and wakes nobody, so a waiter the
 * removal did not wake sleeps until the lost wake-up detector fires.
 */

enum { RM_PUNCH, RM_TRUNCATE };

static void waiter_on_removed_marker(struct __test_metadata *_metadata,
				     struct env *e, int rm)
{
	const size_t n = 16, p = 9;
	long delay = race_delay_us(800000);
	long limit = delay / 4;
	struct vmsnap v0, v1, va;
	struct tfile t;
	int round, how;
	char b1[64], b2[64];

	ASSERT_OK(tf_memfd(&t, rm == RM_PUNCH ? "wake_punch" : "wake_trunc",
			   n, 40 + rm, 0));
	ASSERT_OK(tf_map(&t, PROT_READ | PROT_WRITE));
	vm_snap(&v0);
	for (round = 0; round < 4; round++) {
		struct reader owner, waiter;
		uint64_t t_rm;
		bool waited = false;
		int tries;

		how = round & 1 ? M_FAULT : M_PREAD;
		ASSERT_OK(cg_enter(&e->cg));
		if (rm == RM_TRUNCATE)
			ASSERT_EQ(0, ftruncate(t.fd, n * ps));
		ASSERT_OK(tf_write(&t, 0, n, round + 1));
		ASSERT_OK(force_out(&t, 0, n, &e->cg));
		ASSERT_OK(set_delay_us(delay));
		for (tries = 0; tries < 3 && !waited; tries++) {
			vm_snap(&va);
			/* the owner claims page p and reads it for the delay */
			ASSERT_EQ(0, reader_start(&owner, &t, p, M_PREAD));
			sleep_us(delay / 8);
			/* the waiter meets its marker */
			ASSERT_EQ(0, reader_start(&waiter, &t, p, how));
			waited = vm_wait_above(V_WAIT, va.v[V_WAIT], delay / 2);
			if (!waited) {
				/* both done already: a slow start; again */
				pthread_join(owner.tid, NULL);
				pthread_join(waiter.tid, NULL);
				diag("round %d: nobody waited on the marker, retrying",
				     round);
				ASSERT_OK(force_out(&t, 0, n, &e->cg));
			}
		}
		ASSERT_TRUE(waited) TH_LOG("no task ever waited on the owner's marker");
		t_rm = now_us();
		if (rm == RM_PUNCH) {
			ASSERT_EQ(0, fallocate(t.fd, FALLOC_FL_PUNCH_HOLE |
					       FALLOC_FL_KEEP_SIZE, p * ps, ps));
		} else {
			ASSERT_EQ(0, ftruncate(t.fd, p * ps));
		}
		pthread_join(waiter.tid, NULL);
		pthread_join(owner.tid, NULL);
		set_delay_us(0);
		ASSERT_OK(cg_leave());
		vm_snap(&v1);
		diag("round %d (%s waiter, %s): waiter back %lld us after the removal, owner %lld us; waiter read %s, owner %s",
		     round, m_name[how], rm == RM_PUNCH ? "punch" : "truncate",
		     (long long)(waiter.t_end - t_rm),
		     (long long)(owner.t_end - t_rm),
		     gen_str(waiter.gen, b1, sizeof(b1)),
		     gen_str(owner.gen, b2, sizeof(b2)));
		EXPECT_GT(vm_d(&va, &v1, V_HANDOFF), 0)
			TH_LOG("round %d: the removal found no marker to hand off", round);
		EXPECT_LT((long long)(waiter.t_end - t_rm), (long long)limit)
			TH_LOG("round %d: the waiter came back %lld us after its marker was removed (limit %ld us): the removal did not wake it",
			       round, (long long)(waiter.t_end - t_rm), limit);
		EXPECT_LT(waiter.t_end, owner.t_end)
			TH_LOG("round %d: the waiter was only released when the owner finished",
			       round);
		/* a punched page reads as zeros; a truncated one is beyond EOF */
		if (rm == RM_PUNCH) {
			EXPECT_EQ(0, waiter.gen) TH_LOG("waiter: %s", waiter.msg);
			EXPECT_EQ(0, owner.gen) TH_LOG("owner: %s", owner.msg);
		} else {
			EXPECT_EQ(R_EOF, waiter.gen) TH_LOG("waiter: %s", waiter.msg);
			EXPECT_EQ(R_EOF, owner.gen) TH_LOG("owner: %s", owner.msg);
			ASSERT_EQ(0, ftruncate(t.fd, n * ps));
		}
		{
			size_t i;

			/* a punch zeroes p; a truncate to p and regrow zeroes p.. */
			for (i = 0; i < n; i++)
				t.gen[i] = (rm == RM_PUNCH ? i == p : i >= p) ?
					   0 : round + 1;
		}
		EXPECT_EQ(0, tf_verify(&t, 0, n, VIA_PREAD, "after the removal"));
	}
	vm_print("total", &v0, &v1);
	EXPECT_VM_GT(&v0, &v1, V_BYPASS, 0);
	EXPECT_NO_FALLBACK(&v0, &v1);
	EXPECT_EQ((long long)tf_resident(&t, 0, n, NULL) * (long long)(ps / 512),
		  tf_blocks(&t));
	tf_close(&t);
	CHECK_BACK(e);
}

TEST_F_TIMEOUT(ss, waiter_on_punched_marker, 300)
{
	waiter_on_removed_marker(_metadata, &self->e, RM_PUNCH);
}

TEST_F_TIMEOUT(ss, waiter_on_truncated_marker, 300)
{
	waiter_on_removed_marker(_metadata, &self->e, RM_TRUNCATE);
}

/* ------------------------------------------------------------------ */
/*
 * Marker ABA: owner A reads index p (swap entry E1) for the debug delay.
 * Meanwhile p is punched (A's marker is handed off), written again, pushed
 * out to a new entry E2 and faulted by owner B, whose marker now holds p
 * while A is still reading.  A must see that the marker at p is not its own
 * and drop its stale folio; p must end up with the new data.
 */
TEST_F_TIMEOUT(ss, marker_aba_second_owner, 300)
{
	struct env *e = &self->e;
	const size_t n = 16, p = 5;
	long delay = race_delay_us(900000);
	struct vmsnap v0, v1, va, vb;
	struct tfile t;
	int round;
	char b1[64], b2[64];

	ASSERT_OK(tf_memfd(&t, "aba", n, 45, 0));
	ASSERT_OK(tf_map(&t, PROT_READ | PROT_WRITE));
	vm_snap(&v0);
	for (round = 0; round < 3; round++) {
		unsigned int old = 2 * round + 1, new = 2 * round + 2;
		struct reader a, b;
		uint64_t t_b;
		size_t i;

		ASSERT_OK(cg_enter(&e->cg));
		ASSERT_OK(tf_write(&t, 0, n, old));
		ASSERT_OK(force_out(&t, 0, n, &e->cg));
		ASSERT_OK(set_delay_us(delay));
		vm_snap(&va);
		ASSERT_EQ(0, reader_start(&a, &t, p, round & 1 ? M_FAULT : M_PREAD));
		sleep_us(delay / 8);
		/* hand A's marker off, then a new page at p goes out to swap */
		ASSERT_EQ(0, fallocate(t.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				       p * ps, ps));
		ASSERT_OK(tf_write(&t, p, 1, new));
		ASSERT_OK(force_out(&t, p, 1, &e->cg));
		/* owner B claims the new entry while A is still reading */
		ASSERT_EQ(0, reader_start(&b, &t, p, M_PREAD));
		pthread_join(a.tid, NULL);
		pthread_join(b.tid, NULL);
		t_b = b.t_start;
		set_delay_us(0);
		ASSERT_OK(cg_leave());
		vm_snap(&vb);
		diag("round %d: B started %lld us after A (delay %ld us); A read %s, B read %s",
		     round, (long long)(t_b - a.t_start), delay,
		     gen_str(a.gen, b1, sizeof(b1)), gen_str(b.gen, b2, sizeof(b2)));
		vm_print("round", &va, &vb);
		/* the race overlapped: B claimed before A's delay could end */
		ASSERT_LT((long long)(t_b - a.t_start), (long long)delay * 3 / 4)
			TH_LOG("the second owner started too late to overlap the first owner's read");
		EXPECT_GT(vm_d(&va, &vb, V_HANDOFF), 0)
			TH_LOG("the punch did not hand off A's marker");
		EXPECT_GE(vm_d(&va, &vb, V_BYPASS), 1);
		EXPECT_EQ((int)new, b.gen) TH_LOG("B: %s", b.msg);
		EXPECT_EQ((int)new, a.gen)
			TH_LOG("A, after losing its marker, read %s instead of the new data: %s",
			       gen_str(a.gen, b1, sizeof(b1)), a.msg);
		for (i = 0; i < n; i++)
			t.gen[i] = i == p ? new : old;
		EXPECT_EQ(0, tf_verify(&t, 0, n, VIA_PREAD, "after the second owner"));
		EXPECT_EQ(1, tf_resident(&t, p, 1, NULL));
	}
	vm_snap(&v1);
	vm_print("total", &v0, &v1);
	EXPECT_NO_FALLBACK(&v0, &v1);
	EXPECT_EQ((long long)tf_resident(&t, 0, n, NULL) * (long long)(ps / 512),
		  tf_blocks(&t));
	tf_close(&t);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/*
 * swapoff while an owner whose marker was punched still holds its slot.
 * The slot is in no mapping; swapoff cannot swap it in and has to wait for
 * the owner.  It must sleep: its CPU time stays far below the time it
 * waits.  In swapcache mode the same sequence is run for comparison (there
 * the reader holds the folio lock for the read only, without a delay).
 */

/* swapoff in a child; returns 0/-errno, CPU time (us) and wall time (us) */
/* swapoff of the test's device: how long it took, and of that on CPU */
static int swapoff_timed(struct env *e, long long *cpu_us, long long *wall_us)
{
	uint64_t t0 = now_us();
	int r = do_swapoff_cpu(&e->sd, 60, cpu_us);

	*wall_us = now_us() - t0;
	return r;
}

TEST_F_TIMEOUT(ss, swapoff_during_handoff, 300)
{
	struct env *e = &self->e;
	const size_t n = 4, p = 3;
	long delay = race_delay_us(1000000);
	const char *modes[] = { "bypass", "swapcache" };
	struct vmsnap v0, v1, va, vb;
	struct tfile t;
	int m;

	ASSERT_OK(tf_memfd(&t, "swapoff_handoff", n, 47, 0));
	ASSERT_OK(tf_map(&t, PROT_READ | PROT_WRITE));
	vm_snap(&v0);
	for (m = 0; m < 2; m++) {
		long long cpu = -1, wall = -1;
		struct reader o;
		size_t i;
		int r;

		ASSERT_OK(set_mode(modes[m]));
		ASSERT_OK(cg_enter(&e->cg));
		ASSERT_OK(tf_write(&t, 0, n, m + 1));
		ASSERT_OK(cg_leave());
		/* only p is out: swapoff has nothing else to swap in */
		ASSERT_OK(force_out(&t, p, 1, &e->cg));
		ASSERT_OK(set_delay_us(delay));
		vm_snap(&va);
		ASSERT_EQ(0, reader_start(&o, &t, p, M_PREAD));
		sleep_us(delay / 8);
		ASSERT_EQ(0, fallocate(t.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				       p * ps, ps));
		r = swapoff_timed(e, &cpu, &wall);
		pthread_join(o.tid, NULL);
		set_delay_us(0);
		vm_snap(&vb);
		EXPECT_EQ(0, r) TH_LOG("swapoff: %s", strerror(-r));
		ASSERT_OK(do_swapon(&e->sd));
		diag("%s: swapoff took %lld us, of which %lld us on CPU; the owner read for %lld us",
		     modes[m], wall, cpu, (long long)(o.t_end - o.t_start));
		vm_print(modes[m], &va, &vb);
		/* without the delay (swapcache) the read may end before the punch */
		if (m == 0) {
			EXPECT_EQ(0, o.gen) TH_LOG("owner: %s", o.msg);
		} else {
			EXPECT_TRUE(o.gen == 0 || o.gen == m + 1)
				TH_LOG("owner: %s", o.msg);
		}
		for (i = 0; i < n; i++)
			t.gen[i] = i == p ? 0 : m + 1;
		EXPECT_EQ(0, tf_verify(&t, 0, n, VIA_PREAD, "after swapoff"));
		if (m == 0) {
			EXPECT_GT(vm_d(&va, &vb, V_HANDOFF), 0)
				TH_LOG("the punch did not hand off the owner's marker");
			/* swapoff did overlap the handoff: it waited for it */
			EXPECT_GT(wall, delay / 2)
				TH_LOG("swapoff ended before the owner's read: no overlap");
			EXPECT_LT(cpu, delay / 5)
				TH_LOG("swapoff spent %lld us on CPU while it waited %lld us for a handed-off slot: it spins instead of sleeping",
				       cpu, wall);
		}
	}
	ASSERT_OK(set_mode("bypass"));
	vm_snap(&v1);
	vm_print("total", &v0, &v1);
	EXPECT_EQ(0, tf_resident(&t, p, 1, NULL));
	EXPECT_EQ((long long)tf_resident(&t, 0, n, NULL) * (long long)(ps / 512),
		  tf_blocks(&t));
	tf_close(&t);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/*
 * PSI: a task waiting on the marker of a page that refaults from the
 * workingset is in a memory stall, as a task waiting on the locked folio of
 * a swap cache read of such a page is; a wait for a page that was not in the
 * workingset is not.  The waiter runs alone in its own cgroup, so that
 * cgroup's memory.pressure "some" total is its stall time.
 */

/* "some ... total=N" of a memory.pressure file, in us; -1 on error */
static long long pressure_some_us(struct cg *c)
{
	char path[600], line[256];
	long long total = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.pressure", c->path);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "total=");

		if (!strncmp(line, "some", 4) && p) {
			total = strtoll(p + 6, NULL, 10);
			break;
		}
	}
	fclose(f);
	return total;
}

/* two reads make a page active; drain the per-cpu LRU batches */
static int activate(struct tfile *t, size_t first, size_t n)
{
	int k;

	for (k = 0; k < 2; k++)
		if (tf_verify(t, first, n, VIA_PREAD, "activation read"))
			return -1;
	lru_drain_all();
	return 0;
}

/*
 * Reclaim @c in small steps until pages [first, first+n) of @t are out.
 * They were activated before anything else in @c, so reclaim deactivates
 * them first (which marks them workingset) and evicts them.
 */
static int reclaim_until_out(struct tfile *t, size_t first, size_t n,
			     struct cg *c)
{
	char amount[32];
	int attempt;

	snprintf(amount, sizeof(amount), "%zu", n * ps);
	for (attempt = 0; attempt < 50; attempt++) {
		if (!tf_resident(t, first, n, NULL))
			return 0;
		if (attempt < 6 || attempt % 10 == 0)
			diag("reclaim %d: %ld resident, active_anon %lld inactive_anon %lld",
			     attempt, tf_resident(t, first, n, NULL),
			     cg_keyed(c, "memory.stat", "active_anon"),
			     cg_keyed(c, "memory.stat", "inactive_anon"));
		cg_write(c, "memory.reclaim", amount);
	}
	diag("reclaim_until_out: %ld pages still resident",
	     tf_resident(t, first, n, NULL));
	return -1;
}

/*
 * Fork a child that enters @c and reads page @idx; it writes how long the
 * read took (us, a long long) to @wfd.  Returns its pid.
 */
static pid_t wait_child(struct cg *c, struct tfile *t, size_t idx, int wfd)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (!pid) {
		long long us;
		struct rbuf rb;
		char msg[400];
		uint64_t t0;
		int g;

		if (cg_enter(c) || rbuf_init(&rb))
			_exit(2);
		t0 = now_us();
		g = read_page(t, t->fd, t->map, idx, M_PREAD, &rb, msg,
			      sizeof(msg));
		us = now_us() - t0;
		if (write(wfd, &us, sizeof(us)) != sizeof(us))
			_exit(3);
		_exit(g == (int)t->gen[idx] ? 0 : 1);
	}
	return pid;
}

TEST_F_TIMEOUT(ss, psi_marker_wait, 300)
{
	struct env *e = &self->e;
	const size_t n = 64, ballast = 4096;
	long delay = race_delay_us(600000);
	struct cg cw = { 0 };
	struct tfile t, bt;
	struct vmsnap v0, v1;
	long long stall[2] = { -1, -1 }, waited[2] = { 0, 0 }, restore0, restore1;
	int pfd[2];
	int kind;

	/* the owner of page 0 must not bring pages 1..3 in: each has its waiter */
	ASSERT_OK(env_batch_off(e));
	ASSERT_OK(cg_create(&cw, "psi_waiter"));
	ASSERT_OK(tf_memfd(&t, "psi", n, 48, 0));
	ASSERT_OK(tf_map(&t, PROT_READ | PROT_WRITE));
	ASSERT_OK(tf_memfd(&bt, "psi_ballast", ballast, 49, 0));
	/*
	 * Pages [0, n/2) leave memory through reclaim after they were
	 * active: their shadows say workingset.  They are activated before
	 * a ballast, so that reclaim takes them first, and the ballast
	 * stays active: a refault is recent only if its distance is within
	 * the evicting cgroup's workingset.  Pages [n/2, n) are never
	 * activated and go out with MADV_PAGEOUT: cold.
	 */
	vm_snap(&v0);
	restore0 = vmstat_key("workingset_restore_anon");
	ASSERT_OK(cg_enter(&e->cg));
	ASSERT_OK(tf_write(&t, 0, n, 1));
	ASSERT_OK(activate(&t, 0, n / 2));
	ASSERT_OK(tf_write(&bt, 0, ballast, 1));
	ASSERT_OK(activate(&bt, 0, ballast));
	ASSERT_OK(reclaim_until_out(&t, 0, n / 2, &e->cg));
	ASSERT_OK(cg_leave());
	ASSERT_OK(force_out(&t, n / 2, n / 2, &e->cg));
	ASSERT_EQ(0, pipe(pfd));
	for (kind = 0; kind < 2; kind++) {
		size_t first = kind * (n / 2), i;
		long long before, after;
		struct reader o;
		int status = -1;
		pid_t pid;

		ASSERT_OK(set_delay_us(delay));
		before = pressure_some_us(&cw);
		ASSERT_GE(before, 0) TH_LOG("no %s/memory.pressure (CONFIG_PSI?)", cw.path);
		for (i = first; i < first + 4; i++) {
			long long us = 0, p0;
			struct vmsnap va;

			vm_snap(&va);
			p0 = pressure_some_us(&cw);
			ASSERT_EQ(0, reader_start(&o, &t, i, M_PREAD));
			sleep_us(delay / 8);
			pid = wait_child(&cw, &t, i, pfd[1]);
			ASSERT_GT(pid, 0);
			EXPECT_TRUE(vm_wait_above(V_WAIT, va.v[V_WAIT], delay / 2))
				TH_LOG("the child did not wait on the marker");
			ASSERT_EQ(pid, waitpid(pid, &status, 0));
			ASSERT_EQ((ssize_t)sizeof(us), read(pfd[0], &us, sizeof(us)));

			waited[kind] += us;
			/*
			 * Read the pressure after each wait: the "total" of a
			 * memory.pressure file is brought up to date when it
			 * is read; one read after several waits showed only
			 * about 65% of them (PSI aggregation, not the kernel
			 * under test).
			 */
			usleep(20000);
			diag("  page %zu: waited %lld us, stall %lld us", i, us,
			     pressure_some_us(&cw) - p0);
			pthread_join(o.tid, NULL);
			EXPECT_EQ(0, status) TH_LOG("child read the wrong data");
			EXPECT_EQ((int)t.gen[i], o.gen) TH_LOG("owner: %s", o.msg);
		}
		set_delay_us(0);
		usleep(100000);
		after = pressure_some_us(&cw);
		stall[kind] = after - before;
		diag("%s pages: the waiter cgroup's memory.pressure some total grew by %lld us; the 4 waiting reads took %lld us",
		     kind ? "cold" : "workingset", stall[kind], waited[kind]);
	}
	restore1 = vmstat_key("workingset_restore_anon");
	vm_snap(&v1);
	vm_print("total", &v0, &v1);
	diag("workingset_restore_anon went up by %lld", restore1 - restore0);
	ASSERT_GE(restore1 - restore0, 4)
		TH_LOG("the first pages did not refault as workingset: the setup failed, nothing was tested");
	close(pfd[0]);
	close(pfd[1]);
	/* waits on workingset pages: a stall for most of each wait */
	EXPECT_GT(stall[0], waited[0] * 2 / 3)
		TH_LOG("waits on workingset pages' markers (%lld us) counted as memory stall for only %lld us",
		       waited[0], stall[0]);
	/* waits on cold pages: no stall, as on the swap cache path */
	EXPECT_LT(stall[1], waited[1] / 10)
		TH_LOG("waits on cold pages' markers (%lld us) counted as memory stall for %lld us",
		       waited[1], stall[1]);
	EXPECT_VM_GT(&v0, &v1, V_BYPASS, 0);
	EXPECT_NO_FALLBACK(&v0, &v1);
	ASSERT_EQ(0, tf_verify(&t, 0, n, VIA_PREAD, "at the end"));
	tf_close(&t);
	tf_close(&bt);
	cg_destroy(&cw);
	CHECK_BACK(e);
}

/*
 * The same thrashing workload in both modes: several processes in one
 * memory cgroup, held well below their shared file, read it over and
 * over.  The cap is memory.high (reclaim on every return to user space),
 * with memory.max above it: under memory.max alone three readers in a
 * 6 MiB cgroup sometimes met the memcg OOM killer on a slow debug guest
 * (reclaim finding everything isolated by the other two), in both modes
 * alike, which is not what this test is about; memory.events "max" and
 * "oom" are printed per round.  SHMEM_SWAPIN_PSI_STRICT=1 (make negative)
 * caps with memory.max 6M alone: there a bypass that charges before its
 * claim (every racer charges and reclaims) shows as about 3x the swap
 * cache path's pressure, which memory.high's throttling hides; an OOM kill
 * of a reader (either mode) voids that round, which runs again, at most
 * three times.  Its memory.pressure "some" total, per second of run, must be of
 * the same size in both modes (within a factor of PSI_TOLERANCE); the
 * figures go to the log (docs/testing.md quotes them).
 */
#define PSI_TOLERANCE	2.0
/*
 * Under memory.max alone the correct bypass measured 0.92x to 1.24x the
 * swap cache path's pressure (eight runs); charging before the claim
 * 2.0x to 3.2x.
 */
#define PSI_TOLERANCE_STRICT	1.6

static long long thrash_run(struct tfile *t, size_t n, struct cg *c,
			    int nproc, long secs, long long *pages)
{
	int pfd[2], k, status;
	long long before, after, got = 0, v;
	pid_t pid[8];

	*pages = 0;
	if (pipe(pfd))
		return -1;
	before = pressure_some_us(c);
	fflush(NULL);
	for (k = 0; k < nproc; k++) {
		pid[k] = fork();
		if (!pid[k]) {
			uint64_t end = now_us() + secs * 1000000ULL;
			char *buf = malloc(ps);
			long long done = 0;
			size_t i;

			close(pfd[0]);
			if (!buf || cg_enter(c))
				_exit(2);
			while (now_us() < end)
				for (i = 0; i < n && now_us() < end; i++, done++)
					if (pread(t->fd, buf, ps, i * ps) != (ssize_t)ps)
						_exit(3);
			if (write(pfd[1], &done, sizeof(done)) != sizeof(done))
				_exit(4);
			_exit(0);
		}
	}
	close(pfd[1]);
	for (k = 0; k < nproc; k++) {
		if (waitpid(pid[k], &status, 0) != pid[k])
			got = -1;
		else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && got == 0)
			got = -2;	/* the memcg OOM killer: the round is void */
		else if (status)
			got = -1;
	}
	for (k = 0; k < nproc && got >= 0; k++)
		if (read(pfd[0], &v, sizeof(v)) == sizeof(v))
			got += v;
	close(pfd[0]);
	after = pressure_some_us(c);
	*pages = got;
	return got < 0 ? got : after - before;
}

TEST_F_TIMEOUT(ss, psi_thrash_both_modes, 300)
{
	struct env *e = &self->e;
	const size_t n = 4096;		/* 16 MiB */
	const long secs = 6;
	const int nproc = 3, rounds = 2;
	const char *modes[] = { "swapcache", "bypass" };
	long long some[2] = { 0, 0 }, pages[2] = { 0, 0 };
	int oom_rounds[2] = { 0, 0 };
	struct vmsnap v0, v1, va, vb;
	struct cg ct = { 0 };
	struct tfile t;
	double frac[2], ratio;
	const char *st_env = getenv("SHMEM_SWAPIN_PSI_STRICT");
	bool strict = st_env && !strcmp(st_env, "1");
	double tol = PSI_TOLERANCE;
	int r, m;

	ASSERT_OK(cg_create(&ct, "psi_thrash"));
	if (strict) {
		e->allow_oom = true;	/* voided rounds, see above */
		tol = PSI_TOLERANCE_STRICT;
		/*
		 * One page per fault in both modes, as when the tolerance was
		 * measured: at page-cluster 3 (the guest's default since
		 * 2026-12-05) the swap cache path's readahead charges eight
		 * pages per fault into the 6 MiB cap, and three OOM kills in a
		 * row failed the test on correct kernels too.
		 */
		ASSERT_OK(env_set_knob(e, "/proc/sys/vm/page-cluster", "0"));
		ASSERT_OK(cg_write(&ct, "memory.max", "6M"));
	} else {
		ASSERT_OK(cg_write(&ct, "memory.high", "6M"));
		ASSERT_OK(cg_write(&ct, "memory.max", "12M"));
	}
	diag("cap: %s", strict ? "memory.max 6M (SHMEM_SWAPIN_PSI_STRICT=1)" :
	     "memory.high 6M, memory.max 12M");
	ASSERT_OK(tf_memfd(&t, "psi_thrash", n, 50, 0));
	ASSERT_OK(tf_map(&t, PROT_READ | PROT_WRITE));
	ASSERT_OK(cg_enter(&ct));
	ASSERT_OK(tf_write(&t, 0, n, 1));
	ASSERT_OK(cg_leave());
	vm_snap(&v0);
	for (r = 0; r < rounds; r++)
		for (m = 0; m < 2; m++) {
			long long st, pg, mx, oom;
			int tries = 0;

			ASSERT_OK(set_mode(modes[m]));
			do {
				vm_snap(&va);
				mx = cg_keyed(&ct, "memory.events", "max");
				oom = cg_keyed(&ct, "memory.events", "oom");
				st = thrash_run(&t, n, &ct, nproc, secs, &pg);
				vm_snap(&vb);
				mx = cg_keyed(&ct, "memory.events", "max") - mx;
				oom = cg_keyed(&ct, "memory.events", "oom") - oom;
				diag("round %d %s: memory.events max +%lld, oom +%lld%s",
				     r, modes[m], mx, oom,
				     st == -2 ? ": a reader was OOM-killed, round run again" : "");
				oom_rounds[m] += st == -2;
			} while (st == -2 && ++tries < 3);
			ASSERT_GE(st, 0) TH_LOG("a thrashing reader failed (-2: OOM-killed three times running)");
			some[m] += st;
			pages[m] += pg;
			diag("round %d %s: memory.pressure some +%lld us in %ld s, %lld pages read, %lld swapins, %lld marker waits",
			     r, modes[m], st, secs, pg,
			     vm_d(&va, &vb, V_BYPASS) + vm_d(&va, &vb, V_SWAPCACHE),
			     vm_d(&va, &vb, V_WAIT));
		}
	ASSERT_OK(set_mode("bypass"));
	vm_snap(&v1);
	vm_print("total", &v0, &v1);
	for (m = 0; m < 2; m++)
		frac[m] = some[m] / (rounds * secs * 1e6);
	ratio = frac[1] / (frac[0] > 0 ? frac[0] : 1e-9);
	diag("memory.pressure some: swapcache %.1f%% of the time, bypass %.1f%% (ratio %.2f, tolerance %.1fx); pages read %lld / %lld; rounds voided by an OOM kill %d / %d",
	     100 * frac[0], 100 * frac[1], ratio, tol, pages[0], pages[1],
	     oom_rounds[0], oom_rounds[1]);
	EXPECT_GT(frac[0], 0.05) TH_LOG("the workload did not thrash in swapcache mode");
	EXPECT_TRUE(ratio >= 1 / tol && ratio <= tol)
		TH_LOG("memory pressure differs between the modes beyond the tolerance");
	EXPECT_VM_GT(&v0, &v1, V_BYPASS, 0);
	EXPECT_VM_GT(&v0, &v1, V_SWAPCACHE, 0);
	ASSERT_EQ(0, tf_verify(&t, 0, n, VIA_PREAD, "after thrashing"));
	tf_close(&t);
	cg_destroy(&ct);
	CHECK_BACK(e);
}

TEST_HARNESS_MAIN
