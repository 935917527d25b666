// SPDX-License-Identifier: GPL-2.0
/*
 * The swap device of the shmem cache-bypass swapin selftests: find it,
 * read its usage, swapoff/swapon it.
 * See swapin_swapdev.h and docs/testing.md.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "swapin_util.h"
#include "swapin_cgroup.h"
#include "swapin_swapdev.h"

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
	return do_swapoff_cpu(sd, timeout_s, NULL);
}

int do_swapoff_cpu(const struct swapdev *sd, int timeout_s, long long *cpu_us)
{
	struct rusage ru;
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
		pid_t w = wait4(pid, &status, WNOHANG, &ru);

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
	if (cpu_us)
		*cpu_us = ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec +
			  ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec;
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

#define ZRAM_CONTROL "/sys/class/zram-control"

/* the first page of a swap area, as mkswap(8) writes it (version 1, no bad pages) */
static int write_swap_header(const char *path, long long bytes)
{
	unsigned int *words;
	char *page;
	ssize_t n;
	int fd;

	page = calloc(1, ps);
	if (!page)
		return -ENOMEM;
	words = (unsigned int *)(page + 1024);
	words[0] = 1;				/* version */
	words[1] = bytes / ps - 1;		/* last_page */
	memcpy(page + ps - 10, "SWAPSPACE2", 10);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		free(page);
		return -errno;
	}
	n = pwrite(fd, page, ps, 0);
	fsync(fd);
	close(fd);
	free(page);
	return n == (ssize_t)ps ? 0 : -EIO;
}

static int zram_swap_add_queue(struct swapdev *sd, long long bytes, int prio,
			       bool rotational)
{
	char buf[64], path[128];
	int id, i, r;

	if (read_str(ZRAM_CONTROL "/hot_add", buf, sizeof(buf)))
		return -ENOENT;
	id = atoi(buf);
	snprintf(path, sizeof(path), "/sys/block/zram%d/disksize", id);
	snprintf(buf, sizeof(buf), "%lld", bytes);
	r = write_str(path, buf);
	if (r)
		return r;
	snprintf(sd->path, sizeof(sd->path), "/dev/zram%d", id);
	if (rotational) {
		snprintf(path, sizeof(path), "/sys/block/zram%d/queue/rotational", id);
		r = write_str(path, "1");
		if (r)
			return r;
	}
	sd->prio = prio;
	for (i = 0; i < 100 && !path_exists(sd->path); i++)
		usleep(10000);	/* devtmpfs makes the node */
	r = write_swap_header(sd->path, bytes);
	return r ? r : do_swapon(sd);
}

int zram_swap_add(struct swapdev *sd, long long bytes, int prio)
{
	return zram_swap_add_queue(sd, bytes, prio, false);
}

int zram_swap_add_rotational(struct swapdev *sd, long long bytes, int prio)
{
	return zram_swap_add_queue(sd, bytes, prio, true);
}

int zram_swap_remove(struct swapdev *sd)
{
	const char *num = strstr(sd->path, "zram");
	int r = 0;

	if (!num)
		return -EINVAL;
	if (swap_active(sd->path))
		r = do_swapoff(sd, 120);
	if (!r)
		r = write_str(ZRAM_CONTROL "/hot_remove", num + 4);
	return r;
}

long long swapdev_used_kb(const struct swapdev *sd)
{
	char line[512], p[256], type[32];
	long long size, used, res = -1;
	int prio;
	FILE *f = fopen("/proc/swaps", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s %31s %lld %lld %d", p, type, &size,
			   &used, &prio) == 5 && !strcmp(p, sd->path))
			res = used;
	fclose(f);
	return res;
}
