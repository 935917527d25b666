// SPDX-License-Identifier: GPL-2.0
/*
 * Race scenarios of the marker-synchronised shmem cache-bypass swapin.
 *
 * Every scenario widens the window in which the swapin owner holds its
 * marker with /sys/kernel/mm/shmem_swapin/debug_delay_us, checks the data
 * of every page, checks the accounting returns to the baseline, and checks
 * from /proc/vmstat that the bypass ran and that the race overlapped
 * (shmem_swapin_marker_wait, shmem_swapin_handoff).
 *
 * See docs/testing.md.
 */
#include <sys/statfs.h>
#include <semaphore.h>

#include "swapin_test.h"
#include "swapin_util.h"
#include "swapin_vmstat.h"
#include "swapin_swapdev.h"
#include "swapin_cgroup.h"
#include "swapin_files.h"
#include "swapin_env.h"

#ifndef F_ADD_SEALS
#define F_ADD_SEALS	1033
#define F_GET_SEALS	1034
#define F_SEAL_WRITE	0x0008
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 2U
#endif
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE	0x01
#define FALLOC_FL_PUNCH_HOLE	0x02
#endif

/* create, map, fill (charged to the test cgroup) and push out a memfd */
static int prep_memfd(struct env *e, struct tfile *t, const char *name,
		      size_t n, unsigned int id, unsigned int gen)
{
	int r;

	r = tf_memfd(t, name, n, id, 0);
	if (!r)
		r = tf_map(t, PROT_READ | PROT_WRITE);
	if (!r)
		r = cg_enter(&e->cg);
	if (!r)
		r = tf_write(t, 0, n, gen);
	cg_leave();
	if (!r)
		r = force_out(t, 0, n, &e->cg);
	return r;
}

/* ------------------------------------------------------------------ */
/* Many threads fault the same swapped pages at the same time. */

