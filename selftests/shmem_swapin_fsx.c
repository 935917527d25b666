// SPDX-License-Identifier: GPL-2.0
/*
 * shmem_swapin_fsx: a randomized data checker for tmpfs and memfd files
 * whose pages keep going to swap and coming back, in the spirit of
 * xfstests' fsx.  Run by `make stress` in the test guest (zram swap, the
 * caller's cgroup with memory.high below the data size), or anywhere for
 * the logic of the checker itself.
 *
 * Files: tmpfs files in -d DIR, files in -H DIR (mounted huge=always by the
 * caller; their sizes are multiples of 2 MiB) and memfds, -s pages each.
 * Worker threads (-t) pick a file and an operation at random (weights, -w):
 * pread, pwrite, store through a MAP_SHARED mapping, load through it, hole
 * punch, ftruncate shrink (sometimes regrown at once) and regrow, fallocate
 * (mode 0 and KEEP_SIZE), MADV_PAGEOUT, MADV_WILLNEED, msync/fsync.
 *
 * Page contents describe themselves: word w of page idx of file fid
 * written in generation gen is fsx_word(fid, idx, gen, w).  Generations are
 * numbered per file, one per writing operation (never reused, up to 2^22-1),
 * so a page found with a generation names the operation that wrote it.
 *
 * Exact checks while threads race on the same pages:
 *   - every page of every file has a sequence count, odd while a mutation
 *     of that page is in progress, and its expected state: a generation,
 *     zeros, beyond EOF, or unknown (a write that failed half-way);
 *   - operations that change contents or size take the file's mutex, so the
 *     shadow state is exact; for each page they touch they publish the state
 *     to come ("pending") and make the count odd, do the syscall, record the
 *     new state in the page's history ring, and make the count even again;
 *   - readers (pread, loads through the mapping) take no lock: they read the
 *     counts and states, read the data, read the counts again.  A page whose
 *     count did not move and was even must match its state exactly.  A page
 *     that a mutation overlapped may hold, word by word, any of the states it
 *     went through during the read (from the history ring, plus the pending
 *     state of a mutation still in progress): old or new generation, zeros
 *     where a hole punch or truncation may expose them, EOF (short pread or
 *     SIGBUS) where a truncation took the page away.  Never a generation
 *     that page did not have, another page's or file's data, or garbage.
 *
 * On a mismatch the page, the expected state, what was found (decoded) and
 * the page's history are printed; the run goes on up to -m mismatches.  At the
 * end the paths are unlinked and every file is pushed out once more and
 * verified in full, single-threaded, through pread and through the mapping.
 *
 * Every 10 s and at the end a line gives the operations done, ops/minute, per
 * operation counts, mismatches, unexpected syscall failures, tolerated
 * failures (ENOMEM/ENOSPC of pwrite/fallocate; SIGBUS faulting a hole in on
 * a full tmpfs), pages checked while a mutation overlapped ("racing"), pages
 * left unchecked ("unverified": a failed write left them unknown, or more
 * mutations overlapped than the history ring holds), words accepted as torn
 * byte-wise between two allowed states, pages beyond EOF that read as zeros
 * through a PMD mapping of a huge file crossing EOF ("eof_zero", instead of
 * SIGBUS), and the /proc/vmstat deltas of the feature and of pswpin/pswpout.
 * The last line is
 *   fsx: <ops> ops in <secs> s (<ops/min> ops/min), <mismatches> mismatches, seed <seed>
 * and the exit status is 1 after a mismatch or an unexpected failure.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

#include "swapin_util.h"
#include "swapin_vmstat.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC	0x0001U
#endif

#define HIST		8	/* committed states remembered per page */
#define TOUCH		4	/* content-preserving ops remembered per page */
#define MAXRANGE	512	/* pages per operation at most */
#define HUGE_PAGES	512	/* 4 KiB pages per 2 MiB folio */
#define HUGE_SIZE	(2UL << 20)
#define MAX_FILES	64	/* 6 bits of file id in a word */
#define MAX_THREADS	64
#define MAX_PAGES	(1UL << 23)	/* 23 bits of page index */
#define GEN_MAX		((1U << 22) - 1)	/* 22 bits of generation */
#define W_MAGIC		0xbULL
#define PROGRESS_S	10
#define GENLOG		4096	/* writes remembered per file */

/* expected state of a page: a generation 1..GEN_MAX or one of these */
#define ST_ZERO		0U
#define ST_UNKNOWN	0x7ffffffeU	/* write failed part-way: unchecked */
#define ST_EOF		0x7fffffffU
#define ST_MASK		0x7fffffffU
#define ST_TZERO	0x80000000U	/* zeros may show while it is set up */

#define LD(x)		__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STO(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define RLD(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define INC(x)		__atomic_add_fetch(&(x), 1, __ATOMIC_RELAXED)
#define FENCE()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

enum {
	OP_PREAD, OP_PWRITE, OP_MSTORE, OP_MLOAD, OP_PUNCH, OP_TRUNC,
	OP_FALLOC, OP_FALLOC_KEEP, OP_PAGEOUT, OP_WILLNEED, OP_SYNC,
	OP_NR,
	OP_INIT = OP_NR, OP_VERIFY, OP_NAMES
};

static const char *const op_name[OP_NAMES] = {
	[OP_PREAD] = "pread",		[OP_PWRITE] = "pwrite",
	[OP_MSTORE] = "mstore",		[OP_MLOAD] = "mload",
	[OP_PUNCH] = "punch",		[OP_TRUNC] = "trunc",
	[OP_FALLOC] = "falloc",		[OP_FALLOC_KEEP] = "falloc_keep",
	[OP_PAGEOUT] = "pageout",	[OP_WILLNEED] = "willneed",
	[OP_SYNC] = "sync",		[OP_INIT] = "init",
	[OP_VERIFY] = "verify",
};

static unsigned int weight[OP_NR] = {
	[OP_PREAD] = 16,	[OP_PWRITE] = 14,	[OP_MSTORE] = 12,
	[OP_MLOAD] = 16,	[OP_PUNCH] = 5,		[OP_TRUNC] = 4,
	[OP_FALLOC] = 3,	[OP_FALLOC_KEEP] = 3,	[OP_PAGEOUT] = 14,
	[OP_WILLNEED] = 8,	[OP_SYNC] = 2,
};

enum { FK_TMPFS, FK_HUGE, FK_MEMFD };
static const char *const kind_name[] = { "tmpfs", "huge", "memfd" };

enum { HOW_PREAD, HOW_MAP };

/* what the history ring says about one committed state (under f->lock) */
struct hinfo {
	uint64_t opno;
	uint32_t seq;
	uint32_t state;		/* with ST_TZERO */
	uint8_t op;
	uint8_t tid;
};

struct fpage {
	uint32_t seq;		/* odd while a mutation is in progress */
	uint32_t state;		/* committed state */
	uint32_t pending;	/* state the mutation in progress sets up */
	uint32_t ntouch;
	uint64_t hist[HIST];	/* seq << 32 | state, slot (seq / 2) % HIST */
	uint64_t touch[TOUCH];	/* opno << 16 | op << 8 | tid */
	struct hinfo info[HIST];
};

