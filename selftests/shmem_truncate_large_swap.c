// SPDX-License-Identifier: GPL-2.0
/*
 * Truncate a tmpfs file into a large swap entry.
 *
 * A PMD-sized folio of a huge=always tmpfs goes out to swap whole, as one
 * multi-index swap entry (CONFIG_THP_SWAP).  ftruncate() to a point strictly
 * inside it must keep the data below the new size, free the swap slots
 * beyond it, and return.  Without "mm/shmem: split a large swap entry that
 * crosses the truncation point", 6.12.y restarts shmem_undo_range() for ever
 * on a page-aligned cut: the truncating task never returns, cannot be
 * killed, and holds the inode's i_rwsem.  The test runs the truncation in a
 * child and reports a failure if it has not returned after a while, instead
 * of hanging itself.
 *
 * Needs root, an active swap device with a free 2 MiB cluster and
 * CONFIG_TRANSPARENT_HUGEPAGE; skips otherwise.  The split_fails case also
 * needs CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS (debugfs at
 * /sys/kernel/debug): it fails the split's xarray node allocations, which
 * the truncation must retry.
 *
 * Self-contained (libc and kselftest_harness.h only), so that it can go to
 * tools/testing/selftests/mm with the fix.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"

#define HPAGE		(2UL << 20)
#define TRUNC_WAIT_S	30	/* a 2 MiB truncation takes milliseconds */
#define FAILSLAB	"/sys/kernel/debug/failslab"
#define NODE_FAILSLAB	"/sys/kernel/slab/radix_tree_node/failslab"
#define SPLIT_FAILURES	"8"
/*
 * Order-0 swap slots are freed through per-CPU caches of up to 64 slots
 * (mm/swap_slots.c), which /proc/swaps counts as used until they are flushed:
 * swap usage is compared within that much.
 */
#define SLOT_CACHE_PAGES	64

static size_t ps;

