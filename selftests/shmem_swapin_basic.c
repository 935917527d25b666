// SPDX-License-Identifier: GPL-2.0
/*
 * Basic scenarios of the shmem cache-bypass swapin:
 *  - smoke_modes: write, force out, read back in mode swapcache and in mode
 *    bypass; the accounting a sequential swapin leaves must be the same in
 *    both modes (issue 3).
 *  - memcg_charge_fail: the swapin charge fails (memory.max reached,
 *    memory.swap.max 0): read() gets ENOMEM and nothing changes, a faulting
 *    task in the cgroup is OOM-killed, other pages stay intact, and after
 *    lifting the limit everything reads back and accounting returns.
 *  - sysv_shm: SysV shm segment, racing faults from two processes, shm_swp
 *    of SHM_INFO follows.
 *  - fault_around_swapin: a fault on a swapped-out page still maps the
 *    resident, unmapped pages of its fault-around window, and does not walk
 *    a window where there is nothing to map (patch 0008).
 *
 * See docs/testing.md.
 */
#include <sys/ipc.h>
#include <sys/shm.h>

#include "swapin_test.h"
#include "swapin_util.h"
#include "swapin_vmstat.h"
#include "swapin_swapdev.h"
#include "swapin_cgroup.h"
#include "swapin_files.h"
#include "swapin_env.h"
#include "swapin_trace.h"

struct mode_result {
	long long blocks, resident, cg_shmem, cg_swap, used_kb, shmem_delta_kb,
		  cg_current, nr_cache, nr_evicted;
	long long installs, reads, bypass, swapcache, fallback;
	uint64_t us;
};

