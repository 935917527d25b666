# Cache-bypass swapin for shmem/tmpfs: the rig.
# 'make run' and 'make test' are the two commands; 'make help' lists the rest.

SHELL := /bin/bash
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD := $(TOP)/build
export TOP BUILD KSRC FORCE

KCONF ?= test
KIMAGE = $(BUILD)/obj-$(1)/arch/x86/boot/bzImage
KTREE := $(BUILD)/linux

# Debian packages the rig uses (the kernel source is pinned).
DEB_PACKAGES := linux-source-6.12=6.12.117-1~deb12u1 qemu-system-x86 fio busybox-static \
	flex bison bc libelf-dev libssl-dev cpio ccache gnuplot-nox sparse quilt spin \
	stress-ng rsync xz-utils python3 gcc make util-linux

.PHONY: help deps tree tree-peer negative upstream refresh kernel selftests run test model bench bench-host stress \
	check-series checkpatch clean distclean series check-older check-newest deb check-fix \
	coverage trace-demo trace-cost

help:
	@echo "make run         build the bench kernel, boot it, run fio over tmpfs under memory pressure"
	@echo "make test        build the debug kernel, run the model check, smoke tests and selftests"
	@echo "make deps        install the Debian packages the rig needs (as root)"
	@echo "make tree        prepare build/linux: pristine 6.12.117 + owned files + patches/ (quilt)"
	@echo "make refresh     bring edits made in build/linux back into patches/ and mm/, include/"
	@echo "make kernel      build a kernel: KCONF=test (debug) or KCONF=bench"
	@echo "make selftests   build selftests/ on the host"
	@echo "make model       spin: the protocol model and its broken variants"
	@echo "make bench       benchmarks, all modes interleaved in one boot"
	@echo "make bench-host  the same benchmarks natively, as root, on a machine booted with our kernel"
	@echo "                 (make deb): own zram swap and cgroup, every change restored (docs/bench-host.md)"
	@echo "make stress DURATION=600   race scenarios for as long as asked"
	@echo "make trace-demo  the trace events through tracefs (hist triggers), perf, trace-cmd and bpftrace"
	@echo "                 in a guest of the trace kernel (configs/trace.config; docs/observability.md)"
	@echo "make trace-cost  what the disabled trace events cost: icount, events compiled in vs out"
	@echo "make upstream    kernel selftests (memfd, mm, cgroup) on stock 6.12.117 and ours"
	@echo "make negative    the selftests must fail on a kernel with a broken protocol"
	@echo "make check-series          every prefix compiles (W=1), and without SWAP/THP/MEMCG/ZSWAP/SHMEM;"
	@echo "                 the export (make series) git-am's onto 6.12.117, each commit builds, = build/linux"
	@echo "make check-fix   the first patch (truncation fix) alone on 6.12.117: its selftest fails on"
	@echo "                 stock 6.12.117 (the ftruncate() never returns) and passes with it"
	@echo "make coverage    the suite on a gcov kernel: every line the series adds that never ran, and the %"
	@echo "make checkpatch  checkpatch.pl --strict over patches/ and the owned files"
	@echo "make series [SERIES_OUT=dir]   git-am-able export + cover letter (build/series/out)"
	@echo "make check-older the export on Debian's other 6.12.y sources (build/older/*.deb)"
	@echo "make check-newest          the export on the newest linux-source-6.12 apt offers; first line:"
	@echo "                 the pin of make test against it (the pin stays)"
	@echo "make deb [KCONFIG=/path/.config|bench]   Debian kernel package (bindeb-pkg), Debian's config"
	@echo "make clean       remove builds and results (keeps the pristine source)"
	@echo "Variables: KSRC=/path/to/6.12.y tree instead of Debian's source; FORCE=1 discards"
	@echo "unrefreshed edits in build/linux; JOBS=N; CCACHE_DIR (default ~/.cache/shmbp-ccache)."

deps:
	@$(TOP)/scripts/deps.sh $(DEB_PACKAGES)

tree: deps
	@$(TOP)/scripts/tree.sh prepare

