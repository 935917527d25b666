// SPDX-License-Identifier: GPL-2.0
/* Fault injection helpers: see swapin_fault.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "swapin_fault.h"
#include "swapin_env.h"
#include "swapin_util.h"

#define DBG "/sys/kernel/debug"
#define FAIL_BIO DBG "/fail_make_request"
#define FAIL_SLAB DBG "/failslab"

/*
 * The common fault_attr knobs: every request may fail, @times of them, once
 * requests of @space bytes in all have passed (should_fail() lets a request
 * through while what is left of "space" exceeds its size).
 */
static int arm_attr(struct env *e, const char *dir, int times, long space)
{
	static const char *const knobs[][2] = {
		{ "probability", "100" }, { "interval", "1" },
		{ "verbose", "0" }, { "task-filter", "Y" },
	};
	char path[256], val[32];
	size_t i;
	int r;

	snprintf(path, sizeof(path), "%s/space", dir);
	snprintf(val, sizeof(val), "%ld", space ? space + 1 : 0);
	r = env_set_knob(e, path, val);
	if (r)
		return r;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, knobs[i][0]);
		r = env_set_knob(e, path, knobs[i][1]);
		if (r)
			return r;
	}
	snprintf(path, sizeof(path), "%s/times", dir);
	snprintf(val, sizeof(val), "%d", times);
	return env_set_knob(e, path, val);
}

int fault_bio_arm(struct env *e, const char *swapdev_path, int times)
{
	return fault_bio_arm_after(e, swapdev_path, 0, times);
}

int fault_bio_arm_after(struct env *e, const char *swapdev_path, long bytes,
			int times)
{
	const char *dev = strrchr(swapdev_path, '/');
	char path[256];
	int r;

	if (!path_exists(FAIL_BIO))
		return -ENOENT;
	snprintf(path, sizeof(path), "/sys/block/%s/make-it-fail",
		 dev ? dev + 1 : swapdev_path);
	if (!path_exists(path))
		return -ENOENT;
	r = arm_attr(e, FAIL_BIO, times, bytes);
	return r ? r : env_set_knob(e, path, "1");
}

int fault_slab_arm(struct env *e, const char *cache, int times)
{
	char path[256];
	int r;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/failslab", cache);
	if (!path_exists(FAIL_SLAB) || !path_exists(path))
		return -ENOENT;
	r = arm_attr(e, FAIL_SLAB, times, 0);
	if (!r)
		r = env_set_knob(e, FAIL_SLAB "/ignore-gfp-wait", "N");
	if (!r)
		r = env_set_knob(e, FAIL_SLAB "/cache-filter", "Y");
	return r ? r : env_set_knob(e, path, "1");
}

int fault_this_thread(bool on)
{
	return write_str("/proc/thread-self/make-it-fail", on ? "1" : "0");
}

long fault_bio_left(void)
{
	return read_ll(FAIL_BIO "/times");
}

long fault_slab_left(void)
{
	return read_ll(FAIL_SLAB "/times");
}
