// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the shmem cache-bypass swapin selftests.
 * See swapin_lib.h and docs/testing.md.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "swapin_lib.h"

#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif

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

const char *const vm_names[V_NR] = {
	[V_BYPASS] = "shmem_swapin_bypass",
	[V_SWAPCACHE] = "shmem_swapin_swapcache",
	[V_FALLBACK] = "shmem_swapin_fallback",
	[V_WAIT] = "shmem_swapin_marker_wait",
	[V_HANDOFF] = "shmem_swapin_handoff",
	[V_PSWPIN] = "pswpin",
	[V_PSWPOUT] = "pswpout",
	[V_ZSWPIN] = "zswpin",
	[V_ZSWPOUT] = "zswpout",
	[V_ZSWPWB] = "zswpwb",
	[V_SWPIN_ZERO] = "swpin_zero",
	[V_SWPOUT_ZERO] = "swpout_zero",
	[V_THP_SWPOUT] = "thp_swpout",
	[V_THP_SWPOUT_FB] = "thp_swpout_fallback",
	[V_PGMAJFAULT] = "pgmajfault",
	[V_OOM_KILL] = "oom_kill",
};

int vm_snap(struct vmsnap *s)
{
	char line[256], name[128];
	long long val;
	FILE *f;
	int i;

	memset(s, 0, sizeof(*s));
	f = fopen("/proc/vmstat", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld", name, &val) != 2)
			continue;
		for (i = 0; i < V_NR; i++) {
			if (!strcmp(name, vm_names[i])) {
				s->v[i] = val;
				s->present[i] = true;
				break;
			}
		}
	}
	fclose(f);
	return 0;
}

long long vm_reads(const struct vmsnap *a, const struct vmsnap *b)
{
	return vm_d(a, b, V_PSWPIN) + vm_d(a, b, V_ZSWPIN) +
	       vm_d(a, b, V_SWPIN_ZERO);
}

long long vm_outs(const struct vmsnap *a, const struct vmsnap *b)
{
	return vm_d(a, b, V_PSWPOUT) + vm_d(a, b, V_ZSWPOUT) +
	       vm_d(a, b, V_SWPOUT_ZERO);
}

long long vm_installs(const struct vmsnap *a, const struct vmsnap *b)
{
	return vm_d(a, b, V_BYPASS) + vm_d(a, b, V_SWAPCACHE);
}

void vm_print(const char *label, const struct vmsnap *a,
	      const struct vmsnap *b)
{
	diag("%s: bypass=%lld swapcache=%lld fallback=%lld marker_wait=%lld handoff=%lld | pswpin=%lld pswpout=%lld zswpin=%lld zswpout=%lld zswpwb=%lld swpin_zero=%lld swpout_zero=%lld thp_swpout=%lld",
	     label, vm_d(a, b, V_BYPASS), vm_d(a, b, V_SWAPCACHE),
	     vm_d(a, b, V_FALLBACK), vm_d(a, b, V_WAIT),
	     vm_d(a, b, V_HANDOFF), vm_d(a, b, V_PSWPIN),
	     vm_d(a, b, V_PSWPOUT), vm_d(a, b, V_ZSWPIN),
	     vm_d(a, b, V_ZSWPOUT), vm_d(a, b, V_ZSWPWB),
	     vm_d(a, b, V_SWPIN_ZERO), vm_d(a, b, V_SWPOUT_ZERO),
	     vm_d(a, b, V_THP_SWPOUT));
}

