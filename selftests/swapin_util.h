/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Basic helpers shared by the shmem cache-bypass swapin selftests: KTAP
 * diagnostics, tunables from the environment, time, the self-describing
 * data pattern, an error log shared by threads and forked children, small
 * file helpers, SIGBUS-safe page copies, CPU pinning, and the page size
 * and CPU count.  None of the swapin_*.h headers includes
 * kselftest_harness.h (which defines globals and may only be included by
 * one translation unit per binary): helpers report failures by returning
 * non-zero and by printing KTAP diagnostic lines ("# ...") to stderr, the
 * stream the harness uses for TH_LOG().
 */
#ifndef SWAPIN_UTIL_H
#define SWAPIN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

extern size_t ps;		/* page size */
extern int ncpus;		/* online CPUs */

/* diagnostics: one KTAP diagnostic line, "# " prefixed, to stderr */
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* tunables from the environment */
double env_scale(void);			/* SHMEM_SWAPIN_SCALE, default 1 */
size_t scaled(size_t n);		/* n * scale, at least 1 */
long race_delay_us(long dflt);		/* SHMEM_SWAPIN_DELAY_US overrides */

uint64_t now_us(void);
void sleep_us(long us);

/* ------------------------------------------------------------------ */
/* Data pattern.  Every 8-byte word of page @idx of file @id written in
 * generation @gen (1..4095) is distinct and self-describing, so a wrong
 * page (other index, other file, older generation, torn copy) is named
 * in the diagnostic.  Generation 0 means "zeros expected". */

#define PAT_MAGIC 0xa5ULL

static inline uint64_t pat_word(unsigned int id, unsigned long idx,
				unsigned int gen, unsigned int w)
{
	return (PAT_MAGIC << 56) | ((uint64_t)(id & 0xff) << 48) |
	       ((uint64_t)(gen & 0xfff) << 36) |
	       ((uint64_t)(idx & 0xffffff) << 12) |
	       ((uint64_t)(w & 0x1ff) << 3) | 5;
}

void fill_page(void *p, unsigned int id, unsigned long idx, unsigned int gen);
/* 0 if page matches (id, idx, gen); else -1 and a description in msg */
int check_page(const void *p, unsigned int id, unsigned long idx,
	       unsigned int gen, char *msg, size_t len);
/*
 * Classify a page read back: returns its generation if it is a complete,
 * consistent pattern of (id, idx, gen), 0 if it is all zeros, -1 if it is
 * anything else (torn, mixed, other page, garbage); msg then describes it.
 */
int page_gen(const void *p, unsigned int id, unsigned long idx,
	     char *msg, size_t len);
/*
 * A page copied while a write of generation @new replaced generation @old
 * may be torn (the copy and the write run word by word, unordered): 0 if
 * every word is a word of (id, idx) in @old or @new, else -1 with msg.
 */
int page_gen_torn(const void *p, unsigned int id, unsigned long idx,
		  unsigned int old, unsigned int new, char *msg, size_t len);
void describe_word(uint64_t v, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Error log shared by threads and forked children (MAP_SHARED). */

#define ERRLOG_MAX 12
struct errlog {
	pthread_mutex_t lock;
	int count;
	char msg[ERRLOG_MAX][320];
};
struct errlog *errlog_new(void);
void errlog_free(struct errlog *e);
void errlog_add(struct errlog *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* prints the errors as diagnostics, returns their number */
int errlog_report(struct errlog *e, const char *what);

/* ------------------------------------------------------------------ */
/* small file helpers */

int write_str(const char *path, const char *s);	/* 0 or -errno */
int read_str(const char *path, char *buf, size_t len);	/* 0 or -errno */
long long read_ll(const char *path);		/* -1 on error */
bool path_exists(const char *path);
/* current choice of a "a [b] c" sysfs file, or the whole value */
int read_choice(const char *path, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* SIGBUS-safe page copies, CPU pinning */

/* copy one page from a mapping; -1 if it raised SIGBUS (beyond EOF) */
void sigbus_install(void);
int safe_copy_page(void *dst, const void *src);

/* pin the calling thread to one CPU; -errno */
int pin_cpu(int cpu);
int last_cpu(void);

#endif