struct ffile {
	unsigned int id;
	int kind;
	int fd;
	char path[PATH_MAX];	/* "" for a memfd */
	char *map;		/* MAP_SHARED, maxpages long */
	size_t maxpages, minpages;
	bool eof_lenient;	/* PMD mappings may cross EOF (zeros) */
	pthread_mutex_t lock;	/* serialises mutations */
	size_t size;		/* in pages; written under lock */
	uint32_t gen;		/* last generation, under lock */
	struct fpage *pg;
	/* who wrote generation g: gen << 32 | first, opno << 24 | n << 12 | op << 8 | tid */
	uint64_t genlog[GENLOG][2];
};

struct thr {
	int tid;
	pthread_t th;
	uint64_t rng;
	uint64_t opno;
	int op;
	long res;
	uint64_t digest;
	uint64_t cnt[OP_NR];
	uint64_t *buf;		/* MAXRANGE pages */
	uint32_t *sa, *sst, *sb;	/* MAXRANGE seqs/states */
};

static struct ffile files[MAX_FILES];
static int nfiles = 4;
static struct thr *thrs;
static int nthreads = 4;
static size_t nw;		/* words per page */
static uint64_t seed;
static uint64_t max_ops;
static double duration = -1;
static long mm_limit = 10;
static bool verbose;
static const char *opt_dir = "/tmp", *opt_huge, *opt_cg;
static size_t opt_pages = 512;

static int stop, running;
static uint64_t next_op, ops_done;
static long mismatches, failures, tolerated, unverified, racing, torn_words,
	    eof_zero, gen_wraps;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t t0_us;

/* volatile: the stores around the access must not be elided or moved */
static __thread sigjmp_buf *volatile bus_jb;
static __thread volatile int bus_code;

/* ------------------------------------------------------------------ */

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&out_lock);
}

static void fail(struct thr *t, struct ffile *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(struct thr *t, struct ffile *f, const char *fmt, ...)
{
	long n = INC(failures);
	char buf[512];
	va_list ap;

	if (n > 1000)
		STO(stop, 1);
	if (n > 20)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	out("fsx: FAILURE op %llu t%d %s file %u: %s\n",
	    (unsigned long long)t->opno, t->tid, op_name[t->op], f->id, buf);
}

static double elapsed(void)
{
	return (now_us() - t0_us) / 1e6;
}

/* ------------------------------------------------------------------ */
/* PRNG: splitmix64 to seed, xorshift64* per thread */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(struct thr *t)
{
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 0x2545f4914f6cdd1dULL;
}

static uint64_t rnd_below(struct thr *t, uint64_t n)
{
	return n ? rnd(t) % n : 0;
}

static void digest_add(struct thr *t, uint64_t v)
{
	t->digest = (t->digest ^ v) * 0x100000001b3ULL;
}

/* ------------------------------------------------------------------ */
/* page contents */

static inline uint64_t fsx_word(unsigned int fid, size_t idx, uint32_t gen,
				size_t w)
{
	return W_MAGIC << 60 | (uint64_t)(fid & 0x3f) << 54 |
	       (uint64_t)(gen & GEN_MAX) << 32 |
	       (uint64_t)(idx & (MAX_PAGES - 1)) << 9 | (w & 0x1ff);
}

static inline uint64_t st_word(unsigned int fid, size_t idx, uint32_t st,
			       size_t w)
{
	return st == ST_ZERO ? 0 : fsx_word(fid, idx, st, w);
}

static void fsx_fill(uint64_t *buf, unsigned int fid, size_t first,
		       size_t n, uint32_t gen)
{
	size_t i, w;

	for (i = 0; i < n; i++)
		for (w = 0; w < nw; w++)
			buf[i * nw + w] = fsx_word(fid, first + i, gen, w);
}

static void word_str(uint64_t v, char *buf, size_t len)
{
	if (!v)
		snprintf(buf, len, "0 (zero)");
	else if (v >> 60 != W_MAGIC)
		snprintf(buf, len, "0x%016llx (not a pattern word)",
			 (unsigned long long)v);
	else
		snprintf(buf, len, "0x%016llx (file %u page %llu gen %u word %u)",
			 (unsigned long long)v, (unsigned int)(v >> 54) & 0x3f,
			 (unsigned long long)(v >> 9) & (MAX_PAGES - 1),
			 (unsigned int)(v >> 32) & GEN_MAX,
			 (unsigned int)v & 0x1ff);
}

static const char *st_str(uint32_t st, char *buf, size_t len)
{
	st &= ST_MASK;
	if (st == ST_ZERO)
		return "zeros";
	if (st == ST_EOF)
		return "EOF";
	if (st == ST_UNKNOWN)
		return "unknown";
	snprintf(buf, len, "gen %u", st);
	return buf;
}

/* a summary of what a page read back holds */
static void page_summary(const struct ffile *f, size_t idx, const uint64_t *w,
			 size_t got, char *buf, size_t len)
{
	struct { uint32_t gen; size_t cnt; } g[4];
	size_t zero = 0, foreign = 0, garbage = 0, misplaced = 0, moregen = 0;
	size_t i, pos = 0;
	ssize_t first_odd = -1;
	int ng = 0, k;
	char ws[96];

	for (i = 0; i < got; i++) {
		uint64_t v = w[i];
		uint32_t gen = (v >> 32) & GEN_MAX;

		if (!v) {
			zero++;
			continue;
		}
		if (v >> 60 != W_MAGIC) {
			garbage++;
		} else if (((v >> 54) & 0x3f) != (f->id & 0x3f) ||
			   ((v >> 9) & (MAX_PAGES - 1)) != idx) {
			foreign++;
		} else if ((v & 0x1ff) != (i & 0x1ff)) {
			misplaced++;
		} else {
			for (k = 0; k < ng; k++)
				if (g[k].gen == gen)
					break;
			if (k == ng && ng < 4) {
				g[ng].gen = gen;
				g[ng++].cnt = 0;
			}
			if (k < ng)
				g[k].cnt++;
			else
				moregen++;
			continue;
		}
		if (first_odd < 0)
			first_odd = i;
	}
#define P(...) (pos += snprintf(buf + pos, pos < len ? len - pos : 0, __VA_ARGS__))
	if (!got)
		P("nothing (EOF/SIGBUS)");
	else if (zero == got && got == nw)
		P("all zeros");
	else if (ng == 1 && g[0].cnt == nw)
		P("a complete copy of this page, gen %u", g[0].gen);
	else if (foreign == got)
		P("another page's data");
	else
		P("torn/mixed content");
	P(": %zu words read%s", got, got < nw ? ", then EOF/SIGBUS" : "");
	for (k = 0; k < ng; k++)
		P(", %zu x gen %u", g[k].cnt, g[k].gen);
	if (moregen)
		P(", %zu x other gens", moregen);
	if (zero)
		P(", %zu zero", zero);
	if (foreign)
		P(", %zu of other pages/files", foreign);
	if (misplaced)
		P(", %zu at the wrong word", misplaced);
	if (garbage)
		P(", %zu garbage", garbage);
	if (first_odd >= 0) {
		word_str(w[first_odd], ws, sizeof(ws));
		P("; first odd word %zd: %s", first_odd, ws);
	}
#undef P
}

/* ------------------------------------------------------------------ */
/* SIGBUS-safe accesses to the mappings */

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	if (!bus_jb) {
		signal(SIGBUS, SIG_DFL);
		return;		/* the access faults again, fatally */
	}
	bus_code = si->si_code;
	siglongjmp(*bus_jb, 1);
}