int vm_feature_check(const struct vmsnap *s, char *msg, size_t len)
{
	int i;

	for (i = 0; i < V_NR_FEATURE; i++) {
		if (!s->present[i]) {
			snprintf(msg, len,
				 "/proc/vmstat has no %s: kernel without the shmem swapin bypass",
				 vm_names[i]);
			return -1;
		}
	}
	for (i = V_PSWPIN; i <= V_PSWPOUT; i++) {
		if (!s->present[i]) {
			snprintf(msg, len,
				 "/proc/vmstat has no %s (CONFIG_VM_EVENT_COUNTERS?)",
				 vm_names[i]);
			return -1;
		}
	}
	return 0;
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

/*
 * Development aid only: SHMEM_SWAPIN_ALLOW_STOCK=1 lets the suite run on a
 * kernel without the feature, to check the harness itself.  The mode and
 * delay knobs are then ignored and the counters read as 0, so every "the
 * bypass ran" assertion still fails there.
 */
static bool allow_stock(void)
{
	const char *s = getenv("SHMEM_SWAPIN_ALLOW_STOCK");

	return s && *s == '1';
}

int get_mode(char *buf, size_t len)
{
	return read_choice(SWAPIN_MODE, buf, len);
}

int set_mode(const char *mode)
{
	char cur[64];
	int r = write_str(SWAPIN_MODE, mode);

	if (r == -ENOENT && allow_stock())
		return 0;
	if (r)
		return r;
	r = get_mode(cur, sizeof(cur));
	if (r)
		return r;
	return strcmp(cur, mode) ? -EINVAL : 0;
}

int set_delay_us(long us)
{
	char buf[32];
	int r;

	snprintf(buf, sizeof(buf), "%ld", us);
	r = write_str(SWAPIN_DELAY, buf);
	return r == -ENOENT && allow_stock() ? 0 : r;
}

void stat_refresh(void)
{
	write_str("/proc/sys/vm/stat_refresh", "1");
}

long long meminfo_kb(const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = strtoll(line + kl + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* ------------------------------------------------------------------ */

static const char *state_dir(void)
{
	const char *s = getenv("SHMEM_SWAPIN_STATE_DIR");

	return s && *s ? s : "/tmp";
}

static void swapdev_save(const struct swapdev *sd)
{
	char path[512], buf[512];

	snprintf(path, sizeof(path), "%s/shmem_swapin_selftest.swapdev",
		 state_dir());
	snprintf(buf, sizeof(buf), "%s %d\n", sd->path, sd->prio);
	/* creat if missing */
	close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	write_str(path, buf);
}

static int swapdev_load(struct swapdev *sd)
{
	char path[512], buf[512];
	const char *e = getenv("SHMEM_SWAPIN_SWAPDEV");

	snprintf(path, sizeof(path), "%s/shmem_swapin_selftest.swapdev",
		 state_dir());
	if (!read_str(path, buf, sizeof(buf)) &&
	    sscanf(buf, "%255s %d", sd->path, &sd->prio) == 2)
		return 0;
	snprintf(sd->path, sizeof(sd->path), "%s",
		 e && *e ? e : "/dev/zram0");
	sd->prio = -1;
	return 0;
}

int swapdev_detect(struct swapdev *sd)
{
	char line[512], p[256], type[32];
	long long size, used;
	int prio, found = 0;
	FILE *f = fopen("/proc/swaps", "re");

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {	/* header */
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %31s %lld %lld %d", p, type, &size,
			   &used, &prio) != 5)
			continue;
		if (!found || (strstr(p, "zram") && !strstr(sd->path, "zram"))) {
			snprintf(sd->path, sizeof(sd->path), "%s", p);
			sd->prio = prio;
			found = 1;
		}
	}
	fclose(f);
	return found ? 0 : -1;
}

long long swaps_used_kb(void)
{
	char line[512], p[256], type[32];
	long long size, used, sum = 0;
	int prio;
	FILE *f = fopen("/proc/swaps", "re");

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s %31s %lld %lld %d", p, type, &size,
			   &used, &prio) == 5)
			sum += used;
	fclose(f);
	return sum;
}

