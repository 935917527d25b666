// SPDX-License-Identifier: GPL-2.0
/*
 * Test files of the shmem cache-bypass swapin selftests: create, map,
 * write, verify, push out to swap, residency and cachestat.
 * See swapin_files.h and docs/testing.md.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include "swapin_util.h"
#include "swapin_cgroup.h"
#include "swapin_files.h"

#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif

void *mmap_aligned(size_t len, size_t align, int prot, int flags, int fd,
		   off_t off)
{
	char *res, *a, *p;

	res = mmap(NULL, len + align, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return MAP_FAILED;
	a = (char *)(((uintptr_t)res + align - 1) & ~(uintptr_t)(align - 1));
	p = mmap(a, len, prot, flags | MAP_FIXED, fd, off);
	if (p == MAP_FAILED) {
		munmap(res, len + align);
		return MAP_FAILED;
	}
	if (a > res)
		munmap(res, a - res);
	if (res + len + align > a + len)
		munmap(a + len, res + len + align - (a + len));
	return p;
}

static int tf_init(struct tfile *t, size_t npages, unsigned int id)
{
	t->map = NULL;
	t->maplen = 0;
	t->npages = npages;
	t->id = id;
	t->gen = calloc(npages, sizeof(*t->gen));
	if (!t->gen)
		return -ENOMEM;
	if (ftruncate(t->fd, npages * ps))
		return -errno;
	return 0;
}

int tf_memfd(struct tfile *t, const char *name, size_t npages,
	     unsigned int id, unsigned int mfd_flags)
{
	memset(t, 0, sizeof(*t));
	t->fd = memfd_create(name, MFD_CLOEXEC | mfd_flags);
	if (t->fd < 0)
		return -errno;
	return tf_init(t, npages, id);
}

int tf_open(struct tfile *t, const char *path, size_t npages,
	    unsigned int id)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "%s", path);
	t->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (t->fd < 0)
		return -errno;
	return tf_init(t, npages, id);
}

int tf_map(struct tfile *t, int prot)
{
	void *p = mmap_aligned(t->npages * ps, 2UL << 20, prot, MAP_SHARED,
			       t->fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	t->map = p;
	t->maplen = t->npages * ps;
	return 0;
}

int tf_write(struct tfile *t, size_t first, size_t n, unsigned int gen)
{
	const size_t chunk = 64;
	char *buf = malloc(chunk * ps);
	size_t i, j;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < n; i += chunk) {
		size_t c = n - i < chunk ? n - i : chunk;
		ssize_t w;

		for (j = 0; j < c; j++)
			fill_page(buf + j * ps, t->id, first + i + j, gen);
		w = pwrite(t->fd, buf, c * ps, (first + i) * ps);
		if (w != (ssize_t)(c * ps)) {
			ret = w < 0 ? -errno : -EIO;
			break;
		}
		for (j = 0; j < c; j++)
			t->gen[first + i + j] = gen;
	}
	free(buf);
	return ret;
}

int tf_write_map(struct tfile *t, size_t first, size_t n, unsigned int gen)
{
	size_t i;

	for (i = first; i < first + n; i++) {
		fill_page(t->map + i * ps, t->id, i, gen);
		t->gen[i] = gen;
	}
	return 0;
}

long tf_verify(struct tfile *t, size_t first, size_t n, int how,
	       const char *what)
{
	char *buf = malloc(ps);
	char msg[400];
	long bad = 0;
	size_t i;

	if (!buf)
		return -1;
	for (i = first; i < first + n; i++) {
		if (how == VIA_PREAD) {
			ssize_t r = pread(t->fd, buf, ps, i * ps);

			if (r != (ssize_t)ps) {
				if (bad++ < 8)
					diag("%s: page %zu: pread returned %zd (%s)",
					     what, i, r,
					     r < 0 ? strerror(errno) : "short");
				continue;
			}
		} else {
			memcpy(buf, t->map + i * ps, ps);
		}
		if (check_page(buf, t->id, i, t->gen[i], msg, sizeof(msg))) {
			if (bad++ < 8)
				diag("%s: %s", what, msg);
		}
	}
	if (bad)
		diag("%s: %ld of %zu pages wrong", what, bad, n);
	free(buf);
	return bad;
}

void tf_close(struct tfile *t)
{
	if (t->map && t->maplen)
		munmap(t->map, t->maplen);
	t->map = NULL;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->path[0])
		unlink(t->path);
	t->path[0] = 0;
	free(t->gen);
	t->gen = NULL;
}

long long tf_blocks(struct tfile *t)
{
	struct stat st;

	if (fstat(t->fd, &st))
		return -1;
	return st.st_blocks;
}

#define PM_PFN_MASK	((1ULL << 55) - 1)
#define PM_PRESENT	(1ULL << 63)
#define KPF_COMPOUND_HEAD	15
#define KPF_COMPOUND_TAIL	16

static int read_u64_at(int fd, uint64_t idx, uint64_t *v)
{
	return pread(fd, v, sizeof(*v), idx * sizeof(*v)) == sizeof(*v) ? 0 : -1;
}

long tf_folio_pages(struct tfile *t, size_t idx)
{
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int kf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	uint64_t e, pfn, f, head;
	long n = -1;

	if (pm < 0 || kf < 0)
		goto out;
	(void)*(volatile char *)(t->map + idx * ps);
	if (read_u64_at(pm, (uintptr_t)(t->map + idx * ps) / ps, &e) ||
	    !(e & PM_PRESENT) || !(e & PM_PFN_MASK))
		goto out;
	pfn = e & PM_PFN_MASK;
	if (read_u64_at(kf, pfn, &f))
		goto out;
	if (!(f & ((1ULL << KPF_COMPOUND_HEAD) | (1ULL << KPF_COMPOUND_TAIL)))) {
		n = 1;
		goto out;
	}
	/* walk back to the head, then count the tails after it */
	head = pfn;
	while (head && !read_u64_at(kf, head, &f) &&
	       !(f & (1ULL << KPF_COMPOUND_HEAD)))
		head--;
	for (n = 1; !read_u64_at(kf, head + n, &f) &&
	     (f & (1ULL << KPF_COMPOUND_TAIL)); n++)
		;
