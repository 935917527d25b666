// SPDX-License-Identifier: GPL-2.0
/*
 * swapin_bench: swapin micro-benchmarks for shmem (tmpfs file) and anonymous memory.
 * Runs in the guest; the driver (guest/jobs/bench.sh) selects the swapin mode between runs.
 *
 *   swapin_bench seq-mmap  DIR MB      sequential swapin through mmap faults
 *   swapin_bench seq-read  DIR MB      sequential swapin through pread()
 *   swapin_bench rand-mmap DIR MB      random-order 4 KiB swapin through mmap faults
 *   swapin_bench contend   DIR THREADS PAGES [LABEL]   THREADS fault the same page, page
 *                                      after page
 *   swapin_bench anon-seq  MB          sequential swapin of anonymous memory (reference)
 *   swapin_bench seq-mmap-half DIR MB  as seq-mmap, but every other 32 KiB block was read back
 *                                      with pread() first (resident, not mapped): fault-around
 *                                      has neighbours to map
 *   swapin_bench seq-mmap-64k MB       sequential swapin of 64K folios: an anonymous shared
 *                                      mapping (set hugepages-64kB/shmem_enabled=always first)
 *   swapin_bench seq-mmap-2m DIR MB    sequential swapin of 2M folios: a file in DIR, a tmpfs
 *                                      mounted huge=always
 *   swapin_bench contend-multi DIR GROUPS THREADS PAGES [LABEL]   GROUPS groups of THREADS
 *                                      threads, each group faults its own swapped-out page;
 *                                      all groups at once, PAGES times
 *   swapin_bench loop 64k|2m DIR MB LOOPS   write MB (more than the memory cgroup allows)
 *                                      in 64K (anonymous shared) or 2M (huge tmpfs file)
 *                                      folios, read it back, delete; LOOPS times
 *   swapin_bench inversion 64k|2m DIR ROUNDS OFFSET_US   one CPU: a SCHED_OTHER owner
 *                                      faults a swapped-out large entry, a SCHED_FIFO waiter
 *                                      faults the same entry OFFSET_US later
 *   swapin_bench limit DIR CGROUP THREADS ENTRIES HEADROOM_KB [hugepage]   ENTRIES 2M
 *                                      entries of a file in DIR (huge=always tmpfs) swapped
 *                                      out; the memory cgroup CGROUP (we run in it) limited to
 *                                      its usage + HEADROOM_KB, no swap: a 2M charge fails;
 *                                      then THREADS threads fault THREADS pages of one entry at
 *                                      once, entry after entry.  hugepage: MADV_HUGEPAGE on the
 *                                      mapping, so a 2M charge reclaims (and fails slowly)
 *   swapin_bench punchrace DIR MB ROUNDS   a sequential reader faults a swapped-out file
 *                                      while the main thread punches 4-page holes a few
 *                                      pages ahead of it, 0-360 us after it moved on: hole
 *                                      punch meets markers now and then (handoffs; not
 *                                      forced, a demo for the trace events); every page
 *                                      reads back as its data or zero
 *
 * Every page holds data that compresses but is not uniform, derived from its index, and is
 * checked when it comes back. Prints one JSON object: time, throughput, per-fault latency
 * (contend), the kernel's counters around the timed part, peak Shmem and zram memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PG 4096UL

static const char *counters[] = {
	"pswpin", "pswpout", "shmem_swapin_bypass", "shmem_swapin_swapcache",
	"shmem_swapin_fallback", "shmem_swapin_marker_wait", "shmem_swapin_handoff",
	"shmem_swapin_poll_wait", "shmem_swapin_wasted", "swap_ra", "zswpin",
	"shmem_swapin_bypass_mthp", "shmem_swapin_bypass_pmd", "shmem_swapin_large_fallback",
	"shmem_swapin_poll_retry", "shmem_swapin_poll_wake", "thp_swpout", "thp_swpout_fallback",
	"pgmajfault", "pgfault", "shmem_swapin_batch",
};
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

static void die(const char *what)
{
	fprintf(stderr, "swapin_bench: %s: %s\n", what, strerror(errno));
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void read_counters(long long *v)
{
	char name[128];
	long long val;
	FILE *f = fopen("/proc/vmstat", "r");
	size_t i;

	for (i = 0; i < NCOUNTERS; i++)
		v[i] = -1;
	if (!f)
		die("/proc/vmstat");
	while (fscanf(f, "%127s %lld", name, &val) == 2)
		for (i = 0; i < NCOUNTERS; i++)
			if (!strcmp(name, counters[i]))
				v[i] = val;
	fclose(f);
}

/* Data of page idx: 1 KiB of xorshift output, then a repeated 16-byte pattern. */
static uint64_t page_word(uint64_t idx, uint64_t w)
{
	uint64_t x = (idx + 1) * 0x9E3779B97F4A7C15ULL ^ (w * 0xBF58476D1CE4E5B9ULL);

	x ^= x >> 31;
	x *= 0x94D049BB133111EBULL;
	x ^= x >> 29;
	return x;
}

