// SPDX-License-Identifier: GPL-2.0
/*
 * The shmem_swapin trace events (include/trace/events/shmem_swapin.h,
 * patch 0010): each one fires, with the right fields, in the scenario that
 * causes it.  The events are enabled in a private tracefs instance, filtered
 * on the test file's inode, and read back from its trace file.
 *
 *  - claim_install: an order 0 swapin by pread: a claim and an install at
 *    its index, order 0, one page, the claim naming a swap slot; no
 *    fallback.
 *  - waiter: a reader meets the marker of an owner held by debug_delay_us:
 *    wait_begin and wait_end at its index, the wait as long as the owner's
 *    hold (nonzero), outcome installed.
 *  - handoff_punch, handoff_truncate: a hole punched over a claim held open
 *    by debug_claim_delay_us, or a truncation below it: a handoff at that
 *    index, order 0, by punch, or by truncate.
 *  - fallback_pin_refused: swap readahead (the swap cache path of a
 *    neighbour, page-cluster 3) reads the claimed slot before the owner
 *    pins it: a fallback at the claimed index with reason pin_refused, and
 *    no install there.
 *  - batch: page-cluster 3, sequential faults: one batch event per window
 *    of 8, at the window's first index, with 7 neighbours claimed and 7
 *    installed.
 *
 * The delays need a debug kernel (CONFIG_DEBUG_VM), the events
 * CONFIG_TRACEPOINTS and tracefs; the tests skip without them.  See
 * docs/observability.md.
 */
#include "swapin_test.h"
#include "swapin_util.h"
#include "swapin_vmstat.h"
#include "swapin_cgroup.h"
#include "swapin_files.h"
#include "swapin_env.h"
#include "swapin_trace.h"

#include <linux/falloc.h>

#define CLAIM_DELAY	SWAPIN_SYSFS_DIR "/debug_claim_delay_us"
#define PAGE_CLUSTER	"/proc/sys/vm/page-cluster"
#define WINDOW		8	/* 2^page-cluster at 3 */

FIXTURE(trace) {
	struct env e;
	struct tfile t;
	struct trace_ev tr;
	char *text;		/* the trace read back */
	long delay;		/* race window, us */
};

FIXTURE_SETUP(trace)
{
	int r = env_setup(&self->e, _metadata->name);
	struct trace_ev probe;

	ASSERT_EQ(0, r) TH_LOG("setup: %s", self->e.err);
	self->t.fd = -1;
	self->tr.dir[0] = 0;
	self->text = NULL;
	r = trace_sys_open(&probe, "shmem_swapin", NULL);
	if (r == -ENOENT)
		SKIP(return, "no shmem_swapin trace events (kernel without patch 0010 or CONFIG_TRACEPOINTS, or no tracefs)");
	ASSERT_EQ(0, r);
	trace_ev_close(&probe);
	if (!path_exists(SWAPIN_DELAY) || !path_exists(CLAIM_DELAY))
		SKIP(return, "no %s (kernel without CONFIG_DEBUG_VM)", CLAIM_DELAY);
	ASSERT_OK(env_batch_off(&self->e));
	self->delay = race_delay_us(300000);
}

FIXTURE_TEARDOWN(trace)
{
	trace_ev_close(&self->tr);
	free(self->text);
	tf_close(&self->t);
	env_teardown(&self->e);
}

/* @n order 0 pages of a memfd written from the test's cgroup, then out */
static int file_out(FIXTURE_DATA(trace) *self, size_t n, unsigned int id)
{
	struct tfile *t = &self->t;

	if (tf_memfd(t, "trace", n, id, 0) || tf_map(t, PROT_READ | PROT_WRITE) ||
	    cg_enter(&self->e.cg) || tf_write(t, 0, n, 1) || cg_leave())
		return -1;
	return force_out(t, 0, n, &self->e.cg);
}

/* enable the events for the test file only: 0 or -errno */
static int trace_file(FIXTURE_DATA(trace) *self)
{
	struct stat st;
	char filter[64];

	if (fstat(self->t.fd, &st))
		return -errno;
	snprintf(filter, sizeof(filter), "i_ino == %lu",
		 (unsigned long)st.st_ino);
	return trace_sys_open(&self->tr, "shmem_swapin", filter);
}