/* copy a page out of a mapping; returns the words copied before a SIGBUS */
static size_t load_page(uint64_t *dst, const uint64_t *src)
{
	sigjmp_buf jb;
	volatile size_t i = 0;

	if (sigsetjmp(jb, 0)) {
		bus_jb = NULL;
		return i;
	}
	bus_jb = &jb;
	for (; i < nw; i++)
		dst[i] = *(const volatile uint64_t *)&src[i];
	bus_jb = NULL;
	return nw;
}

/* write a page through a mapping; returns the words stored before a SIGBUS */
static size_t store_page(uint64_t *dst, unsigned int fid, size_t idx,
			 uint32_t gen)
{
	sigjmp_buf jb;
	volatile size_t i = 0;

	if (sigsetjmp(jb, 0)) {
		bus_jb = NULL;
		return i;
	}
	bus_jb = &jb;
	for (; i < nw; i++)
		*(volatile uint64_t *)&dst[i] = fsx_word(fid, idx, gen, i);
	bus_jb = NULL;
	return nw;
}

/* ------------------------------------------------------------------ */
/* shadow state: mutations (under f->lock) */

static void mut_begin(struct ffile *f, size_t first, size_t n, uint32_t st)
{
	size_t i;

	for (i = first; i < first + n; i++) {
		struct fpage *p = &f->pg[i];

		STO(p->pending, st);
		STO(p->seq, p->seq + 1);
	}
	FENCE();
}

static void mut_commit(struct thr *t, struct ffile *f, size_t idx, uint32_t st)
{
	struct fpage *p = &f->pg[idx];
	uint32_t s = p->seq + 1;
	unsigned int slot = (s / 2) % HIST;

	FENCE();
	STO(p->state, st & ST_MASK);
	STO(p->hist[slot], (uint64_t)s << 32 | st);
	p->info[slot] = (struct hinfo){ .opno = t->opno, .seq = s, .state = st,
					.op = t->op, .tid = t->tid };
	STO(p->seq, s);
}

/* commit the page's current state again (the syscall did not change it) */
static void mut_keep(struct thr *t, struct ffile *f, size_t idx)
{
	mut_commit(t, f, idx, f->pg[idx].state);
}

static void touch(struct thr *t, struct ffile *f, size_t first, size_t n)
{
	size_t i;

	for (i = first; i < first + n; i++) {
		struct fpage *p = &f->pg[i];
		uint32_t k = __atomic_fetch_add(&p->ntouch, 1, __ATOMIC_RELAXED);

		__atomic_store_n(&p->touch[k % TOUCH],
				 t->opno << 16 | t->op << 8 | (t->tid & 0xff),
				 __ATOMIC_RELAXED);
	}
}

static uint32_t next_gen(struct thr *t, struct ffile *f, size_t first,
			 size_t n)
{
	uint64_t *e;

	if (++f->gen > GEN_MAX) {
		f->gen = 1;
		INC(gen_wraps);
	}
	e = f->genlog[f->gen % GENLOG];
	__atomic_store_n(&e[0], (uint64_t)f->gen << 32 | (uint32_t)first,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&e[1], t->opno << 24 | (n & 0xfff) << 12 |
			 (t->op & 0xf) << 8 | (t->tid & 0xff), __ATOMIC_RELAXED);
	return f->gen;
}

/* which operation wrote the data of a pattern word (racy: diagnostics) */
static void gen_origin(uint64_t v, char *buf, size_t len)
{
	unsigned int fid = (v >> 54) & 0x3f;
	uint32_t gen = (v >> 32) & GEN_MAX;
	uint64_t e0, e1;

	if (!v || v >> 60 != W_MAGIC || fid >= (unsigned int)nfiles) {
		snprintf(buf, len, "not data of any file of this run");
		return;
	}
	e0 = __atomic_load_n(&files[fid].genlog[gen % GENLOG][0],
			     __ATOMIC_RELAXED);
	e1 = __atomic_load_n(&files[fid].genlog[gen % GENLOG][1],
			     __ATOMIC_RELAXED);
	if (gen == 1)
		snprintf(buf, len, "file %u gen 1 is the initial contents", fid);
	else if (e0 >> 32 != gen)
		snprintf(buf, len, "file %u gen %u: not among its last %d writes",
			 fid, gen, GENLOG);
	else
		snprintf(buf, len, "file %u gen %u was written by op %llu t%d %s [%u,+%u)",
			 fid, gen, (unsigned long long)(e1 >> 24),
			 (int)(e1 & 0xff), op_name[(e1 >> 8) & 0xf],
			 (uint32_t)e0, (unsigned int)(e1 >> 12) & 0xfff);
}

/* ------------------------------------------------------------------ */
/* shadow state: readers */

/* the states a page may show between seq counts a and b */
struct aset {
	uint32_t st[HIST + 2];
	int n;
	bool zeros, eof, unknown;
};

static void aset_add(struct aset *s, uint32_t v, bool inside)
{
	uint32_t st = v & ST_MASK;
	int k;

	if (inside && (v & ST_TZERO))
		s->zeros = true;
	if (st == ST_ZERO) {
		s->zeros = true;
	} else if (st == ST_EOF) {
		s->eof = true;
	} else if (st == ST_UNKNOWN) {
		s->unknown = true;
	} else {
		for (k = 0; k < s->n; k++)
			if (s->st[k] == st)
				return;
		s->st[s->n++] = st;
	}
}

/* -1 if the history ring no longer covers [a, b] */
static int aset_build(struct fpage *p, uint32_t a, uint32_t b, struct aset *s)
{
	uint32_t lo = a & ~1U, hi = b & ~1U, q, c;
	uint64_t h;

	memset(s, 0, sizeof(*s));
	if (hi < lo || (hi - lo) / 2 + 1 > HIST)
		return -1;
	for (q = lo; q <= hi; q += 2) {
		h = LD(p->hist[(q / 2) % HIST]);
		if ((uint32_t)(h >> 32) != q)
			return -1;
		aset_add(s, (uint32_t)h, q > lo);
	}
	if (b & 1) {
		uint32_t pend = LD(p->pending);

		c = LD(p->seq);
		if (c == b) {
			aset_add(s, pend, true);
		} else {
			h = LD(p->hist[((b + 1) / 2) % HIST]);
			if ((uint32_t)(h >> 32) != b + 1)
				return -1;
			aset_add(s, (uint32_t)h, true);
		}
	}
	return 0;
}

static bool word_ok(const struct aset *s, const struct ffile *f, size_t idx,
		    size_t w, uint64_t v)
{
	int k;

	if (!v)
		return s->zeros;
	for (k = 0; k < s->n; k++)
		if (v == fsx_word(f->id, idx, s->st[k], w))
			return true;
	return false;
}

