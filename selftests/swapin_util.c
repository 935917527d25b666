// SPDX-License-Identifier: GPL-2.0
/*
 * Basic helpers of the shmem cache-bypass swapin selftests: diagnostics,
 * tunables, time, the data pattern, the error log, small file helpers,
 * SIGBUS-safe page copies and CPU pinning.
 * See swapin_util.h and docs/testing.md.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "swapin_util.h"

size_t ps;
int ncpus;

static void __attribute__((constructor)) lib_init(void)
{
	ps = sysconf(_SC_PAGESIZE);
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpus < 1)
		ncpus = 1;
}

void diag(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# %s\n", buf);
}

double env_scale(void)
{
	const char *s = getenv("SHMEM_SWAPIN_SCALE");
	double d;

	if (!s || !*s)
		return 1.0;
	d = strtod(s, NULL);
	return d > 0 ? d : 1.0;
}

size_t scaled(size_t n)
{
	size_t r = (size_t)(n * env_scale());

	return r ? r : 1;
}

long race_delay_us(long dflt)
{
	const char *s = getenv("SHMEM_SWAPIN_DELAY_US");

	if (!s || !*s)
		return dflt;
	return strtol(s, NULL, 0);
}

uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ------------------------------------------------------------------ */

void fill_page(void *p, unsigned int id, unsigned long idx, unsigned int gen)
{
	uint64_t *q = p;
	size_t w, nw = ps / 8;

	if (!gen) {
		memset(p, 0, ps);
		return;
	}
	for (w = 0; w < nw; w++)
		q[w] = pat_word(id, idx, gen, w);
}

void describe_word(uint64_t v, char *buf, size_t len)
{
	if (!v)
		snprintf(buf, len, "0 (zero)");
	else if ((v >> 56) == PAT_MAGIC && (v & 7) == 5)
		snprintf(buf, len,
			 "0x%016llx (file %u page %llu gen %u word %u)",
			 (unsigned long long)v, (unsigned int)(v >> 48) & 0xff,
			 (unsigned long long)(v >> 12) & 0xffffff,
			 (unsigned int)(v >> 36) & 0xfff,
			 (unsigned int)(v >> 3) & 0x1ff);
	else
		snprintf(buf, len, "0x%016llx (not a pattern word)",
			 (unsigned long long)v);
}

int check_page(const void *p, unsigned int id, unsigned long idx,
	       unsigned int gen, char *msg, size_t len)
{
	const uint64_t *q = p;
	size_t w, nw = ps / 8, bad = 0, first = 0;
	char got[96], exp[96];

	for (w = 0; w < nw; w++) {
		uint64_t e = gen ? pat_word(id, idx, gen, w) : 0;

		if (q[w] != e) {
			if (!bad)
				first = w;
			bad++;
		}
	}
	if (!bad)
		return 0;
	if (msg) {
		describe_word(q[first], got, sizeof(got));
		if (gen)
			snprintf(exp, sizeof(exp), "file %u page %lu gen %u",
				 id, idx, gen);
		else
			snprintf(exp, sizeof(exp), "zeros");
		snprintf(msg, len,
			 "page %lu: %zu of %zu words wrong, first at word %zu: expected %s, got %s",
			 idx, bad, nw, first, exp, got);
	}
	return -1;
}

int page_gen(const void *p, unsigned int id, unsigned long idx,
	     char *msg, size_t len)
{
	const uint64_t *q = p;
	uint64_t v = q[0];
	unsigned int gen;

	if (!v)
		return check_page(p, id, idx, 0, msg, len) ? -1 : 0;
	gen = (v >> 36) & 0xfff;
	if (v != pat_word(id, idx, gen, 0) || !gen) {
		char got[96];

		if (msg) {
			describe_word(v, got, sizeof(got));
			snprintf(msg, len,
				 "page %lu: word 0 is %s, not a word of file %u page %lu",
				 idx, got, id, idx);
		}
		return -1;
	}
	return check_page(p, id, idx, gen, msg, len) ? -1 : (int)gen;
}