/* read the trace back (once the scenario is over) and print it */
static const char *trace_text(FIXTURE_DATA(trace) *self)
{
	const char *s, *e;

	free(self->text);
	self->text = trace_ev_text(&self->tr);
	if (!self->text)
		return "";
	for (s = self->text; *s; s = e + (*e == '\n')) {
		e = strchr(s, '\n');
		if (!e)
			e = s + strlen(s);
		if (*s != '#' && e > s)
			diag("trace: %.*s", (int)(e - s), s);
	}
	return self->text;
}

/* the first line of @event at index @idx (-1: any), into @line */
static bool find_event(const char *text, const char *event, long idx,
		       char *line, size_t len)
{
	size_t pos = 0;

	while (trace_next(text, &pos, event, line, len))
		if (idx < 0 || trace_field(line, "index") == idx)
			return true;
	return false;
}

/* how many lines of @event the trace holds */
static int count_events(const char *text, const char *event)
{
	char line[512];
	size_t pos = 0;
	int n = 0;

	while (trace_next(text, &pos, event, line, sizeof(line)))
		n++;
	return n;
}

/* a reader of one page by pread, in a thread */
struct rd {
	struct tfile *t;
	size_t idx;
	int gen;
	char msg[400];
	pthread_t tid;
};

static void *rd_fn(void *arg)
{
	struct rd *r = arg;
	struct rbuf rb;

	r->gen = R_ERR;
	if (rbuf_init(&rb))
		return NULL;
	r->gen = read_page(r->t, r->t->fd, NULL, r->idx, M_PREAD, &rb, r->msg,
			   sizeof(r->msg));
	rbuf_free(&rb);
	return NULL;
}

static int rd_start(struct rd *r, struct tfile *t, size_t idx)
{
	memset(r, 0, sizeof(*r));
	r->t = t;
	r->idx = idx;
	return pthread_create(&r->tid, NULL, rd_fn, r);
}

/* ------------------------------------------------------------------ */

TEST_F_TIMEOUT(trace, claim_install, 300)
{
	struct tfile *t = &self->t;
	size_t n = 16, idx = 5;
	char line[512];
	const char *text;
	char *buf = malloc(ps);

	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ(0, file_out(self, n, 81));
	ASSERT_OK(trace_file(self));
	ASSERT_EQ((ssize_t)ps, pread(t->fd, buf, ps, idx * ps));
	free(buf);
	text = trace_text(self);

	ASSERT_TRUE(find_event(text, "shmem_swapin_claim", idx, line, sizeof(line)))
		TH_LOG("no shmem_swapin_claim at index %zu", idx);
	EXPECT_EQ(0, trace_field(line, "order"));
	EXPECT_TRUE(strstr(line, " swap=") != NULL) TH_LOG("claim: no swap slot: %s", line);
	ASSERT_TRUE(find_event(text, "shmem_swapin_install", idx, line, sizeof(line)))
		TH_LOG("no shmem_swapin_install at index %zu", idx);
	EXPECT_EQ(0, trace_field(line, "order"));
	EXPECT_EQ(1, trace_field(line, "nr"));
	/* that one page only, and nothing else happened */
	EXPECT_EQ(1, count_events(text, "shmem_swapin_claim"));
	EXPECT_EQ(1, count_events(text, "shmem_swapin_install"));
	EXPECT_EQ(0, count_events(text, "shmem_swapin_fallback"));
	EXPECT_EQ(0, count_events(text, "shmem_swapin_wait_begin"));
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "after the traced swapin"));
	tf_close(t);
	CHECK_BACK(&self->e);
}

