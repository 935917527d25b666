// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v2 helpers of the shmem cache-bypass swapin selftests.
 * See swapin_cgroup.h and docs/testing.md.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "swapin_util.h"
#include "swapin_cgroup.h"

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
