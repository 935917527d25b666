/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixture and race helpers for the shmem swapin selftests.  Include once
 * per test binary (it includes kselftest_harness.h).
 */
#ifndef SWAPIN_TEST_H
#define SWAPIN_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "swapin_util.h"
#include "swapin_vmstat.h"
#include "swapin_cgroup.h"
#include "swapin_files.h"
#include "swapin_env.h"
#include "swapin_fault.h"

/* counters may see a few pages of unrelated background swap activity */
#define SLACK 4

/* every scenario runs in a fresh cgroup with a fresh baseline */
FIXTURE(ss) {
	struct env e;
};

FIXTURE_SETUP(ss)
{
	int r = env_setup(&self->e, _metadata->name);

	ASSERT_EQ(0, r) TH_LOG("setup: %s", self->e.err);
}

FIXTURE_TEARDOWN(ss)
{
	env_teardown(&self->e);
}

/* ASSERT that a helper returning 0 / -errno / -1 succeeded */
#define ASSERT_OK(expr) do {						\
	int __r = (expr);						\
	ASSERT_EQ(0, __r) TH_LOG("%s failed: %d (%s)", #expr, __r,	\
		__r < -1 ? strerror(-__r) : "see diagnostics above");	\
} while (0)

#define EXPECT_OK(expr) do {						\
	int __r = (expr);						\
	EXPECT_EQ(0, __r) TH_LOG("%s failed: %d (%s)", #expr, __r,	\
		__r < -1 ? strerror(-__r) : "see diagnostics above");	\
} while (0)

/* the counter delta of @idx between snapshots a and b is > min */
#define EXPECT_VM_GT(a, b, idx, min)					\
	EXPECT_GT(vm_d(a, b, idx), (long long)(min))			\
		TH_LOG("/proc/vmstat %s went up by %lld, expected more than %lld",\
		       vm_names[idx], vm_d(a, b, idx), (long long)(min))

#define EXPECT_VM_GT_MSG(a, b, idx, min, why)				\
	EXPECT_GT(vm_d(a, b, idx), (long long)(min))			\
		TH_LOG("/proc/vmstat %s went up by %lld, expected more than %lld: %s",\
		       vm_names[idx], vm_d(a, b, idx), (long long)(min), why)

/*
 * Where only shmem swapins race (no readahead, MADV_WILLNEED, zswap
 * writeback), a racer must wait on the marker: a fallback means it took the
 * swap cache path, which polls SWAP_HAS_CACHE with one-tick sleeps.
 */
#define EXPECT_NO_FALLBACK(a, b)					\
	EXPECT_EQ(0, vm_d(a, b, V_FALLBACK))				\
		TH_LOG("shmem_swapin_fallback went up by %lld: racing swapins took the swap cache path instead of waiting on the marker",\
		       vm_d(a, b, V_FALLBACK))

/* want <= got <= want + SLACK */
#define EXPECT_PAGES(what, got, want) do {				\
	long long __g = (got), __w = (want);				\
	EXPECT_TRUE(__g >= __w && __g <= __w + SLACK)			\
		TH_LOG("%s: %lld, expected %lld (up to +%d for background activity)",\
		       what, __g, __w, SLACK);				\
} while (0)

/* all accounting back at baseline, kernel log clean */
#define CHECK_BACK(env) do {						\
	int __f = env_check_back(env);					\
	EXPECT_EQ(0, __f) TH_LOG("%d accounting / kernel log check(s) failed, see the diagnostics above", __f);\
} while (0)

#define ASSERT_NO_ERRORS(log, what) do {				\
	int __n = errlog_report(log, what);				\
	ASSERT_EQ(0, __n) TH_LOG("%s: %d data/observation error(s), listed above", what, __n);\
} while (0)

/* wait until memory.stat shmem of @c equals @want (stats flush lazily) */
static inline long long cg_wait_shmem(struct cg *c, long long want)
{
	uint64_t end = now_us() + 6000000;
	long long v;

	do {
		v = cg_keyed(c, "memory.stat", "shmem");
		if (v == want)
			break;
		usleep(200000);
	} while (now_us() < end);
	return v;
}

/* ------------------------------------------------------------------ */
/* Reading a page while others race on it */

enum { M_FAULT, M_PREAD, M_SPLICE };
static const char *const m_name[] __attribute__((unused)) = {
	"fault", "pread", "splice"
};