bool swap_active(const char *path)
{
	char line[512], p[256];
	bool on = false;
	FILE *f = fopen("/proc/swaps", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s", p) == 1 && !strcmp(p, path))
			on = true;
	fclose(f);
	return on;
}

int do_swapon(const struct swapdev *sd)
{
	int flags = 0;

	if (sd->prio >= 0)
		flags = SWAP_FLAG_PREFER |
			((sd->prio << SWAP_FLAG_PRIO_SHIFT) & SWAP_FLAG_PRIO_MASK);
	if (swapon(sd->path, flags) == 0)
		return 0;
	if (errno == EBUSY && swap_active(sd->path))
		return 0;
	return -errno;
}

int do_swapoff(const struct swapdev *sd, int timeout_s)
{
	uint64_t deadline;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		int fd;

		/*
		 * Hold no file of the test: a test may rely on its own close
		 * being the last one (eviction during swapoff).
		 */
		if (syscall(SYS_close_range, 3, ~0U, 0))
			for (fd = 3; fd < 1024; fd++)
				close(fd);
		/* swapoff in a cgroup at memory.max fails: use the root */
		cg_leave();
		alarm(timeout_s);
		if (swapoff(sd->path))
			_exit(errno ? errno : 1);
		_exit(0);
	}
	/*
	 * Do not wait forever: a swapoff stuck in an uninterruptible sleep
	 * (a marker nobody removes) ignores the alarm; report it instead.
	 */
	deadline = now_us() + (timeout_s + 5) * 1000000ULL;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0)
			return -ECHILD;
		if (now_us() > deadline) {
			kill(pid, SIGKILL);
			diag("swapoff %s still running after %d s: left behind (stuck in the kernel?)",
			     sd->path, timeout_s + 5);
			return -ETIMEDOUT;
		}
		usleep(20000);
	}
	if (WIFSIGNALED(status))
		return WTERMSIG(status) == SIGALRM ? -ETIMEDOUT : -EINTR;
	return -WEXITSTATUS(status);
}

int swap_drain(const struct swapdev *sd, int timeout_s)
{
	int r = 0, r2;

	if (swap_active(sd->path))
		r = do_swapoff(sd, timeout_s);
	r2 = do_swapon(sd);
	return r ? r : r2;
}

long long zram_orig_bytes(const struct swapdev *sd)
{
	const char *b = strrchr(sd->path, '/');
	char path[512], buf[512];

	b = b ? b + 1 : sd->path;
	if (strncmp(b, "zram", 4))
		return -1;
	snprintf(path, sizeof(path), "/sys/block/%s/mm_stat", b);
	if (read_str(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 10);
}

/* ------------------------------------------------------------------ */

const char *cg_root(void)
{
	const char *s = getenv("SHMEM_SWAPIN_CGROUP");

	return s && *s ? s : "/sys/fs/cgroup";
}

static bool has_word(const char *list, const char *w)
{
	size_t l = strlen(w);
	const char *p = list;

	while ((p = strstr(p, w))) {
		if ((p == list || p[-1] == ' ') && (p[l] == 0 || p[l] == ' '))
			return true;
		p += l;
	}
	return false;
}

int cg_prepare_root(char *msg, size_t len)
{
	char path[600], buf[512];

	snprintf(path, sizeof(path), "%s/cgroup.controllers", cg_root());
	if (read_str(path, buf, sizeof(buf)) || !has_word(buf, "memory")) {
		snprintf(msg, len,
			 "%s is not a cgroup v2 root with the memory controller",
			 cg_root());
		return -1;
	}
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg_root());
	if (read_str(path, buf, sizeof(buf)) || !has_word(buf, "memory")) {
		write_str(path, "+memory");
		if (read_str(path, buf, sizeof(buf)) ||
		    !has_word(buf, "memory")) {
			snprintf(msg, len,
				 "cannot enable +memory in %s", path);
			return -1;
		}
	}
	return 0;
}

int cg_create(struct cg *c, const char *tag)
{
	char t[64];
	size_t i;

	snprintf(t, sizeof(t), "%s", tag);
	for (i = 0; t[i]; i++)
		if (!isalnum((unsigned char)t[i]))
			t[i] = '_';
	snprintf(c->path, sizeof(c->path), "%s/shmem_swapin.%s.%d", cg_root(),
		 t, getpid());
	if (mkdir(c->path, 0755) && errno != EEXIST)
		return -errno;
	c->created = true;
	return 0;
}

int cg_write(struct cg *c, const char *file, const char *val)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/%s", c->path, file);
	return write_str(path, val);
}

long long cg_read(struct cg *c, const char *file)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/%s", c->path, file);
	return read_ll(path);
}