static void fill_page(char *p, uint64_t idx)
{
	uint64_t *q = (uint64_t *)p;
	size_t w;

	for (w = 0; w < 128; w++)
		q[w] = page_word(idx, w);
	for (w = 128; w < PG / 8; w++)
		q[w] = (idx << 16) | (w & 1 ? 0x5a5a : 0xa5a5);
}

static int check_page(const char *p, uint64_t idx)
{
	const uint64_t *q = (const uint64_t *)p;

	return q[0] == page_word(idx, 0) && q[300] == ((idx << 16) | 0xa5a5) &&
	       q[127] == page_word(idx, 127);
}

/*
 * Peak Shmem and zram memory, sampled every 10 ms by a thread. The zram device is
 * $SWAPIN_BENCH_ZRAM (make bench-host hot-adds one of its own), zram0 by default.
 */
static volatile int sampling;
static long long peak_shmem_kb, peak_zram_bytes;

static void *sampler(void *arg)
{
	const char *dev = getenv("SWAPIN_BENCH_ZRAM");
	char line[256], mm_stat[128];
	long long v, a, b, c;

	(void)arg;
	snprintf(mm_stat, sizeof(mm_stat), "/sys/block/%s/mm_stat", dev && *dev ? dev : "zram0");
	while (sampling) {
		FILE *f = fopen("/proc/meminfo", "r");

		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "Shmem: %lld", &v) == 1 && v > peak_shmem_kb)
				peak_shmem_kb = v;
		if (f)
			fclose(f);
		f = fopen(mm_stat, "r");
		if (f && fscanf(f, "%lld %lld %lld", &a, &b, &c) == 3 && c > peak_zram_bytes)
			peak_zram_bytes = c;
		if (f)
			fclose(f);
		usleep(10000);
	}
	return NULL;
}

/*
 * Push a mapping out to swap; returns pages still resident. MADV_PAGEOUT only sees pages
 * mapped in this mm: a page it left resident (isolation failed, a per-CPU LRU batch) may have
 * been unmapped all the same, so touch the resident ones before the next try.
 */
static size_t page_out(char *addr, size_t len)
{
	size_t n = len / PG, r = 0, i;
	unsigned char *vec = malloc(n);
	int tries;

	if (!vec)
		die("malloc");
	for (tries = 0; tries < 10; tries++) {
		if (madvise(addr, len, MADV_PAGEOUT))
			die("MADV_PAGEOUT");
		if (mincore(addr, len, vec))
			die("mincore");
		for (i = 0, r = 0; i < n; i++)
			r += vec[i] & 1;
		if (r <= n / 1000)
			break;
		for (i = 0; i < n; i++)
			if (vec[i] & 1)
				(void)*(volatile char *)(addr + i * PG);
		usleep(20000);
	}
	free(vec);
	return r;
}

static char *map_file(const char *dir, size_t len, int *fdp)
{
	char path[512];
	char *addr;
	int fd;

	snprintf(path, sizeof(path), "%s/swapin_bench.%d", dir, getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die(path);
	unlink(path);
	if (ftruncate(fd, len))
		die("ftruncate");
	addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED)
		die("mmap");
	madvise(addr, len, MADV_NOHUGEPAGE);
	*fdp = fd;
	return addr;
}

struct result {
	const char *test;
	size_t pages, resident_before, bad;
	double seconds;
	long long c0[NCOUNTERS], c1[NCOUNTERS];
	double *lat;
	size_t nlat;
	const char *extra;	/* more JSON members, or NULL */
};

/*
 * A profiler that records the timed part only: with SWAPIN_BENCH_CTL (and SWAPIN_BENCH_ACK)
 * naming perf record's --control fifos, the timed part is bracketed by "enable" and "disable".
 */
static void profiler_ctl(const char *cmd)
{
	const char *ctl = getenv("SWAPIN_BENCH_CTL"), *ack = getenv("SWAPIN_BENCH_ACK");
	char buf[16];
	int fd;

	if (!ctl)
		return;
	fd = open(ctl, O_WRONLY);
	if (fd < 0 || write(fd, cmd, strlen(cmd)) < 0)
		die(ctl);
	close(fd);
	if (ack) {
		fd = open(ack, O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof(buf)) < 0)
			die(ack);
		close(fd);
	}
}

/* Bracket the timed part of a run: sampler thread on, counters read, clock started. */
static pthread_t sampler_thread;

static double measure_begin(struct result *r)
{
	sampling = 1;
	pthread_create(&sampler_thread, NULL, sampler, NULL);
	read_counters(r->c0);
	profiler_ctl("enable\n");
	return now();
}

