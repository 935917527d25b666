// SPDX-License-Identifier: GPL-2.0
/*
 * Per-test environment of the shmem cache-bypass swapin selftests: setup,
 * baseline, knob journal, kernel log scan, final accounting, teardown.
 * See swapin_env.h and docs/testing.md.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/types.h>

#include "swapin_util.h"
#include "swapin_vmstat.h"
#include "swapin_swapdev.h"
#include "swapin_cgroup.h"
#include "swapin_files.h"
#include "swapin_env.h"

#define KHUGEPAGED_SLEEP "/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs"

/*
 * State kept in SHMEM_SWAPIN_STATE_DIR across tests: the swap device (to
 * swapon it again if a killed test left swap off) and the journal below.
 */
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

int env_batch_off(struct env *e)
{
	return path_exists(SWAPIN_BATCH) ? env_set_knob(e, SWAPIN_BATCH, "0") : 0;
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
	/* batching on (the default), its debug window closed */
	if (path_exists(SWAPIN_BATCH))
		env_set_knob(e, SWAPIN_BATCH, "1");
	if (path_exists(SWAPIN_BATCH_DELAY))
		env_set_knob(e, SWAPIN_BATCH_DELAY, "0");
	if (path_exists(SWAPIN_BATCH_CLAIM_DELAY))
		env_set_knob(e, SWAPIN_BATCH_CLAIM_DELAY, "0");
	if (path_exists(SWAPIN_SPLIT_DELAY))
		env_set_knob(e, SWAPIN_SPLIT_DELAY, "0");
	if (path_exists(SWAPIN_WAIT_DELAY))
		env_set_knob(e, SWAPIN_WAIT_DELAY, "0");
	/*
	 * khugepaged off for the test (it only sleeps an hour between scans):
	 * 6.12's khugepaged collapses an anonymous shared mapping into PMD
	 * folios even with hugepages-2048kB/shmem_enabled never, behind the
	 * test's back; and collapse_file() keeps the small folios' NR_SHMEM
	 * and NR_FILE_PAGES in their memcg while it charges the new folio to
	 * the mm's, so a test that wrote its data from its cgroup and left
	 * it found memory.stat shmem 2 MiB above its baseline (docs/testing.md).
	 */
	if (path_exists(KHUGEPAGED_SLEEP))
		env_set_knob(e, KHUGEPAGED_SLEEP, "3600000");
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

/* the cgroup's memory.stat, non-zero lines, as diagnostics */
static void cg_dump_stat(struct cg *c)
{
	char path[600], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.stat", c->path);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strstr(line, " 0") || strstr(line, " 0") != line + strlen(line) - 2)
			diag("  memory.stat %s", line);
	}
	fclose(f);
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
		cg_dump_stat(&e->cg);
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