long long cg_keyed(struct cg *c, const char *file, const char *key)
{
	char path[700], line[256];
	size_t kl = strlen(key);
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", c->path, file);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, kl) && line[kl] == ' ') {
			v = strtoll(line + kl + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

int cg_enter_pid(struct cg *c, pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", pid);
	return cg_write(c, "cgroup.procs", buf);
}

int cg_enter(struct cg *c)
{
	return cg_enter_pid(c, getpid());
}

int cg_leave(void)
{
	char path[600], buf[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg_root());
	snprintf(buf, sizeof(buf), "%d", getpid());
	return write_str(path, buf);
}

static int cg_rmdir_path(const char *path)
{
	char f[700];
	int i;

	for (i = 0; i < 100; i++) {
		if (!rmdir(path) || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		snprintf(f, sizeof(f), "%s/cgroup.kill", path);
		write_str(f, "1");
		usleep(50000);
	}
	return -EBUSY;
}

int cg_destroy(struct cg *c)
{
	int r;

	if (!c->created)
		return 0;
	cg_leave();
	r = cg_rmdir_path(c->path);
	if (r)
		diag("could not remove cgroup %s: %s", c->path, strerror(-r));
	c->created = false;
	return r;
}

void cg_sweep_stale(void)
{
	DIR *d = opendir(cg_root());
	struct dirent *de;
	char path[700];

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *dot;
		pid_t pid;

		if (strncmp(de->d_name, "shmem_swapin.", 13))
			continue;
		dot = strrchr(de->d_name, '.');
		pid = dot ? atoi(dot + 1) : 0;
		if (pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH))
			continue;
		snprintf(path, sizeof(path), "%s/%s", cg_root(), de->d_name);
		cg_rmdir_path(path);
	}
	closedir(d);
}

/* ------------------------------------------------------------------ */

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

/* ------------------------------------------------------------------ */
/* journal of things to undo (survives a test killed by the timeout) */

static void journal_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/shmem_swapin_selftest.journal", state_dir());
}

static bool journal_has(const char *kind, const char *path)
{
	char jp[512], line[1024], k[32], p[512];
	bool found = false;
	FILE *f;

	journal_path(jp, sizeof(jp));
	f = fopen(jp, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31[^\t]\t%511[^\t\n]", k, p) == 2 &&
		    !strcmp(k, kind) && !strcmp(p, path))
			found = true;
	fclose(f);
	return found;
}

static void journal_add(const char *kind, const char *path, const char *val)
{
	char jp[512];
	FILE *f;

	journal_path(jp, sizeof(jp));
	f = fopen(jp, "ae");
	if (!f)
		return;
	fprintf(f, "%s\t%s\t%s\n", kind, path, val ? val : "");
	fclose(f);
}

void env_restore_journal(void)
{
	char jp[512], line[1024], k[32], p[512], v[256];
	FILE *f;

	journal_path(jp, sizeof(jp));
	f = fopen(jp, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		v[0] = 0;
		if (sscanf(line, "%31[^\t]\t%511[^\t\n]\t%255[^\n]", k, p, v) < 2)
			continue;
		if (!strcmp(k, "knob")) {
			int r = write_str(p, v);

			if (r)
				diag("restore %s=%s: %s", p, v, strerror(-r));
		} else if (!strcmp(k, "mount")) {
			umount2(p, MNT_DETACH);
			rmdir(p);
		}
	}
	fclose(f);
	unlink(jp);
}

static int set_knob(const char *path, const char *val, bool verify)
{
	char old[256], now[256];
	int r;

	if (!path_exists(path))
		return -ENOENT;
	r = read_choice(path, old, sizeof(old));
	if (r)
		return r;
	if (!journal_has("knob", path))
		journal_add("knob", path, old);
	r = write_str(path, val);
	if (r)
		return r;
	if (verify && !read_choice(path, now, sizeof(now)) && strcmp(now, val)) {
		diag("%s: wrote '%s', reads back '%s'", path, val, now);
		return -EINVAL;
	}
	return 0;
}

int env_set_knob(struct env *e, const char *path, const char *val)
{
	(void)e;
	return set_knob(path, val, true);
}

int env_quiet_console(struct env *e)
{
	(void)e;
	/* console_loglevel 1: kmsg keeps everything, the console only EMERG */
	return set_knob("/proc/sys/kernel/printk", "1", false);
}

