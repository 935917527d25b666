/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel trace events for the shmem cache-bypass swapin selftests: one
 * event enabled in a private tracefs instance, for the calling process
 * only, to count how often it fired (e.g. filemap/mm_filemap_map_pages,
 * which says that fault-around took the page table lock to map pages).
 */
#ifndef SWAPIN_TRACE_H
#define SWAPIN_TRACE_H

#include <stdbool.h>
#include <stddef.h>

struct trace_ev {
	char dir[256];		/* the instance, "" when not open */
	char event[128];	/* "system/name" */
};

/*
 * Enable @event ("system/name") in a new tracefs instance, for this
 * process only.  0, or -ENOENT when there is no tracefs or no such event
 * (the caller skips what depends on it), or another -errno.
 */
int trace_ev_open(struct trace_ev *t, const char *event);
/* how many times the event fired since trace_ev_open(); -1 on error */
long trace_ev_count(struct trace_ev *t);
/* disable the event and remove the instance (safe on a closed one) */
void trace_ev_close(struct trace_ev *t);

/*
 * Enable every event of @system (e.g. "shmem_swapin") in a new tracefs
 * instance, for all tasks, with @filter (e.g. "i_ino == 12", NULL for none)
 * on each of them; close with trace_ev_close().  0, -ENOENT when there is
 * no tracefs or no such system, or another -errno.
 */
int trace_sys_open(struct trace_ev *t, const char *system, const char *filter);
/* the instance's trace so far, NUL-terminated, to free(); NULL on error */
char *trace_ev_text(struct trace_ev *t);
/*
 * The next line of @text at or after *@pos that records @event (its name,
 * without the system), copied into @line; *@pos moves past it.  false when
 * there is none.
 */
bool trace_next(const char *text, size_t *pos, const char *event, char *line,
		size_t len);
/* the number after "@key=" in a trace line, or -1 */
long long trace_field(const char *line, const char *key);
/* the word after "@key=" in a trace line into @buf ("" if absent) */
const char *trace_field_str(const char *line, const char *key, char *buf,
			    size_t len);

#endif
