/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel trace events for the shmem cache-bypass swapin selftests: one
 * event enabled in a private tracefs instance, for the calling process
 * only, to count how often it fired (e.g. filemap/mm_filemap_map_pages,
 * which says that fault-around took the page table lock to map pages).
 */
#ifndef SWAPIN_TRACE_H
#define SWAPIN_TRACE_H

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

#endif