out:
	if (pm >= 0)
		close(pm);
	if (kf >= 0)
		close(kf);
	return n;
}

long pages_mapped(const void *addr, size_t n, unsigned char *vec)
{
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	long mapped = 0;
	uint64_t e;
	size_t i;

	if (pm < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (read_u64_at(pm, (uintptr_t)addr / ps + i, &e)) {
			mapped = -1;
			break;
		}
		if (vec)
			vec[i] = !!(e & PM_PRESENT);
		mapped += !!(e & PM_PRESENT);
	}
	close(pm);
	return mapped;
}

long tf_mapped(struct tfile *t, size_t first, size_t n, unsigned char *vec)
{
	return pages_mapped(t->map + first * ps, n, vec);
}

long tf_resident(struct tfile *t, size_t first, size_t n,
		 unsigned char *vec)
{
	unsigned char *v = vec ? vec : malloc(n);
	long cnt = 0;
	size_t i;

	if (!v)
		return -1;
	if (mincore(t->map + first * ps, n * ps, v)) {
		cnt = -1;
		goto out;
	}
	for (i = 0; i < n; i++)
		cnt += v[i] & 1;
out:
	if (!vec)
		free(v);
	return cnt;
}

void lru_drain_all(void)
{
	static char *dummy;
	cpu_set_t old, one;
	int cpu;

	if (!dummy) {
		dummy = mmap(NULL, ps, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (dummy == MAP_FAILED) {
			dummy = NULL;
			return;
		}
	}
	dummy[0] = 1;
	if (sched_getaffinity(0, sizeof(old), &old))
		return;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &old))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			continue;
		/* madvise_cold() starts with lru_add_drain() on this CPU */
		madvise(dummy, ps, MADV_COLD);
	}
	sched_setaffinity(0, sizeof(old), &old);
}

int use_up_slot_caches(const char *name, size_t n, unsigned int id)
{
	struct tfile f;
	int r;

	if (tf_memfd(&f, name, n, id, 0) || tf_map(&f, PROT_READ | PROT_WRITE)) {
		tf_close(&f);
		return -1;
	}
	r = tf_write(&f, 0, n, 1) || force_out(&f, 0, n, NULL);
	tf_close(&f);
	return r ? -1 : 0;
}

int force_out(struct tfile *t, size_t first, size_t n, struct cg *c)
{
	unsigned char *vec = malloc(n);
	long res = -1;
	size_t i;
	int attempt;

	if (!vec)
		return -ENOMEM;
	for (attempt = 0; attempt < 10; attempt++) {
		lru_drain_all();
		if (tf_resident(t, first, n, vec) < 0) {
			diag("force_out: mincore: %s", strerror(errno));
			break;
		}
		/* MADV_PAGEOUT only sees pages mapped in this mm */
		for (i = 0; i < n; i++)
			if (vec[i] & 1)
				(void)*(volatile char *)(t->map + (first + i) * ps);
		if (madvise(t->map + first * ps, n * ps, MADV_PAGEOUT)) {
			diag("force_out: MADV_PAGEOUT: %s", strerror(errno));
			break;
		}
		res = tf_resident(t, first, n, vec);
		if (res == 0) {
			free(vec);
			return 0;
		}
		if (attempt >= 2 && c && c->created) {
			char buf[64];

			snprintf(buf, sizeof(buf), "%ld", res * (long)ps * 2);
			cg_write(c, "memory.reclaim", buf);
		}
		usleep(20000);
	}
	if (res > 0) {
		int shown = 0;

		diag("force_out: %ld of %zu pages of file %u still resident after %d attempts; first ones:",
		     res, n, t->id, attempt);
		for (i = 0; i < n && shown < 8; i++)
			if (vec[i] & 1) {
				diag("  page %zu resident", first + i);
				shown++;
			}
	}
	free(vec);
	return -1;
}

int do_cachestat(int fd, off_t off, size_t len, struct ss_cachestat *cs)
{
	struct { uint64_t off, len; } range = { off, len };

	if (syscall(__NR_cachestat, fd, &range, cs, 0))
		return -errno;
	return 0;
}
