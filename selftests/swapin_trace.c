// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel trace events for the shmem cache-bypass swapin selftests: see
 * swapin_trace.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "swapin_util.h"
#include "swapin_trace.h"

static const char *tracefs_root(void)
{
	static const char *const roots[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char p[300];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/instances", roots[i]);
		if (path_exists(p))
			return roots[i];
	}
	/* not mounted yet: mount it at its own place */
	if (!mount("nodev", roots[0], "tracefs", 0, NULL))
		return roots[0];
	return NULL;
}

int trace_ev_open(struct trace_ev *t, const char *event)
{
	const char *root = tracefs_root();
	char p[512], pid[32];
	int r;

	t->dir[0] = 0;
	snprintf(t->event, sizeof(t->event), "%s", event);
	if (!root)
		return -ENOENT;
	snprintf(p, sizeof(p), "%s/events/%s/enable", root, event);
	if (!path_exists(p))
		return -ENOENT;
	snprintf(t->dir, sizeof(t->dir), "%s/instances/swapin_test_%d", root,
		 (int)getpid());
	if (mkdir(t->dir, 0700) && errno != EEXIST) {
		r = -errno;
		t->dir[0] = 0;
		return r;
	}
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(p, sizeof(p), "%s/set_event_pid", t->dir);
	r = write_str(p, pid);
	if (!r) {
		snprintf(p, sizeof(p), "%s/events/%s/enable", t->dir, event);
		r = write_str(p, "1");
	}
	if (r) {
		diag("trace: cannot enable %s in %s: %s", event, t->dir,
		     strerror(-r));
		trace_ev_close(t);
	}
	return r;
}

long trace_ev_count(struct trace_ev *t)
{
	const char *name = strrchr(t->event, '/');
	char p[512], line[1024], key[160];
	long n = 0;
	FILE *f;

	if (!t->dir[0])
		return -1;
	snprintf(key, sizeof(key), " %s:", name ? name + 1 : t->event);
	snprintf(p, sizeof(p), "%s/trace", t->dir);
	f = fopen(p, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#' && strstr(line, key))
			n++;
	fclose(f);
	return n;
}

void trace_ev_close(struct trace_ev *t)
{
	char p[512];

	if (!t->dir[0])
		return;
	snprintf(p, sizeof(p), "%s/events/%s/enable", t->dir, t->event);
	write_str(p, "0");
	if (rmdir(t->dir))
		diag("trace: cannot remove %s: %s", t->dir, strerror(errno));
	t->dir[0] = 0;
}