TEST_F_TIMEOUT(trace, waiter, 300)
{
	struct tfile *t = &self->t;
	size_t n = 16, idx = 3;
	struct rd owner, waiter;
	char line[512], what[32];
	const char *text;
	long long waited;
	char buf[32];

	ASSERT_EQ(0, file_out(self, n, 82));
	ASSERT_OK(trace_file(self));
	snprintf(buf, sizeof(buf), "%ld", self->delay);
	ASSERT_OK(env_set_knob(&self->e, SWAPIN_DELAY, buf));
	ASSERT_EQ(0, rd_start(&owner, t, idx));
	sleep_us(self->delay / 3);
	ASSERT_EQ(0, rd_start(&waiter, t, idx));
	pthread_join(owner.tid, NULL);
	pthread_join(waiter.tid, NULL);
	ASSERT_OK(env_set_knob(&self->e, SWAPIN_DELAY, "0"));
	EXPECT_EQ(t->gen[idx], owner.gen) TH_LOG("owner: %s", owner.msg);
	EXPECT_EQ(t->gen[idx], waiter.gen) TH_LOG("waiter: %s", waiter.msg);
	text = trace_text(self);

	ASSERT_TRUE(find_event(text, "shmem_swapin_wait_begin", idx, line, sizeof(line)))
		TH_LOG("no shmem_swapin_wait_begin at index %zu", idx);
	ASSERT_TRUE(find_event(text, "shmem_swapin_wait_end", idx, line, sizeof(line)))
		TH_LOG("no shmem_swapin_wait_end at index %zu", idx);
	waited = trace_field(line, "waited_ns");
	diag("the waiter slept %lld ns (the owner held the marker %ld us)",
	     waited, self->delay);
	EXPECT_GT(waited, 0);
	/* it came in a third into the owner's hold: it waited most of the rest */
	EXPECT_GT(waited, self->delay * 1000 / 3)
		TH_LOG("waited %lld ns, the owner held its marker %ld us", waited,
		       self->delay);
	EXPECT_STREQ("installed", trace_field_str(line, "outcome", what, sizeof(what)));
	EXPECT_EQ(1, count_events(text, "shmem_swapin_install"));
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "after the traced wait"));
	tf_close(t);
	CHECK_BACK(&self->e);
}

/*
 * Hold a claim on @idx open (debug_claim_delay_us), then @act on the file
 * in its window; check a handoff by @by was traced there.
 */
static void handoff(struct __test_metadata *_metadata,
		    FIXTURE_DATA(trace) *self, bool punch, const char *by)
{
	struct tfile *t = &self->t;
	size_t n = 16, idx = 6, i;
	char line[512], what[32];
	const char *text;
	struct rd owner;
	char buf[32];

	ASSERT_EQ(0, file_out(self, n, punch ? 83 : 84));
	ASSERT_OK(trace_file(self));
	snprintf(buf, sizeof(buf), "%ld", self->delay);
	ASSERT_OK(env_set_knob(&self->e, CLAIM_DELAY, buf));
	ASSERT_EQ(0, rd_start(&owner, t, idx));
	sleep_us(self->delay / 3);
	if (punch) {
		ASSERT_EQ(0, fallocate(t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				       idx * ps, ps));
		t->gen[idx] = 0;
	} else {
		ASSERT_EQ(0, ftruncate(t->fd, (idx - 2) * ps));
	}
	pthread_join(owner.tid, NULL);
	ASSERT_OK(env_set_knob(&self->e, CLAIM_DELAY, "0"));
	text = trace_text(self);

	ASSERT_TRUE(find_event(text, "shmem_swapin_claim", idx, line, sizeof(line)))
		TH_LOG("no shmem_swapin_claim at index %zu", idx);
	ASSERT_TRUE(find_event(text, "shmem_swapin_handoff", idx, line, sizeof(line)))
		TH_LOG("no shmem_swapin_handoff at index %zu", idx);
	EXPECT_EQ(0, trace_field(line, "order"));
	EXPECT_STREQ(by, trace_field_str(line, "by", what, sizeof(what)));
	EXPECT_EQ(1, count_events(text, "shmem_swapin_handoff"));
	/* the owner's install found its marker gone: nothing installed */
	EXPECT_FALSE(find_event(text, "shmem_swapin_install", idx, line, sizeof(line)));
	if (punch) {
		EXPECT_EQ(0, owner.gen) TH_LOG("owner: %s", owner.msg);
		EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "after the punch"));
	} else {
		EXPECT_EQ(R_EOF, owner.gen) TH_LOG("owner: %s", owner.msg);
		for (i = idx - 2; i < n; i++)
			t->gen[i] = 0;
		EXPECT_EQ(0, tf_verify(t, 0, idx - 2, VIA_PREAD, "after the truncation"));
	}
	tf_close(t);
	CHECK_BACK(&self->e);
}

TEST_F_TIMEOUT(trace, handoff_punch, 300)
{
	handoff(_metadata, self, true, "punch");
}