static long read_field(const char *path, const char *name)
{
	char line[256];
	size_t n = strlen(name);
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, n) && (line[n] == ' ' || line[n] == ':')) {
			v = strtol(line + n + 1 + (line[n] == ':'), NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static long vmstat(const char *name)
{
	return read_field("/proc/vmstat", name);
}

static int write_file(const char *path, const char *val);

/* fold the per-CPU vmstat deltas first, so that the count is exact */
static long meminfo_kb(const char *name)
{
	write_file("/proc/sys/vm/stat_refresh", "1");
	return read_field("/proc/meminfo", name);
}

/* kB of swap in use over all devices (/proc/swaps), -1 if none is active */
static long swap_used_kb(void)
{
	char line[512], name[256], type[64];
	long size, used, total = 0;
	int devices = 0;
	FILE *f = fopen("/proc/swaps", "r");

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {	/* header */
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %63s %ld %ld", name, type, &size, &used) == 4) {
			total += used;
			devices++;
		}
	}
	fclose(f);
	return devices ? total : -1;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return 0;
}

/* the byte at offset off of page i, as written */
static unsigned char pattern(size_t i, size_t off)
{
	return (unsigned char)(i * 131 + off / 8 + 1);
}

/* drain the per-CPU LRU batches: mlock() does lru_add_drain_all() */
static void lru_drain(void)
{
	void *p = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	*(volatile char *)p = 1;
	mlock(p, ps);
	munlock(p, ps);
	munmap(p, ps);
}

FIXTURE(trunc) {
	char dir[64];
	char path[96];
	bool mounted;
	int fd;
	pid_t stuck;		/* a child whose truncation never returned */
	long swap0, shmem0;	/* before the file existed */
};

FIXTURE_SETUP(trunc)
{
	ps = getpagesize();
	self->fd = -1;
	self->stuck = 0;
	self->mounted = false;
	self->dir[0] = 0;
	if (geteuid())
		SKIP(return, "needs root (mounts a tmpfs)");
	if (access("/sys/kernel/mm/transparent_hugepage", F_OK))
		SKIP(return, "no CONFIG_TRANSPARENT_HUGEPAGE");
	self->swap0 = swap_used_kb();
	if (self->swap0 < 0)
		SKIP(return, "no active swap device");
	snprintf(self->dir, sizeof(self->dir), "/tmp/shmem_trunc.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	if (mount("tmpfs", self->dir, "tmpfs", 0, "huge=always,size=16m")) {
		int e = errno;

		rmdir(self->dir);
		self->dir[0] = 0;
		if (e == EINVAL)
			SKIP(return, "tmpfs rejects huge=always");
		ASSERT_EQ(0, e);
	}
	self->mounted = true;
	snprintf(self->path, sizeof(self->path), "%s/f", self->dir);
	self->shmem0 = meminfo_kb("Shmem");
}

FIXTURE_TEARDOWN(trunc)
{
	if (self->fd >= 0)
		close(self->fd);
	if (!self->mounted)
		return;
	if (self->stuck) {
		/* it holds the inode: leave the mount to be detached */
		umount2(self->dir, MNT_DETACH);
		return;
	}
	unlink(self->path);
	umount(self->dir);
	rmdir(self->dir);
}

/*
 * Write a 2 MiB file, one PMD folio, and page it out whole.  Returns 0, or 1
 * with *why set when no large swap entry could be made here.
 */
static int huge_file_out(int fd, const char **why)
{
	long thp0 = meminfo_kb("ShmemHugePages"), out0 = vmstat("thp_swpout");
	unsigned char vec[HPAGE / 4096];
	char *res, *map;
	size_t i, j, n = HPAGE / ps;
	int attempt, resident = -1;

	if (ftruncate(fd, HPAGE))
		return -1;
	/* a 2 MiB aligned mapping, so the folio is mapped by a PMD */
	res = mmap(NULL, 2 * HPAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		return -1;
	map = (char *)(((unsigned long)res + HPAGE - 1) & ~(HPAGE - 1));
	if (mmap(map, HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, 0) == MAP_FAILED) {
		munmap(res, 2 * HPAGE);
		return -1;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < ps; j++)
			map[i * ps + j] = pattern(i, j);
	if (meminfo_kb("ShmemHugePages") - thp0 < (long)(HPAGE >> 10)) {
		*why = "no PMD folio was allocated in the huge=always tmpfs";
		munmap(res, 2 * HPAGE);
		return 1;
	}
	for (attempt = 0; attempt < 20 && resident; attempt++) {
		lru_drain();
		madvise(map, HPAGE, MADV_PAGEOUT);
		if (mincore(map, HPAGE, vec))
			break;
		for (resident = 0, i = 0; i < n; i++)
			resident += vec[i] & 1;
		if (resident)
			usleep(20000);
	}
	munmap(res, 2 * HPAGE);
	if (resident) {
		*why = "MADV_PAGEOUT left the file resident";
		return 1;
	}
	if (vmstat("thp_swpout") - out0 < 1) {
		*why = "the folio was split at swap-out (no CONFIG_THP_SWAP or no free swap cluster)";
		return 1;
	}
	return 0;
}

struct failslab_saved {
	char probability[32], interval[32], times[32], verbose[32];
	char task_filter[8], ignore_gfp_wait[8], cache_filter[8];
	bool armed;
};

static const struct {
	const char *name;
	size_t off;
} failslab_knobs[] = {
	{ "probability", offsetof(struct failslab_saved, probability) },
	{ "interval", offsetof(struct failslab_saved, interval) },
	{ "times", offsetof(struct failslab_saved, times) },
	{ "verbose", offsetof(struct failslab_saved, verbose) },
	{ "task-filter", offsetof(struct failslab_saved, task_filter) },
	{ "ignore-gfp-wait", offsetof(struct failslab_saved, ignore_gfp_wait) },
	{ "cache-filter", offsetof(struct failslab_saved, cache_filter) },
};

static const char *failslab_values[] = {
	"100", "1", SPLIT_FAILURES, "0", "Y", "N", "Y"
};

/*
 * Make the next SPLIT_FAILURES allocations from the xarray node cache fail,
 * for tasks that set /proc/self/make-it-fail only.
 */
static int failslab_arm(struct failslab_saved *s)
{
	char path[128];
	size_t k;

	memset(s, 0, sizeof(*s));
	if (access(FAILSLAB, F_OK) || access(NODE_FAILSLAB, F_OK))
		return 1;
	for (k = 0; k < ARRAY_SIZE(failslab_knobs); k++) {
		snprintf(path, sizeof(path), FAILSLAB "/%s", failslab_knobs[k].name);
		if (read_file(path, (char *)s + failslab_knobs[k].off, 8))
			return -1;
	}
	s->armed = true;
	for (k = 0; k < ARRAY_SIZE(failslab_knobs); k++) {
		snprintf(path, sizeof(path), FAILSLAB "/%s", failslab_knobs[k].name);
		if (write_file(path, failslab_values[k]))
			return -1;
	}
	return write_file(NODE_FAILSLAB, "1");
}

static void failslab_disarm(struct failslab_saved *s)
{
	char path[128];
	size_t k;

	if (!s->armed)
		return;
	write_file(NODE_FAILSLAB, "0");
	for (k = 0; k < ARRAY_SIZE(failslab_knobs); k++) {
		snprintf(path, sizeof(path), FAILSLAB "/%s", failslab_knobs[k].name);
		write_file(path, (char *)s + failslab_knobs[k].off);
	}
	s->armed = false;
}

/*
 * ftruncate() in a child; 0 when it returned (its result in *err), -1 when it
 * did not within TRUNC_WAIT_S seconds.
 */
static int truncate_in_child(int fd, off_t size, bool make_it_fail,
			     int *err, pid_t *stuck, long *took_ms)
{
	struct timespec t0, t1;
	int status;
	pid_t pid;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		/*
		 * Should it loop in the kernel for ever, it must not hold the
		 * test's output open: a reader of that pipe would never see EOF.
		 */
		int nul = open("/dev/null", O_WRONLY);

		if (nul >= 0) {
			dup2(nul, STDOUT_FILENO);
			dup2(nul, STDERR_FILENO);
			close(nul);
		}
		if (make_it_fail && write_file("/proc/self/make-it-fail", "1"))
			_exit(200);
		_exit(ftruncate(fd, size) ? errno : 0);
	}
	for (ms = 0; ms < TRUNC_WAIT_S * 1000; ms += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			*took_ms = (t1.tv_sec - t0.tv_sec) * 1000 +
				   (t1.tv_nsec - t0.tv_nsec) / 1000000;
			*err = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
			return 0;
		}
		usleep(10000);
	}
	/* a task looping in the kernel cannot be killed: leave it */
	kill(pid, SIGKILL);
	*stuck = pid;
	return -1;
}

