/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Large shmem folios for the swapin selftests, as thp_settings.c is for
 * selftests/mm: per-size mTHP knobs and stats, and test files whose folios
 * are large and go out to swap as large (multi-index) swap entries: 64K
 * mTHP of an anonymous shared mapping, or PMD THP of a huge=always tmpfs.
 */
#ifndef SWAPIN_THP_H
#define SWAPIN_THP_H

#include <stddef.h>

struct env;
struct tfile;

enum large_kind { LARGE_MTHP64, LARGE_PMD };

/* a per-size stat, e.g. mthp_stat("64kB", "shmem_alloc"); -1 if missing */
long long mthp_stat(const char *size, const char *stat);
/* shmem mTHP of @size only ("64kB"): every other size "never" (journaled) */
int mthp_only(struct env *e, const char *size);

/*
 * Create @t (id @id) of at least @npages pages, rounded up to whole large
 * folios of @kind, written in generation 1 from the test cgroup, and push
 * it out to swap.  *@order_pages is the large folio's size in pages.
 * Returns 0, or a SKIP reason in @why (kernel or configuration cannot make
 * large swap entries; return value 1), or -1 on failure (diagnosed).
 */
int large_file_out(struct env *e, enum large_kind kind, struct tfile *t,
		   size_t npages, unsigned int id, size_t *order_pages,
		   char *why, size_t len);
/* push pages [first, first+n) of a large file out again, as large entries */
int large_push_out(struct env *e, enum large_kind kind, struct tfile *t,
		   size_t first, size_t n);

#endif