TEST_F_TIMEOUT(trace, handoff_truncate, 300)
{
	handoff(_metadata, self, false, "truncate");
}

TEST_F_TIMEOUT(trace, fallback_pin_refused, 300)
{
	struct tfile *t = &self->t;
	size_t n = 16, idx = 4;
	struct rd owner, nb;
	char line[512], what[32];
	const char *text;
	char buf[32];

	ASSERT_EQ(0, file_out(self, n, 85));
	ASSERT_OK(env_set_knob(&self->e, PAGE_CLUSTER, "3"));
	ASSERT_OK(trace_file(self));
	snprintf(buf, sizeof(buf), "%ld", self->delay);
	ASSERT_OK(env_set_knob(&self->e, CLAIM_DELAY, buf));
	ASSERT_EQ(0, rd_start(&owner, t, idx));
	sleep_us(self->delay / 4);
	/*
	 * While the owner holds its claim unpinned: the swap cache path's
	 * readahead for the page before reads the claimed slot too.
	 */
	ASSERT_OK(set_mode("swapcache"));
	ASSERT_EQ(0, rd_start(&nb, t, idx - 1));
	pthread_join(nb.tid, NULL);
	ASSERT_OK(set_mode("bypass"));
	pthread_join(owner.tid, NULL);
	ASSERT_OK(env_set_knob(&self->e, CLAIM_DELAY, "0"));
	EXPECT_EQ(t->gen[idx], owner.gen) TH_LOG("owner: %s", owner.msg);
	EXPECT_EQ(t->gen[idx - 1], nb.gen) TH_LOG("neighbour: %s", nb.msg);
	text = trace_text(self);

	ASSERT_TRUE(find_event(text, "shmem_swapin_claim", idx, line, sizeof(line)))
		TH_LOG("no shmem_swapin_claim at index %zu", idx);
	ASSERT_TRUE(find_event(text, "shmem_swapin_fallback", idx, line, sizeof(line)))
		TH_LOG("no shmem_swapin_fallback at index %zu", idx);
	EXPECT_EQ(0, trace_field(line, "order"));
	EXPECT_STREQ("pin_refused", trace_field_str(line, "reason", what, sizeof(what)));
	EXPECT_FALSE(find_event(text, "shmem_swapin_install", idx, line, sizeof(line)))
		TH_LOG("the owner's page was installed by the bypass: %s", line);
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_PREAD, "after the refused pin"));
	tf_close(t);
	CHECK_BACK(&self->e);
}

TEST_F_TIMEOUT(trace, batch, 300)
{
	struct tfile *t = &self->t;
	size_t n = 8 * WINDOW, i;
	char line[512];
	const char *text;
	size_t pos = 0;
	int batches = 0;

	if (!path_exists(SWAPIN_BATCH))
		SKIP(return, "no %s (kernel without batching)", SWAPIN_BATCH);
	ASSERT_OK(env_set_knob(&self->e, SWAPIN_BATCH, "1"));
	ASSERT_OK(env_set_knob(&self->e, PAGE_CLUSTER, "3"));
	ASSERT_EQ(0, file_out(self, n, 86));
	ASSERT_OK(trace_file(self));
	for (i = 0; i < n; i++)
		(void)*(volatile char *)(t->map + i * ps);
	text = trace_text(self);

	while (trace_next(text, &pos, "shmem_swapin_batch", line, sizeof(line))) {
		long long idx = trace_field(line, "index");

		batches++;
		EXPECT_EQ(0, idx % WINDOW) TH_LOG("batch at index %lld: %s", idx, line);
		EXPECT_EQ(WINDOW - 1, trace_field(line, "claimed")) TH_LOG("%s", line);
		EXPECT_EQ(WINDOW - 1, trace_field(line, "installed")) TH_LOG("%s", line);
	}
	/* one per window; the first window's may not be sequential yet */
	EXPECT_GE(batches, (int)(n / WINDOW) - 1);
	EXPECT_LE(batches, (int)(n / WINDOW));
	/* the batch's owners claim and install their own page */
	EXPECT_GE(count_events(text, "shmem_swapin_install"), batches);
	EXPECT_EQ(0, tf_verify(t, 0, n, VIA_MAP, "after the traced batches"));
	tf_close(t);
	CHECK_BACK(&self->e);
}

TEST_HARNESS_MAIN