int env_mount_tmpfs(struct env *e, const char *opts, char *dir, size_t len)
{
	char tmpl[256];
	int i;

	snprintf(tmpl, sizeof(tmpl), "%s/shmem_swapin.XXXXXX", state_dir());
	if (!mkdtemp(tmpl))
		return -errno;
	journal_add("mount", tmpl, NULL);
	if (mount("tmpfs", tmpl, "tmpfs", 0, opts)) {
		int r = -errno;

		rmdir(tmpl);
		return r;
	}
	for (i = 0; i < ENV_MAX_MNT; i++) {
		if (!e->mnt[i][0]) {
			snprintf(e->mnt[i], sizeof(e->mnt[i]), "%s", tmpl);
			break;
		}
	}
	snprintf(dir, len, "%s", tmpl);
	return 0;
}

/* ------------------------------------------------------------------ */

static int kmsg_open_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	lseek(fd, 0, SEEK_END);
	return fd;
}

static const char *const kmsg_bad[] = {
	"BUG:", "WARNING:", "Bad swap", "KASAN", "Bad page", "Oops",
	"general protection fault", "list_add corruption",
	"list_del corruption", "refcount_t:", "kernel BUG",
	"blocked for more than", "self-detected stall", "detected stalls",
	"swap_info_get", "Unable to handle", "invalid opcode",
	"Huh VM_FAULT_OOM", "page dumped because", "VM_BUG_ON",
	"circular locking", "inconsistent lock state", "UBSAN",
	"sleeping function called from invalid context",
	"scheduling while atomic", "Bad rss-counter", "Unused swap",
	NULL
};

int env_kmsg_check(struct env *e)
{
	char rec[8192];
	int bad = 0;

	if (e->kmsg_fd < 0)
		return 0;
	for (;;) {
		ssize_t n = read(e->kmsg_fd, rec, sizeof(rec) - 1);
		bool is_bad = false;
		char *text, *nl;
		int i;

		if (n < 0) {
			if (errno == EPIPE)	/* overwritten records */
				continue;
			break;
		}
		if (n == 0)
			break;
		rec[n] = 0;
		text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		nl = strchr(text, '\n');
		if (nl)
			*nl = 0;
		for (i = 0; kmsg_bad[i]; i++)
			if (strstr(text, kmsg_bad[i]))
				is_bad = true;
		if (!e->allow_oom && (strstr(text, "Out of memory") ||
				      strstr(text, "out of memory")))
			is_bad = true;
		if (is_bad) {
			if (bad < 20)
				diag("kernel log: %s", text);
			bad++;
		}
	}
	if (bad)
		diag("kernel log: %d suspicious line(s) during %s", bad,
		     e->name);
	return bad;
}

void acct_print(const char *label, struct env *e, struct tfile *t)
{
	stat_refresh();
	diag("%s: st_blocks=%lld resident=%ld | swap Used=%lld KiB | cg memory.current=%lld swap.current=%lld stat.shmem=%lld | Shmem=%lld kB",
	     label, t ? tf_blocks(t) : -1,
	     t && t->map ? tf_resident(t, 0, t->npages, NULL) : -1,
	     swaps_used_kb(), cg_read(&e->cg, "memory.current"),
	     cg_read(&e->cg, "memory.swap.current"),
	     cg_keyed(&e->cg, "memory.stat", "shmem"),
	     meminfo_kb("Shmem"));
}