#define R_EOF	(-2)	/* short read at EOF or SIGBUS beyond EOF */
#define R_ERR	(-3)	/* syscall failed */

struct rbuf {
	char *buf;
	int pipefd[2];
};

static inline int rbuf_init(struct rbuf *rb)
{
	rb->buf = malloc(ps);
	rb->pipefd[0] = rb->pipefd[1] = -1;
	if (!rb->buf || pipe(rb->pipefd))
		return -1;
	return 0;
}

static inline void rbuf_free(struct rbuf *rb)
{
	free(rb->buf);
	if (rb->pipefd[0] >= 0) {
		close(rb->pipefd[0]);
		close(rb->pipefd[1]);
	}
}

/* what read_page() returned, in words */
static inline const char *gen_str(int g, char *buf, size_t len)
{
	if (g == R_EOF)
		snprintf(buf, len, "EOF/SIGBUS");
	else if (g == R_ERR)
		snprintf(buf, len, "a failed read");
	else if (g < 0)
		snprintf(buf, len, "a page that is not this file's");
	else if (g == 0)
		snprintf(buf, len, "zeros");
	else
		snprintf(buf, len, "gen %d", g);
	return buf;
}

/*
 * Read page @idx of @t by @how (fault via @map, pread or splice via @fd)
 * and classify it: returns its generation (0 = zeros), -1 if the content
 * is not a consistent page of this file (msg says what it is), R_EOF,
 * or R_ERR (msg says why).
 */
static inline int read_page(struct tfile *t, int fd, char *map, size_t idx,
			    int how, struct rbuf *rb, char *msg, size_t len)
{
	ssize_t r, got;

	switch (how) {
	case M_FAULT:
		if (safe_copy_page(rb->buf, map + idx * ps))
			return R_EOF;
		break;
	case M_PREAD:
		r = pread(fd, rb->buf, ps, idx * ps);
		if (r == 0)
			return R_EOF;
		if (r != (ssize_t)ps) {
			snprintf(msg, len, "page %zu: pread returned %zd: %s",
				 idx, r, r < 0 ? strerror(errno) : "short");
			return R_ERR;
		}
		break;
	case M_SPLICE: {
		loff_t off = idx * ps;

		r = splice(fd, &off, rb->pipefd[1], NULL, ps, 0);
		if (r == 0)
			return R_EOF;
		if (r != (ssize_t)ps) {
			snprintf(msg, len, "page %zu: splice returned %zd: %s",
				 idx, r, r < 0 ? strerror(errno) : "short");
			if (r > 0) {	/* drain the pipe */
				got = read(rb->pipefd[0], rb->buf, r);
				(void)got;
			}
			return R_ERR;
		}
		for (got = 0; got < (ssize_t)ps; got += r) {
			r = read(rb->pipefd[0], rb->buf + got, ps - got);
			if (r <= 0) {
				snprintf(msg, len, "page %zu: read from splice pipe: %s",
					 idx, r < 0 ? strerror(errno) : "EOF");
				return R_ERR;
			}
		}
		break;
	}
	}
	return page_gen(rb->buf, t->id, idx, msg, len);
}

/*
 * A thread sweeping pages [first, first+n) in order, reading each with
 * @how and checking it holds t->gen[idx].  Publishes the page it is on in
 * *cur (if set) and whether it is inside the access in *busy.
 */
struct sweep {
	struct tfile *t;
	int fd;			/* fd for pread/splice (t->fd if < 0) */
	char *map;		/* mapping for faults (t->map if NULL) */
	size_t first, n;
	int step;		/* +1 ascending, -1 descending, k: every k-th */
	int how;
	long start_delay_us;	/* sleep after the barrier */
	const unsigned char *skip;	/* skip pages with skip[idx] != 0 */
	pthread_barrier_t *bar;
	struct errlog *err;
	const char *name;
	volatile long cur;
	volatile int busy;
	volatile int done;
	pthread_t tid;
};

