/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the shmem cache-bypass swapin selftests.
 *
 * This file does not include kselftest_harness.h (which defines globals
 * and may only be included by one translation unit per binary).  Helpers
 * report failures by returning non-zero and by printing KTAP diagnostic
 * lines ("# ...") to stderr, the stream the harness uses for TH_LOG().
 */
#ifndef SWAPIN_LIB_H
#define SWAPIN_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>

/* ------------------------------------------------------------------ */
/* Kernel interface of the feature (docs/design.md section 7).        */

#define SWAPIN_SYSFS_DIR	"/sys/kernel/mm/shmem_swapin"
#define SWAPIN_MODE		SWAPIN_SYSFS_DIR "/mode"
#define SWAPIN_DELAY		SWAPIN_SYSFS_DIR "/debug_delay_us"
#define ZSWAP_ENABLED		"/sys/module/zswap/parameters/enabled"
#define ZSWAP_SHRINKER		"/sys/module/zswap/parameters/shrinker_enabled"
#define THP_DIR			"/sys/kernel/mm/transparent_hugepage"

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
/* /proc/vmstat */

enum {
	V_BYPASS, V_SWAPCACHE, V_FALLBACK, V_WAIT, V_HANDOFF,	/* feature */
	V_PSWPIN, V_PSWPOUT, V_ZSWPIN, V_ZSWPOUT, V_ZSWPWB,
	V_SWPIN_ZERO, V_SWPOUT_ZERO, V_THP_SWPOUT, V_THP_SWPOUT_FB,
	V_PGMAJFAULT, V_OOM_KILL,
	V_NR
};
#define V_NR_FEATURE 5
extern const char *const vm_names[V_NR];

struct vmsnap {
	long long v[V_NR];
	bool present[V_NR];
};
int vm_snap(struct vmsnap *s);
static inline long long vm_d(const struct vmsnap *a, const struct vmsnap *b,
			     int i)
{
	return b->v[i] - a->v[i];
}
/* pages read from swap: device reads + zswap loads + zero-map fills */
long long vm_reads(const struct vmsnap *a, const struct vmsnap *b);
/* pages written out: device writes + zswap stores + zero-map */
long long vm_outs(const struct vmsnap *a, const struct vmsnap *b);
/* pages installed by shmem_swapin_folio: bypass + swap cache path */
long long vm_installs(const struct vmsnap *a, const struct vmsnap *b);
void vm_print(const char *label, const struct vmsnap *a,
	      const struct vmsnap *b);
/* 0 if all feature counters exist, else -1 naming the first missing one */
int vm_feature_check(const struct vmsnap *s, char *msg, size_t len);

/* ------------------------------------------------------------------ */
/* small file helpers */

int write_str(const char *path, const char *s);	/* 0 or -errno */
int read_str(const char *path, char *buf, size_t len);	/* 0 or -errno */
long long read_ll(const char *path);		/* -1 on error */
bool path_exists(const char *path);
/* current choice of a "a [b] c" sysfs file, or the whole value */
int read_choice(const char *path, char *buf, size_t len);

int set_mode(const char *mode);		/* "bypass" / "swapcache" */
int get_mode(char *buf, size_t len);
int set_delay_us(long us);		/* -ENOENT without the knob */

void stat_refresh(void);		/* fold per-cpu vmstat */
long long meminfo_kb(const char *key);

/* ------------------------------------------------------------------ */
/* swap device */

struct swapdev {
	char path[256];
	int prio;		/* <0: let the kernel choose */
};
/* find the swap device (prefers zram); -1 if none is active */
int swapdev_detect(struct swapdev *sd);
long long swaps_used_kb(void);		/* sum of Used in /proc/swaps */
bool swap_active(const char *path);
int do_swapon(const struct swapdev *sd);		/* 0 or -errno */
/* swapoff from a forked child in the caller's cgroup; bounded */
int do_swapoff(const struct swapdev *sd, int timeout_s);	/* 0/-errno */
/* swapoff + swapon: empties the per-cpu swap slot caches */
int swap_drain(const struct swapdev *sd, int timeout_s);
long long zram_orig_bytes(const struct swapdev *sd);	/* -1 n/a */