int env_setup(struct env *e, const char *test_name)
{
	struct vmsnap s;
	int r;

	memset(e, 0, sizeof(*e));
	e->t0 = now_us();
	e->kmsg_fd = -1;
	snprintf(e->name, sizeof(e->name), "%s", test_name);

	if (geteuid() != 0) {
		snprintf(e->err, sizeof(e->err), "must run as root");
		return -1;
	}
	env_restore_journal();
	cg_leave();
	cg_sweep_stale();

	if (allow_stock()) {
		diag("SHMEM_SWAPIN_ALLOW_STOCK=1: feature checks relaxed (harness development only)");
	} else if (!path_exists(SWAPIN_MODE)) {
		snprintf(e->err, sizeof(e->err),
			 "%s missing: kernel without the shmem swapin bypass",
			 SWAPIN_MODE);
		return -1;
	}
	vm_snap(&s);
	if (vm_feature_check(&s, e->err, sizeof(e->err)) && !allow_stock())
		return -1;
	/* journaled: the mode and delay the rig set are restored at the end */
	if (path_exists(SWAPIN_MODE))
		env_set_knob(e, SWAPIN_MODE, "bypass");
	if (path_exists(SWAPIN_DELAY))
		env_set_knob(e, SWAPIN_DELAY, "0");
	r = set_mode("bypass");
	if (r) {
		snprintf(e->err, sizeof(e->err), "cannot set %s to bypass: %s",
			 SWAPIN_MODE, strerror(-r));
		return -1;
	}
	r = set_delay_us(0);
	if (r && r != -ENOENT) {
		snprintf(e->err, sizeof(e->err), "cannot reset %s: %s",
			 SWAPIN_DELAY, strerror(-r));
		return -1;
	}

	if (swapdev_detect(&e->sd)) {
		swapdev_load(&e->sd);
		r = do_swapon(&e->sd);
		if (r) {
			snprintf(e->err, sizeof(e->err),
				 "no swap active and swapon %s failed: %s",
				 e->sd.path, strerror(-r));
			return -1;
		}
		diag("swap was off (a killed test?): swapon %s again",
		     e->sd.path);
	}
	swapdev_save(&e->sd);

	if (cg_prepare_root(e->err, sizeof(e->err)))
		return -1;
	r = cg_create(&e->cg, test_name);
	if (r) {
		snprintf(e->err, sizeof(e->err), "cannot create cgroup %s: %s",
			 e->cg.path, strerror(-r));
		return -1;
	}
	sigbus_install();

	/* empty the swap slot caches so the baseline is exact */
	r = swap_drain(&e->sd, 60);
	if (r) {
		snprintf(e->err, sizeof(e->err),
			 "swapoff/swapon of %s at setup failed: %s",
			 e->sd.path, strerror(-r));
		return -1;
	}
	stat_refresh();
	e->base.swap_used_kb = swaps_used_kb();
	e->base.shmem_kb = meminfo_kb("Shmem");
	e->base.zram_orig = zram_orig_bytes(&e->sd);
	e->base.cg_current = cg_read(&e->cg, "memory.current");
	e->base.cg_swap = cg_read(&e->cg, "memory.swap.current");
	e->base.cg_shmem = cg_keyed(&e->cg, "memory.stat", "shmem");
	if (e->base.cg_swap < 0) {
		snprintf(e->err, sizeof(e->err),
			 "%s/memory.swap.current missing (CONFIG_SWAP, memcg swap accounting?)",
			 e->cg.path);
		return -1;
	}
	e->kmsg_fd = kmsg_open_end();
	diag("baseline: swap %s Used=%lld KiB, Shmem=%lld kB, zram orig=%lld, cgroup %s current=%lld swap=%lld shmem=%lld",
	     e->sd.path, e->base.swap_used_kb, e->base.shmem_kb,
	     e->base.zram_orig, e->cg.path, e->base.cg_current,
	     e->base.cg_swap, e->base.cg_shmem);
	return 0;
}