static inline void *sweep_fn(void *arg)
{
	struct sweep *s = arg;
	int fd = s->fd >= 0 ? s->fd : s->t->fd;
	char *map = s->map ? s->map : s->t->map;
	struct rbuf rb;
	char msg[400];
	long i, idx;
	int step = s->step ? s->step : 1;

	if (rbuf_init(&rb)) {
		errlog_add(s->err, "%s: out of memory", s->name);
		s->done = 1;
		return NULL;
	}
	if (s->bar)
		pthread_barrier_wait(s->bar);
	if (s->start_delay_us)
		sleep_us(s->start_delay_us);
	for (i = 0; i < (long)s->n; i += step > 0 ? step : -step) {
		int g;

		idx = step > 0 ? (long)s->first + i :
				 (long)(s->first + s->n - 1) - i;
		if (s->skip && s->skip[idx])
			continue;
		s->cur = idx;
		s->busy = 1;
		g = read_page(s->t, fd, map, idx, s->how, &rb, msg, sizeof(msg));
		s->busy = 0;
		if (g == R_ERR || g == -1)
			errlog_add(s->err, "%s (%s): %s", s->name,
				   m_name[s->how], msg);
		else if (g == R_EOF)
			errlog_add(s->err, "%s (%s): page %ld: unexpected EOF/SIGBUS",
				   s->name, m_name[s->how], idx);
		else if (g != s->t->gen[idx])
			errlog_add(s->err, "%s (%s): page %ld: expected gen %u, got a complete page of gen %d (gen 0 = zeros)",
				   s->name, m_name[s->how], idx,
				   s->t->gen[idx], g);
	}
	s->cur = LONG_MAX;
	s->done = 1;
	rbuf_free(&rb);
	return NULL;
}

static inline int sweep_start(struct sweep *s)
{
	s->cur = -1;
	s->busy = 0;
	s->done = 0;
	return pthread_create(&s->tid, NULL, sweep_fn, s);
}

/* wait (politely) until *cur >= want or the sweeper is done */
static inline void wait_cur(volatile long *cur, volatile int *done, long want)
{
	while (*cur < want && !*done)
		sleep_us(100);
}

/*
 * A reader thread: one page read (pread or fault, as read_page()) with
 * its start and end times, for tests that race a reader against an owner
 * held by the debug delay.
 */
struct reader {
	struct tfile *t;
	size_t idx;
	int how;
	uint64_t t_start, t_end;
	int gen;		/* page_gen() result, R_EOF or R_ERR */
	char msg[400];
	pthread_t tid;
};

static inline void *reader_fn(void *arg)
{
	struct reader *r = arg;
	struct rbuf rb;

	if (rbuf_init(&rb)) {
		r->gen = R_ERR;
		snprintf(r->msg, sizeof(r->msg), "out of memory");
		return NULL;
	}
	r->t_start = now_us();
	r->gen = read_page(r->t, r->t->fd, r->t->map, r->idx, r->how, &rb,
			   r->msg, sizeof(r->msg));
	r->t_end = now_us();
	rbuf_free(&rb);
	return NULL;
}

/* the errno a reader's failed read reported, from its message */
static inline bool msg_says(const char *msg, int err)
{
	return strstr(msg, strerror(err)) != NULL;
}

/*
 * A pread() of page @idx of @t as read_page() does it, by the calling thread,
 * marked for fault injection (swapin_fault.h) while it reads if @inject:
 * returns the generation read, R_EOF or R_ERR, with the error in @msg.
 */
static inline int read_page_marked(struct tfile *t, size_t idx, bool inject,
				   char *msg, size_t len)
{
	struct rbuf rb;
	int gen;

	if (rbuf_init(&rb)) {
		snprintf(msg, len, "out of memory");
		return R_ERR;
	}
	if (inject && fault_this_thread(true)) {
		snprintf(msg, len, "cannot mark the thread for fault injection");
		rbuf_free(&rb);
		return R_ERR;
	}
	gen = read_page(t, t->fd, NULL, idx, M_PREAD, &rb, msg, len);
	if (inject)
		fault_this_thread(false);
	rbuf_free(&rb);
	return gen;
}

static inline int reader_start(struct reader *r, struct tfile *t, size_t idx,
			       int how)
{
	memset(r, 0, sizeof(*r));
	r->t = t;
	r->idx = idx;
	r->how = how;
	return pthread_create(&r->tid, NULL, reader_fn, r);
}

/* wait until /proc/vmstat counter @idx is above @base; false on timeout */
static inline bool vm_wait_above(int idx, long long base, long timeout_us)
{
	uint64_t end = now_us() + timeout_us;
	struct vmsnap s;

	do {
		vm_snap(&s);
		if (s.v[idx] > base)
			return true;
		usleep(2000);
	} while (now_us() < end);
	return false;
}

#endif