TEST_F_TIMEOUT(ss, smoke_modes, 400)
{
	static const char *const modes[2] = { "swapcache", "bypass" };
	struct env *e = &self->e;
	size_t n = scaled(4096), zeros = 0, i;
	struct mode_result res[2];
	int m;

	memset(res, 0, sizeof(res));
	for (m = 0; m < 2; m++) {
		struct mode_result *r = &res[m];
		struct vmsnap v0, v1, v2;
		struct ss_cachestat cs;
		struct tfile t;
		long long used0, swap_cur;
		uint64_t t0;

		diag("---- mode %s ----", modes[m]);
		ASSERT_OK(set_mode(modes[m]));
		ASSERT_OK(tf_memfd(&t, "smoke", n, 1 + m, 0));
		ASSERT_OK(tf_map(&t, PROT_READ | PROT_WRITE));

		/* pages are charged to the cgroup of the writer */
		ASSERT_OK(cg_enter(&e->cg));
		ASSERT_OK(tf_write(&t, 0, n, 1));
		/* every 16th page holds explicit zeros: zero-map swap entries */
		for (i = 7, zeros = 0; i < n; i += 16, zeros++)
			ASSERT_OK(tf_write(&t, i, 1, 0));
		ASSERT_OK(cg_leave());

		stat_refresh();
		used0 = swaps_used_kb();
		vm_snap(&v0);
		ASSERT_OK(force_out(&t, 0, n, &e->cg));
		vm_snap(&v1);
		vm_print("swap out", &v0, &v1);

		/* the pages really went out */
		EXPECT_GE(vm_outs(&v0, &v1), (long long)n)
			TH_LOG("pswpout+zswpout+swpout_zero went up by %lld, expected >= %zu",
			       vm_outs(&v0, &v1), n);
		EXPECT_GE(swaps_used_kb() - used0, (long long)(n * ps / 1024))
			TH_LOG("/proc/swaps Used grew by %lld KiB, expected >= %zu",
			       swaps_used_kb() - used0, n * ps / 1024);
		swap_cur = cg_read(&e->cg, "memory.swap.current");
		EXPECT_EQ((long long)(n * ps), swap_cur)
			TH_LOG("memory.swap.current %lld after swapping out %zu pages",
			       swap_cur, n);
		EXPECT_EQ(0, cg_wait_shmem(&e->cg, 0))
			TH_LOG("memory.stat shmem not 0 with every page out");
		EXPECT_EQ((long long)(n * ps / 512), tf_blocks(&t))
			TH_LOG("st_blocks of a fully swapped file");
		EXPECT_EQ(0, tf_resident(&t, 0, n, NULL));
		acct_print("swapped out", e, &t);

		/* sequential swapin: first half by faults, second by read() */
		t0 = now_us();
		for (i = 0; i < n / 2; i++)
			(void)*(volatile char *)(t.map + i * ps);
		ASSERT_EQ(0, tf_verify(&t, n / 2, n - n / 2, VIA_PREAD, "read back"));
		r->us = now_us() - t0;
		vm_snap(&v2);
		vm_print("swap in", &v1, &v2);
		diag("mode %s: %zu pages in %llu us (%.1f us/page)", modes[m], n,
		     (unsigned long long)r->us, (double)r->us / n);
		ASSERT_EQ(0, tf_verify(&t, 0, n, VIA_MAP, "after swapin"));

		r->installs = vm_installs(&v1, &v2);
		r->reads = vm_reads(&v1, &v2);
		r->bypass = vm_d(&v1, &v2, V_BYPASS);
		r->swapcache = vm_d(&v1, &v2, V_SWAPCACHE);
		r->fallback = vm_d(&v1, &v2, V_FALLBACK);
		EXPECT_PAGES("pages installed (bypass + swapcache)",
			     r->installs, n);
		EXPECT_GE(vm_d(&v1, &v2, V_SWPIN_ZERO), (long long)zeros)
			TH_LOG("swpin_zero went up by %lld, expected >= %zu zero-map pages",
			       vm_d(&v1, &v2, V_SWPIN_ZERO), zeros);
		if (m == 0) {
			EXPECT_EQ(0, r->bypass)
				TH_LOG("mode swapcache, yet shmem_swapin_bypass went up by %lld",
				       r->bypass);
			EXPECT_PAGES("shmem_swapin_swapcache", r->swapcache, n);
		} else {
			EXPECT_PAGES("shmem_swapin_bypass", r->bypass, n);
			EXPECT_EQ(0, r->swapcache)
				TH_LOG("mode bypass, sequential swapin from zram, yet shmem_swapin_swapcache went up by %lld",
				       r->swapcache);
			EXPECT_EQ(0, r->fallback)
				TH_LOG("mode bypass, no concurrency, yet shmem_swapin_fallback went up by %lld",
				       r->fallback);
			/* one read per page: no readahead, no double read */
			EXPECT_PAGES("pages read (pswpin + zswpin + swpin_zero)",
				     r->reads, n);
		}

		/* accounting with the file alive and every page back in */
		r->blocks = tf_blocks(&t);
		r->resident = tf_resident(&t, 0, n, NULL);
		r->cg_shmem = cg_wait_shmem(&e->cg, n * ps);
		stat_refresh();
		r->shmem_delta_kb = meminfo_kb("Shmem") - e->base.shmem_kb;
		r->cg_current = cg_read(&e->cg, "memory.current");
		if (!do_cachestat(t.fd, 0, 0, &cs)) {
			r->nr_cache = cs.nr_cache;
			r->nr_evicted = cs.nr_evicted;
		} else {
			r->nr_cache = r->nr_evicted = -1;
		}
		/* freed slots wait in the slot caches: drain, then compare */
		ASSERT_OK(swap_drain(&e->sd, 60));
		r->cg_swap = cg_read(&e->cg, "memory.swap.current");
		r->used_kb = swaps_used_kb() - e->base.swap_used_kb;
		acct_print("swapped in", e, &t);

		EXPECT_EQ((long long)(n * ps / 512), r->blocks)
			TH_LOG("st_blocks after swapin");
		EXPECT_EQ((long long)n, r->resident);
		EXPECT_EQ((long long)(n * ps), r->cg_shmem)
			TH_LOG("memory.stat shmem: the swapin must charge the cgroup the pages were swapped out from");
		EXPECT_EQ(0, r->cg_swap)
			TH_LOG("memory.swap.current after swapin and drain");
		EXPECT_LE(llabs(r->used_kb), (long long)(4 * ps / 1024))
			TH_LOG("/proc/swaps Used is %lld KiB off the baseline after swapin and drain",
			       r->used_kb);
		if (r->nr_cache >= 0) {
			EXPECT_EQ((long long)n, r->nr_cache);
			EXPECT_EQ(0, r->nr_evicted);
		}

		tf_close(&t);
		CHECK_BACK(e);
	}

	diag("mode comparison (swapcache | bypass):");
	diag("  st_blocks        %lld | %lld", res[0].blocks, res[1].blocks);
	diag("  resident         %lld | %lld", res[0].resident, res[1].resident);
	diag("  cg stat.shmem    %lld | %lld", res[0].cg_shmem, res[1].cg_shmem);
	diag("  cg swap.current  %lld | %lld", res[0].cg_swap, res[1].cg_swap);
	diag("  swap Used delta  %lld | %lld KiB", res[0].used_kb, res[1].used_kb);
	diag("  Shmem delta      %lld | %lld kB", res[0].shmem_delta_kb,
	     res[1].shmem_delta_kb);
	diag("  cg memory.current %lld | %lld", res[0].cg_current,
	     res[1].cg_current);
	diag("  cachestat cache/evicted %lld/%lld | %lld/%lld",
	     res[0].nr_cache, res[0].nr_evicted, res[1].nr_cache,
	     res[1].nr_evicted);
	diag("  swapin time      %llu | %llu us", (unsigned long long)res[0].us,
	     (unsigned long long)res[1].us);
	EXPECT_EQ(res[0].blocks, res[1].blocks);
	EXPECT_EQ(res[0].resident, res[1].resident);
	EXPECT_EQ(res[0].cg_shmem, res[1].cg_shmem);
	EXPECT_EQ(res[0].cg_swap, res[1].cg_swap);
	EXPECT_EQ(res[0].used_kb, res[1].used_kb);
	EXPECT_EQ(res[0].nr_cache, res[1].nr_cache);
	EXPECT_EQ(res[0].nr_evicted, res[1].nr_evicted);
	EXPECT_LE(llabs(res[0].shmem_delta_kb - res[1].shmem_delta_kb), 1024)
		TH_LOG("Shmem after swapin differs between modes by more than 1 MiB");
	EXPECT_LE(llabs(res[0].cg_current - res[1].cg_current), 1 << 20)
		TH_LOG("memory.current after swapin differs between modes by more than 1 MiB");
}