TEST_F_TIMEOUT(ss, same_page_many_threads, 300)
{
	struct env *e = &self->e;
	const int nthr = 8, rounds = 3;
	size_t n = scaled(256);
	long delay = race_delay_us(3000);
	struct errlog *err = errlog_new();
	struct vmsnap v0, v1, va, vb;
	pthread_barrier_t bar;
	struct sweep s[8];
	struct tfile t;
	int r, k;

	ASSERT_NE(NULL, err);
	ASSERT_OK(prep_memfd(e, &t, "samepage", n, 10, 1));
	ASSERT_OK(set_delay_us(delay));
	vm_snap(&v0);
	for (r = 0; r < rounds; r++) {
		if (r)
			ASSERT_OK(force_out(&t, 0, n, &e->cg));
		vm_snap(&va);
		ASSERT_EQ(0, pthread_barrier_init(&bar, NULL, nthr));
		for (k = 0; k < nthr; k++) {
			s[k] = (struct sweep){
				.t = &t, .fd = -1, .first = 0, .n = n,
				.step = 1, .how = M_FAULT, .bar = &bar,
				.err = err, .name = "faulter",
			};
			ASSERT_EQ(0, sweep_start(&s[k]));
		}
		for (k = 0; k < nthr; k++)
			pthread_join(s[k].tid, NULL);
		pthread_barrier_destroy(&bar);
		vm_snap(&vb);
		vm_print("round", &va, &vb);
	}
	set_delay_us(0);
	vm_snap(&v1);
	vm_print("total", &v0, &v1);
	ASSERT_NO_ERRORS(err, "faulters");
	ASSERT_EQ(0, tf_verify(&t, 0, n, VIA_MAP, "after the race"));

	/* invariant 1: one owner per entry, each page read exactly once */
	EXPECT_PAGES("pages read from swap", vm_reads(&v0, &v1), n * rounds);
	EXPECT_PAGES("pages installed (bypass + swapcache)",
		     vm_installs(&v0, &v1), n * rounds);
	EXPECT_VM_GT(&v0, &v1, V_BYPASS, 0);
	EXPECT_VM_GT(&v0, &v1, V_WAIT, 0);
	EXPECT_NO_FALLBACK(&v0, &v1);
	EXPECT_EQ((long long)n, tf_resident(&t, 0, n, NULL));
	EXPECT_EQ((long long)(n * ps / 512), tf_blocks(&t));
	EXPECT_EQ((long long)(n * ps), cg_wait_shmem(&e->cg, n * ps));
	tf_close(&t);
	errlog_free(err);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/* Faults, read() and splice() on the same pages. */

TEST_F_TIMEOUT(ss, fault_read_splice, 300)
{
	struct env *e = &self->e;
	const int nthr = 6, rounds = 2;
	size_t n = scaled(256);
	long delay = race_delay_us(3000);
	struct errlog *err = errlog_new();
	struct vmsnap v0, v1;
	pthread_barrier_t bar;
	struct sweep s[6];
	struct tfile t;
	int r, k;

	ASSERT_NE(NULL, err);
	ASSERT_OK(prep_memfd(e, &t, "fault_read_splice", n, 11, 1));
	ASSERT_OK(set_delay_us(delay));
	vm_snap(&v0);
	for (r = 0; r < rounds; r++) {
		if (r)
			ASSERT_OK(force_out(&t, 0, n, &e->cg));
		ASSERT_EQ(0, pthread_barrier_init(&bar, NULL, nthr));
		for (k = 0; k < nthr; k++) {
			s[k] = (struct sweep){
				.t = &t, .fd = -1, .first = 0, .n = n,
				/* second round: half of them from the end */
				.step = (r && (k & 1)) ? -1 : 1,
				.how = k % 3, .bar = &bar, .err = err,
				.name = "reader",
			};
			ASSERT_EQ(0, sweep_start(&s[k]));
		}
		for (k = 0; k < nthr; k++)
			pthread_join(s[k].tid, NULL);
		pthread_barrier_destroy(&bar);
	}
	set_delay_us(0);
	vm_snap(&v1);
	vm_print("total", &v0, &v1);
	ASSERT_NO_ERRORS(err, "fault/read/splice readers");
	ASSERT_EQ(0, tf_verify(&t, 0, n, VIA_PREAD, "after the race"));
	EXPECT_PAGES("pages read from swap", vm_reads(&v0, &v1), n * rounds);
	EXPECT_PAGES("pages installed", vm_installs(&v0, &v1), n * rounds);
	EXPECT_VM_GT(&v0, &v1, V_BYPASS, 0);
	EXPECT_VM_GT(&v0, &v1, V_WAIT, 0);
	EXPECT_NO_FALLBACK(&v0, &v1);
	EXPECT_EQ((long long)(n * ps / 512), tf_blocks(&t));
	EXPECT_EQ((long long)(n * ps), cg_wait_shmem(&e->cg, n * ps));
	tf_close(&t);
	errlog_free(err);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/* Swapin vs FALLOC_FL_PUNCH_HOLE on the page being swapped in. */

struct puncher {
	struct tfile *t;
	struct sweep *a;	/* the reader it chases */
	size_t n, tail;
	long delay;
	struct errlog *err;
	long punched_live;	/* punched while the reader was on the page */
	pthread_t tid;
};

static void *punch_fn(void *arg)
{
	struct puncher *p = arg;
	size_t i;

	for (i = 1; i < p->n; i += 2) {
		wait_cur(&p->a->cur, &p->a->done, i);
		if (p->a->cur == (long)i && p->a->busy) {
			/* punch while the reader's swapin holds its marker */
			sleep_us(p->delay / 4);
			p->punched_live++;
		}
		if (fallocate(p->t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      i * ps, ps))
			errlog_add(p->err, "punch page %zu: %s", i,
				   strerror(errno));
	}
	/* the tail is still swapped out: punch plain swap entries */
	if (fallocate(p->t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      p->n * ps, p->tail * ps))
		errlog_add(p->err, "punch tail: %s", strerror(errno));
	return NULL;
}

/* reader for punch/truncate: a page may be its data, zeros, or EOF */
struct lenient {
	struct tfile *t;
	struct sweep s;		/* cur/busy/done published here */
	size_t first, n;
	int how;
	unsigned int gen;
	int allow_eof;
	int strict_even;	/* even pages must hold their data */
	long seen_data, seen_zero, seen_eof;
	struct errlog *err;
	const char *name;
	pthread_barrier_t *bar;
};

static void *lenient_fn(void *arg)
{
	struct lenient *l = arg;
	struct rbuf rb;
	char msg[400];
	size_t i;

	if (rbuf_init(&rb)) {
		errlog_add(l->err, "%s: out of memory", l->name);
		l->s.done = 1;
		return NULL;
	}
	if (l->bar)
		pthread_barrier_wait(l->bar);
	for (i = l->first; i < l->first + l->n; i++) {
		int g;

		l->s.cur = i;
		l->s.busy = 1;
		g = read_page(l->t, l->t->fd, l->t->map, i, l->how, &rb, msg,
			      sizeof(msg));
		l->s.busy = 0;
		if (l->strict_even && !(i & 1) && g != (int)l->gen)
			errlog_add(l->err, "%s (%s): page %zu (not punched): got %s%d, expected gen %u",
				   l->name, m_name[l->how], i,
				   g >= 0 ? "gen " : "error ", g, l->gen);
		else if (g == (int)l->gen)
			l->seen_data++;
		else if (g == 0)
			l->seen_zero++;
		else if (g == R_EOF && l->allow_eof)
			l->seen_eof++;
		else if (g == R_EOF)
			errlog_add(l->err, "%s (%s): page %zu: unexpected EOF",
				   l->name, m_name[l->how], i);
		else if (g >= 0)
			errlog_add(l->err, "%s (%s): page %zu: got gen %d, expected gen %u or zeros",
				   l->name, m_name[l->how], i, g, l->gen);
		else
			errlog_add(l->err, "%s (%s): %s", l->name,
				   m_name[l->how], msg);
	}
	l->s.cur = LONG_MAX;
	l->s.done = 1;
	rbuf_free(&rb);
	return NULL;
}

TEST_F_TIMEOUT(ss, punch_hole, 300)
{
	struct env *e = &self->e;
	const int rounds = 4;
	/*
	 * The puncher sleeps delay/4 after the reader entered the page: with
	 * a 4 ms tick (jiffies clocksource early after boot, low-res timers)
	 * that sleep lasts up to two ticks, so the delay must be well above.
	 */
	size_t n = scaled(128) & ~1UL, tail = 64, total, i;
	long delay = race_delay_us(20000);
	struct errlog *err = errlog_new();
	struct vmsnap v0, v1, va, vb;
	struct ss_cachestat cs;
	struct tfile t;
	int r;

	ASSERT_NE(NULL, err);
	if (n < 2)
		n = 2;
	total = n + tail;
	ASSERT_OK(tf_memfd(&t, "punch", total, 12, 0));
	ASSERT_OK(tf_map(&t, PROT_READ | PROT_WRITE));
	vm_snap(&v0);
	for (r = 0; r < rounds; r++) {
		unsigned int gen = r + 1;
		struct lenient a = {
			.t = &t, .first = 0, .n = n, .how = r & 1 ? M_FAULT : M_PREAD,
			.gen = gen, .strict_even = 1, .err = err,
			.name = "reader",
		};
		struct puncher p = {
			.t = &t, .a = &a.s, .n = n, .tail = tail,
			.delay = delay, .err = err,
		};
		pthread_t at;
		long resident;

		/*
		 * Stay in the cgroup for the race: a fault on a punched page
		 * allocates a new page, charged to the faulting task's cgroup.
		 */
		ASSERT_OK(cg_enter(&e->cg));
		ASSERT_OK(tf_write(&t, 0, total, gen));
		ASSERT_OK(force_out(&t, 0, total, &e->cg));
		ASSERT_OK(set_delay_us(delay));
		a.s.cur = -1;
		vm_snap(&va);
		ASSERT_EQ(0, pthread_create(&at, NULL, lenient_fn, &a));
		ASSERT_EQ(0, pthread_create(&p.tid, NULL, punch_fn, &p));
		pthread_join(at, NULL);
		pthread_join(p.tid, NULL);
		set_delay_us(0);
		ASSERT_OK(cg_leave());
		vm_snap(&vb);
		vm_print(a.how == M_FAULT ? "round (fault)" : "round (pread)",
			 &va, &vb);
		diag("odd pages seen as data %ld / zeros %ld; punched while the reader was on the page: %ld",
		     a.seen_data - (long)(n / 2), a.seen_zero, p.punched_live);

		for (i = 0; i < total; i++)
			t.gen[i] = (i < n && !(i & 1)) ? gen : 0;
		EXPECT_EQ(0, tf_verify(&t, 0, total, VIA_PREAD, "after punching"));
		/* nothing is swapped any more: i_blocks == resident pages */
		resident = tf_resident(&t, 0, total, NULL);
		EXPECT_EQ((long long)resident * (long long)(ps / 512), tf_blocks(&t))
			TH_LOG("st_blocks vs %ld resident pages", resident);
		if (a.how == M_PREAD)
			EXPECT_EQ((long)(n / 2), resident)
				TH_LOG("read() of a punched page must not allocate");
		if (!do_cachestat(t.fd, 0, 0, &cs)) {
			EXPECT_EQ(0, (long long)cs.nr_evicted)
				TH_LOG("swap entries or markers left in the mapping after the punch");
			EXPECT_EQ((long long)resident, (long long)cs.nr_cache);
		}
		EXPECT_EQ((long long)resident * (long long)ps,
			  cg_wait_shmem(&e->cg, resident * ps));
	}
	vm_snap(&v1);
	vm_print("total", &v0, &v1);
	ASSERT_NO_ERRORS(err, "punch race");
	EXPECT_VM_GT(&v0, &v1, V_BYPASS, 0);
	EXPECT_VM_GT(&v0, &v1, V_HANDOFF, 0);
	tf_close(&t);
	errlog_free(err);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/* Swapin vs ftruncate() shrinking over the pages being read, then regrow. */

struct truncator {
	struct tfile *t;
	struct lenient *rd;
	int nrd;
	size_t n, half;
	long delay;
	struct errlog *err;
	pthread_t tid;
};

static void *truncate_fn(void *arg)
{
	struct truncator *tr = arg;
	int k;

	/* wait until every reader is half-way through its pages */
	for (k = 0; k < tr->nrd; k++)
		wait_cur(&tr->rd[k].s.cur, &tr->rd[k].s.done,
			 tr->rd[k].first + tr->rd[k].n / 2);
	sleep_us(tr->delay / 2);
	if (ftruncate(tr->t->fd, tr->half * ps))
		errlog_add(tr->err, "shrink: %s", strerror(errno));
	sleep_us(tr->delay);
	if (ftruncate(tr->t->fd, tr->n * ps))
		errlog_add(tr->err, "regrow: %s", strerror(errno));
	return NULL;
}

TEST_F_TIMEOUT(ss, truncate_regrow, 300)
{
	struct env *e = &self->e;
	const int rounds = 6, nrd = 4;
	size_t n = scaled(256) & ~7UL, half, q, i;
	long delay = race_delay_us(4000);
	struct errlog *err = errlog_new();
	struct vmsnap v0, v1, va, vb;
	struct lenient rd[4];
	pthread_t rt[4];
	struct tfile t;
	int r, k;

	ASSERT_NE(NULL, err);
	if (n < 16)
		n = 16;
	half = n / 2;
	q = half / nrd;
	ASSERT_OK(tf_memfd(&t, "truncate", n, 13, 0));
	ASSERT_OK(tf_map(&t, PROT_READ | PROT_WRITE));
	vm_snap(&v0);
	for (r = 0; r < rounds; r++) {
		unsigned int gen = r + 1;
		struct truncator tr = {
			.t = &t, .rd = rd, .nrd = nrd, .n = n, .half = half,
			.delay = delay, .err = err,
		};
		long resident, seen_eof = 0, seen_zero = 0, seen_data = 0;

		/* in the cgroup: faults after the regrow allocate new pages */
		ASSERT_OK(cg_enter(&e->cg));
		ASSERT_OK(tf_write(&t, 0, n, gen));
		ASSERT_OK(force_out(&t, 0, n, &e->cg));
		ASSERT_OK(set_delay_us(delay));
		vm_snap(&va);
		for (k = 0; k < nrd; k++) {
			rd[k] = (struct lenient){
				.t = &t, .first = half + k * q, .n = q,
				.how = r & 1 ? M_FAULT : M_PREAD, .gen = gen,
				.allow_eof = 1, .err = err, .name = "reader",
			};
			rd[k].s.cur = -1;
			ASSERT_EQ(0, pthread_create(&rt[k], NULL, lenient_fn, &rd[k]));
		}
		ASSERT_EQ(0, pthread_create(&tr.tid, NULL, truncate_fn, &tr));
		for (k = 0; k < nrd; k++) {
			pthread_join(rt[k], NULL);
			seen_eof += rd[k].seen_eof;
			seen_zero += rd[k].seen_zero;
			seen_data += rd[k].seen_data;
		}
		pthread_join(tr.tid, NULL);
		set_delay_us(0);
		ASSERT_OK(cg_leave());
		vm_snap(&vb);
		vm_print(r & 1 ? "round (fault)" : "round (pread)", &va, &vb);
		diag("upper half seen as data %ld, EOF %ld, zeros %ld",
		     seen_data, seen_eof, seen_zero);

		for (i = 0; i < n; i++)
			t.gen[i] = i < half ? gen : 0;
		EXPECT_EQ(0, tf_verify(&t, 0, n, VIA_PREAD, "after shrink+regrow"));
		resident = tf_resident(&t, 0, n, NULL);
		EXPECT_EQ((long long)resident * (long long)(ps / 512), tf_blocks(&t))
			TH_LOG("st_blocks vs %ld resident pages", resident);
		if (!(r & 1))
			EXPECT_EQ((long)half, resident)
				TH_LOG("only the lower half may be in after read()s");
		EXPECT_EQ((long long)resident * (long long)ps,
			  cg_wait_shmem(&e->cg, resident * ps));
	}
	vm_snap(&v1);
	vm_print("total", &v0, &v1);
	ASSERT_NO_ERRORS(err, "truncate race");
	EXPECT_VM_GT(&v0, &v1, V_BYPASS, 0);
	EXPECT_VM_GT(&v0, &v1, V_HANDOFF, 0);
	tf_close(&t);
	errlog_free(err);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/* Swapin vs unlink and last close: the last reader's close evicts. */

struct ureader {
	char path[600];
	struct tfile *t;
	size_t stop;
	int how;
	struct errlog *err;
	pthread_barrier_t *bar;
	int fd;
	char *map;
	volatile long cur;
	pthread_t tid;
};

static void *ureader_fn(void *arg)
{
	struct ureader *u = arg;
	struct rbuf rb;
	char msg[400];
	size_t i;

	if (rbuf_init(&rb)) {
		errlog_add(u->err, "ureader: out of memory");
		return NULL;
	}
	pthread_barrier_wait(u->bar);
	for (i = 0; i < u->stop; i++) {
		int g;

		u->cur = i;
		g = read_page(u->t, u->fd, u->map, i, u->how, &rb, msg,
			      sizeof(msg));
		if (g != 1)
			errlog_add(u->err, "reader (%s) of %s: page %zu: %s",
				   m_name[u->how], u->path, i,
				   g == -1 || g == R_ERR ? msg :
				   g == R_EOF ? "EOF" : "wrong generation");
	}
	u->cur = LONG_MAX;
	/* drop this reader's reference; the last one evicts the inode */
	if (u->map)
		munmap(u->map, u->t->npages * ps);
	close(u->fd);
	rbuf_free(&rb);
	return NULL;
}

TEST_F_TIMEOUT(ss, unlink_last_close, 300)
{
	struct env *e = &self->e;
	const int nfiles = 4, nrd = 3;
	size_t n = scaled(128);
	long delay = race_delay_us(2000);
	struct errlog *err = errlog_new();
	struct statfs sf0, sf1;
	struct vmsnap v0, v1;
	char dir[256];
	int f, k;

	ASSERT_NE(NULL, err);
	ASSERT_OK(env_mount_tmpfs(e, "size=64m", dir, sizeof(dir)));
	ASSERT_EQ(0, statfs(dir, &sf0));
	vm_snap(&v0);
	for (f = 0; f < nfiles; f++) {
		struct ureader u[3];
		pthread_barrier_t bar;
		char path[300];
		struct tfile t;

		snprintf(path, sizeof(path), "%s/file%d", dir, f);
		ASSERT_OK(tf_open(&t, path, n, 20 + f));
		ASSERT_OK(tf_map(&t, PROT_READ | PROT_WRITE));
		ASSERT_OK(cg_enter(&e->cg));
		ASSERT_OK(tf_write(&t, 0, n, 1));
		ASSERT_OK(cg_leave());
		ASSERT_OK(force_out(&t, 0, n, &e->cg));
		ASSERT_EQ(0, pthread_barrier_init(&bar, NULL, nrd + 1));
		ASSERT_OK(set_delay_us(delay));
		for (k = 0; k < nrd; k++) {
			u[k] = (struct ureader){
				.t = &t, .how = k == 2 ? M_FAULT : M_PREAD,
				/* readers give up at different points */
				.stop = n * (2 + k + (f & 1)) / 5,
				.err = err, .bar = &bar, .cur = -1,
			};
			if (!u[k].stop)
				u[k].stop = 1;
			snprintf(u[k].path, sizeof(u[k].path), "%s", path);
			u[k].fd = open(path, O_RDONLY | O_CLOEXEC);
			ASSERT_GE(u[k].fd, 0);
			if (u[k].how == M_FAULT) {
				u[k].map = mmap(NULL, n * ps, PROT_READ,
						MAP_SHARED, u[k].fd, 0);
				ASSERT_NE(MAP_FAILED, u[k].map);
			}
			ASSERT_EQ(0, pthread_create(&u[k].tid, NULL, ureader_fn, &u[k]));
		}
		pthread_barrier_wait(&bar);
		/* unlink and drop our references while they read */
		while (u[0].cur < (long)(n / 8))
			sleep_us(200);
		ASSERT_EQ(0, unlink(path));
		t.path[0] = 0;
		munmap(t.map, n * ps);
		t.map = NULL;
		close(t.fd);
		t.fd = -1;
		for (k = 0; k < nrd; k++)
			pthread_join(u[k].tid, NULL);
		set_delay_us(0);
		pthread_barrier_destroy(&bar);
		tf_close(&t);
	}
	vm_snap(&v1);
	vm_print("total", &v0, &v1);
	ASSERT_NO_ERRORS(err, "readers of unlinked files");
	/* every block of the evicted files is free again */
	ASSERT_EQ(0, statfs(dir, &sf1));
	EXPECT_EQ((long long)sf0.f_bfree, (long long)sf1.f_bfree)
		TH_LOG("tmpfs free blocks %lld, before %lld", (long long)sf1.f_bfree,
		       (long long)sf0.f_bfree);
	EXPECT_VM_GT(&v0, &v1, V_BYPASS, 0);
	EXPECT_VM_GT(&v0, &v1, V_WAIT, 0);
	errlog_free(err);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/* Eviction while swapoff's own swapin holds a marker on the file. */

struct swapoff_arg {
	struct swapdev *sd;
	pthread_barrier_t *bar;
	int rc;
	volatile int done;
	pthread_t tid;
};

static void *swapoff_fn(void *arg)
{
	struct swapoff_arg *a = arg;

	if (a->bar)
		pthread_barrier_wait(a->bar);
	a->rc = do_swapoff(a->sd, 120);
	a->done = 1;
	return NULL;
}

TEST_F_TIMEOUT(ss, evict_vs_swapoff, 300)
{
	struct env *e = &self->e;
	size_t n = scaled(256);
	long delay = race_delay_us(10000);
	struct swapoff_arg so = { .sd = &e->sd };
	struct vmsnap v0, v1, vp;
	struct statfs sf0, sf1;
	char dir[256], path[300];
	struct tfile t;
	uint64_t t0, deadline;

	ASSERT_OK(env_mount_tmpfs(e, "size=64m", dir, sizeof(dir)));
	ASSERT_EQ(0, statfs(dir, &sf0));
	snprintf(path, sizeof(path), "%s/evict", dir);
	ASSERT_OK(tf_open(&t, path, n, 30));
	ASSERT_OK(tf_map(&t, PROT_READ | PROT_WRITE));
	ASSERT_OK(cg_enter(&e->cg));
	ASSERT_OK(tf_write(&t, 0, n, 1));
	ASSERT_OK(cg_leave());
	ASSERT_OK(force_out(&t, 0, n, &e->cg));
	munmap(t.map, n * ps);
	t.map = NULL;
	ASSERT_EQ(0, unlink(path));
	t.path[0] = 0;

	ASSERT_OK(set_delay_us(delay));
	vm_snap(&v0);
	ASSERT_EQ(0, pthread_create(&so.tid, NULL, swapoff_fn, &so));
	/* wait until swapoff is swapping in this file's pages */
	deadline = now_us() + 30000000;
	do {
		usleep(1000);
		vm_snap(&vp);
	} while (vm_installs(&v0, &vp) < 3 && !so.done && now_us() < deadline);
	diag("swapoff installed %lld pages before the last close",
	     vm_installs(&v0, &vp));
	/* last close: shmem_evict_inode() truncates under swapoff */
	t0 = now_us();
	close(t.fd);
	t.fd = -1;
	diag("last close took %llu us", (unsigned long long)(now_us() - t0));
	pthread_join(so.tid, NULL);
	set_delay_us(0);
	vm_snap(&v1);
	vm_print("swapoff + eviction", &v0, &v1);
	EXPECT_EQ(0, so.rc) TH_LOG("swapoff: %s", strerror(-so.rc));
	ASSERT_OK(do_swapon(&e->sd));
	EXPECT_VM_GT_MSG(&v0, &v1, V_BYPASS, 0,
			 "swapoff's swapins did not take the bypass");
	EXPECT_VM_GT_MSG(&v0, &v1, V_HANDOFF, 0,
			 "the eviction never removed a marker held by swapoff");
	ASSERT_EQ(0, statfs(dir, &sf1));
	EXPECT_EQ((long long)sf0.f_bfree, (long long)sf1.f_bfree);
	tf_close(&t);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/* Swapin vs swapoff: faulting threads and swapoff on the same pages. */

TEST_F_TIMEOUT(ss, swapoff, 300)
{
	struct env *e = &self->e;
	size_t n = scaled(512);
	long delay = race_delay_us(2000);
	struct errlog *err = errlog_new();
	struct swapoff_arg so = { .sd = &e->sd };
	pthread_barrier_t bar;
	struct vmsnap v0, v1;
	struct sweep s[3];
	struct tfile t;
	int k;

	ASSERT_NE(NULL, err);
	ASSERT_OK(prep_memfd(e, &t, "swapoff", n, 31, 1));
	ASSERT_OK(set_delay_us(delay));
	ASSERT_EQ(0, pthread_barrier_init(&bar, NULL, 4));
	so.bar = &bar;
	vm_snap(&v0);
	ASSERT_EQ(0, pthread_create(&so.tid, NULL, swapoff_fn, &so));
	for (k = 0; k < 3; k++) {
		s[k] = (struct sweep){
			.t = &t, .fd = -1, .first = 0, .n = n,
			.step = k == 2 ? -1 : 1, .how = k == 1 ? M_PREAD : M_FAULT,
			.bar = &bar, .err = err, .name = "reader",
		};
		ASSERT_EQ(0, sweep_start(&s[k]));
	}
	for (k = 0; k < 3; k++)
		pthread_join(s[k].tid, NULL);
	pthread_join(so.tid, NULL);
	set_delay_us(0);
	vm_snap(&v1);
	vm_print("swapoff race", &v0, &v1);
	EXPECT_EQ(0, so.rc) TH_LOG("swapoff: %s", strerror(-so.rc));
	ASSERT_OK(do_swapon(&e->sd));
	ASSERT_NO_ERRORS(err, "readers racing swapoff");
	ASSERT_EQ(0, tf_verify(&t, 0, n, VIA_MAP, "after swapoff"));
	EXPECT_EQ((long long)n, tf_resident(&t, 0, n, NULL));
	EXPECT_PAGES("pages installed", vm_installs(&v0, &v1), n);
	EXPECT_PAGES("pages read from swap", vm_reads(&v0, &v1), n);
	EXPECT_VM_GT(&v0, &v1, V_BYPASS, 0);
	EXPECT_VM_GT(&v0, &v1, V_WAIT, 0);
	EXPECT_EQ((long long)(n * ps / 512), tf_blocks(&t));
	EXPECT_EQ((long long)(n * ps), cg_wait_shmem(&e->cg, n * ps));
	tf_close(&t);
	errlog_free(err);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/* Swapin vs fallocate() over the pages being faulted. */

struct fallocator {
	struct tfile *t;
	struct sweep *a;
	size_t n, chunk, beyond;
	struct errlog *err;
	pthread_t tid;
};

static void *falloc_fn(void *arg)
{
	struct fallocator *f = arg;
	size_t c;

	for (c = 0; c < f->n; c += f->chunk) {
		size_t len = f->n - c < f->chunk ? f->n - c : f->chunk;

		/* fallocate the chunk the faulter has just entered */
		wait_cur(&f->a->cur, &f->a->done, c);
		if (fallocate(f->t->fd, 0, c * ps, len * ps))
			errlog_add(f->err, "fallocate pages %zu-%zu: %s", c,
				   c + len - 1, strerror(errno));
	}
	if (fallocate(f->t->fd, FALLOC_FL_KEEP_SIZE, f->n * ps, f->beyond * ps))
		errlog_add(f->err, "fallocate beyond EOF: %s", strerror(errno));
	return NULL;
}

TEST_F_TIMEOUT(ss, fallocate, 300)
{
	struct env *e = &self->e;
	size_t n = scaled(256), beyond = 64;
	long delay = race_delay_us(3000);
	struct errlog *err = errlog_new();
	struct fallocator fa;
	struct vmsnap v0, v1;
	struct sweep a;
	struct stat st;
	struct tfile t;

	ASSERT_NE(NULL, err);
	ASSERT_OK(prep_memfd(e, &t, "fallocate", n, 32, 1));
	ASSERT_OK(set_delay_us(delay));
	vm_snap(&v0);
	a = (struct sweep){
		.t = &t, .fd = -1, .first = 0, .n = n, .step = 1,
		.how = M_FAULT, .err = err, .name = "faulter",
	};
	fa = (struct fallocator){
		.t = &t, .a = &a, .n = n, .chunk = 16, .beyond = beyond,
		.err = err,
	};
	ASSERT_EQ(0, sweep_start(&a));
	ASSERT_EQ(0, pthread_create(&fa.tid, NULL, falloc_fn, &fa));
	pthread_join(a.tid, NULL);
	pthread_join(fa.tid, NULL);
	set_delay_us(0);
	vm_snap(&v1);
	vm_print("fallocate race", &v0, &v1);
	ASSERT_NO_ERRORS(err, "fault vs fallocate");
	ASSERT_EQ(0, tf_verify(&t, 0, n, VIA_PREAD, "after fallocate"));
	ASSERT_EQ(0, fstat(t.fd, &st));
	EXPECT_EQ((long long)(n * ps), (long long)st.st_size)
		TH_LOG("FALLOC_FL_KEEP_SIZE changed the size");
	EXPECT_EQ((long long)((n + beyond) * ps / 512), (long long)st.st_blocks)
		TH_LOG("st_blocks: %zu pages + %zu fallocated beyond EOF", n,
		       beyond);
	EXPECT_PAGES("pages installed", vm_installs(&v0, &v1), n);
	EXPECT_PAGES("pages read from swap", vm_reads(&v0, &v1), n);
	EXPECT_VM_GT(&v0, &v1, V_BYPASS, 0);
	EXPECT_VM_GT(&v0, &v1, V_WAIT, 0);
	EXPECT_NO_FALLBACK(&v0, &v1);
	tf_close(&t);
	errlog_free(err);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/* SEEK_DATA/SEEK_HOLE, mincore and cachestat while pages come in. */

struct walker {
	struct tfile *t;
	const unsigned char *hole;
	size_t n, ndata;
	struct sweep *a;
	struct errlog *err;
	long iters, overlaps;
	pthread_t tid;
};

static void *walker_fn(void *arg)
{
	struct walker *w = arg;
	unsigned char *vec = malloc(w->n);
	long prev_res = 0, prev_cache = 0;
	size_t i;

	if (!vec) {
		errlog_add(w->err, "walker: out of memory");
		return NULL;
	}
	while (!w->a->done) {
		int busy_before = w->a->busy;
		struct ss_cachestat cs;
		off_t off = 0, d, h;
		long res = 0;

		/* SEEK_DATA / SEEK_HOLE must see exactly the hole layout */
		for (i = 0; i < w->n; ) {
			size_t s = i, en;

			while (s < w->n && w->hole[s])
				s++;
			if (s >= w->n)
				break;
			en = s;
			while (en < w->n && !w->hole[en])
				en++;
			d = lseek(w->t->fd, off, SEEK_DATA);
			h = d < 0 ? -1 : lseek(w->t->fd, d, SEEK_HOLE);
			if (d != (off_t)(s * ps) || h != (off_t)(en * ps)) {
				errlog_add(w->err, "SEEK_DATA from %lld: %lld, SEEK_HOLE: %lld; expected data %zu-%zu (pages)",
					   (long long)off, (long long)d,
					   (long long)h, s, en - 1);
				break;
			}
			off = h;
			i = en;
		}
		/* mincore: a hole is never resident, residency only grows */
		if (mincore(w->t->map, w->n * ps, vec)) {
			errlog_add(w->err, "mincore: %s", strerror(errno));
			break;
		}
		for (i = 0; i < w->n; i++) {
			if ((vec[i] & 1) && w->hole[i])
				errlog_add(w->err, "mincore: hole page %zu resident", i);
			res += vec[i] & 1;
		}
		if (res < prev_res)
			errlog_add(w->err, "mincore: resident pages went from %ld down to %ld",
				   prev_res, res);
		prev_res = res;
		/* cachestat: every data page is either cached or evicted */
		if (!do_cachestat(w->t->fd, 0, w->n * ps, &cs)) {
			if (cs.nr_cache + cs.nr_evicted != w->ndata)
				errlog_add(w->err, "cachestat: cache %llu + evicted %llu != %zu data pages",
					   (unsigned long long)cs.nr_cache,
					   (unsigned long long)cs.nr_evicted,
					   w->ndata);
			if ((long)cs.nr_cache < prev_cache)
				errlog_add(w->err, "cachestat: nr_cache went down from %ld to %llu",
					   prev_cache,
					   (unsigned long long)cs.nr_cache);
			prev_cache = cs.nr_cache;
		}
		w->iters++;
		if (busy_before && w->a->busy)
			w->overlaps++;
		if (w->err->count > 20)
			break;
	}
	free(vec);
	return NULL;
}

TEST_F_TIMEOUT(ss, seek_mincore, 300)
{
	struct env *e = &self->e;
	size_t n = scaled(256), ndata = 0, i;
	long delay = race_delay_us(3000);
	struct errlog *err = errlog_new();
	unsigned char *hole = calloc(n, 1);
	struct vmsnap v0, v1;
	struct sweep a, c;
	struct walker w;
	struct tfile t;

	ASSERT_NE(NULL, err);
	ASSERT_NE(NULL, hole);
	ASSERT_OK(tf_memfd(&t, "seek", n, 33, 0));
	ASSERT_OK(tf_map(&t, PROT_READ | PROT_WRITE));
	ASSERT_OK(cg_enter(&e->cg));
	for (i = 0; i < n; i++) {
		hole[i] = (i % 4) == 3;
		if (!hole[i]) {
			ASSERT_OK(tf_write(&t, i, 1, 1));
			ndata++;
		}
	}
	ASSERT_OK(cg_leave());
	ASSERT_OK(force_out(&t, 0, n, &e->cg));
	ASSERT_OK(set_delay_us(delay));
	vm_snap(&v0);
	a = (struct sweep){
		.t = &t, .fd = -1, .first = 0, .n = n, .step = 1,
		.how = M_FAULT, .skip = hole, .err = err, .name = "faulter",
	};
	c = a;
	c.name = "second faulter";
	c.how = M_PREAD;
	c.start_delay_us = delay / 2;
	w = (struct walker){
		.t = &t, .hole = hole, .n = n, .ndata = ndata, .a = &a,
		.err = err,
	};
	ASSERT_EQ(0, sweep_start(&a));
	ASSERT_EQ(0, sweep_start(&c));
	ASSERT_EQ(0, pthread_create(&w.tid, NULL, walker_fn, &w));
	pthread_join(a.tid, NULL);
	pthread_join(c.tid, NULL);
	pthread_join(w.tid, NULL);
	set_delay_us(0);
	vm_snap(&v1);
	vm_print("seek/mincore race", &v0, &v1);
	diag("walker: %ld iterations, %ld while a swapin was in flight",
	     w.iters, w.overlaps);
	ASSERT_NO_ERRORS(err, "SEEK_DATA/SEEK_HOLE/mincore/cachestat walker");
	EXPECT_GT(w.overlaps, 0)
		TH_LOG("the walker never ran while a swapin was in flight");
	ASSERT_EQ(0, tf_verify(&t, 0, n, VIA_PREAD, "after the race"));
	EXPECT_EQ((long long)ndata, tf_resident(&t, 0, n, NULL));
	EXPECT_EQ((long long)(ndata * ps / 512), tf_blocks(&t));
	EXPECT_PAGES("pages installed", vm_installs(&v0, &v1), ndata);
	EXPECT_PAGES("pages read from swap", vm_reads(&v0, &v1), ndata);
	EXPECT_VM_GT(&v0, &v1, V_BYPASS, 0);
	EXPECT_VM_GT(&v0, &v1, V_WAIT, 0);
	EXPECT_NO_FALLBACK(&v0, &v1);
	tf_close(&t);
	free(hole);
	errlog_free(err);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/* MADV_WILLNEED (swap cache readahead) vs bypass faults. */

struct willneeder {
	struct tfile *t;
	struct sweep *a;
	size_t n, chunk;
	long delay;
	struct errlog *err;
	long live;
	pthread_t tid;
};

static void *willneed_fn(void *arg)
{
	struct willneeder *w = arg;
	size_t c;

	for (c = 0; c < w->n; c += w->chunk) {
		size_t len = w->n - c < w->chunk ? w->n - c : w->chunk;

		wait_cur(&w->a->cur, &w->a->done, c);
		if (w->a->cur == (long)c && w->a->busy) {
			/* the faulter owns page c: WILLNEED the chunk now */
			sleep_us(w->delay / 3);
			w->live++;
		}
		if (madvise(w->t->map + c * ps, len * ps, MADV_WILLNEED))
			errlog_add(w->err, "MADV_WILLNEED pages %zu-%zu: %s",
				   c, c + len - 1, strerror(errno));
	}
	return NULL;
}

TEST_F_TIMEOUT(ss, willneed, 300)
{
	struct env *e = &self->e;
	size_t n = scaled(512);
	long delay = race_delay_us(3000);
	struct errlog *err = errlog_new();
	struct willneeder wn;
	struct vmsnap v0, v1;
	struct ss_cachestat cs;
	struct sweep a, c;
	struct tfile t;

	ASSERT_NE(NULL, err);
	ASSERT_OK(prep_memfd(e, &t, "willneed", n, 34, 1));
	ASSERT_OK(set_delay_us(delay));
	vm_snap(&v0);
	a = (struct sweep){
		.t = &t, .fd = -1, .first = 0, .n = n, .step = 1,
		.how = M_FAULT, .err = err, .name = "faulter",
	};
	c = a;
	c.name = "second faulter";
	c.start_delay_us = delay / 2;
	wn = (struct willneeder){
		.t = &t, .a = &a, .n = n, .chunk = 16, .delay = delay,
		.err = err,
	};
	ASSERT_EQ(0, sweep_start(&a));
	ASSERT_EQ(0, sweep_start(&c));
	ASSERT_EQ(0, pthread_create(&wn.tid, NULL, willneed_fn, &wn));
	pthread_join(a.tid, NULL);
	pthread_join(c.tid, NULL);
	pthread_join(wn.tid, NULL);
	set_delay_us(0);
	vm_snap(&v1);
	vm_print("willneed race", &v0, &v1);
	diag("MADV_WILLNEED issued while the faulter held page: %ld times",
	     wn.live);
	ASSERT_NO_ERRORS(err, "fault vs MADV_WILLNEED");
	ASSERT_EQ(0, tf_verify(&t, 0, n, VIA_MAP, "after the race"));
	/* invariant 7: the readahead never reads a slot the owner reads */
	EXPECT_PAGES("pages read from swap", vm_reads(&v0, &v1), n);
	EXPECT_PAGES("pages installed", vm_installs(&v0, &v1), n);
	EXPECT_VM_GT(&v0, &v1, V_BYPASS, 0);
	EXPECT_VM_GT_MSG(&v0, &v1, V_SWAPCACHE, 0,
			 "no page came in through the swap cache MADV_WILLNEED filled");
	EXPECT_VM_GT(&v0, &v1, V_WAIT, 0);
	EXPECT_EQ((long long)n, tf_resident(&t, 0, n, NULL));
	if (!do_cachestat(t.fd, 0, 0, &cs))
		EXPECT_EQ(0, (long long)cs.nr_evicted);
	EXPECT_EQ((long long)(n * ps), cg_wait_shmem(&e->cg, n * ps));
	tf_close(&t);
	errlog_free(err);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/* memfd: F_SEAL_WRITE added while pages are being swapped in. */

struct sealer {
	struct tfile *t;
	struct sweep *a;
	size_t n;
	struct errlog *err;
	volatile int sealed;
	pthread_t tid;
};

static void *sealer_fn(void *arg)
{
	struct sealer *s = arg;
	int tries;

	wait_cur(&s->a->cur, &s->a->done, s->n / 2);
	for (tries = 0; tries < 100; tries++) {
		if (!fcntl(s->t->fd, F_ADD_SEALS, F_SEAL_WRITE)) {
			s->sealed = 1;
			return NULL;
		}
		if (errno != EBUSY)
			break;
		usleep(10000);
	}
	errlog_add(s->err, "F_ADD_SEALS F_SEAL_WRITE: %s", strerror(errno));
	return NULL;
}

struct sealwriter {
	struct tfile *t;
	struct sweep *a;
	size_t n;
	struct errlog *err;
	unsigned short *newgen;	/* gen each page must end with */
	long ok, eperm;
	pthread_t tid;
};

static void *sealwriter_fn(void *arg)
{
	struct sealwriter *w = arg;
	char *buf = malloc(ps);
	size_t i;

	if (!buf)
		return NULL;
	for (i = 1; i < w->n; i += 4) {
		/* write the page the faulter is swapping in */
		wait_cur(&w->a->cur, &w->a->done, i);
		fill_page(buf, w->t->id, i, 2);
		if (pwrite(w->t->fd, buf, ps, i * ps) == (ssize_t)ps) {
			w->newgen[i] = 2;
			w->ok++;
		} else if (errno == EPERM) {
			w->eperm++;
		} else {
			errlog_add(w->err, "pwrite page %zu: %s", i,
				   strerror(errno));
		}
	}
	free(buf);
	return NULL;
}

/* faulter for the seal test: a page may be gen 1 or (written) gen 2 */
struct sealreader {
	struct sweep s;
	struct tfile *t;
	char *map;
	size_t n;
	struct errlog *err;
	pthread_t tid;
};

static void *sealreader_fn(void *arg)
{
	struct sealreader *r = arg;
	struct rbuf rb;
	char msg[400];
	size_t i;

	if (rbuf_init(&rb)) {
		r->s.done = 1;
		return NULL;
	}
	for (i = 0; i < r->n; i++) {
		int g;

		r->s.cur = i;
		r->s.busy = 1;
		g = read_page(r->t, r->t->fd, r->map, i, M_FAULT, &rb, msg,
			      sizeof(msg));
		r->s.busy = 0;
		/*
		 * A page the writer rewrites may be copied out of the mapping
		 * while pwrite() copies into it: a torn mix of gen 1 and
		 * gen 2 words is allowed, anything else is not.
		 */
		if (g == -1 && (i % 4) == 1 &&
		    !page_gen_torn(rb.buf, r->t->id, i, 1, 2, msg, sizeof(msg)))
			g = 2;
		if (!(g == 1 || (g == 2 && (i % 4) == 1)))
			errlog_add(r->err, "sealed-file faulter: page %zu: %s",
				   i, g == -1 ? msg : "unexpected generation or EOF");
	}
	r->s.cur = LONG_MAX;
	r->s.done = 1;
	rbuf_free(&rb);
	return NULL;
}

TEST_F_TIMEOUT(ss, memfd_seal_write, 300)
{
	struct env *e = &self->e;
	size_t n = scaled(256), i;
	long delay = race_delay_us(3000);
	struct errlog *err = errlog_new();
	struct vmsnap v0, v1, v2;
	struct sealreader rd;
	struct sealwriter wr;
	struct sealer sl;
	unsigned short *newgen;
	char path[64], *buf = malloc(ps);
	struct tfile t;
	int rofd, seals;
	void *p;

	ASSERT_NE(NULL, err);
	ASSERT_NE(NULL, buf);
	/* racers must meet each other's markers, not pages a batch brought */
	ASSERT_OK(env_batch_off(e));
	ASSERT_OK(tf_memfd(&t, "sealed", n, 35, MFD_ALLOW_SEALING));
	newgen = calloc(n, sizeof(*newgen));
	ASSERT_NE(NULL, newgen);
	ASSERT_OK(cg_enter(&e->cg));
	ASSERT_OK(tf_write(&t, 0, n, 1));
	ASSERT_OK(cg_leave());
	for (i = 0; i < n; i++)
		newgen[i] = 1;
	/* a mapping that does not block F_SEAL_WRITE: from an O_RDONLY fd */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", t.fd);
	rofd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(rofd, 0);
	t.map = mmap_aligned(n * ps, 2UL << 20, PROT_READ, MAP_SHARED, rofd, 0);
	ASSERT_NE(MAP_FAILED, t.map);
	t.maplen = n * ps;
	ASSERT_OK(force_out(&t, 0, n, &e->cg));

	ASSERT_OK(set_delay_us(delay));
	vm_snap(&v0);
	memset(&rd, 0, sizeof(rd));
	rd.t = &t;
	rd.map = t.map;
	rd.n = n;
	rd.err = err;
	rd.s.cur = -1;
	wr = (struct sealwriter){ .t = &t, .a = &rd.s, .n = n, .err = err,
				  .newgen = newgen };
	sl = (struct sealer){ .t = &t, .a = &rd.s, .n = n, .err = err };
	ASSERT_EQ(0, pthread_create(&rd.tid, NULL, sealreader_fn, &rd));
	ASSERT_EQ(0, pthread_create(&wr.tid, NULL, sealwriter_fn, &wr));
	ASSERT_EQ(0, pthread_create(&sl.tid, NULL, sealer_fn, &sl));
	pthread_join(rd.tid, NULL);
	pthread_join(wr.tid, NULL);
	pthread_join(sl.tid, NULL);
	set_delay_us(0);
	vm_snap(&v1);
	vm_print("seal race", &v0, &v1);
	diag("writes before the seal: %ld, refused after it: %ld", wr.ok,
	     wr.eperm);
	ASSERT_NO_ERRORS(err, "seal race");
	ASSERT_TRUE(sl.sealed);
	seals = fcntl(t.fd, F_GET_SEALS);
	EXPECT_TRUE(seals >= 0 && (seals & F_SEAL_WRITE))
		TH_LOG("F_GET_SEALS = %d", seals);
	EXPECT_GT(wr.ok, 0) TH_LOG("no write reached a page before the seal");
	EXPECT_GT(wr.eperm, 0) TH_LOG("no write was refused after the seal");
	fill_page(buf, t.id, 0, 3);
	EXPECT_EQ(-1, pwrite(t.fd, buf, ps, 0));
	EXPECT_EQ(EPERM, errno);
	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, t.fd, 0);
	EXPECT_EQ(MAP_FAILED, p) TH_LOG("writable shared mmap of a sealed memfd");
	if (p != MAP_FAILED)
		munmap(p, ps);
	memcpy(t.gen, newgen, n * sizeof(*newgen));
	EXPECT_EQ(0, tf_verify(&t, 0, n, VIA_PREAD, "sealed file after the race"));
	EXPECT_VM_GT(&v0, &v1, V_BYPASS, 0);
	EXPECT_VM_GT(&v0, &v1, V_WAIT, 0);

	/* a sealed file goes out and comes back through the bypass */
	ASSERT_OK(force_out(&t, 0, n, &e->cg));
	ASSERT_EQ(0, tf_verify(&t, 0, n, VIA_PREAD, "sealed file swapped in again"));
	vm_snap(&v2);
	vm_print("sealed file swapin", &v1, &v2);
	EXPECT_PAGES("shmem_swapin_bypass (sealed file)",
		     vm_d(&v1, &v2, V_BYPASS), n);
	EXPECT_EQ((long long)(n * ps / 512), tf_blocks(&t));

	tf_close(&t);
	close(rofd);
	free(newgen);
	free(buf);
	errlog_free(err);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/*
 * Priority inversion: a SCHED_FIFO faulter on the CPU of an owner that
 * holds the marker (sleeping in the debug delay, then runnable) must sleep
 * on the marker, not spin; every round must finish within a bound.
 */

struct fifo_ctx {
	struct tfile *t;
	int cpu, rounds;
	long delay;
	sem_t go_owner, go_fifo, owner_in, done;
	uint64_t owner_us[64], fifo_us[64];
	int fifo_err;
	struct errlog *err;
};

static void fifo_touch(struct fifo_ctx *c, int r, const char *who)
{
	char *buf = malloc(ps), msg[400];

	if (!buf)
		return;
	memcpy(buf, c->t->map + r * ps, ps);
	if (check_page(buf, c->t->id, r, 1, msg, sizeof(msg)))
		errlog_add(c->err, "%s: %s", who, msg);
	free(buf);
}

static void *fifo_owner_fn(void *arg)
{
	struct fifo_ctx *c = arg;
	int r;

	if (pin_cpu(c->cpu))
		errlog_add(c->err, "owner: cannot pin to CPU %d", c->cpu);
	for (r = 0; r < c->rounds; r++) {
		uint64_t t0;

		sem_wait(&c->go_owner);
		sem_post(&c->owner_in);
		t0 = now_us();
		fifo_touch(c, r, "owner");
		c->owner_us[r] = now_us() - t0;
		sem_post(&c->done);
	}
	return NULL;
}

static void *fifo_rt_fn(void *arg)
{
	struct fifo_ctx *c = arg;
	struct sched_param sp = { .sched_priority = 10 };
	int r;

	if (pin_cpu(c->cpu))
		errlog_add(c->err, "fifo: cannot pin to CPU %d", c->cpu);
	c->fifo_err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	for (r = 0; r < c->rounds; r++) {
		uint64_t t0;

		sem_wait(&c->go_fifo);
		sem_wait(&c->owner_in);
		/* let the owner claim the entry and enter its delay */
		sleep_us(c->delay / 4);
		t0 = now_us();
		fifo_touch(c, r, "fifo");
		c->fifo_us[r] = now_us() - t0;
		sem_post(&c->done);
	}
	return NULL;
}

TEST_F_TIMEOUT(ss, fifo_vs_preempted_owner, 300)
{
	struct env *e = &self->e;
	const int rounds = 16;
	const long bound_us = 250000;	/* per round, beyond the delay */
	long delay = race_delay_us(20000);
	struct errlog *err = errlog_new();
	struct fifo_ctx *c = calloc(1, sizeof(*c));
	uint64_t worst = 0, waited = 0;
	pthread_t ot, ft;
	struct vmsnap v0, v1;
	struct tfile t;
	int r;

	ASSERT_NE(NULL, err);
	ASSERT_NE(NULL, c);
	ASSERT_OK(prep_memfd(e, &t, "fifo", rounds, 36, 1));
	c->t = &t;
	c->cpu = last_cpu();
	c->rounds = rounds;
	c->delay = delay;
	c->err = err;
	sem_init(&c->go_owner, 0, 0);
	sem_init(&c->go_fifo, 0, 0);
	sem_init(&c->owner_in, 0, 0);
	sem_init(&c->done, 0, 0);
	ASSERT_OK(set_delay_us(delay));
	vm_snap(&v0);
	ASSERT_EQ(0, pthread_create(&ot, NULL, fifo_owner_fn, c));
	ASSERT_EQ(0, pthread_create(&ft, NULL, fifo_rt_fn, c));
	for (r = 0; r < rounds; r++) {
		uint64_t t0 = now_us(), el;

		sem_post(&c->go_fifo);
		sem_post(&c->go_owner);
		sem_wait(&c->done);
		sem_wait(&c->done);
		el = now_us() - t0;
		if (el > worst)
			worst = el;
		if (c->fifo_us[r] >= (uint64_t)delay / 2)
			waited++;
	}
	pthread_join(ot, NULL);
	pthread_join(ft, NULL);
	set_delay_us(0);
	vm_snap(&v1);
	vm_print("fifo vs owner", &v0, &v1);
	if (c->fifo_err == EPERM) {
		tf_close(&t);
		SKIP(return, "SCHED_FIFO not permitted");
	}
	ASSERT_EQ(0, c->fifo_err) TH_LOG("pthread_setschedparam(SCHED_FIFO): %s",
					 strerror(c->fifo_err));
	for (r = 0; r < rounds; r++)
		diag("round %2d: owner %6llu us, fifo %6llu us", r,
		     (unsigned long long)c->owner_us[r],
		     (unsigned long long)c->fifo_us[r]);
	diag("CPU %d, delay %ld us, worst round %llu us, fifo waited ~delay in %llu of %d rounds",
	     c->cpu, delay, (unsigned long long)worst,
	     (unsigned long long)waited, rounds);
	ASSERT_NO_ERRORS(err, "fifo/owner");
	EXPECT_LE(worst, (uint64_t)(delay + bound_us))
		TH_LOG("a round took %llu us: the SCHED_FIFO waiter kept the owner off its CPU",
		       (unsigned long long)worst);
	EXPECT_VM_GT(&v0, &v1, V_WAIT, 0);
	EXPECT_VM_GT(&v0, &v1, V_BYPASS, 0);
	EXPECT_PAGES("pages installed", vm_installs(&v0, &v1), rounds);
	EXPECT_NO_FALLBACK(&v0, &v1);
	tf_close(&t);
	free(c);
	errlog_free(err);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */
/* The owner is SIGKILLed while it holds the marker. */

TEST_F_TIMEOUT(ss, owner_killed, 300)
{
	struct env *e = &self->e;
	const size_t n = 8;
	long delay = race_delay_us(50000);
	char *buf = malloc(ps), msg[400];
	struct vmsnap v0, v1;
	struct tfile t;
	size_t i;

	ASSERT_NE(NULL, buf);
	ASSERT_OK(prep_memfd(e, &t, "killed", n, 37, 1));
	ASSERT_OK(set_delay_us(delay));
	vm_snap(&v0);
	for (i = 0; i < n; i++) {
		int pfd[2], status;
		char c;
		pid_t pid;

		ASSERT_EQ(0, pipe(pfd));
		fflush(NULL);
		pid = fork();
		ASSERT_GE(pid, 0);
		if (!pid) {
			close(pfd[0]);
			if (write(pfd[1], "x", 1) != 1)
				_exit(1);
			(void)*(volatile char *)(t.map + i * ps);
			_exit(0);
		}
		close(pfd[1]);
		ASSERT_EQ(1, read(pfd[0], &c, 1));
		close(pfd[0]);
		sleep_us(delay / 5);
		kill(pid, SIGKILL);
		/* meets the dying owner's marker, or finds the page */
		memcpy(buf, t.map + i * ps, ps);
		EXPECT_EQ(0, check_page(buf, t.id, i, 1, msg, sizeof(msg)))
			TH_LOG("%s", msg);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
	}
	set_delay_us(0);
	vm_snap(&v1);
	vm_print("killed owners", &v0, &v1);
	ASSERT_EQ(0, tf_verify(&t, 0, n, VIA_PREAD, "after killing owners"));
	EXPECT_PAGES("pages installed", vm_installs(&v0, &v1), n);
	EXPECT_PAGES("pages read from swap", vm_reads(&v0, &v1), n);
	EXPECT_VM_GT(&v0, &v1, V_BYPASS, 0);
	EXPECT_VM_GT(&v0, &v1, V_WAIT, 0);
	EXPECT_NO_FALLBACK(&v0, &v1);
	tf_close(&t);
	free(buf);
	CHECK_BACK(e);
}

TEST_HARNESS_MAIN