/* a word torn between allowed words by a byte-wise kernel copy */
static bool word_torn_ok(const struct aset *s, const struct ffile *f,
			 size_t idx, size_t w, uint64_t v)
{
	int b, k;

	for (b = 0; b < 64; b += 8) {
		uint64_t x = (v >> b) & 0xff;
		bool ok = s->zeros && !x;

		for (k = 0; k < s->n && !ok; k++)
			ok = ((fsx_word(f->id, idx, s->st[k], w) >> b) & 0xff) == x;
		if (!ok)
			return false;
	}
	return true;
}

static void print_history(struct ffile *f, size_t idx)
{
	struct fpage *p = &f->pg[idx];
	uint32_t s = LD(p->seq) & ~1U, q, n;
	char b1[32];
	int k;

	printf("  history of file %u page %zu (now seq %u, %s, file size %zu pages):\n",
	       f->id, idx, LD(p->seq), st_str(LD(p->state), b1, sizeof(b1)),
	       LD(f->size));
	for (k = HIST - 1; k >= 0; k--) {
		struct hinfo *hi;

		if ((uint32_t)k * 2 > s)
			continue;
		q = s - k * 2;
		hi = &p->info[(q / 2) % HIST];
		if (hi->seq != q)
			continue;
		if (hi->op == OP_INIT) {
			printf("    seq %u: setup -> %s\n", q,
			       st_str(hi->state, b1, sizeof(b1)));
			continue;
		}
		printf("    seq %u: op %llu t%d %s -> %s%s\n", q,
		       (unsigned long long)hi->opno, hi->tid, op_name[hi->op],
		       st_str(hi->state, b1, sizeof(b1)),
		       hi->state & ST_TZERO ? " (zeros possible meanwhile)" : "");
	}
	n = LD(p->ntouch);
	for (q = n > TOUCH ? n - TOUCH : 0; q < n; q++) {
		uint64_t v = LD(p->touch[q % TOUCH]);

		printf("    recent: op %llu t%d %s (contents unchanged)\n",
		       (unsigned long long)(v >> 16), (int)(v & 0xff),
		       op_name[(v >> 8) & 0xff]);
	}
}

static void report(struct thr *t, struct ffile *f, size_t first, size_t n,
		   size_t idx, const uint64_t *w, size_t got, int how,
		   uint32_t a, uint32_t b, uint32_t st, const struct aset *s,
		   ssize_t badw, const char *why)
{
	long m = INC(mismatches);
	char b1[32], ws[160], ew[96], sum[512];
	int k;

	if (m >= mm_limit)
		STO(stop, 1);
	if (m > mm_limit)
		return;
	pthread_mutex_lock(&f->lock);
	pthread_mutex_lock(&out_lock);
	printf("fsx: MISMATCH %ld: op %llu t%d %s [%zu,+%zu) of file %u: page %zu: %s\n",
	       m, (unsigned long long)t->opno, t->tid, op_name[t->op], first, n,
	       f->id, idx, why);
	printf("  file %u: %s%s%s, %zu pages max, size now %zu pages\n", f->id,
	       kind_name[f->kind], f->path[0] ? " " : "", f->path, f->maxpages,
	       LD(f->size));
	if (!s) {
		printf("  expected (no mutation overlapped, seq %u): %s\n", a,
		       st_str(st, b1, sizeof(b1)));
	} else {
		printf("  a mutation overlapped (seq %u..%u): allowed any of {", a, b);
		for (k = 0; k < s->n; k++)
			printf("%sgen %u", k ? ", " : "", s->st[k]);
		printf("%s%s%s} word by word\n", s->zeros ? ", zeros" : "",
		       s->eof ? ", EOF" : "", s->unknown ? ", unknown" : "");
	}
	page_summary(f, idx, w, got, sum, sizeof(sum));
	printf("  found via %s: %s\n", how == HOW_PREAD ? "pread" : "mapping",
	       sum);
	if (how == HOW_MAP && got < nw)
		printf("  SIGBUS si_code %d after %zu words\n", bus_code, got);
	if (badw >= 0 && (size_t)badw < got) {
		word_str(w[badw], ws, sizeof(ws));
		if (!s && st != ST_EOF && st != ST_UNKNOWN)
			word_str(st_word(f->id, idx, st, badw), ew, sizeof(ew));
		else
			snprintf(ew, sizeof(ew), "see above");
		printf("  first bad word %zd: %s, expected %s\n", badw, ws, ew);
		if (w[badw]) {
			gen_origin(w[badw], ws, sizeof(ws));
			printf("  (%s)\n", ws);
		}
	}
	print_history(f, idx);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
	pthread_mutex_unlock(&f->lock);
}

static bool tolerable(int err)
{
	return err == ENOMEM || err == ENOSPC;
}

/*
 * A fault that has to allocate a page (a load from or store to a hole) gets
 * SIGBUS when tmpfs is out of space.  Only then is it not an error.
 */
static bool fs_full(struct ffile *f)
{
	struct statfs sf;

	if (fstatfs(f->fd, &sf) || !sf.f_blocks)
		return false;
	return (uint64_t)sf.f_bavail * sf.f_bsize <= 4 * HUGE_SIZE;
}

/*
 * Check one page read back: got words of w (got < nw: EOF or SIGBUS after
 * them), seq a and state st before the read, seq b after it.
 */
static void check_read(struct thr *t, struct ffile *f, size_t first, size_t n,
		       size_t idx, const uint64_t *w, size_t got, int how,
		       uint32_t a, uint32_t st, uint32_t b)
{
	bool eof = got < nw;
	struct aset s;
	size_t i;

	if (a == b && !(a & 1)) {
		if (st == ST_UNKNOWN) {
			INC(unverified);
			return;
		}
		if (st == ST_EOF) {
			if (!got)
				return;
			/* zeros of a PMD mapping, maybe zapped meanwhile */
			if (how == HOW_MAP && f->eof_lenient) {
				for (i = 0; i < got && !w[i]; i++)
					;
				if (i == got) {
					INC(eof_zero);
					return;
				}
			}
			report(t, f, first, n, idx, w, got, how, a, b, st, NULL,
			       0, "data beyond EOF");
			return;
		}
		for (i = 0; i < got; i++)
			if (w[i] != st_word(f->id, idx, st, i))
				break;
		if (i == got && eof && how == HOW_MAP && st == ST_ZERO &&
		    fs_full(f)) {
			INC(tolerated);
			return;
		}
		if (i < got)
			report(t, f, first, n, idx, w, got, how, a, b, st, NULL,
			       i, "wrong data");
		else if (eof)
			report(t, f, first, n, idx, w, got, how, a, b, st, NULL,
			       -1, how == HOW_PREAD ? "short read within EOF" :
			       "SIGBUS within EOF");
		return;
	}

	INC(racing);
	if (aset_build(&f->pg[idx], a, b, &s) < 0 || s.unknown) {
		INC(unverified);
		return;
	}
	if (s.eof && how == HOW_MAP && f->eof_lenient)
		s.zeros = true;
	for (i = 0; i < got; i++) {
		if (word_ok(&s, f, idx, i, w[i]))
			continue;
		if (!word_torn_ok(&s, f, idx, i, w[i]))
			break;
		INC(torn_words);
	}
	if (i < got)
		report(t, f, first, n, idx, w, got, how, a, b, 0, &s, i,
		       "data no overlapping mutation explains");
	else if (eof && !s.eof && how == HOW_MAP && s.zeros && fs_full(f))
		INC(tolerated);
	else if (eof && !s.eof)
		report(t, f, first, n, idx, w, got, how, a, b, 0, &s, -1,
		       how == HOW_PREAD ? "short read, never beyond EOF" :
		       "SIGBUS, never beyond EOF");
}

