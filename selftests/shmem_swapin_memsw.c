// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1 memory+swap accounting across a large swapin that gives up.
 *
 * With cgroup v1 (CONFIG_MEMCG_V1, the memory controller mounted on a v1
 * hierarchy), a swap slot stays charged to the memory+swap counter of the
 * cgroup that swapped it out (its swap_cgroup record) until the page it
 * holds is charged again at swapin; the record also says whom the swapin
 * charges.  A large swapin that drops the slots' charge and record before
 * it knows its read succeeded, then gives up and puts the entries back,
 * lets up to 512 pages escape that cgroup's memsw limit, and they are
 * charged to whoever swaps them in next.
 *
 *  - failed_large_read: a 2M file written by a task in cgroup X goes out
 *    whole; a task in cgroup Y faults it, and its large read fails once
 *    (fail_make_request, task filter): the owner splits its marker and
 *    swaps in page by page.  X's memory+swap usage must not drop; then Y
 *    reads every page: they are charged to X (X's memory usage grows by
 *    2M, Y's does not), data intact.
 *
 *  - batch_two_cgroups: an order 0 file whose windows of 8 pages were
 *    written half by a task in X, half by a task in Y, goes out; the test
 *    (in the root cgroup) reads it in order, so that batches take
 *    neighbours of both cgroups in one run.  Each page is charged to the
 *    cgroup whose slot it was, and each slot's swap charge is dropped from
 *    that cgroup (one uncharge per slot: swap_cgroup_record() of a range
 *    with two owners is a BUG); X's and Y's memory usage grow by their
 *    halves, their memory+swap usage does not move; data intact.
 *
 * The memory controller can only be mounted on v1 while no cgroup v2 group
 * uses it: this binary runs in a boot of its own (guest/jobs/memsw.sh),
 * never in the v2 run; elsewhere it skips.  See docs/testing.md.
 */
#include "swapin_test.h"
#include "swapin_util.h"
#include "swapin_vmstat.h"
#include "swapin_swapdev.h"
#include "swapin_env.h"
#include "swapin_fault.h"

#include <sys/mount.h>
#include <sys/wait.h>

#define V1_ROOT		"/tmp/shmem_swapin_memcg_v1"
#define MODE_KNOB	"/sys/kernel/mm/shmem_swapin/mode"
#define FILE_PAGES	512		/* one PMD folio */
/* per-cpu charge stocks: up to 64 pages a CPU may be pre-charged */
#define SLACK_BYTES	((long long)(64 * ncpus + 64) * (long long)ps)

FIXTURE(memsw) {
	struct env e;		/* knobs and mounts only: no v2 cgroup here */
	char x[320], y[320];
	char huge[256];
	bool mounted;
};

static long long v1_read(const char *cg, const char *file)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	return read_ll(path);
}

static int v1_enter(const char *cg)
{
	char path[512], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d", getpid());
	return write_str(path, pid);
}

FIXTURE_SETUP(memsw)
{
	struct env *e = &self->e;
	char path[512];

	memset(e, 0, sizeof(*e));
	env_restore_journal();
	if (!path_exists(MODE_KNOB))
		SKIP(return, "no %s: kernel without the shmem swapin bypass", MODE_KNOB);
	if (swapdev_detect(&e->sd))
		SKIP(return, "no swap device");
	mkdir(V1_ROOT, 0755);
	if (mount("shmem_swapin_memcg", V1_ROOT, "cgroup", 0, "memory")) {
		int err = errno;

		rmdir(V1_ROOT);
		if (err == EBUSY)
			SKIP(return, "the memory controller is in use on cgroup v2 (run in a boot of its own: guest/jobs/memsw.sh)");
		SKIP(return, "cannot mount the cgroup v1 memory controller: %s (CONFIG_MEMCG_V1?)",
		     strerror(err));
	}
	self->mounted = true;
	snprintf(path, sizeof(path), V1_ROOT "/memory.memsw.usage_in_bytes");
	if (!path_exists(path))
		SKIP(return, "no memory.memsw files: swap accounting is off (swapaccount=0?)");
	snprintf(self->x, sizeof(self->x), V1_ROOT "/x.%d", getpid());
	snprintf(self->y, sizeof(self->y), V1_ROOT "/y.%d", getpid());
	ASSERT_EQ(0, mkdir(self->x, 0755));
	ASSERT_EQ(0, mkdir(self->y, 0755));
	ASSERT_EQ(0, env_mount_tmpfs(e, "huge=always,size=16m", self->huge, sizeof(self->huge)));
	ASSERT_EQ(0, env_set_knob(e, MODE_KNOB, "bypass"));
}