/* ------------------------------------------------------------------ */

TEST_F_TIMEOUT(ss, memcg_charge_fail, 300)
{
	struct env *e = &self->e;
	size_t n = scaled(256), i, ok_pages = 0;
	long long cur, limit, oom0, oom1, swapped_before;
	struct vmsnap v0, v1, v2, v3;
	long enomem_at = -1;
	char buf[64], msg[400];
	char *page = malloc(ps);
	struct tfile t;
	int status;
	pid_t pid;

	ASSERT_NE(NULL, page);
	ASSERT_OK(tf_memfd(&t, "chargefail", n, 3, 0));
	ASSERT_OK(tf_map(&t, PROT_READ | PROT_WRITE));
	ASSERT_OK(cg_enter(&e->cg));
	ASSERT_OK(tf_write(&t, 0, n, 1));
	ASSERT_OK(cg_leave());
	ASSERT_OK(force_out(&t, 0, n, &e->cg));

	/* no more swap for this cgroup, and room for only a few pages */
	e->allow_oom = true;
	if (env_quiet_console(e))
		diag("cannot lower the console loglevel: the OOM reports below will reach the console");
	ASSERT_OK(cg_write(&e->cg, "memory.swap.max", "0"));
	cur = cg_read(&e->cg, "memory.current");
	limit = (cur + ps - 1) / ps * ps + 16 * ps;
	snprintf(buf, sizeof(buf), "%lld", limit);
	ASSERT_OK(cg_write(&e->cg, "memory.max", buf));
	diag("memory.current=%lld, memory.max=%lld, memory.swap.max=0", cur,
	     limit);
	oom0 = cg_keyed(&e->cg, "memory.events", "oom");

	/* phase 1: read() from outside the cgroup; the charge must fail */
	vm_snap(&v0);
	for (i = 0; i < n; i++) {
		ssize_t r = pread(t.fd, page, ps, i * ps);

		if (r == (ssize_t)ps) {
			EXPECT_EQ(0, check_page(page, t.id, i, 1, msg, sizeof(msg)))
				TH_LOG("phase 1: %s", msg);
			ok_pages++;
			continue;
		}
		if (r < 0 && errno == ENOMEM) {
			/*
			 * The failed charge drained the per-cpu charge stocks,
			 * which may make room: only a second failure in a row
			 * at the same page means the limit is reached.
			 */
			if (enomem_at == (long)i)
				break;
			enomem_at = i--;
			continue;
		}
		ASSERT_TRUE(0) TH_LOG("phase 1: pread page %zu returned %zd: %s",
				      i, r, r < 0 ? strerror(errno) : "short");
	}
	vm_snap(&v1);
	vm_print("phase 1 (read until ENOMEM)", &v0, &v1);
	diag("phase 1: %zu pages read, ENOMEM at page %ld, memory.events oom %lld -> %lld",
	     ok_pages, enomem_at, oom0, cg_keyed(&e->cg, "memory.events", "oom"));
	ASSERT_TRUE(enomem_at >= 0 && i < n)
		TH_LOG("the swapin charge never failed twice in a row (memory.max %lld, memory.current %lld)",
		       limit, cg_read(&e->cg, "memory.current"));
	/* phase 2 relies on page 0 being in (its page table, no fault) */
	ASSERT_GT(enomem_at, 0) TH_LOG("not a single page could be read under the limit");
	/* a failing owner leaves no trace: nothing read, page still out */
	EXPECT_EQ((long long)ok_pages, vm_d(&v0, &v1, V_BYPASS))
		TH_LOG("bypass count vs pages read successfully");
	EXPECT_EQ((long long)ok_pages, vm_reads(&v0, &v1))
		TH_LOG("pages read from swap vs pages returned: the failed swapin read its page (charge must come before the read)");
	EXPECT_EQ(0, tf_resident(&t, enomem_at, 1, NULL))
		TH_LOG("page %ld resident after its swapin failed", enomem_at);
	errno = 0;
	EXPECT_EQ(-1, pread(t.fd, page, ps, enomem_at * ps));
	EXPECT_EQ(ENOMEM, errno) TH_LOG("third read of page %ld: errno %d",
					enomem_at, errno);
	swapped_before = n - tf_resident(&t, 0, n, NULL);

	/* phase 2: a task inside the cgroup faults: it must be OOM-killed */
	oom1 = cg_keyed(&e->cg, "memory.events", "oom_kill");
	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		char stack[64 << 10];
		size_t j;

		/* page tables and stack before joining the cgroup */
		memset(stack, 1, sizeof(stack));
		(void)*(volatile char *)t.map;
		if (cg_enter(&e->cg))
			_exit(2);
		for (j = enomem_at; j < n; j++)
			(void)*(volatile char *)(t.map + j * ps);
		_exit(stack[100] == 1 ? 0 : 3);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	diag("phase 2: child status 0x%x, memory.events oom_kill %lld -> %lld",
	     status, oom1, cg_keyed(&e->cg, "memory.events", "oom_kill"));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("faulting child was not OOM-killed: status 0x%x (exit %d)",
		       status, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	EXPECT_GT(cg_keyed(&e->cg, "memory.events", "oom_kill"), oom1);
	vm_snap(&v2);
	vm_print("phase 2 (faulting child)", &v1, &v2);
	diag("pages swapped before phase 2: %lld, after: %ld", swapped_before,
	     (long)(n - tf_resident(&t, 0, n, NULL)));

	/* phase 3: lift the limits; everything must read back */
	ASSERT_OK(cg_write(&e->cg, "memory.max", "max"));
	ASSERT_OK(cg_write(&e->cg, "memory.swap.max", "max"));
	ASSERT_EQ(0, tf_verify(&t, 0, n, VIA_PREAD, "after lifting the limit"));
	ASSERT_EQ(0, tf_verify(&t, 0, n, VIA_MAP, "after lifting the limit (map)"));
	vm_snap(&v3);
	vm_print("phase 3 (limit lifted)", &v2, &v3);
	EXPECT_VM_GT(&v2, &v3, V_BYPASS, 0);
	EXPECT_EQ((long long)n, tf_resident(&t, 0, n, NULL));
	EXPECT_EQ((long long)(n * ps / 512), tf_blocks(&t));
	EXPECT_EQ((long long)(n * ps), cg_wait_shmem(&e->cg, n * ps))
		TH_LOG("memory.stat shmem with every page in");
	acct_print("all in", e, &t);

	tf_close(&t);
	free(page);
	CHECK_BACK(e);
}

/* ------------------------------------------------------------------ */

static long long shm_swp_pages(void)
{
	struct shm_info si;

	if (shmctl(0, SHM_INFO, (struct shmid_ds *)&si) < 0)
		return -1;
	return si.shm_swp;
}

TEST_F_TIMEOUT(ss, sysv_shm, 300)
{
	struct env *e = &self->e;
	size_t n = scaled(256);
	long delay = race_delay_us(3000);
	long long swp0, swp1, swp2;
	struct errlog *err = errlog_new();
	pthread_barrier_t bar;
	struct sweep s[2];
	struct vmsnap v0, v1;
	struct tfile t;
	char path[128];
	int shmid, status, k;
	pid_t pid;

	ASSERT_NE(NULL, err);
	memset(&t, 0, sizeof(t));
	t.fd = -1;
	t.npages = n;
	t.id = 4;
	t.gen = calloc(n, sizeof(*t.gen));
	ASSERT_NE(NULL, t.gen);

	swp0 = shm_swp_pages();
	ASSERT_GE(swp0, 0) TH_LOG("shmctl(SHM_INFO): %s", strerror(errno));
	shmid = shmget(IPC_PRIVATE, n * ps, IPC_CREAT | 0600);
	ASSERT_GE(shmid, 0) TH_LOG("shmget: %s", strerror(errno));
	ASSERT_OK(cg_enter(&e->cg));
	t.map = shmat(shmid, NULL, 0);
	if (t.map == (void *)-1) {
		shmctl(shmid, IPC_RMID, NULL);
		ASSERT_TRUE(0) TH_LOG("shmat: %s", strerror(errno));
	}
	shmctl(shmid, IPC_RMID, NULL);	/* destroyed at the last detach */
	ASSERT_OK(tf_write_map(&t, 0, n, 1));
	ASSERT_OK(cg_leave());

	/* the segment's file, for st_blocks */
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)t.map, (unsigned long)(t.map + n * ps));
	t.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (t.fd < 0)
		diag("cannot open %s (%s): st_blocks not checked", path,
		     strerror(errno));

	ASSERT_OK(force_out(&t, 0, n, &e->cg));
	swp1 = shm_swp_pages();
	diag("SHM_INFO shm_swp: %lld before, %lld swapped out", swp0, swp1);
	EXPECT_EQ((long long)n, swp1 - swp0)
		TH_LOG("shm_swp counts the segment's swapped pages");

	ASSERT_OK(set_delay_us(delay));
	vm_snap(&v0);
	/* a second process attached to the segment races with two threads */
	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct sweep c = {
			.t = &t, .fd = -1, .first = 0, .n = n, .step = 1,
			.how = M_FAULT, .err = err, .name = "child",
		};

		sweep_fn(&c);
		_exit(0);
	}
	ASSERT_EQ(0, pthread_barrier_init(&bar, NULL, 2));
	for (k = 0; k < 2; k++) {
		s[k] = (struct sweep){
			.t = &t, .fd = -1, .first = 0, .n = n, .step = 1,
			.how = M_FAULT, .bar = &bar, .err = err,
			.name = k ? "thread1" : "thread0",
		};
		ASSERT_EQ(0, sweep_start(&s[k]));
	}
	for (k = 0; k < 2; k++)
		pthread_join(s[k].tid, NULL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	set_delay_us(0);
	vm_snap(&v1);
	vm_print("race", &v0, &v1);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("child status 0x%x", status);
	ASSERT_NO_ERRORS(err, "racing faults on the shm segment");
	ASSERT_EQ(0, tf_verify(&t, 0, n, VIA_MAP, "after the race"));

	EXPECT_VM_GT(&v0, &v1, V_BYPASS, 0);
	EXPECT_VM_GT(&v0, &v1, V_WAIT, 0);
	EXPECT_PAGES("pages installed", vm_installs(&v0, &v1), n);
	EXPECT_NO_FALLBACK(&v0, &v1);
	EXPECT_PAGES("pages read", vm_reads(&v0, &v1), n);
	swp2 = shm_swp_pages();
	EXPECT_EQ(swp0, swp2) TH_LOG("shm_swp after every page came back");
	if (t.fd >= 0)
		EXPECT_EQ((long long)(n * ps / 512), tf_blocks(&t));
	EXPECT_EQ((long long)(n * ps), cg_wait_shmem(&e->cg, n * ps));

	shmdt(t.map);
	t.map = NULL;
	tf_close(&t);
	errlog_free(err);
	CHECK_BACK(e);
}

