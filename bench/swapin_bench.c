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
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PG 4096UL

static const char *counters[] = {
	"pswpin", "pswpout", "shmem_swapin_bypass", "shmem_swapin_swapcache",
	"shmem_swapin_fallback", "shmem_swapin_marker_wait", "shmem_swapin_handoff",
	"shmem_swapin_poll_wait", "shmem_swapin_wasted", "swap_ra", "zswpin",
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

/* Peak Shmem and zram memory, sampled every 10 ms by a thread. */
static volatile int sampling;
static long long peak_shmem_kb, peak_zram_bytes;

static void *sampler(void *arg)
{
	char line[256];
	long long v, a, b, c;

	(void)arg;
	while (sampling) {
		FILE *f = fopen("/proc/meminfo", "r");

		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "Shmem: %lld", &v) == 1 && v > peak_shmem_kb)
				peak_shmem_kb = v;
		if (f)
			fclose(f);
		f = fopen("/sys/block/zram0/mm_stat", "r");
		if (f && fscanf(f, "%lld %lld %lld", &a, &b, &c) == 3 && c > peak_zram_bytes)
			peak_zram_bytes = c;
		if (f)
			fclose(f);
		usleep(10000);
	}
	return NULL;
}

static size_t resident(char *addr, size_t len)
{
	size_t n = len / PG, i, r = 0;
	unsigned char *vec = malloc(n);

	if (!vec || mincore(addr, len, vec))
		die("mincore");
	for (i = 0; i < n; i++)
		r += vec[i] & 1;
	free(vec);
	return r;
}

/* Push a mapping out to swap; returns pages still resident. */
static size_t page_out(char *addr, size_t len)
{
	size_t r = 0;
	int tries;

	for (tries = 0; tries < 8; tries++) {
		if (madvise(addr, len, MADV_PAGEOUT))
			die("MADV_PAGEOUT");
		r = resident(addr, len);
		if (r <= len / PG / 200)
			break;
	}
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
};

/* Bracket the timed part of a run: sampler thread on, counters read, clock started. */
static pthread_t sampler_thread;

static double measure_begin(struct result *r)
{
	sampling = 1;
	pthread_create(&sampler_thread, NULL, sampler, NULL);
	read_counters(r->c0);
	return now();
}

static void measure_end(struct result *r, double t0)
{
	r->seconds = now() - t0;
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

static void *contender(void *arg)
{
	long t = (long)arg;
	size_t i;

	for (i = 0; i < c_pages; i++) {
		double t0;
		int ok;

		pthread_barrier_wait(&bar);
		t0 = now();
		ok = check_page(c_addr + i * PG, i);
		c_lat[i * c_threads + t] = now() - t0;
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

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "seq-mmap"))
		return run_seq("seq-mmap", argv[2], strtoul(argv[3], NULL, 0), 0, 0);
	if (argc >= 4 && !strcmp(argv[1], "seq-read"))
		return run_seq("seq-read", argv[2], strtoul(argv[3], NULL, 0), 1, 0);
	if (argc >= 4 && !strcmp(argv[1], "rand-mmap"))
		return run_seq("rand-mmap", argv[2], strtoul(argv[3], NULL, 0), 0, 1);
	if (argc >= 5 && !strcmp(argv[1], "contend"))
		return run_contend(argv[2], atoi(argv[3]), strtoul(argv[4], NULL, 0),
				   argc >= 6 ? argv[5] : "contend");
	if (argc >= 3 && !strcmp(argv[1], "anon-seq"))
		return run_anon(strtoul(argv[2], NULL, 0));
	fprintf(stderr, "usage: see the comment at the top of %s\n", __FILE__);
	return 2;
}
