// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/vmstat snapshots, /proc/meminfo and the sysfs knobs of the feature,
 * for the shmem cache-bypass swapin selftests.
 * See swapin_vmstat.h and docs/testing.md.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swapin_util.h"
#include "swapin_vmstat.h"

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
	[V_BYPASS_MTHP] = "shmem_swapin_bypass_mthp",
	[V_BYPASS_PMD] = "shmem_swapin_bypass_pmd",
	[V_LARGE_FALLBACK] = "shmem_swapin_large_fallback",
	[V_BATCH] = "shmem_swapin_batch",
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
	if (b->present[V_BYPASS_MTHP])
		diag("%s: large bypass: mthp folios=%lld pmd folios=%lld large fallbacks=%lld",
		     label, vm_d(a, b, V_BYPASS_MTHP), vm_d(a, b, V_BYPASS_PMD),
		     vm_d(a, b, V_LARGE_FALLBACK));
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

/*
 * Development aid only: SHMEM_SWAPIN_ALLOW_STOCK=1 lets the suite run on a
 * kernel without the feature, to check the harness itself.  The mode and
 * delay knobs are then ignored and the counters read as 0, so every "the
 * bypass ran" assertion still fails there.
 */
bool allow_stock(void)
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