refresh:
	@$(TOP)/scripts/tree.sh refresh

kernel: tree
	@$(TOP)/scripts/kernel.sh $(KCONF) >/dev/null

selftests: tree
	@if [ -f $(TOP)/selftests/Makefile ]; then \
		$(MAKE) -s -C $(TOP)/selftests KTREE=$(KTREE) || exit 1; fi

tree-peer: deps
	@$(TOP)/scripts/tree.sh prepare peer

run: tree-peer
	@$(TOP)/scripts/kernel.sh bench >/dev/null
	@$(TOP)/scripts/run.sh $(call KIMAGE,bench)

test: tree
	@$(TOP)/scripts/kernel.sh test >/dev/null
	@$(MAKE) -s selftests
	@$(TOP)/scripts/upstream.sh build
	@$(TOP)/scripts/test.sh $(call KIMAGE,test)

model:
	@$(MAKE) -s -C $(TOP)/model

bench: tree-peer
	@$(TOP)/scripts/kernel.sh bench >/dev/null
	@$(MAKE) -s selftests
	@$(TOP)/scripts/bench.sh $(call KIMAGE,bench)

# no kernel build: this machine runs the kernel (root is checked by the script)
bench-host:
	@$(MAKE) -s -C $(TOP)/bench
	@$(TOP)/scripts/bench-host.sh

stress: tree
	@$(TOP)/scripts/kernel.sh test >/dev/null
	@$(MAKE) -s selftests
	@$(TOP)/scripts/stress.sh $(call KIMAGE,test) $(DURATION)

trace-demo: tree-peer
	@$(TOP)/scripts/deps.sh trace-cmd bpftrace linux-perf
	@$(TOP)/scripts/kernel.sh trace >/dev/null
	@$(MAKE) -s -C $(TOP)/bench
	@$(TOP)/scripts/guest.sh $(call KIMAGE,trace) $(TOP)/guest/jobs/tracedemo.sh tracedemo 1200 && \
		echo "transcript: $$(cat $(TOP)/results/.last-tracedemo)/console.log"

trace-cost: tree-peer
	@$(TOP)/scripts/trace-cost.sh

upstream: tree-peer
	@$(TOP)/scripts/kernel.sh bench >/dev/null
	@$(TOP)/scripts/upstream.sh

negative: tree
	@$(TOP)/scripts/kernel.sh test >/dev/null
	@$(MAKE) -s selftests
	@$(TOP)/scripts/negative.sh

check-series: tree
	@$(TOP)/scripts/check-series.sh

series: deps
	@$(TOP)/scripts/series.sh $(SERIES_OUT)

check-older: deps
	@$(TOP)/scripts/older.sh

check-newest: deps
	@$(TOP)/scripts/newest.sh

deb: tree
	@$(TOP)/scripts/deb.sh $(KCONFIG)

check-fix: deps
	@$(TOP)/scripts/check-fix.sh

coverage: tree
	@$(TOP)/scripts/coverage.sh

checkpatch: tree
	@# --no-tree: no git history here to look the Fixes: commits up in (UNKNOWN_COMMIT_ID)
	@cd $(KTREE) && perl scripts/checkpatch.pl --strict --terse --no-tree --ignore UNKNOWN_COMMIT_ID \
		$(TOP)/patches/*.patch && \
		perl scripts/checkpatch.pl --strict --terse --no-tree -f $$(cd $(TOP) && find mm $$(test -d include && echo include) -type f -name '*.[ch]' | sed 's|^|$(TOP)/|')

clean:
	rm -rf $(BUILD)/obj-* $(BUILD)/linux.new $(BUILD)/linux-peer.new $(TOP)/results
	rm -rf $(BUILD)/series/obj-am $(BUILD)/older/*/obj $(BUILD)/older/*/tree $(BUILD)/deb/*/obj \
		$(BUILD)/deb/ncount*
	-$(MAKE) -s -C $(TOP)/selftests clean 2>/dev/null
	-$(MAKE) -s -C $(TOP)/model clean 2>/dev/null

distclean: clean
	rm -rf $(BUILD)