FIXTURE_TEARDOWN(memsw)
{
	if (self->x[0])
		rmdir(self->x);
	if (self->y[0])
		rmdir(self->y);
	if (self->mounted) {
		umount(V1_ROOT);
		rmdir(V1_ROOT);
	}
	env_restore_journal();
}

static unsigned char pat(size_t i, size_t w)
{
	return (unsigned char)(i * 131 + w * 7 + 1);
}

/* in a child: join @cg, then run @fn on the file; returns the child's status */
static int in_child(const char *cg, int (*fn)(int fd), int fd)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid)
		_exit(v1_enter(cg) ? 100 : fn(fd));
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * Fault in the @n pages mapped at @map (MADV_PAGEOUT takes what a mapping
 * maps), then page them out until mincore() sees none left: 0, or the step
 * that failed (4 madvise, 5 mincore, 6 pages still in after five tries).
 */
static int pageout_mapped(char *map, size_t n)
{
	unsigned char *vec = malloc(n);
	size_t i, left;
	int k, r = 6;

	if (!vec)
		return 5;
	for (i = 0; i < n; i++)
		(void)*(volatile char *)(map + i * ps);
	for (k = 0; k < 5; k++) {
		if (madvise(map, n * ps, MADV_PAGEOUT)) {
			r = 4;
			break;
		}
		if (mincore(map, n * ps, vec)) {
			r = 5;
			break;
		}
		for (i = 0, left = 0; i < n; i++)
			left += vec[i] & 1;
		if (!left) {
			r = 0;
			break;
		}
		usleep(20000);
	}
	free(vec);
	return r;
}

