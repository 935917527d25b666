/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test files of the shmem cache-bypass swapin selftests: a memfd or a file
 * on a tmpfs, mapped MAP_SHARED, written in the data pattern of
 * swapin_util.h with the expected generation of every page recorded,
 * verified, pushed out to swap and checked for residency (mincore), and
 * cachestat(2).
 */
#ifndef SWAPIN_FILES_H
#define SWAPIN_FILES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cg;

struct tfile {
	int fd;			/* read-write fd, -1 if none */
	char *map;		/* MAP_SHARED mapping of the whole file */
	size_t maplen;
	size_t npages;
	unsigned int id;
	char path[512];		/* for path-based files, else "" */
	unsigned short *gen;	/* expected generation per page, 0 = zeros */
};

void *mmap_aligned(size_t len, size_t align, int prot, int flags, int fd,
		   off_t off);
int tf_memfd(struct tfile *t, const char *name, size_t npages,
	     unsigned int id, unsigned int mfd_flags);
int tf_open(struct tfile *t, const char *path, size_t npages,
	    unsigned int id);
int tf_map(struct tfile *t, int prot);		/* uses t->fd */
/* write pages [first, first+n) in generation gen via pwrite (0 = zeros) */
int tf_write(struct tfile *t, size_t first, size_t n, unsigned int gen);
/* same, through the mapping (page faults) */
int tf_write_map(struct tfile *t, size_t first, size_t n, unsigned int gen);
enum { VIA_PREAD, VIA_MAP };
/* verify pages against t->gen; returns number of bad pages (logs <= 8) */
long tf_verify(struct tfile *t, size_t first, size_t n, int how,
	       const char *what);
void tf_close(struct tfile *t);
long long tf_blocks(struct tfile *t);		/* st_blocks (512 B units) */

/* mincore residency: number of resident pages, fills vec if non-NULL */
long tf_resident(struct tfile *t, size_t first, size_t n,
		 unsigned char *vec);
/*
 * Pages of @t's mapping in [first, first+n) that have a present PTE, from
 * /proc/self/pagemap, without touching them; fills vec if non-NULL; -1 on
 * error.
 */
long tf_mapped(struct tfile *t, size_t first, size_t n, unsigned char *vec);
/* the same for any @n pages from page-aligned @addr */
long pages_mapped(const void *addr, size_t n, unsigned char *vec);
/* lru_add_drain() on every CPU, by running MADV_COLD on each of them */
void lru_drain_all(void);
/*
 * Size in pages of the folio that page @idx of @t's mapping lies in (it is
 * faulted in read-only first), from /proc/self/pagemap and /proc/kpageflags:
 * 1 for a small folio, the compound size for a large one; -1 if unknown.
 */
long tf_folio_pages(struct tfile *t, size_t idx);
/*
 * Push pages [first, first+n) out to swap with MADV_PAGEOUT (memory.reclaim
 * of @c as a fallback) and check with mincore that none is left resident
 * (not in the page cache, not in the swap cache).
 */
int force_out(struct tfile *t, size_t first, size_t n, struct cg *c);
/*
 * A filler memfd @name of @n pages (pattern @id) written, pushed out to swap
 * and freed: the per-CPU swap slot caches give up the slots they hold of the
 * device that was first when they were filled, so that the next swap-outs
 * take slots of the device that is first now.
 */
int use_up_slot_caches(const char *name, size_t n, unsigned int id);

/* cachestat(2); -ENOSYS if the kernel lacks it */
struct ss_cachestat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted,
		 nr_recently_evicted;
};
int do_cachestat(int fd, off_t off, size_t len, struct ss_cachestat *cs);

#endif