#define FAULT_AROUND_KNOB "/sys/kernel/debug/fault_around_bytes"

static void touch_page(struct tfile *t, size_t idx)
{
	(void)*(volatile char *)(t->map + idx * ps);
}

/*
 * Fault-around next to a swapin, with the default 64 KiB window (16 pages,
 * aligned in the 2 MiB aligned mapping): pages 8-15 and 40-47 are resident
 * but not mapped, the rest is out on swap.  A fault on page 0 maps 8-15
 * around it; a fault on page 1 then has nothing to map in its window (0 and
 * 8-15 are mapped, 2-7 on swap) and must not take the page table lock, which
 * the trace event mm_filemap_map_pages shows; a fault on page 32 must map
 * 40-47.  The windows not faulted in stay unmapped.
 */
TEST_F_TIMEOUT(ss, fault_around_swapin, 200)
{
	struct env *e = &self->e;
	const size_t n = 64;
	long c0 = 0, c1 = 0, c2 = 0;
	struct vmsnap v0, v1;
	struct trace_ev tr;
	struct tfile t;
	bool traced;
	int r;

	if (ps != 4096)
		SKIP(return, "the windows below assume 4 KiB pages");
	/* fault-around page by page (patch 0008); batches map their own */
	ASSERT_OK(env_batch_off(e));
	r = env_set_knob(e, FAULT_AROUND_KNOB, "65536");
	if (r)
		SKIP(return, "cannot set %s: %s", FAULT_AROUND_KNOB, strerror(-r));

	ASSERT_OK(tf_memfd(&t, "faultaround", n, 5, 0));
	ASSERT_OK(tf_map(&t, PROT_READ));
	ASSERT_OK(cg_enter(&e->cg));
	ASSERT_OK(tf_write(&t, 0, n, 1));
	ASSERT_OK(cg_leave());
	ASSERT_OK(force_out(&t, 0, n, &e->cg));
	munmap(t.map, t.maplen);
	t.map = NULL;
	/* back in the page cache, mapped nowhere */
	ASSERT_EQ(0, tf_verify(&t, 8, 8, VIA_PREAD, "pages 8-15"));
	ASSERT_EQ(0, tf_verify(&t, 40, 8, VIA_PREAD, "pages 40-47"));
	ASSERT_OK(tf_map(&t, PROT_READ));
	ASSERT_EQ(0, tf_mapped(&t, 0, n, NULL));

	r = trace_ev_open(&tr, "filemap/mm_filemap_map_pages");
	traced = !r;
	if (!traced)
		diag("no trace event filemap/mm_filemap_map_pages (%s): the walk is not counted",
		     strerror(-r));
	vm_snap(&v0);
	touch_page(&t, 0);
	if (traced)
		c0 = trace_ev_count(&tr);
	EXPECT_EQ(9, tf_mapped(&t, 0, 16, NULL))
		TH_LOG("fault on page 0: page 0 and the resident 8-15 mapped");

	touch_page(&t, 1);
	if (traced)
		c1 = trace_ev_count(&tr);
	EXPECT_EQ(10, tf_mapped(&t, 0, 16, NULL));
	if (traced)
		EXPECT_EQ(c0, c1)
			TH_LOG("fault on page 1, nothing to map around it: fault-around ran %ld time(s)",
			       c1 - c0);

	touch_page(&t, 32);
	if (traced)
		c2 = trace_ev_count(&tr);
	EXPECT_EQ(9, tf_mapped(&t, 32, 16, NULL))
		TH_LOG("fault on page 32: page 32 and the resident 40-47 mapped");
	if (traced)
		EXPECT_LT(c1, c2)
			TH_LOG("fault on page 32 with 40-47 to map: fault-around did not run");
	EXPECT_EQ(0, tf_mapped(&t, 16, 16, NULL));
	EXPECT_EQ(0, tf_mapped(&t, 48, 16, NULL));
	trace_ev_close(&tr);

	ASSERT_EQ(0, tf_verify(&t, 0, n, VIA_MAP, "every page"));
	vm_snap(&v1);
	vm_print("faults", &v0, &v1);
	EXPECT_PAGES("pages swapped in by faults, bypassing the cache",
		     vm_d(&v0, &v1, V_BYPASS), n - 16);
	EXPECT_NO_FALLBACK(&v0, &v1);
	EXPECT_EQ((long long)(n * ps / 512), tf_blocks(&t));
	EXPECT_EQ((long long)(n * ps), cg_wait_shmem(&e->cg, n * ps));

	tf_close(&t);
	CHECK_BACK(e);
}

TEST_HARNESS_MAIN