int page_gen_torn(const void *p, unsigned int id, unsigned long idx,
		  unsigned int old, unsigned int new, char *msg, size_t len)
{
	const uint64_t *q = p;
	unsigned int w;

	for (w = 0; w < ps / 8; w++) {
		char got[96];

		if (q[w] == pat_word(id, idx, old, w) ||
		    q[w] == pat_word(id, idx, new, w))
			continue;
		if (msg) {
			describe_word(q[w], got, sizeof(got));
			snprintf(msg, len,
				 "page %lu: word %u is %s, neither gen %u nor gen %u of file %u",
				 idx, w, got, old, new, id);
		}
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */

struct errlog *errlog_new(void)
{
	struct errlog *e;
	pthread_mutexattr_t a;

	e = mmap(NULL, sizeof(*e), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (e == MAP_FAILED)
		return NULL;
	memset(e, 0, sizeof(*e));
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&e->lock, &a);
	pthread_mutexattr_destroy(&a);
	return e;
}

void errlog_free(struct errlog *e)
{
	if (e)
		munmap(e, sizeof(*e));
}

void errlog_add(struct errlog *e, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&e->lock);
	if (e->count < ERRLOG_MAX) {
		va_start(ap, fmt);
		vsnprintf(e->msg[e->count], sizeof(e->msg[0]), fmt, ap);
		va_end(ap);
	}
	e->count++;
	pthread_mutex_unlock(&e->lock);
}

int errlog_report(struct errlog *e, const char *what)
{
	int i, n;

	pthread_mutex_lock(&e->lock);
	n = e->count;
	if (n)
		diag("%s: %d error(s)%s", what, n,
		     n > ERRLOG_MAX ? " (first ones shown)" : "");
	for (i = 0; i < n && i < ERRLOG_MAX; i++)
		diag("  %s", e->msg[i]);
	pthread_mutex_unlock(&e->lock);
	return n;
}

/* ------------------------------------------------------------------ */

int write_str(const char *path, const char *s)
{
	int fd, ret = 0;
	ssize_t n;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != strlen(s))
		ret = -EIO;
	close(fd);
	return ret;
}

int read_str(const char *path, char *buf, size_t len)
{
	int fd;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	close(fd);
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

long long read_ll(const char *path)
{
	char buf[64];

	if (read_str(path, buf, sizeof(buf)))
		return -1;
	if (!strcmp(buf, "max"))
		return LLONG_MAX;
	return strtoll(buf, NULL, 0);
}

bool path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

int read_choice(const char *path, char *buf, size_t len)
{
	char tmp[512], *a, *b;
	int r = read_str(path, tmp, sizeof(tmp));

	if (r)
		return r;
	a = strchr(tmp, '[');
	b = a ? strchr(a, ']') : NULL;
	if (a && b) {
		*b = 0;
		snprintf(buf, len, "%s", a + 1);
	} else {
		snprintf(buf, len, "%s", tmp);
	}
	return 0;
}

/* ------------------------------------------------------------------ */

/* volatile: the compiler cannot see the fault inside memcpy() */
static __thread sigjmp_buf *volatile tl_jb;

static void sigbus_handler(int sig)
{
	if (tl_jb)
		siglongjmp(*tl_jb, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

void sigbus_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sigbus_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
}

int safe_copy_page(void *dst, const void *src)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 1)) {
		tl_jb = NULL;
		return -1;
	}
	tl_jb = &jb;
	__asm__ __volatile__("" ::: "memory");
	memcpy(dst, src, ps);
	__asm__ __volatile__("" ::: "memory");
	tl_jb = NULL;
	return 0;
}

int pin_cpu(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return sched_setaffinity(0, sizeof(s), &s) ? -errno : 0;
}

int last_cpu(void)
{
	cpu_set_t s;
	int cpu, last = 0;

	if (sched_getaffinity(0, sizeof(s), &s))
		return 0;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &s))
			last = cpu;
	return last;
}