/* X: write the 2M file, then push it out to swap */
static int write_out(int fd)
{
	size_t len = FILE_PAGES * ps, i, w;
	unsigned char *buf = malloc(ps);
	char *map;

	if (!buf)
		return 1;
	for (i = 0; i < FILE_PAGES; i++) {
		for (w = 0; w < ps; w++)
			buf[w] = pat(i, w);
		if (pwrite(fd, buf, ps, i * ps) != (ssize_t)ps)
			return 2;
	}
	/* 2 MiB aligned, so that the folio is mapped (and paged out) whole */
	map = mmap(NULL, 2 * len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return 3;
	map = (char *)(((uintptr_t)map + len - 1) & ~(uintptr_t)(len - 1));
	map = mmap(map, len, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
	if (map == MAP_FAILED)
		return 3;
	return pageout_mapped(map, FILE_PAGES);
}

/* Y: read page 0 with the next swap read failing (the owner's large read) */
static int read_failing(int fd)
{
	unsigned char *buf = malloc(ps);
	int r;

	if (!buf || fault_this_thread(true))
		return 1;
	r = pread(fd, buf, ps, 0) == (ssize_t)ps ? 0 : 2;
	fault_this_thread(false);
	if (!r && buf[1] != pat(0, 1))
		r = 3;
	return r;
}

/* Y: read and check every page */
static int read_all(int fd)
{
	unsigned char *buf = malloc(ps);
	size_t i, w;

	if (!buf)
		return 1;
	for (i = 0; i < FILE_PAGES; i++) {
		if (pread(fd, buf, ps, i * ps) != (ssize_t)ps)
			return 2;
		for (w = 0; w < ps; w++)
			if (buf[w] != pat(i, w))
				return 3;
	}
	return 0;
}

TEST_F_TIMEOUT(memsw, failed_large_read, 300)
{
	struct env *e = &self->e;
	long long x_memsw0, x_mem0, x_memsw1, x_mem1, y_mem1, x_mem2, y_mem2;
	struct vmsnap v0, v1, v2;
	char path[512];
	int fd, r;

	snprintf(path, sizeof(path), "%s/memsw.%d", self->huge, getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	unlink(path);
	ASSERT_EQ(0, ftruncate(fd, FILE_PAGES * ps));
	vm_snap(&v0);
	r = in_child(self->x, write_out, fd);
	ASSERT_EQ(0, r) TH_LOG("writing the file out from cgroup x failed (step %d)", r);
	vm_snap(&v1);
	if (vm_d(&v0, &v1, V_THP_SWPOUT) < 1)
		SKIP(close(fd); return, "the 2M folio was not swapped out whole");
	x_mem0 = v1_read(self->x, "memory.usage_in_bytes");
	x_memsw0 = v1_read(self->x, "memory.memsw.usage_in_bytes");
	diag("x after swap-out: memory %lld, memory+swap %lld", x_mem0, x_memsw0);
	ASSERT_GE(x_memsw0 - x_mem0, (long long)(FILE_PAGES * ps) - SLACK_BYTES)
		TH_LOG("x's memory+swap does not hold the 2M swapped out");

	/* Y faults page 0; the owner's large read fails once */
	r = fault_bio_arm(e, e->sd.path, 1);
	if (r == -ENOENT)
		SKIP(close(fd); return, "no fail_make_request (CONFIG_FAIL_MAKE_REQUEST)");
	ASSERT_EQ(0, r);
	r = in_child(self->y, read_failing, fd);
	ASSERT_EQ(0, r) TH_LOG("reading page 0 from cgroup y failed (step %d)", r);
	vm_snap(&v2);
	vm_print("large read fails once", &v1, &v2);
	EXPECT_EQ(0, fault_bio_left()) TH_LOG("the injected read failure was not used");
	EXPECT_EQ(1, vm_d(&v1, &v2, V_LARGE_FALLBACK));
	EXPECT_EQ(0, vm_d(&v1, &v2, V_BYPASS_PMD));
	x_mem1 = v1_read(self->x, "memory.usage_in_bytes");
	x_memsw1 = v1_read(self->x, "memory.memsw.usage_in_bytes");
	y_mem1 = v1_read(self->y, "memory.usage_in_bytes");
	diag("after the failed large read: x memory %lld, memory+swap %lld; y memory %lld",
	     x_mem1, x_memsw1, y_mem1);
	/* the 511 slots still out are still x's: nothing escaped its memsw */
	EXPECT_GE(x_memsw1, x_memsw0 - SLACK_BYTES)
		TH_LOG("x's memory+swap dropped by %lld bytes: slots left its accounting",
		       x_memsw0 - x_memsw1);

	/* Y reads everything: charged to x, whose slots they were */
	r = in_child(self->y, read_all, fd);
	EXPECT_EQ(0, r) TH_LOG("reading the file from cgroup y failed (step %d: 3 = data)", r);
	x_mem2 = v1_read(self->x, "memory.usage_in_bytes");
	y_mem2 = v1_read(self->y, "memory.usage_in_bytes");
	diag("after y read it all: x memory %lld (was %lld), y memory %lld", x_mem2, x_mem1, y_mem2);
	EXPECT_GE(x_mem2 - x_mem0, (long long)(FILE_PAGES * ps) - SLACK_BYTES)
		TH_LOG("the pages swapped in were not charged to x, whose slots they were");
	EXPECT_LE(y_mem2, SLACK_BYTES)
		TH_LOG("y was charged %lld bytes for x's pages", y_mem2);
	close(fd);
}

/* batch_two_cgroups: the file's windows are 8 pages, half of each from X */
#define BATCH_PAGES	2048
#define BATCH_WINDOW	8

static bool x_half(size_t i)
{
	return (i % BATCH_WINDOW) < BATCH_WINDOW / 2;
}

/* write the pages of the file that @mine says are ours, in pattern */
static int write_half(int fd, bool mine)
{
	unsigned char *buf = malloc(ps);
	size_t i, w;

	if (!buf)
		return 1;
	for (i = 0; i < BATCH_PAGES; i++) {
		if (x_half(i) != mine)
			continue;
		for (w = 0; w < ps; w++)
			buf[w] = pat(i, w);
		if (pwrite(fd, buf, ps, i * ps) != (ssize_t)ps)
			return 2;
	}
	free(buf);
	return 0;
}

static int write_x_half(int fd)
{
	return write_half(fd, true);
}

static int write_y_half(int fd)
{
	return write_half(fd, false);
}

/* push the whole file out (the caller pins a CPU: consecutive slots); 0 if none left */
static int batch_file_out(int fd)
{
	size_t len = BATCH_PAGES * ps;
	char *map;
	int r;

	/* the writers' folios may still sit in other CPUs' LRU add batches */
	lru_drain_all();
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -1;
	r = pageout_mapped(map, BATCH_PAGES);
	munmap(map, len);
	return r;
}

/* a v1 cgroup's memory and memory+swap usage, in bytes */
struct v1_usage {
	long long mem, memsw;
};

static struct v1_usage v1_usage(const char *cg)
{
	return (struct v1_usage){
		.mem = v1_read(cg, "memory.usage_in_bytes"),
		.memsw = v1_read(cg, "memory.memsw.usage_in_bytes"),
	};
}

TEST_F_TIMEOUT(memsw, batch_two_cgroups, 300)
{
	struct env *e = &self->e;
	struct v1_usage x0, y0, x1, y1;
	long long half = (long long)(BATCH_PAGES / 2) * ps, batched;
	unsigned char *buf = malloc(ps);
	struct vmsnap v0, v1;
	size_t i, w;
	long bad = 0;
	cpu_set_t old;
	int fd, r;

	ASSERT_NE(NULL, buf);
	if (!path_exists(SWAPIN_BATCH))
		SKIP(free(buf); return, "no %s: kernel without batching", SWAPIN_BATCH);
	ASSERT_EQ(0, env_set_knob(e, SWAPIN_BATCH, "1"));
	ASSERT_EQ(0, env_set_knob(e, "/proc/sys/vm/page-cluster", "3"));
	fd = memfd_create("memsw-batch", 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, BATCH_PAGES * ps));
	r = in_child(self->x, write_x_half, fd);
	ASSERT_EQ(0, r) TH_LOG("writing x's half failed (step %d)", r);
	r = in_child(self->y, write_y_half, fd);
	ASSERT_EQ(0, r) TH_LOG("writing y's half failed (step %d)", r);
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(old), &old));
	ASSERT_EQ(0, pin_cpu(sched_getcpu()));
	r = batch_file_out(fd);
	sched_setaffinity(0, sizeof(old), &old);
	ASSERT_EQ(0, r) TH_LOG("the file did not go out to swap");

	x0 = v1_usage(self->x);
	y0 = v1_usage(self->y);
	diag("out: x memory %lld, memory+swap %lld; y memory %lld, memory+swap %lld",
	     x0.mem, x0.memsw, y0.mem, y0.memsw);
	/*
	 * memory+swap less memory is the swap charge alone (per-cpu stocks
	 * and kernel memory count in both): exactly each half, out.
	 */
	ASSERT_EQ(half, x0.memsw - x0.mem)
		TH_LOG("x's swap charge is not its half swapped out");
	ASSERT_EQ(half, y0.memsw - y0.mem)
		TH_LOG("y's swap charge is not its half swapped out");

	/* read in order from the root cgroup: batches cross from x to y */
	vm_snap(&v0);
	for (i = 0; i < BATCH_PAGES; i++) {
		if (pread(fd, buf, ps, i * ps) != (ssize_t)ps) {
			bad++;
			continue;
		}
		for (w = 0; w < ps; w++) {
			if (buf[w] != pat(i, w)) {
				bad++;
				break;
			}
		}
	}
	vm_snap(&v1);
	vm_print("read in order from the root cgroup", &v0, &v1);
	batched = vm_d(&v0, &v1, V_BATCH);
	diag("%lld of %d pages came in batches", batched, BATCH_PAGES);
	EXPECT_EQ(0, bad) TH_LOG("%ld pages read back wrong", bad);
	EXPECT_PAGES("pages read", vm_reads(&v0, &v1), BATCH_PAGES);
	/* 7 of every 8, less a page at each slot jump (cluster ends) */
	EXPECT_GE(batched, (long long)(BATCH_PAGES / BATCH_WINDOW * (BATCH_WINDOW - 1) -
				       (BATCH_PAGES / 256 + 2)))
		TH_LOG("only %lld pages came in batches", batched);

	x1 = v1_usage(self->x);
	y1 = v1_usage(self->y);
	diag("in: x memory %lld, memory+swap %lld; y memory %lld, memory+swap %lld",
	     x1.mem, x1.memsw, y1.mem, y1.memsw);
	/* each half charged to the cgroup whose slots it was in */
	EXPECT_GE(x1.mem - x0.mem, half - SLACK_BYTES)
		TH_LOG("x was charged %lld bytes for its half", x1.mem - x0.mem);
	EXPECT_GE(y1.mem - y0.mem, half - SLACK_BYTES)
		TH_LOG("y was charged %lld bytes for its half", y1.mem - y0.mem);
	/* and each slot's swap charge dropped from it at the swapin */
	EXPECT_EQ(0, x1.memsw - x1.mem)
		TH_LOG("x still has %lld bytes of swap charged", x1.memsw - x1.mem);
	EXPECT_EQ(0, y1.memsw - y1.mem)
		TH_LOG("y still has %lld bytes of swap charged", y1.memsw - y1.mem);
	/* memory+swap unmoved */
	EXPECT_LE(llabs(x1.memsw - x0.memsw), SLACK_BYTES)
		TH_LOG("x's memory+swap moved by %lld bytes", x1.memsw - x0.memsw);
	EXPECT_LE(llabs(y1.memsw - y0.memsw), SLACK_BYTES)
		TH_LOG("y's memory+swap moved by %lld bytes", y1.memsw - y0.memsw);
	close(fd);
	free(buf);
}

TEST_HARNESS_MAIN