static void measure_end(struct result *r, double t0)
{
	r->seconds = now() - t0;
	profiler_ctl("disable\n");
	read_counters(r->c1);
	sampling = 0;
	pthread_join(sampler_thread, NULL);
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void print_result(struct result *r)
{
	char mode[64] = "n/a";
	FILE *f = fopen("/sys/kernel/mm/shmem_swapin/mode", "r");
	size_t i;

	if (f) {
		char buf[128], *s, *e;

		if (fgets(buf, sizeof(buf), f) && (s = strchr(buf, '[')) && (e = strchr(s, ']'))) {
			*e = 0;
			snprintf(mode, sizeof(mode), "%s", s + 1);
		}
		fclose(f);
	}
	/* the bypass with batching off reports as bypass-nobatch */
	f = fopen("/sys/kernel/mm/shmem_swapin/batch", "r");
	if (f) {
		if (fgetc(f) == '0' && !strcmp(mode, "bypass"))
			snprintf(mode, sizeof(mode), "bypass-nobatch");
		fclose(f);
	}
	printf("{\"test\": \"%s\", \"mode\": \"%s\", \"pages\": %zu, \"resident_before\": %zu, "
	       "\"bad_pages\": %zu, \"seconds\": %.6f, \"mib_s\": %.2f",
	       r->test, mode, r->pages, r->resident_before, r->bad, r->seconds,
	       r->pages * PG / 1048576.0 / r->seconds);
	if (r->nlat) {
		qsort(r->lat, r->nlat, sizeof(double), cmpd);
		printf(", \"faults\": %zu, \"lat_us\": {\"p50\": %.1f, \"p90\": %.1f, \"p99\": %.1f, "
		       "\"max\": %.1f}, \"lat_all_us\": [", r->nlat,
		       r->lat[r->nlat / 2] * 1e6, r->lat[r->nlat * 9 / 10] * 1e6,
		       r->lat[r->nlat * 99 / 100] * 1e6, r->lat[r->nlat - 1] * 1e6);
		for (i = 0; i < r->nlat; i++)
			printf("%s%.1f", i ? "," : "", r->lat[i] * 1e6);
		printf("]");
	}
	if (r->extra)
		printf(", %s", r->extra);
	printf(", \"peak_shmem_kb\": %lld, \"peak_zram_bytes\": %lld, \"counters\": {",
	       peak_shmem_kb, peak_zram_bytes);
	for (i = 0; i < NCOUNTERS; i++)
		printf("%s\"%s\": %lld", i ? ", " : "", counters[i],
		       r->c0[i] < 0 ? -1 : r->c1[i] - r->c0[i]);
	printf("}}\n");
	fflush(stdout);
}

static void fill(char *addr, size_t pages)
{
	size_t i;

	for (i = 0; i < pages; i++)
		fill_page(addr + i * PG, i);
}

/* Read every other 32 KiB block back into the page cache, then zap the mapping's PTEs. */
static void half_resident(int fd, char *addr, size_t pages)
{
	char *buf = malloc(8 * PG);
	size_t i;

	if (!buf)
		die("malloc");
	for (i = 8; i < pages; i += 16)
		if (pread(fd, buf, 8 * PG, i * PG) != (ssize_t)(8 * PG))
			die("pread");
	if (madvise(addr, pages * PG, MADV_DONTNEED))
		die("MADV_DONTNEED");
	free(buf);
}

static int run_seq(const char *test, const char *dir, size_t mb, int use_read, int random)
{
	size_t pages = mb * 256, i;
	struct result r = { .test = test, .pages = pages };
	char *addr, *buf;
	size_t *order = NULL;
	int fd;
	double t0;

	addr = map_file(dir, pages * PG, &fd);
	fill(addr, pages);
	r.resident_before = page_out(addr, pages * PG);
	if (!strcmp(test, "seq-mmap-half"))
		half_resident(fd, addr, pages);
	if (random) {
		order = malloc(pages * sizeof(*order));
		for (i = 0; i < pages; i++)
			order[i] = i;
		srand(12345);
		for (i = pages - 1; i > 0; i--) {
			size_t j = (size_t)rand() % (i + 1), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
	}
	buf = malloc(64 * 1024);
	t0 = measure_begin(&r);
	if (use_read) {
		for (i = 0; i < pages; i += 16) {
			size_t n = pages - i < 16 ? pages - i : 16, k;

			if (pread(fd, buf, n * PG, i * PG) != (ssize_t)(n * PG))
				die("pread");
			for (k = 0; k < n; k++)
				r.bad += !check_page(buf + k * PG, i + k);
		}
	} else {
		for (i = 0; i < pages; i++) {
			size_t idx = random ? order[i] : i;

			r.bad += !check_page(addr + idx * PG, idx);
		}
	}
	measure_end(&r, t0);
	print_result(&r);
	munmap(addr, pages * PG);
	close(fd);
	return r.bad ? 1 : 0;
}

static int run_anon(size_t mb)
{
	size_t pages = mb * 256, i;
	struct result r = { .test = "anon-seq", .pages = pages };
	char *addr;
	double t0;

	addr = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (addr == MAP_FAILED)
		die("mmap");
	madvise(addr, pages * PG, MADV_NOHUGEPAGE);
	fill(addr, pages);
	r.resident_before = page_out(addr, pages * PG);
	t0 = measure_begin(&r);
	for (i = 0; i < pages; i++)
		r.bad += !check_page(addr + i * PG, i);
	measure_end(&r, t0);
	print_result(&r);
	munmap(addr, pages * PG);
	return r.bad ? 1 : 0;
}

/* contend: THREADS threads fault the same swapped-out page, for PAGES pages in turn. */
static pthread_barrier_t bar;
static char *c_addr;
static size_t c_pages;
static int c_threads;
static double *c_lat;
static size_t c_bad;

/*
 * contend-multi: m_groups groups of c_threads threads, group g faults page
 * i * m_groups + g; contend is the case of one group.
 */
static int m_groups;

static void *contender(void *arg)
{
	long id = (long)arg;
	size_t g = id / c_threads, i;
	int nthreads = m_groups * c_threads;

	for (i = 0; i < c_pages; i++) {
		size_t idx = i * m_groups + g;
		double t0;
		int ok;

		pthread_barrier_wait(&bar);
		t0 = now();
		ok = check_page(c_addr + idx * PG, idx);
		c_lat[i * nthreads + id] = now() - t0;
		if (!ok)
			__atomic_add_fetch(&c_bad, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static int run_contend(const char *dir, int threads, size_t pages, const char *label)
{
	struct result r = { .test = label, .pages = pages };
	pthread_t *th = calloc(threads, sizeof(*th));
	int fd;
	long t;
	double t0;

	c_addr = map_file(dir, pages * PG, &fd);
	m_groups = 1;
	c_pages = pages;
	c_threads = threads;
	c_lat = calloc(pages * threads, sizeof(double));
	fill(c_addr, pages);
	r.resident_before = page_out(c_addr, pages * PG);
	pthread_barrier_init(&bar, NULL, threads);
	t0 = measure_begin(&r);
	for (t = 0; t < threads; t++)
		pthread_create(&th[t], NULL, contender, (void *)t);
	for (t = 0; t < threads; t++)
		pthread_join(th[t], NULL);
	measure_end(&r, t0);
	r.bad = c_bad;
	r.lat = c_lat;
	r.nlat = pages * threads;
	print_result(&r);
	return r.bad ? 1 : 0;
}

/* ---- large folios, multi-page contention, the write/read/delete loop, priority inversion ---- */

#define THP_DIR "/sys/kernel/mm/transparent_hugepage"

static long long read_ll_file(const char *path)
{
	FILE *f = fopen(path, "r");
	long long v = -1;

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static long long vmstat_get(const char *want)
{
	char name[128];
	long long val, v = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		die("/proc/vmstat");
	while (fscanf(f, "%127s %lld", name, &val) == 2)
		if (!strcmp(name, want))
			v = val;
	fclose(f);
	return v;
}

/* A mapping whose first page is 2 MiB aligned, at file offset 0 (fd < 0: anonymous shared). */
static char *map_aligned(size_t len, int fd)
{
	size_t al = 2UL << 20;
	char *res, *p;

	res = mmap(NULL, len + al, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		die("mmap reserve");
	p = (char *)(((uintptr_t)res + al - 1) & ~(al - 1));
	if (fd < 0)
		p = mmap(p, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	else
		p = mmap(p, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap aligned");
	return p;
}

/* A large-folio region: 2m: a file in DIR (huge=always tmpfs); 64k: anonymous shared. */
struct large_region {
	char *addr;
	size_t len;
	int fd;
	int pmd;
	long long out0;
	long long alloc0;
};

static long long large_out_count(int pmd)
{
	return pmd ? vmstat_get("thp_swpout") : read_ll_file(THP_DIR "/hugepages-64kB/stats/swpout");
}

static long long large_alloc_count(int pmd)
{
	return pmd ? vmstat_get("thp_file_alloc") : read_ll_file(THP_DIR "/hugepages-64kB/stats/shmem_alloc");
}

static void large_map(struct large_region *lr, const char *dir, size_t len, int pmd)
{
	char path[512];

	lr->len = len;
	lr->pmd = pmd;
	lr->fd = -1;
	lr->alloc0 = large_alloc_count(pmd);
	if (pmd) {
		snprintf(path, sizeof(path), "%s/swapin_bench_huge.%d", dir, getpid());
		lr->fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (lr->fd < 0)
			die(path);
		unlink(path);
		if (ftruncate(lr->fd, len))
			die("ftruncate");
	}
	lr->addr = map_aligned(len, lr->fd);
}

static void large_unmap(struct large_region *lr)
{
	munmap(lr->addr, lr->len);
	if (lr->fd >= 0)
		close(lr->fd);
}

static int run_seq_large(const char *test, const char *dir, size_t mb, int pmd)
{
	size_t pages = mb * 256, i;
	struct result r = { .test = test, .pages = pages };
	struct large_region lr;
	char extra[256];
	long long out0, alloc1;
	double t0;

	large_map(&lr, dir, pages * PG, pmd);
	fill(lr.addr, pages);
	alloc1 = large_alloc_count(pmd);
	out0 = large_out_count(pmd);
	r.resident_before = page_out(lr.addr, pages * PG);
	snprintf(extra, sizeof(extra), "\"folio_pages\": %d, \"large_alloc\": %lld, \"large_out\": %lld",
		 pmd ? 512 : 16, alloc1 - lr.alloc0, large_out_count(pmd) - out0);
	r.extra = extra;
	t0 = measure_begin(&r);
	for (i = 0; i < pages; i++)
		r.bad += !check_page(lr.addr + i * PG, i);
	measure_end(&r, t0);
	print_result(&r);
	large_unmap(&lr);
	return r.bad ? 1 : 0;
}

/* contend-multi: GROUPS groups of THREADS threads (contender() above) */
static int run_contend_multi(const char *dir, int groups, int threads, size_t pages,
			     const char *label)
{
	struct result r = { .test = label, .pages = pages * groups };
	int nthreads = groups * threads;
	pthread_t *th = calloc(nthreads, sizeof(*th));
	char extra[128];
	int fd;
	long t;
	double t0;

	m_groups = groups;
	c_threads = threads;
	c_pages = pages;
	c_addr = map_file(dir, pages * groups * PG, &fd);
	c_lat = calloc(pages * nthreads, sizeof(double));
	fill(c_addr, pages * groups);
	r.resident_before = page_out(c_addr, pages * groups * PG);
	pthread_barrier_init(&bar, NULL, nthreads);
	snprintf(extra, sizeof(extra), "\"groups\": %d, \"threads_per_group\": %d", groups, threads);
	r.extra = extra;
	t0 = measure_begin(&r);
	for (t = 0; t < nthreads; t++)
		pthread_create(&th[t], NULL, contender, (void *)t);
	for (t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	measure_end(&r, t0);
	r.bad = c_bad;
	r.lat = c_lat;
	r.nlat = pages * nthreads;
	print_result(&r);
	return r.bad ? 1 : 0;
}

/*
 * loop: upstream's softlockup reproducer, scaled down: write MB in large folios inside a
 * memory cgroup that holds less (the caller puts us in it), read it back, delete; LOOPS times.
 */
static int run_loop(const char *kind, const char *dir, size_t mb, int loops)
{
	int pmd = !strcmp(kind, "2m");
	size_t pages = mb * 256, i, k, chunk = 512;
	struct result r = { .test = pmd ? "loop-2m" : "loop-64k", .pages = pages * loops };
	char *extra = malloc(64 + 16 * loops), *buf = malloc(chunk * PG), path[512];
	double *per = calloc(loops, sizeof(double)), t0, tl;
	size_t n = 0;
	int l;

	if (!extra || !buf || !per)
		die("malloc");
	snprintf(path, sizeof(path), "%s/swapin_bench_loop.%d", dir, getpid());
	t0 = measure_begin(&r);
	for (l = 0; l < loops; l++) {
		tl = now();
		if (!pmd) {
			char *addr = map_aligned(pages * PG, -1);

			fill(addr, pages);
			for (i = 0; i < pages; i++)
				r.bad += !check_page(addr + i * PG, i);
			munmap(addr, pages * PG);
		} else {
			int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

			if (fd < 0)
				die(path);
			for (i = 0; i < pages; i += chunk) {
				for (k = 0; k < chunk; k++)
					fill_page(buf + k * PG, i + k);
				if (pwrite(fd, buf, chunk * PG, i * PG) != (ssize_t)(chunk * PG))
					die("pwrite");
			}
			for (i = 0; i < pages; i += chunk) {
				if (pread(fd, buf, chunk * PG, i * PG) != (ssize_t)(chunk * PG))
					die("pread");
				for (k = 0; k < chunk; k++)
					r.bad += !check_page(buf + k * PG, i + k);
			}
			close(fd);
			unlink(path);
		}
		per[l] = now() - tl;
		/* partial progress on stderr: a hang shows how far it got */
		fprintf(stderr, "# %s loop %d: %.3f s\n", r.test, l + 1, per[l]);
	}
	measure_end(&r, t0);
	n = snprintf(extra, 64, "\"loops\": %d, \"loop_s\": [", loops);
	for (l = 0; l < loops; l++)
		n += sprintf(extra + n, "%s%.4f", l ? "," : "", per[l]);
	sprintf(extra + n, "]");
	r.extra = extra;
	print_result(&r);
	return r.bad ? 1 : 0;
}

/*
 * inversion: on CPU 0, a SCHED_OTHER owner faults the first page of a swapped-out large entry;
 * OFFSET_US later a SCHED_FIFO waiter, on the same CPU, faults the middle page of the same
 * entry. A watchdog (SCHED_FIFO, higher priority, on CPU 1 if there is one) demotes a waiter
 * that has not finished WATCHDOG_S after the round began, and counts the round as hung.
 */
#define INV_WATCHDOG_S 5.0

static struct {
	char *addr;
	size_t op;
	int rounds;
	long offset_us;
	struct timespec start;
	volatile int round, owner_done, waiter_done;
	pid_t waiter_tid;
	double *wlat, *olat;
	size_t bad;
} inv;

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static void set_sched(pid_t tid, int policy, int prio)
{
	struct sched_param sp = { .sched_priority = prio };

	if (sched_setscheduler(tid, policy, &sp))
		die("sched_setscheduler");
}

static struct timespec ts_add_us(struct timespec t, long us)
{
	t.tv_nsec += us * 1000;
	while (t.tv_nsec >= 1000000000L) {
		t.tv_nsec -= 1000000000L;
		t.tv_sec++;
	}
	return t;
}

static void *inv_thread(void *arg)
{
	int waiter = arg != NULL;
	int r, seen = 0;

	pin_cpu(0);
	/* wake at the time asked, not up to 50 us later */
	prctl(PR_SET_TIMERSLACK, 1UL);
	if (waiter) {
		inv.waiter_tid = syscall(SYS_gettid);
		set_sched(0, SCHED_FIFO, 50);
	} else {
		set_sched(0, SCHED_OTHER, 0);
	}
	for (r = 0; r < inv.rounds; r++) {
		size_t idx = r * inv.op + (waiter ? inv.op / 2 : 0);
		struct timespec at;
		double t0;
		int ok;

		while (__atomic_load_n(&inv.round, __ATOMIC_ACQUIRE) <= seen)
			usleep(200);
		seen++;
		at = ts_add_us(inv.start, waiter ? inv.offset_us : 0);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
		t0 = now();
		ok = check_page(inv.addr + idx * PG, idx);
		(waiter ? inv.wlat : inv.olat)[r] = now() - t0;
		if (!ok)
			__atomic_add_fetch(&inv.bad, 1, __ATOMIC_RELAXED);
		__atomic_store_n(waiter ? &inv.waiter_done : &inv.owner_done, r + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static int run_inversion(const char *kind, const char *dir, int rounds, long offset_us)
{
	int pmd = !strcmp(kind, "2m");
	size_t op = pmd ? 512 : 16, pages = rounds * op;
	struct result r = { .test = pmd ? "inversion-2m" : "inversion-64k", .pages = pages };
	struct large_region lr;
	pthread_t owner, waiter;
	int i, hung = 0, stuck = 0, ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char *extra = malloc(256 + 40 * rounds);
	size_t n;
	double t0, worst = 0;

	if (!extra)
		die("malloc");
	large_map(&lr, dir, pages * PG, pmd);
	fill(lr.addr, pages);
	r.resident_before = page_out(lr.addr, pages * PG);
	inv.addr = lr.addr;
	inv.op = op;
	inv.rounds = rounds;
	inv.offset_us = offset_us;
	inv.wlat = calloc(rounds, sizeof(double));
	inv.olat = calloc(rounds, sizeof(double));
	int *hung_round = calloc(rounds, sizeof(int));

	t0 = measure_begin(&r);
	/* the watchdog: this thread */
	if (ncpu > 1)
		pin_cpu(1);
	set_sched(0, SCHED_FIFO, 60);
	pthread_create(&owner, NULL, inv_thread, NULL);
	pthread_create(&waiter, NULL, inv_thread, (void *)1);
	usleep(20000);
	for (i = 0; i < rounds && !stuck; i++) {
		double dl;

		clock_gettime(CLOCK_MONOTONIC, &inv.start);
		inv.start = ts_add_us(inv.start, 20000);
		__atomic_store_n(&inv.round, i + 1, __ATOMIC_RELEASE);
		dl = now() + 0.02 + INV_WATCHDOG_S;
		while (__atomic_load_n(&inv.waiter_done, __ATOMIC_ACQUIRE) <= i && now() < dl)
			usleep(1000);
		if (__atomic_load_n(&inv.waiter_done, __ATOMIC_ACQUIRE) <= i) {
			/* break the inversion: the waiter becomes SCHED_OTHER */
			hung++;
			hung_round[i] = 1;
			set_sched(inv.waiter_tid, SCHED_OTHER, 0);
			dl = now() + 30;
			while (__atomic_load_n(&inv.waiter_done, __ATOMIC_ACQUIRE) <= i && now() < dl)
				usleep(1000);
			if (__atomic_load_n(&inv.waiter_done, __ATOMIC_ACQUIRE) <= i)
				stuck = 1;
			else
				set_sched(inv.waiter_tid, SCHED_FIFO, 50);
		}
		dl = now() + 30;
		while (!stuck && __atomic_load_n(&inv.owner_done, __ATOMIC_ACQUIRE) <= i && now() < dl)
			usleep(1000);
		if (__atomic_load_n(&inv.owner_done, __ATOMIC_ACQUIRE) <= i)
			stuck = 1;
	}
	measure_end(&r, t0);
	for (i = 0; i < rounds; i++)
		if (inv.wlat[i] > worst)
			worst = inv.wlat[i];
	n = sprintf(extra, "\"rounds\": %d, \"offset_us\": %ld, \"hung_rounds\": %d, \"stuck\": %d, "
		    "\"watchdog_s\": %.1f, \"rt_runtime_us\": %lld, \"worst_us\": %.1f, \"waiter_us\": [",
		    rounds, offset_us, hung, stuck, INV_WATCHDOG_S,
		    read_ll_file("/proc/sys/kernel/sched_rt_runtime_us"), worst * 1e6);
	for (i = 0; i < rounds; i++)
		n += sprintf(extra + n, "%s%.1f", i ? "," : "", inv.wlat[i] * 1e6);
	n += sprintf(extra + n, "], \"owner_us\": [");
	for (i = 0; i < rounds; i++)
		n += sprintf(extra + n, "%s%.1f", i ? "," : "", inv.olat[i] * 1e6);
	sprintf(extra + n, "]");
	r.extra = extra;
	r.bad = inv.bad;
	print_result(&r);
	if (stuck) {
		/* a thread is still inside the kernel: do not wait for it */
		fflush(stdout);
		_exit(3);
	}
	pthread_join(owner, NULL);
	pthread_join(waiter, NULL);
	large_unmap(&lr);
	free(hung_round);
	return r.bad ? 1 : 0;
}

/*
 * limit: many threads on one large entry whose 2M charge cannot fit under memory.max (no
 * swap either, so reclaim cannot make room): the large attempt fails, every thread must
 * still get its page, soon, and the kernel must not retry the large allocation and charge
 * once per thread.  Reported: time per entry, per-fault latency, memory.events "max"
 * (charges that hit the limit: each failed large charge is one or more), the large
 * fallbacks and the large swapins.
 */
static int l_entry;

static void *limit_thread(void *arg)
{
	long id = (long)arg;
	size_t idx = id * 512 / m_groups;
	double t0;
	int ok;

	pthread_barrier_wait(&bar);
	t0 = now();
	ok = check_page(c_addr + idx * PG, (size_t)l_entry * 512 + idx);
	c_lat[(size_t)l_entry * m_groups + id] = now() - t0;
	if (!ok)
		__atomic_add_fetch(&c_bad, 1, __ATOMIC_RELAXED);
	return NULL;
}

static int cg_write_file(const char *cg, const char *file, const char *val)
{
	char path[512];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

static long long cg_events_max(const char *cg)
{
	char path[512], name[64];
	long long v, res = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.events", cg);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", name, &v) == 2)
		if (!strcmp(name, "max"))
			res = v;
	fclose(f);
	return res;
}

static int run_limit(const char *dir, const char *cg, int threads, int entries, long headroom_kb,
		     int hugepage)
{
	size_t op = 512, pages = op * entries;
	struct result r = { .test = hugepage ? "limit-2m-hugepage" : "limit-2m",
			    .pages = (size_t)threads * entries };
	pthread_t *th = calloc(threads, sizeof(*th));
	struct large_region lr;
	long long out0, max0, max1, cur;
	double t0, *per = calloc(entries, sizeof(double));
	char path[512], val[64], *extra = malloc(256 + 16 * entries);
	size_t n;
	long t;
	int e;

	if (!th || !per || !extra)
		die("malloc");
	large_map(&lr, dir, pages * PG, 1);
	/* with THP defrag "madvise" (the default), the 2M allocation and charge may reclaim */
	if (hugepage && madvise(lr.addr, pages * PG, MADV_HUGEPAGE))
		die("MADV_HUGEPAGE");
	fill(lr.addr, pages);
	out0 = large_out_count(1);
	r.resident_before = page_out(lr.addr, pages * PG);
	/* the limit: what we use now and HEADROOM_KB, no swap */
	snprintf(path, sizeof(path), "%s/memory.current", cg);
	cur = read_ll_file(path);
	snprintf(val, sizeof(val), "%lld", cur + headroom_kb * 1024);
	if (cur < 0 || cg_write_file(cg, "memory.swap.max", "0") ||
	    cg_write_file(cg, "memory.max", val))
		die("cannot limit the memory cgroup");
	max0 = cg_events_max(cg);
	/* THREADS threads, a page each, spread over the entry (m_groups: how many) */
	m_groups = threads;
	c_threads = 1;
	c_pages = 1;
	c_lat = calloc((size_t)threads * entries, sizeof(double));
	pthread_barrier_init(&bar, NULL, threads);
	t0 = measure_begin(&r);
	for (e = 0; e < entries; e++) {
		double te = now();

		/* thread t faults page t * 512 / THREADS of entry e */
		c_addr = lr.addr + (size_t)e * op * PG;
		l_entry = e;
		for (t = 0; t < threads; t++)
			pthread_create(&th[t], NULL, limit_thread, (void *)t);
		for (t = 0; t < threads; t++)
			pthread_join(th[t], NULL);
		per[e] = now() - te;
		fprintf(stderr, "# %s entry %d: %.3f s\n", r.test, e + 1, per[e]);
	}
	measure_end(&r, t0);
	max1 = cg_events_max(cg);
	cg_write_file(cg, "memory.max", "max");
	cg_write_file(cg, "memory.swap.max", "max");
	n = snprintf(extra, 256, "\"threads\": %d, \"entries\": %d, \"headroom_kb\": %ld, "
		     "\"large_out\": %lld, \"limit_max_events\": %lld, \"entry_s\": [",
		     threads, entries, headroom_kb, large_out_count(1) - out0, max1 - max0);
	for (e = 0; e < entries; e++)
		n += sprintf(extra + n, "%s%.4f", e ? "," : "", per[e]);
	sprintf(extra + n, "]");
	r.extra = extra;
	r.bad = c_bad;
	r.lat = c_lat;
	r.nlat = (size_t)threads * entries;
	print_result(&r);
	large_unmap(&lr);
	return r.bad ? 1 : 0;
}

static volatile size_t pr_pos;
static volatile int pr_done;
static char *pr_addr;
static size_t pr_pages, pr_bad;
static unsigned char *pr_punched;

static int zero_page(const char *p)
{
	size_t i;

	for (i = 0; i < PG / 8; i++)
		if (((const volatile uint64_t *)p)[i])
			return 0;
	return 1;
}

static void *punchrace_reader(void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < pr_pages; i++) {
		const char *p = pr_addr + i * PG;

		pr_pos = i;
		if (check_page(p, i))
			continue;
		/* a punched page reads zero, or its data if the punch came after us */
		if (!pr_punched[i] || !(zero_page(p) || check_page(p, i)))
			pr_bad++;
	}
	pr_done = 1;
	return NULL;
}

/*
 * Punch 4-page holes 2 to 9 pages ahead of a sequential reader, again and again, while it
 * faults a swapped-out file: a batch's or an owner's markers are sometimes met by the punch.
 * Prints the counters around the rounds; fails if a page read back neither its data nor
 * zeros (zeros only where a hole was punched).
 */
static int run_punchrace(const char *dir, size_t mb, int rounds)
{
	struct result r = { .test = "punchrace", .pages = mb * 256 * rounds };
	pthread_t tid;
	double t0 = 0;
	unsigned long punches = 0;
	int fd, k;

	pr_pages = mb * 256;
	pr_punched = malloc(pr_pages);
	if (!pr_punched)
		die("malloc");
	for (k = 0; k < rounds; k++) {
		size_t last = (size_t)-1;

		pr_addr = map_file(dir, pr_pages * PG, &fd);
		fill(pr_addr, pr_pages);
		memset(pr_punched, 0, pr_pages);
		r.resident_before += page_out(pr_addr, pr_pages * PG);
		pr_pos = 0;
		pr_done = 0;
		if (!k)
			t0 = measure_begin(&r);
		if (pthread_create(&tid, NULL, punchrace_reader, NULL))
			die("pthread_create");
		while (!pr_done) {
			size_t at = pr_pos + 2 + (pr_pos % 8);
			double until;

			if (at == last || at + 4 > pr_pages) {
				sched_yield();
				continue;
			}
			/*
			 * Punch a little after the reader moved on: 0 to 360 us
			 * later, in turn, so that some punches come while its
			 * swapin (or its batch) holds the markers ahead of it.
			 */
			until = now() + (double)(punches++ % 10) * 40e-6;
			while (now() < until)
				;
			memset(pr_punched + at, 1, 4);
			if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, at * PG, 4 * PG))
				die("fallocate");
			last = at;
		}
		pthread_join(tid, NULL);
		munmap(pr_addr, pr_pages * PG);
		close(fd);
	}
	r.bad = pr_bad;
	measure_end(&r, t0);
	print_result(&r);
	free(pr_punched);
	return r.bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "seq-mmap"))
		return run_seq("seq-mmap", argv[2], strtoul(argv[3], NULL, 0), 0, 0);
	if (argc >= 4 && !strcmp(argv[1], "seq-read"))
		return run_seq("seq-read", argv[2], strtoul(argv[3], NULL, 0), 1, 0);
	if (argc >= 4 && !strcmp(argv[1], "seq-mmap-half"))
		return run_seq("seq-mmap-half", argv[2], strtoul(argv[3], NULL, 0), 0, 0);
	if (argc >= 4 && !strcmp(argv[1], "rand-mmap"))
		return run_seq("rand-mmap", argv[2], strtoul(argv[3], NULL, 0), 0, 1);
	if (argc >= 5 && !strcmp(argv[1], "contend"))
		return run_contend(argv[2], atoi(argv[3]), strtoul(argv[4], NULL, 0),
				   argc >= 6 ? argv[5] : "contend");
	if (argc >= 3 && !strcmp(argv[1], "seq-mmap-64k"))
		return run_seq_large("seq-mmap-64k", NULL, strtoul(argv[2], NULL, 0), 0);
	if (argc >= 4 && !strcmp(argv[1], "seq-mmap-2m"))
		return run_seq_large("seq-mmap-2m", argv[2], strtoul(argv[3], NULL, 0), 1);
	if (argc >= 6 && !strcmp(argv[1], "contend-multi"))
		return run_contend_multi(argv[2], atoi(argv[3]), atoi(argv[4]),
					 strtoul(argv[5], NULL, 0),
					 argc >= 7 ? argv[6] : "contend-multi");
	if (argc >= 6 && !strcmp(argv[1], "loop"))
		return run_loop(argv[2], argv[3], strtoul(argv[4], NULL, 0), atoi(argv[5]));
	if (argc >= 6 && !strcmp(argv[1], "inversion"))
		return run_inversion(argv[2], argv[3], atoi(argv[4]), atol(argv[5]));
	if (argc >= 7 && !strcmp(argv[1], "limit"))
		return run_limit(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]), atol(argv[6]),
				 argc >= 8 && !strcmp(argv[7], "hugepage"));
	if (argc >= 5 && !strcmp(argv[1], "punchrace"))
		return run_punchrace(argv[2], strtoul(argv[3], NULL, 0), atoi(argv[4]));
	if (argc >= 3 && !strcmp(argv[1], "anon-seq"))
		return run_anon(strtoul(argv[2], NULL, 0));
	fprintf(stderr, "usage: see the comment at the top of %s\n", __FILE__);
	return 2;
}