/* ------------------------------------------------------------------ */
/* operations */

static void op_pread(struct thr *t, struct ffile *f, size_t first, size_t n)
{
	struct fpage *pg = f->pg;
	size_t i, got;
	ssize_t r;

	for (i = 0; i < n; i++) {
		t->sa[i] = LD(pg[first + i].seq);
		t->sst[i] = LD(pg[first + i].state);
	}
	FENCE();
	r = pread(f->fd, t->buf, n * ps, first * ps);
	FENCE();
	for (i = 0; i < n; i++)
		t->sb[i] = LD(pg[first + i].seq);
	t->res = r;
	if (r < 0) {
		fail(t, f, "pread [%zu,+%zu): %s", first, n, strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		got = (size_t)r > i * ps ? ((size_t)r - i * ps) / 8 : 0;
		if (got > nw)
			got = nw;
		check_read(t, f, first, n, first + i, t->buf + i * nw, got,
			   HOW_PREAD, t->sa[i], t->sst[i], t->sb[i]);
	}
}

static void op_mload(struct thr *t, struct ffile *f, size_t first, size_t n)
{
	size_t i, got;
	uint32_t a, st, b;

	for (i = first; i < first + n; i++) {
		struct fpage *p = &f->pg[i];

		a = LD(p->seq);
		st = LD(p->state);
		FENCE();
		got = load_page(t->buf, (uint64_t *)(f->map + i * ps));
		FENCE();
		b = LD(p->seq);
		t->res += got < nw;
		check_read(t, f, first, n, i, t->buf, got, HOW_MAP, a, st, b);
	}
}


static void op_pwrite(struct thr *t, struct ffile *f, size_t first, size_t n)
{
	size_t size, i, full, part, done, end;
	uint32_t gen;
	ssize_t r;
	int err;

	pthread_mutex_lock(&f->lock);
	size = f->size;
	gen = next_gen(t, f, first, n);
	fsx_fill(t->buf, f->id, first, n, gen);
	if (first > size)
		mut_begin(f, size, first - size, ST_ZERO);
	mut_begin(f, first, n, gen);
	r = pwrite(f->fd, t->buf, n * ps, first * ps);
	err = errno;
	t->res = r;
	done = r > 0 ? r : 0;
	if (r < 0) {
		if (tolerable(err))
			INC(tolerated);
		else
			fail(t, f, "pwrite [%zu,+%zu): %s", first, n,
			     strerror(err));
	}
	full = done / ps;
	part = done % ps;
	end = first + full + !!part;
	if (part && ftruncate(f->fd, end * ps))
		fail(t, f, "ftruncate to %zu pages after a short write: %s",
		     end, strerror(errno));
	for (i = size; i < first; i++)
		mut_commit(t, f, i, done ? ST_ZERO : ST_EOF);
	for (i = 0; i < n; i++) {
		if (i < full)
			mut_commit(t, f, first + i, gen);
		else if (i == full && part)
			mut_commit(t, f, first + i, ST_UNKNOWN);
		else
			mut_keep(t, f, first + i);
	}
	if (done && end > size)
		STO(f->size, end);
	pthread_mutex_unlock(&f->lock);
}

static void op_mstore(struct thr *t, struct ffile *f, size_t first, size_t n)
{
	size_t i, got;
	uint32_t gen;

	pthread_mutex_lock(&f->lock);
	if (first >= f->size) {
		pthread_mutex_unlock(&f->lock);
		return;
	}
	if (n > f->size - first)
		n = f->size - first;
	gen = next_gen(t, f, first, n);
	mut_begin(f, first, n, gen);
	for (i = first; i < first + n; i++) {
		got = store_page((uint64_t *)(f->map + i * ps), f->id, i, gen);
		if (got == nw) {
			mut_commit(t, f, i, gen);
			continue;
		}
		t->res++;
		if (!got)
			mut_keep(t, f, i);
		else
			mut_commit(t, f, i, ST_UNKNOWN);
		if (f->pg[i].state == ST_ZERO && fs_full(f))
			INC(tolerated);
		else
			fail(t, f, "SIGBUS (si_code %d) storing to page %zu within EOF (%zu pages)",
			     bus_code, i, f->size);
	}
	pthread_mutex_unlock(&f->lock);
}

static void op_punch(struct thr *t, struct ffile *f, size_t first, size_t n)
{
	size_t i, m;
	int r;

	pthread_mutex_lock(&f->lock);
	m = first >= f->size ? 0 : n < f->size - first ? n : f->size - first;
	mut_begin(f, first, m, ST_ZERO);
	r = fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      first * ps, n * ps);
	t->res = r;
	if (r)
		fail(t, f, "punch [%zu,+%zu): %s", first, n, strerror(errno));
	for (i = first; i < first + m; i++) {
		if (r)
			mut_keep(t, f, i);
		else
			mut_commit(t, f, i, ST_ZERO);
	}
	pthread_mutex_unlock(&f->lock);
}

/* under f->lock */
static void set_size(struct thr *t, struct ffile *f, size_t nsz)
{
	size_t old = f->size, lo = nsz < old ? nsz : old;
	size_t hi = nsz < old ? old : nsz, i;
	uint32_t st = nsz < old ? ST_EOF | ST_TZERO : ST_ZERO;
	int r;

	mut_begin(f, lo, hi - lo, st);
	r = ftruncate(f->fd, nsz * ps);
	if (r)
		fail(t, f, "ftruncate %zu -> %zu pages: %s", old, nsz,
		     strerror(errno));
	else
		STO(f->size, nsz);
	for (i = lo; i < hi; i++) {
		if (r)
			mut_keep(t, f, i);
		else
			mut_commit(t, f, i, st);
	}
}