static void check_truncate(struct __test_metadata *_metadata,
			   FIXTURE_DATA(trunc) *self, off_t size, bool split_fails)
{
	size_t keep = (size + ps - 1) / ps, n = HPAGE / ps, i, j;
	struct failslab_saved fs = { 0 };
	long slack_kb = SLOT_CACHE_PAGES * sysconf(_SC_NPROCESSORS_CONF) * (ps >> 10);
	long swapped, freed, took_ms = 0;
	const char *why = NULL;
	unsigned char *buf;
	struct stat st;
	int r, err = -1;
	char left[32] = "";

	self->fd = open(self->path, O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, self->fd);
	r = huge_file_out(self->fd, &why);
	if (r == 1)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, r);
	swapped = swap_used_kb();
	ASSERT_LE((long)(HPAGE >> 10), swapped - self->swap0)
		TH_LOG("swap in use grew by %ld kB only", swapped - self->swap0);
	if (split_fails) {
		r = failslab_arm(&fs);
		if (r == 1)
			SKIP(return, "no failslab (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS, debugfs)");
		if (r) {
			failslab_disarm(&fs);
			ASSERT_EQ(0, r) TH_LOG("cannot arm failslab");
		}
	}

	r = truncate_in_child(self->fd, size, split_fails, &err, &self->stuck,
			      &took_ms);
	if (split_fails) {
		read_file(FAILSLAB "/times", left, sizeof(left));
		failslab_disarm(&fs);
	}
	ASSERT_EQ(0, r)
		TH_LOG("ftruncate(%lld) into the large swap entry did not return in %d s: the truncation loops (task %d)",
		       (long long)size, TRUNC_WAIT_S, self->stuck);
	ASSERT_EQ(0, err) TH_LOG("ftruncate: %s", strerror(err));
	TH_LOG("ftruncate(%lld) returned in %ld ms", (long long)size, took_ms);
	if (split_fails) {
		/* the split's allocations really failed, and were retried */
		EXPECT_EQ(0, atoi(left))
			TH_LOG("%d of %s injected failures were not used: the split did not run",
			       atoi(left), SPLIT_FAILURES);
	}

	/*
	 * The slots beyond the new size are free.  A page-aligned cut reads
	 * nothing back; an unaligned one reads the page it cuts (alone, or
	 * with the rest of its folio), which frees its slot too.
	 */
	ASSERT_EQ(0, fstat(self->fd, &st));
	freed = swapped - swap_used_kb();
	if (size % ps == 0) {
		EXPECT_GE(freed, (long)((n - keep) * ps >> 10) - slack_kb)
			TH_LOG("%ld kB of swap freed, expected %ld", freed,
			       (long)((n - keep) * ps >> 10));
		EXPECT_LE(freed, (long)((n - keep) * ps >> 10) + slack_kb)
			TH_LOG("%ld kB of swap freed, expected %ld: pages read back?", freed,
			       (long)((n - keep) * ps >> 10));
	} else {
		EXPECT_GE(freed, (long)((n - keep + 1) * ps >> 10) - slack_kb);
	}
	EXPECT_EQ((long long)keep * (long long)(ps / 512), (long long)st.st_blocks);

	/* grow it back: the data below the cut is intact, the rest is zero */
	ASSERT_EQ(0, ftruncate(self->fd, HPAGE));
	buf = malloc(ps);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < n; i++) {
		ASSERT_EQ((ssize_t)ps, pread(self->fd, buf, ps, i * ps));
		for (j = 0; j < ps; j++) {
			unsigned char want = i * ps + j < (size_t)size ? pattern(i, j) : 0;

			if (buf[j] != want)
				break;
		}
		if (j < ps) {
			free(buf);
			ASSERT_EQ(ps, j)
				TH_LOG("page %zu byte %zu: wrong data after the truncation to %lld",
				       i, j, (long long)size);
		}
	}
	free(buf);

	/* everything goes back: swap slots and shmem pages */
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, unlink(self->path));
	EXPECT_LE(swap_used_kb(), self->swap0 + slack_kb)
		TH_LOG("swap in use %ld kB above the baseline after unlink",
		       swap_used_kb() - self->swap0);
	EXPECT_EQ(self->shmem0, meminfo_kb("Shmem"));
}

/* to a page boundary inside the entry: the stock 6.12.y hang */
TEST_F_TIMEOUT(trunc, page_aligned, 120)
{
	check_truncate(_metadata, self, HPAGE / 2 + 3 * ps, false);
}

/* inside a page inside the entry: that page is read back and zeroed */
TEST_F_TIMEOUT(trunc, unaligned, 120)
{
	check_truncate(_metadata, self, HPAGE / 2 + 3 * ps + 100, false);
}

/* the split cannot allocate its xarray nodes at first: it is retried */
TEST_F_TIMEOUT(trunc, split_fails, 120)
{
	check_truncate(_metadata, self, HPAGE / 2 + 3 * ps, true);
}

TEST_HARNESS_MAIN
