// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel trace events for the shmem cache-bypass swapin selftests: see
 * swapin_trace.h.
 */
#include <errno.h>
#include <stdlib.h>
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

int trace_sys_open(struct trace_ev *t, const char *system, const char *filter)
{
	const char *root = tracefs_root();
	char p[512];
	int r = 0;

	t->dir[0] = 0;
	snprintf(t->event, sizeof(t->event), "%s", system);
	if (!root)
		return -ENOENT;
	snprintf(p, sizeof(p), "%s/events/%s/enable", root, system);
	if (!path_exists(p))
		return -ENOENT;
	snprintf(t->dir, sizeof(t->dir), "%s/instances/swapin_test_%d", root,
		 (int)getpid());
	if (mkdir(t->dir, 0700) && errno != EEXIST) {
		r = -errno;
		t->dir[0] = 0;
		return r;
	}
	if (filter) {
		snprintf(p, sizeof(p), "%s/events/%s/filter", t->dir, system);
		r = write_str(p, filter);
	}
	if (!r) {
		snprintf(p, sizeof(p), "%s/events/%s/enable", t->dir, system);
		r = write_str(p, "1");
	}
	if (r) {
		diag("trace: cannot enable %s (filter %s) in %s: %s", system,
		     filter ? filter : "none", t->dir, strerror(-r));
		trace_ev_close(t);
	}
	return r;
}

char *trace_ev_text(struct trace_ev *t)
{
	size_t len = 0, cap = 1 << 16;
	char p[512], *buf, *nb;
	FILE *f;

	if (!t->dir[0])
		return NULL;
	snprintf(p, sizeof(p), "%s/trace", t->dir);
	f = fopen(p, "re");
	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		len += fread(buf + len, 1, cap - len - 1, f);
		if (len < cap - 1)
			break;
		cap *= 2;
		nb = realloc(buf, cap);
		if (!nb)
			free(buf);
		buf = nb;
	}
	fclose(f);
	if (buf)
		buf[len] = 0;
	return buf;
}

bool trace_next(const char *text, size_t *pos, const char *event, char *line,
		size_t len)
{
	char key[160];
	const char *s, *e;
	size_t n;

	snprintf(key, sizeof(key), " %s:", event);
	for (s = text + *pos; *s; s = e + (*e == '\n')) {
		e = strchr(s, '\n');
		if (!e)
			e = s + strlen(s);
		n = e - s;
		if (*s == '#' || !memmem(s, n, key, strlen(key)))
			continue;
		if (n >= len)
			n = len - 1;
		memcpy(line, s, n);
		line[n] = 0;
		*pos = e - text + (*e == '\n');
		return true;
	}
	*pos = s - text;
	return false;
}

/* where the value of @key starts in @line, or NULL */
static const char *field_at(const char *line, const char *key)
{
	size_t kl = strlen(key);
	const char *s;

	for (s = strstr(line, key); s; s = strstr(s + 1, key))
		if ((s == line || s[-1] == ' ') && s[kl] == '=')
			return s + kl + 1;
	return NULL;
}

long long trace_field(const char *line, const char *key)
{
	const char *v = field_at(line, key);

	return v ? strtoll(v, NULL, 0) : -1;
}

const char *trace_field_str(const char *line, const char *key, char *buf,
			    size_t len)
{
	const char *v = field_at(line, key);
	size_t n = v ? strcspn(v, " \t") : 0;

	if (n >= len)
		n = len - 1;
	memcpy(buf, v ? v : "", n);
	buf[n] = 0;
	return buf;
}