static size_t clamp(size_t v, size_t lo, size_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void op_trunc(struct thr *t, struct ffile *f)
{
	uint64_t r = rnd(t), r2 = rnd(t);
	size_t old, nsz, al = 0;
	bool shrink;

	pthread_mutex_lock(&f->lock);
	old = f->size;
	shrink = old == f->maxpages || (old > f->minpages && (r & 1));
	if (shrink)
		nsz = f->minpages + (r >> 8) % (old - f->minpages);
	else
		nsz = old + 1 + (r >> 8) % (f->maxpages - old);
	if (r2 % 100 < 30)
		al = 16;
	else if (r2 % 100 < (f->kind == FK_HUGE ? 60 : 40))
		al = HUGE_PAGES;
	if (al)
		nsz = clamp(shrink ? nsz / al * al : (nsz + al - 1) / al * al,
			    f->minpages, f->maxpages);
	t->res = nsz;
	if (nsz != old) {
		set_size(t, f, nsz);
		/* shrink and regrow at once: the range reads as zeros */
		if (nsz < old && (r2 >> 8) % 100 < 30)
			set_size(t, f, old);
	}
	pthread_mutex_unlock(&f->lock);
}

static void op_falloc(struct thr *t, struct ffile *f, size_t first, size_t n)
{
	size_t size, end = first + n, i;
	int r, err;

	pthread_mutex_lock(&f->lock);
	size = f->size;
	if (end > size)
		mut_begin(f, size, end - size, ST_ZERO);
	r = fallocate(f->fd, 0, first * ps, n * ps);
	err = errno;
	t->res = r;
	if (r) {
		if (tolerable(err))
			INC(tolerated);
		else
			fail(t, f, "fallocate [%zu,+%zu): %s", first, n,
			     strerror(err));
	} else if (end > size) {
		STO(f->size, end);
	}
	for (i = size; i < end; i++)
		mut_commit(t, f, i, r ? ST_EOF : ST_ZERO);
	pthread_mutex_unlock(&f->lock);
}

static void op_falloc_keep(struct thr *t, struct ffile *f, size_t first,
			   size_t n)
{
	int r = fallocate(f->fd, FALLOC_FL_KEEP_SIZE, first * ps, n * ps);

	t->res = r;
	touch(t, f, first, n);
	if (r && tolerable(errno))
		INC(tolerated);
	else if (r)
		fail(t, f, "fallocate KEEP_SIZE [%zu,+%zu): %s", first, n,
		     strerror(errno));
}

static void op_madvise(struct thr *t, struct ffile *f, size_t first, size_t n,
		       int advice)
{
	int r = madvise(f->map + first * ps, n * ps, advice);

	t->res = r;
	touch(t, f, first, n);
	if (r)
		fail(t, f, "madvise(%s) [%zu,+%zu): %s",
		     advice == MADV_PAGEOUT ? "PAGEOUT" : "WILLNEED", first, n,
		     strerror(errno));
}

static void op_sync(struct thr *t, struct ffile *f, size_t first, size_t n,
		    bool whole)
{
	int r;

	if (whole)
		r = fsync(f->fd);
	else
		r = msync(f->map + first * ps, n * ps, MS_SYNC);
	t->res = r;
	touch(t, f, first, n);
	if (r)
		fail(t, f, "%s: %s", whole ? "fsync" : "msync", strerror(errno));
}

/* ------------------------------------------------------------------ */

static unsigned int wsum;

static int pick_op(struct thr *t)
{
	unsigned int r = rnd_below(t, wsum);
	int op;

	for (op = 0; op < OP_NR - 1; op++) {
		if (r < weight[op])
			break;
		r -= weight[op];
	}
	return op;
}

/* 1 page up to MAXRANGE, sometimes aligned to 16 or 512 pages */
static void pick_range(struct thr *t, struct ffile *f, size_t limit,
		       size_t *first, size_t *n)
{
	uint64_t r = rnd_below(t, 100), a = rnd_below(t, 100);
	size_t len, st = rnd_below(t, limit);

	if (r < 35)
		len = 1;
	else if (r < 65)
		len = 2 + rnd_below(t, 15);
	else if (r < 88)
		len = 17 + rnd_below(t, 112);
	else
		len = 129 + rnd_below(t, MAXRANGE - 128);
	if (a < 20) {
		st &= ~15UL;
		len = (len + 15) & ~15UL;
	} else if (a < (f->kind == FK_HUGE ? 40 : 28)) {
		st &= ~(HUGE_PAGES - 1UL);
		len = (len + HUGE_PAGES - 1) & ~(HUGE_PAGES - 1UL);
	}
	if (len > MAXRANGE)
		len = MAXRANGE;
	if (len > limit - st)
		len = limit - st;
	*first = st;
	*n = len;
}

static void do_op(struct thr *t)
{
	struct ffile *f = &files[rnd_below(t, nfiles)];
	int op = pick_op(t);
	size_t first = 0, n = 0, limit;
	uint64_t r = rnd(t);

	t->op = op;
	t->res = 0;
	if (op != OP_TRUNC) {
		limit = r % 100 < 80 ? LD(f->size) : f->maxpages;
		pick_range(t, f, limit ? limit : f->maxpages, &first, &n);
	}
	switch (op) {
	case OP_PREAD:
		op_pread(t, f, first, n);
		break;
	case OP_PWRITE:
		op_pwrite(t, f, first, n);
		break;
	case OP_MSTORE:
		op_mstore(t, f, first, n);
		break;
	case OP_MLOAD:
		op_mload(t, f, first, n);
		break;
	case OP_PUNCH:
		op_punch(t, f, first, n);
		break;
	case OP_TRUNC:
		op_trunc(t, f);
		break;
	case OP_FALLOC:
		op_falloc(t, f, first, n);
		break;
	case OP_FALLOC_KEEP:
		op_falloc_keep(t, f, first, n);
		break;
	case OP_PAGEOUT:
		op_madvise(t, f, first, n, MADV_PAGEOUT);
		break;
	case OP_WILLNEED:
		op_madvise(t, f, first, n, MADV_WILLNEED);
		break;
	case OP_SYNC:
		op_sync(t, f, first, n, (r >> 32) & 1);
		break;
	}
	__atomic_add_fetch(&t->cnt[op], 1, __ATOMIC_RELAXED);
	digest_add(t, (uint64_t)op << 56 | (uint64_t)f->id << 48 | first << 24 | n);
	digest_add(t, t->res);
	if (verbose)
		out("op %llu t%d %s f%u [%zu,+%zu) = %ld\n",
		    (unsigned long long)t->opno, t->tid, op_name[op], f->id,
		    first, n, t->res);
}

static void *worker(void *arg)
{
	struct thr *t = arg;
	uint64_t opno;

	while (!LD(stop)) {
		opno = __atomic_fetch_add(&next_op, 1, __ATOMIC_RELAXED);
		if (max_ops && opno >= max_ops)
			break;
		t->opno = opno;
		do_op(t);
		INC(ops_done);
	}
	__atomic_sub_fetch(&running, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* setup, statistics, final verification */

static void *alloc_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("fsx: mmap");
		exit(2);
	}
	return p;
}

static int thr_init(struct thr *t, int tid)
{
	uint64_t x = seed ^ (0x9e3779b97f4a7c15ULL * (tid + 1));

	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->rng = splitmix64(&x) | 1;
	t->digest = 0xcbf29ce484222325ULL;
	t->buf = alloc_map(MAXRANGE * ps);
	t->sa = calloc(MAXRANGE, sizeof(uint32_t));
	t->sst = calloc(MAXRANGE, sizeof(uint32_t));
	t->sb = calloc(MAXRANGE, sizeof(uint32_t));
	return t->sa && t->sst && t->sb ? 0 : -1;
}

/* a MAP_SHARED mapping of len bytes at a 2 MiB aligned address */
static char *map_file(int fd, size_t len)
{
	char *p, *a;

	p = mmap(NULL, len + HUGE_SIZE, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1));
	if (a > p)
		munmap(p, a - p);
	munmap(a + len, p + HUGE_SIZE - a);
	p = mmap(a, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int setup_file(struct ffile *f, unsigned int id, int kind,
		      struct thr *t)
{
	const char *dir = kind == FK_HUGE ? opt_huge : opt_dir;
	char name[64];
	struct stat sb;
	size_t i, n;
	ssize_t r;

	f->id = id;
	f->kind = kind;
	f->maxpages = opt_pages;
	if (kind == FK_HUGE)
		f->maxpages = (f->maxpages + HUGE_PAGES - 1) / HUGE_PAGES *
			      HUGE_PAGES;
	f->minpages = f->maxpages / 4 ? f->maxpages / 4 : 1;
	snprintf(name, sizeof(name), "fsx.%d.%u", getpid(), id);
	if (kind == FK_MEMFD) {
		f->path[0] = 0;
		f->fd = memfd_create(name, MFD_CLOEXEC);
	} else {
		snprintf(f->path, sizeof(f->path), "%s/%s", dir, name);
		f->fd = open(f->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			     0600);
	}
	if (f->fd < 0) {
		printf("fsx: cannot create %s file %s: %s\n", kind_name[kind],
		       f->path[0] ? f->path : name, strerror(errno));
		return -1;
	}
	if (fstat(f->fd, &sb) == 0 && sb.st_blksize >= (blksize_t)HUGE_SIZE)
		f->eof_lenient = true;
	if (kind == FK_HUGE)
		f->eof_lenient = true;
	f->map = map_file(f->fd, f->maxpages * ps);
	f->pg = calloc(f->maxpages, sizeof(*f->pg));
	if (!f->map || !f->pg) {
		printf("fsx: file %u: out of memory or address space\n", id);
		return -1;
	}
	pthread_mutex_init(&f->lock, NULL);

	/* initial contents: generation 1 everywhere */
	f->gen = 1;
	t->op = OP_INIT;
	for (i = 0; i < f->maxpages; i += n) {
		n = f->maxpages - i < MAXRANGE ? f->maxpages - i : MAXRANGE;
		fsx_fill(t->buf, id, i, n, 1);
		r = pwrite(f->fd, t->buf, n * ps, i * ps);
		if (r != (ssize_t)(n * ps)) {
			printf("fsx: initial write of file %u: %s\n", id,
			       r < 0 ? strerror(errno) : "short write");
			return -1;
		}
	}
	for (i = 0; i < f->maxpages; i++) {
		struct fpage *p = &f->pg[i];

		p->state = 1;
		p->hist[0] = 1;
		p->info[0] = (struct hinfo){ .state = 1, .op = OP_INIT,
					     .tid = t->tid };
	}
	f->size = f->maxpages;
	madvise(f->map, f->maxpages * ps, MADV_PAGEOUT);
	return 0;
}

static void print_stats(const char *tag, double el, const struct vmsnap *v0)
{
	static const int vi[] = { V_BYPASS, V_SWAPCACHE, V_FALLBACK, V_WAIT,
				  V_HANDOFF, V_PSWPIN, V_PSWPOUT };
	uint64_t cnt[OP_NR] = { 0 }, ops = RLD(ops_done);
	char buf[2048];
	struct vmsnap v1;
	size_t pos = 0;
	int i, op;

#define P(...) (pos += snprintf(buf + pos, pos < sizeof(buf) ? sizeof(buf) - pos : 0, __VA_ARGS__))
	for (i = 0; i < nthreads; i++)
		for (op = 0; op < OP_NR; op++)
			cnt[op] += RLD(thrs[i].cnt[op]);
	P("fsx: %s %.0f s: %llu ops, %.0f ops/min |", tag, el,
	  (unsigned long long)ops, el > 0 ? ops * 60 / el : 0);
	for (op = 0; op < OP_NR; op++)
		P(" %s %llu", op_name[op], (unsigned long long)cnt[op]);
	P(" | mismatches %ld failures %ld tolerated %ld", RLD(mismatches),
	  RLD(failures), RLD(tolerated));
	P(" racing %ld unverified %ld torn_words %ld eof_zero %ld", RLD(racing),
	  RLD(unverified), RLD(torn_words), RLD(eof_zero));
	if (RLD(gen_wraps))
		P(" gen_wraps %ld", RLD(gen_wraps));
	P(" |");
	vm_snap(&v1);
	for (i = 0; i < (int)(sizeof(vi) / sizeof(vi[0])); i++) {
		if (v0->present[vi[i]] && v1.present[vi[i]])
			P(" %s +%lld", vm_names[vi[i]], vm_d(v0, &v1, vi[i]));
		else
			P(" %s n/a", vm_names[vi[i]]);
	}
#undef P
	out("%s\n", buf);
}

/* single-threaded, nothing races: every page must match exactly */
static void verify_file(struct thr *t, struct ffile *f)
{
	size_t i, j, n, got;
	struct stat sb;
	ssize_t r;

	t->op = OP_VERIFY;
	if (fstat(f->fd, &sb)) {
		fail(t, f, "fstat: %s", strerror(errno));
	} else if ((size_t)sb.st_size != f->size * ps) {
		INC(mismatches);
		out("fsx: MISMATCH: file %u: st_size %lld, expected %zu pages\n",
		    f->id, (long long)sb.st_size, f->size);
	}
	for (i = 0; i < f->maxpages; i++) {
		if (f->pg[i].seq & 1)
			fail(t, f, "page %zu: mutation left open (seq %u)", i,
			     f->pg[i].seq);
	}
	madvise(f->map, f->maxpages * ps, MADV_PAGEOUT);
	for (i = 0; i < f->maxpages; i += n) {
		n = f->maxpages - i < MAXRANGE ? f->maxpages - i : MAXRANGE;
		r = pread(f->fd, t->buf, n * ps, i * ps);
		if (r < 0) {
			fail(t, f, "pread [%zu,+%zu): %s", i, n, strerror(errno));
			continue;
		}
		for (j = 0; j < n; j++) {
			struct fpage *p = &f->pg[i + j];

			got = (size_t)r > j * ps ? ((size_t)r - j * ps) / 8 : 0;
			got = got > nw ? nw : got;
			check_read(t, f, i, n, i + j, t->buf + j * nw, got,
				   HOW_PREAD, p->seq, p->state, p->seq);
		}
	}
	madvise(f->map, f->maxpages * ps, MADV_PAGEOUT);
	for (i = 0; i < f->maxpages; i++) {
		struct fpage *p = &f->pg[i];

		got = load_page(t->buf, (uint64_t *)(f->map + i * ps));
		check_read(t, f, i, 1, i, t->buf, got, HOW_MAP, p->seq,
			   p->state, p->seq);
	}
}

/* killed (timeout, ^C, closed pipe): leave no files behind in the dirs */
static void on_kill(int sig)
{
	int i;

	for (i = 0; i < nfiles; i++)
		if (files[i].path[0])
			unlink(files[i].path);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void usage(const char *prog)
{
	int op;

	fprintf(stderr,
"usage: %s [options]\n"
"Randomized checker of tmpfs/memfd contents under swapin races (fsx style).\n"
"  -d DIR    directory for tmpfs files (default /tmp)\n"
"  -H DIR    directory mounted huge=always: some files go there, sized in\n"
"            multiples of 2 MiB (default: no such files)\n"
"  -f N      number of files (default 4), kinds in turn: tmpfs, huge (with\n"
"            -H), memfd\n"
"  -s PAGES  maximum size of each file in pages (default 512); files start\n"
"            full, truncation keeps them between 1/4 of that and all of it\n"
"  -t N      worker threads (default 4)\n"
"  -D SECS   run for that long (default 60 unless -n is given)\n"
"  -n OPS    stop after that many operations (all threads together)\n"
"  -S SEED   seed (default from the clock); printed first as \"seed N\".\n"
"            Each thread draws from its own stream derived from the seed\n"
"            and its number. With several threads the interleaving is not\n"
"            replayed (nor the sizes it leads to); -t 1 -n OPS replays a run\n"
"            exactly (compare the \"op digest\" line, or -v output)\n"
"  -m N      stop after N mismatches (default 10)\n"
"  -c DIR    cgroup v2 directory to move this process into first\n"
"  -w OP=W[,OP=W...]  operation weights (0 disables); operations:\n"
"           ", prog);
	for (op = 0; op < OP_NR; op++)
		fprintf(stderr, " %s=%u", op_name[op], weight[op]);
	fprintf(stderr, "\n"
"  -v        print every operation\n"
"Exit status: 0 clean, 1 mismatches or unexpected syscall failures,\n"
"2 usage or setup error. ENOMEM/ENOSPC from pwrite/fallocate, and SIGBUS\n"
"faulting a hole in while the file system is (nearly) full, are counted as\n"
"tolerated.\n");
	exit(2);
}

static void parse_weights(const char *arg, const char *prog)
{
	char *s = strdup(arg), *tok, *save = NULL, *eq;
	int op;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (!eq)
			usage(prog);
		*eq = 0;
		for (op = 0; op < OP_NR; op++)
			if (!strcmp(tok, op_name[op]))
				break;
		if (op == OP_NR) {
			fprintf(stderr, "fsx: unknown operation %s\n", tok);
			usage(prog);
		}
		weight[op] = strtoul(eq + 1, NULL, 0);
	}
	free(s);
}

static void join_cgroup(const char *dir)
{
	char path[PATH_MAX], pid[32];
	int r;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	r = write_str(path, pid);
	if (r) {
		printf("fsx: cannot move into cgroup %s: %s\n", dir, strerror(-r));
		exit(2);
	}
	printf("fsx: in cgroup %s\n", dir);
}

int main(int argc, char **argv)
{
	struct vmsnap v0;
	struct sigaction sa;
	struct thr vt;
	uint64_t digest = 0;
	bool have_seed = false;
	int c, i, kinds[3], nk = 0;
	double el, next;

	while ((c = getopt(argc, argv, "d:H:f:s:t:D:n:S:m:c:w:vh")) != -1) {
		switch (c) {
		case 'd':
			opt_dir = optarg;
			break;
		case 'H':
			opt_huge = optarg;
			break;
		case 'f':
			nfiles = atoi(optarg);
			break;
		case 's':
			opt_pages = strtoul(optarg, NULL, 0);
			break;
		case 't':
			nthreads = atoi(optarg);
			break;
		case 'D':
			duration = strtod(optarg, NULL);
			break;
		case 'n':
			max_ops = strtoull(optarg, NULL, 0);
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 0);
			have_seed = true;
			break;
		case 'm':
			mm_limit = atol(optarg);
			break;
		case 'c':
			opt_cg = optarg;
			break;
		case 'w':
			parse_weights(optarg, argv[0]);
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind < argc || nfiles < 1 || nfiles > MAX_FILES ||
	    nthreads < 1 || nthreads > MAX_THREADS || opt_pages < 4 ||
	    opt_pages > MAX_PAGES - HUGE_PAGES || mm_limit < 1)
		usage(argv[0]);
	for (i = 0; i < OP_NR; i++)
		wsum += weight[i];
	if (!wsum)
		usage(argv[0]);
	if (duration < 0)
		duration = max_ops ? 0 : 60;
	if (!have_seed)
		seed = now_us() ^ ((uint64_t)getpid() << 32);
	nw = ps / 8;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("seed %llu\n", (unsigned long long)seed);
	if (opt_cg)
		join_cgroup(opt_cg);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGINT, on_kill);
	signal(SIGTERM, on_kill);
	signal(SIGHUP, on_kill);
	signal(SIGPIPE, on_kill);

	vm_snap(&v0);
	t0_us = now_us();

	kinds[nk++] = FK_TMPFS;
	if (opt_huge)
		kinds[nk++] = FK_HUGE;
	kinds[nk++] = FK_MEMFD;
	thrs = calloc(nthreads, sizeof(*thrs));
	if (!thrs || thr_init(&vt, nthreads))
		return 2;
	for (i = 0; i < nfiles; i++) {
		if (setup_file(&files[i], i, kinds[i % nk], &vt)) {
			for (; i >= 0; i--)
				if (files[i].path[0])
					unlink(files[i].path);
			return 2;
		}
	}
	printf("fsx: %d files (", nfiles);
	for (i = 0; i < nfiles; i++)
		printf("%s%s %zu", i ? ", " : "", kind_name[files[i].kind],
		       files[i].maxpages);
	printf(" pages), %d threads, duration %.0f s, max ops %llu (0: no limit),",
	       nthreads, duration, (unsigned long long)max_ops);
	printf(" mismatch limit %ld\n", mm_limit);

	running = nthreads;
	for (i = 0; i < nthreads; i++) {
		if (thr_init(&thrs[i], i) ||
		    pthread_create(&thrs[i].th, NULL, worker, &thrs[i])) {
			printf("fsx: cannot start thread %d\n", i);
			return 2;
		}
	}
	next = PROGRESS_S;
	for (;;) {
		sleep_us(100000);
		el = elapsed();
		if (duration > 0 && el >= duration)
			STO(stop, 1);
		if (!LD(running))
			break;
		if (el >= next) {
			print_stats("progress", el, &v0);
			next += PROGRESS_S;
		}
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(thrs[i].th, NULL);
		digest ^= thrs[i].digest * (i + 1);
	}
	el = elapsed();

	/* the end: unlink, push out, verify everything once more, close */
	vt.opno = next_op;
	for (i = 0; i < nfiles; i++) {
		struct ffile *f = &files[i];

		if (f->path[0] && unlink(f->path))
			fail(&vt, f, "unlink %s: %s", f->path, strerror(errno));
		verify_file(&vt, f);
		munmap(f->map, f->maxpages * ps);
		close(f->fd);
	}

	print_stats("end", el, &v0);
	printf("fsx: op digest %016llx%s\n", (unsigned long long)digest,
	       nthreads > 1 ? " (not replayable with several threads)" : "");
	printf("fsx: %llu ops in %.1f s (%.0f ops/min), %ld mismatches, seed %llu\n",
	       (unsigned long long)ops_done, el, el > 0 ? ops_done * 60 / el : 0,
	       mismatches, (unsigned long long)seed);
	return mismatches || failures ? 1 : 0;
}