int env_check_back(struct env *e)
{
	const long long page_kb = ps / 1024;
	/* freed slots may sit in per-cpu swap slot caches until a drain */
	const long long tol_pre = (2LL * 64 * ncpus + 16) * page_kb;
	/* per-cpu charge stock (64 pages per CPU) plus some kernel objects */
	const long long tol_cur = 64LL * ncpus * ps + (512 << 10);
	long long used, cg_swap, cg_shmem, cg_cur, shmem, zram;
	bool drained = false;
	uint64_t deadline;
	int fails = 0;
	bool ok;
	int r;

	cg_leave();
	stat_refresh();
	used = swaps_used_kb();
	cg_swap = cg_read(&e->cg, "memory.swap.current");
	diag("before drain: swap Used=%lld KiB (baseline %lld), memory.swap.current=%lld (baseline %lld)",
	     used, e->base.swap_used_kb, cg_swap, e->base.cg_swap);
	if (used - e->base.swap_used_kb > tol_pre) {
		diag("FAIL: swap Used is %lld KiB above the baseline, more than the per-cpu swap slot caches can hold (%lld KiB): swap slots leaked (not draining: swapoff would loop on them)",
		     used - e->base.swap_used_kb, tol_pre);
		fails++;
	} else {
		r = swap_drain(&e->sd, 60);
		if (r) {
			diag("FAIL: swapoff/swapon drain of %s failed: %s (try_to_unuse() could not free every slot: leaked swap slots?)",
			     e->sd.path, strerror(-r));
			fails++;
		} else {
			drained = true;
		}
	}

	deadline = now_us() + 8000000;
	do {
		stat_refresh();
		used = swaps_used_kb();
		cg_swap = cg_read(&e->cg, "memory.swap.current");
		cg_shmem = cg_keyed(&e->cg, "memory.stat", "shmem");
		cg_cur = cg_read(&e->cg, "memory.current");
		shmem = meminfo_kb("Shmem");
		zram = zram_orig_bytes(&e->sd);
		ok = cg_shmem == e->base.cg_shmem &&
		     cg_cur <= e->base.cg_current + tol_cur &&
		     llabs(shmem - e->base.shmem_kb) <= 1024;
		if (drained)
			ok = ok && llabs(used - e->base.swap_used_kb) <= 4 * page_kb &&
			     cg_swap == e->base.cg_swap &&
			     (zram < 0 || zram <= e->base.zram_orig + 4 * (long long)ps);
		if (ok)
			break;
		usleep(250000);
	} while (now_us() < deadline);

	diag("after: swap Used=%lld KiB (baseline %lld), cg swap.current=%lld (baseline %lld), cg stat.shmem=%lld (baseline %lld), cg memory.current=%lld (baseline %lld), Shmem=%lld kB (baseline %lld), zram orig=%lld (baseline %lld)",
	     used, e->base.swap_used_kb, cg_swap, e->base.cg_swap, cg_shmem,
	     e->base.cg_shmem, cg_cur, e->base.cg_current, shmem,
	     e->base.shmem_kb, zram, e->base.zram_orig);
	if (drained && llabs(used - e->base.swap_used_kb) > 4 * page_kb) {
		diag("FAIL: /proc/swaps Used %lld KiB, baseline %lld KiB (after draining the slot caches)",
		     used, e->base.swap_used_kb);
		fails++;
	}
	if (drained && cg_swap != e->base.cg_swap) {
		diag("FAIL: %s/memory.swap.current %lld, baseline %lld",
		     e->cg.path, cg_swap, e->base.cg_swap);
		fails++;
	}
	if (drained && zram >= 0 && zram > e->base.zram_orig + 4 * (long long)ps) {
		diag("FAIL: zram orig_data_size %lld, baseline %lld", zram,
		     e->base.zram_orig);
		fails++;
	}
	if (cg_shmem != e->base.cg_shmem) {
		diag("FAIL: %s memory.stat shmem %lld, baseline %lld",
		     e->cg.path, cg_shmem, e->base.cg_shmem);
		fails++;
	}
	if (cg_cur > e->base.cg_current + tol_cur) {
		diag("FAIL: %s memory.current %lld, baseline %lld (tolerance %lld for per-cpu charge stock and kernel objects)",
		     e->cg.path, cg_cur, e->base.cg_current, tol_cur);
		fails++;
	}
	if (llabs(shmem - e->base.shmem_kb) > 1024) {
		diag("FAIL: /proc/meminfo Shmem %lld kB, baseline %lld kB (1 MiB tolerance)",
		     shmem, e->base.shmem_kb);
		fails++;
	}
	fails += env_kmsg_check(e);
	return fails;
}

void env_teardown(struct env *e)
{
	set_delay_us(0);
	set_mode("bypass");
	cg_leave();
	if (e->sd.path[0] && !swap_active(e->sd.path))
		do_swapon(&e->sd);
	if (e->kmsg_fd >= 0) {
		env_kmsg_check(e);
		close(e->kmsg_fd);
		e->kmsg_fd = -1;
	}
	env_restore_journal();
	cg_destroy(&e->cg);
	diag("%s took %.1f s", e->name, (now_us() - e->t0) / 1e6);
}