/* ------------------------------------------------------------------ */
/* cgroup v2 */

struct cg {
	char path[512];
	bool created;
};
const char *cg_root(void);
int cg_prepare_root(char *msg, size_t len);
int cg_create(struct cg *c, const char *tag);
int cg_write(struct cg *c, const char *file, const char *val);
long long cg_read(struct cg *c, const char *file);	/* "max" -> LLONG_MAX */
long long cg_keyed(struct cg *c, const char *file, const char *key);
int cg_enter(struct cg *c);		/* move this process in */
int cg_enter_pid(struct cg *c, pid_t pid);
int cg_leave(void);			/* back to the root cgroup */
int cg_destroy(struct cg *c);
void cg_sweep_stale(void);

/* ------------------------------------------------------------------ */
/* test files */

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
/* lru_add_drain() on every CPU, by running MADV_COLD on each of them */
void lru_drain_all(void);
/*
 * Push pages [first, first+n) out to swap with MADV_PAGEOUT (memory.reclaim
 * of @c as a fallback) and check with mincore that none is left resident
 * (not in the page cache, not in the swap cache).
 */
int force_out(struct tfile *t, size_t first, size_t n, struct cg *c);

/* cachestat(2); -ENOSYS if the kernel lacks it */
struct ss_cachestat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted,
		 nr_recently_evicted;
};
int do_cachestat(int fd, off_t off, size_t len, struct ss_cachestat *cs);

/* copy one page from a mapping; -1 if it raised SIGBUS (beyond EOF) */
void sigbus_install(void);
int safe_copy_page(void *dst, const void *src);

/* pin the calling thread to one CPU; -errno */
int pin_cpu(int cpu);
int last_cpu(void);

/* ------------------------------------------------------------------ */
/* Per-test environment: reset, baseline, final accounting. */

struct acct {
	long long swap_used_kb;		/* /proc/swaps Used, after a drain */
	long long shmem_kb;		/* /proc/meminfo Shmem */
	long long zram_orig;		/* zram mm_stat orig_data_size */
	long long cg_current;		/* memory.current */
	long long cg_swap;		/* memory.swap.current */
	long long cg_shmem;		/* memory.stat shmem */
};

#define ENV_MAX_MNT 2
struct env {
	char name[128];
	struct swapdev sd;
	struct cg cg;
	int kmsg_fd;
	bool allow_oom;			/* OOM reports expected in kmsg */
	struct acct base;
	char mnt[ENV_MAX_MNT][256];
	char err[512];
	uint64_t t0;			/* setup time, for the duration */
};

int env_setup(struct env *e, const char *test_name);
/*
 * Checks everything is back to the baseline (call after all files of the
 * test are gone): swap Used, memory.swap.current, memory.stat shmem,
 * memory.current, Shmem, zram.  Also scans the kernel log.  Returns the
 * number of failed checks, each printed as a diagnostic.
 */
int env_check_back(struct env *e);
int env_kmsg_check(struct env *e);
void env_teardown(struct env *e);

/* set a sysfs knob, remembering the old value for teardown (journal) */
int env_set_knob(struct env *e, const char *path, const char *val);
/*
 * Keep expected kernel reports (memcg OOM) off the console, where the rig's
 * console check would take their "Call Trace:" for a kernel problem; they
 * stay in /dev/kmsg, which env_kmsg_check() scans.  Restored in teardown.
 */
int env_quiet_console(struct env *e);
/* mount a private tmpfs (options may be NULL), unmounted in teardown */
int env_mount_tmpfs(struct env *e, const char *opts, char *dir, size_t len);
void env_restore_journal(void);

/* print accounting values of a live file (diagnostic) */
void acct_print(const char *label, struct env *e, struct tfile *t);

#endif
