#!/bin/sh
# The workload of make bench, run by guest/jobs/bench.sh in the guest and by
# scripts/bench-host.sh on a machine booted with the bench kernel: every part in every mode,
# interleaved, ROUNDS times, in the current folder (bench.jsonl: one JSON object per run,
# meta.json, fio-*.json). Sourced after guest/setup.sh and guest/benchenv.sh; bench_workload
# runs after benchenv_setup. Parameters: guest/jobs/bench.sh.
# BENCH_MACHINE names the machine in meta.json (qemu guest, bare metal).
: "${ROUNDS:=5}" "${MODES:=swapcache bypass poll}" "${SEQ_MB:=512}" "${RAND_MB:=128}"
: "${CONT_THREADS:=16}" "${CONT_PAGES:=300}" "${ANON_MB:=512}" "${FIO:=1}" "${FIO_MB:=128}"
: "${FIO_RWS:=read randread randrw}" "${FIO_RUNTIME:=5}" "${PARTS:=seq rand contend anon fio}" "${CONT_DELAY_US:=500}"
: "${LARGE_MB:=256}" "${LARGE_MODES:=swapcache poll bypass}"
: "${MULTI_MODES:=bypass poll poll-wq}" "${MULTI_GROUPS:=8}" "${MULTI_THREADS:=4}"
: "${MULTI_PAGES:=100}" "${MULTI_DELAY_US:=500}"
: "${LOOP_MODES:=swapcache bypass poll poll-nosleep poll-wq}" "${LOOP_KINDS:=64k 2m}"
: "${LOOP_MB:=96}" "${LOOP_CG_MB:=48}" "${LOOP_N:=3}" "${LOOP_ROUNDS:=1}" "${LOOP_TIMEOUT:=300}"
: "${LOOP_PAGE_CLUSTER:=3}"
: "${INV_MODES:=poll-nosleep poll poll-wq bypass}" "${INV_KINDS:=2m 64k}" "${INV_ROUNDS:=10}"
: "${INV_DELAY_US:=5000}" "${INV_OFFSET_US:=2000}" "${INV_TIMEOUT:=300}"
: "${LIMIT_MODES:=swapcache bypass poll}" "${LIMIT_THREADS:=16}" "${LIMIT_ENTRIES:=4}"
: "${LIMIT_HEADROOM_KB:=1024}" "${LIMIT_TIMEOUT:=300}"
: "${BENCH_MACHINE:=qemu guest}"
B=$TOP/bench/bin/swapin_bench

bench_workload() {
	has() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
	# in_list WORD LIST
	in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }
	# every mode some part runs in, in a fixed order
	ALL_MODES=
	for m in $MODES $LARGE_MODES $MULTI_MODES $LOOP_MODES $INV_MODES $LIMIT_MODES; do
		in_list "$m" "$ALL_MODES" || ALL_MODES="$ALL_MODES $m"
	done
	part_modes() {
		case $1 in
		large) echo "$LARGE_MODES" ;; multi) echo "$MULTI_MODES" ;;
		loop) echo "$LOOP_MODES" ;; inv) echo "$INV_MODES" ;; limit) echo "$LIMIT_MODES" ;;
		*) echo "$MODES" ;;
		esac
	}
	# runs PART in this round's mode?
	runs() { has "$1" && in_list "$mode" "$(part_modes "$1")"; }
	delay() { [ -w /sys/kernel/mm/shmem_swapin/debug_delay_us ] && knob_set /sys/kernel/mm/shmem_swapin/debug_delay_us "$1"; }
	cpu_model=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n 1 | tr -d '"\\')
	hyp=false
	grep -qw hypervisor /proc/cpuinfo && hyp=true
	clk=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
	i=0
	while [ "$clk" != tsc ] && [ $i -lt 30 ]; do
		sleep 1; i=$((i + 1))
		clk=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
	done
	{
		echo "{\"meta\": {\"kernel\": \"$(uname -r)\", \"cpus\": $(nproc), \"mem_kb\": $(awk '/MemTotal/ {print $2}' /proc/meminfo),"
		echo " \"machine\": \"$BENCH_MACHINE\", \"cpu_model\": \"$cpu_model\", \"hypervisor\": $hyp,"
		echo " \"zram_algo\": \"$ZRAM_ALGO\", \"zram_size\": \"$ZRAM_SIZE\", \"zram_dev\": \"$ZRAM_DEV\","
		echo " \"page_cluster\": $(cat /proc/sys/vm/page-cluster), \"swappiness\": $(cat /proc/sys/vm/swappiness),"
		echo " \"clocksource\": \"$clk\", \"rounds\": $ROUNDS, \"modes\": \"$MODES\", \"tmpfs_huge\": \"$TMPFS_HUGE\","
		echo " \"parts\": \"$PARTS\", \"all_modes\": \"${ALL_MODES# }\", \"large_mb\": $LARGE_MB,"
		echo " \"multi\": \"$MULTI_GROUPS x $MULTI_THREADS threads, $MULTI_PAGES pages, delay $MULTI_DELAY_US us\","
		echo " \"loop\": \"$LOOP_MB MiB in a $LOOP_CG_MB MiB memcg, $LOOP_N loops, page-cluster $LOOP_PAGE_CLUSTER\","
		echo " \"inv\": \"$INV_ROUNDS rounds, delay $INV_DELAY_US us, offset $INV_OFFSET_US us\","
		echo " \"limit\": \"$LIMIT_THREADS threads on each of $LIMIT_ENTRIES 2M entries, headroom $LIMIT_HEADROOM_KB KiB\","
		echo " \"fault_around_bytes\": $(cat /sys/kernel/debug/fault_around_bytes 2>/dev/null || echo -1),"
		echo " \"zswap\": \"$(cat /sys/module/zswap/parameters/enabled 2>/dev/null)\", \"hz_jiffy_us\": 4000}}"
	} > meta.json
	fail=0
	runb() {
		# run one benchmark, append its JSON line tagged with the round
		out=$("$B" "$@") || { echo "# FAILED: $B $* (mode $mode)"; fail=1; }
		[ -n "$out" ] && echo "$out" | sed "s/^{/{\"round\": $r, /" >> bench.jsonl
		echo "$out" | cut -c1-200
	}
	# runbounded TIMEOUT LABEL CMD...: like runb, but a run still going after TIMEOUT seconds is
	# a hang: recorded as such (with its last progress line), killed, and the job goes on.
	# alive PID: running (a zombie, reaped only by wait, is not)
	alive() {
		st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
		[ -n "$st" ] && [ "$st" != Z ]
	}
	runbounded() {
		tmo=$1 label=$2
		shift 2
		"$@" > "$BENCH_TMP/rb.out" 2> "$BENCH_TMP/rb.err" &
		pid=$!
		bench_bg_pid=$pid
		t=0
		while alive "$pid" && [ "$t" -lt "$tmo" ]; do sleep 1; t=$((t + 1)); done
		if alive "$pid"; then
			kill -9 "$pid" 2>/dev/null
			prog=$(tail -n 1 "$BENCH_TMP/rb.err" | tr -d '"\\')
			out="{\"test\": \"$label\", \"mode\": \"$mode\", \"hang\": true, \"timeout_s\": $tmo, \"progress\": \"$prog\"}"
			echo "# HANG: $label in mode $mode after ${tmo}s ($prog)"
		else
			out=$(cat "$BENCH_TMP/rb.out")
			# a run that gave up on a thread stuck in the kernel cannot be waited for
			case $out in
			*'"stuck": 1'*) echo "# STUCK: $label in mode $mode" ;;
			*) wait "$pid" || { echo "# FAILED: $* (mode $mode)"; fail=1; } ;;
			esac
		fi
		cat "$BENCH_TMP/rb.err" >&2
		[ -n "$out" ] && echo "$out" | sed "s/^{/{\"round\": $r, /" >> bench.jsonl
		echo "$out" | cut -c1-200
	}
	r=1
	while [ $r -le "$ROUNDS" ]; do
		for mode in $ALL_MODES; do
			set_swapin_mode "$mode" || { echo "# mode $mode unavailable"; fail=1; continue; }
			echo "# round $r mode $mode"
			runs seq && runb seq-mmap "$TMPFS_DIR" "$SEQ_MB"
			runs large && runb seq-mmap-64k "$LARGE_MB"
			runs large && runb seq-mmap-2m "$HUGE_DIR" "$LARGE_MB"
			runs seq && runb seq-read "$TMPFS_DIR" "$SEQ_MB"
			runs half && runb seq-mmap-half "$TMPFS_DIR" "$SEQ_MB"
			runs rand && runb rand-mmap "$TMPFS_DIR" "$RAND_MB"
			if runs multi; then
				# 8 groups of 4 threads, each group on its own page, a slow device
				delay "$MULTI_DELAY_US"
				runb contend-multi "$TMPFS_DIR" "$MULTI_GROUPS" "$MULTI_THREADS" "$MULTI_PAGES"
				delay 0
			fi
			if runs inv; then
				delay "$INV_DELAY_US"
				for k in $INV_KINDS; do
					d=$TMPFS_DIR; [ "$k" = 2m ] && d=$HUGE_DIR
					runbounded "$INV_TIMEOUT" "inversion-$k" "$B" inversion "$k" "$d" "$INV_ROUNDS" "$INV_OFFSET_US"
				done
				delay 0
			fi
			if runs loop && [ "$r" -le "$LOOP_ROUNDS" ]; then
				# upstream's softlockup loop, scaled down: swap readahead on, as by default
				knob_set /proc/sys/vm/page-cluster "$LOOP_PAGE_CLUSTER"
				echo "${LOOP_CG_MB}M" > "/sys/fs/cgroup/$CG/memory.max"
				for k in $LOOP_KINDS; do
					d=$TMPFS_DIR; [ "$k" = 2m ] && d=$HUGE_DIR
					runbounded "$LOOP_TIMEOUT" "loop-$k" sh -c 'echo $$ > "/sys/fs/cgroup/$0/cgroup.procs" && exec "$@"' \
						"$CG" "$B" loop "$k" "$d" "$LOOP_MB" "$LOOP_N"
				done
				echo max > "/sys/fs/cgroup/$CG/memory.max"
				knob_set /proc/sys/vm/page-cluster "$PAGE_CLUSTER"
			fi
			if runs limit; then
				# many threads on one 2M entry whose large charge cannot fit: the program
				# limits its own cgroup (usage + headroom, no swap) and lifts it at the end
				# (hugepage: MADV_HUGEPAGE, so that the 2M charge reclaims before it fails)
				for h in light hugepage; do
					l=limit-2m; [ "$h" = hugepage ] && l=limit-2m-hugepage
					runbounded "$LIMIT_TIMEOUT" "$l" sh -c 'echo $$ > "/sys/fs/cgroup/$0/cgroup.procs" && exec "$@"' \
						"$CG" "$B" limit "$HUGE_DIR" "/sys/fs/cgroup/$CG" "$LIMIT_THREADS" \
						"$LIMIT_ENTRIES" "$LIMIT_HEADROOM_KB" "$h"
				done
				echo "$CG_MAX" > "/sys/fs/cgroup/$CG/memory.max"
				echo "$CG_SWAP_MAX" > "/sys/fs/cgroup/$CG/memory.swap.max"
			fi
			runs contend && runb contend "$TMPFS_DIR" "$CONT_THREADS" "$CONT_PAGES"
			# the same with a slow device emulated: the owner holds its marker (or, in
			# poll mode, its pin) CONT_DELAY_US longer; the swap cache path has no such delay
			if runs contend && [ "$mode" != swapcache ] && [ -w /sys/kernel/mm/shmem_swapin/debug_delay_us ]; then
				delay "$CONT_DELAY_US"
				runb contend "$TMPFS_DIR" "$CONT_THREADS" "$CONT_PAGES" contend-slow
				delay 0
			fi
			if runs fio && [ "$FIO" = 1 ]; then
				# fio's own files charged to the root cgroup: in the limited one they were
				# reclaimed with the file under test and refaulted over virtio-9p, which
				# dominated the runs (250,000 file refaults per 5 s run before)
				charge_program_to_root fio
				# one layout per mode and round, then the four jobs on it
				# pressure from memory.high (reclaim on the way back to user space);
				# memory.max is only a backstop: with fio's own pages out of the cgroup, a
				# memory.max of half the file alone OOM-killed fio now and then (in the
				# bypass and the poll modes, 4 runs of 36)
				echo "$((FIO_MB / 2))M" > "/sys/fs/cgroup/$CG/memory.high"
				echo "$((FIO_MB * 3 / 4))M" > "/sys/fs/cgroup/$CG/memory.max"
				rm -f "$TMPFS_DIR/fio.data"
				in_cgroup fio --name=lay --directory="$TMPFS_DIR" --filename=fio.data \
					--size="${FIO_MB}M" --rw=write --bs=1M --ioengine=psync --fallocate=none \
					--buffer_compress_percentage=50 --refill_buffers --output=/dev/null
				for rw in $FIO_RWS; do
					for eng in psync mmap; do
						cp /proc/vmstat "$BENCH_TMP/vm.0"
						in_cgroup fio --name=swapin --directory="$TMPFS_DIR" --filename=fio.data \
							--size="${FIO_MB}M" --rw=$rw --bs=4k --ioengine=$eng --fallocate=none \
							--time_based --runtime="$FIO_RUNTIME" --randrepeat=1 --norandommap \
							--output-format=json --output="fio-$rw-$eng-$mode-$r.json" ||
							{ echo "# FAILED: fio $rw $eng $mode"; fail=1; }
						cp /proc/vmstat "fio-$rw-$eng-$mode-$r.vmstat1"
						cp "$BENCH_TMP/vm.0" "fio-$rw-$eng-$mode-$r.vmstat0"
					done
				done
				rm -f "$TMPFS_DIR/fio.data"
				echo max > "/sys/fs/cgroup/$CG/memory.max"
				echo max > "/sys/fs/cgroup/$CG/memory.high"
			fi
		done
		# anonymous reference: no mode involved
		has anon && mode=anon && runb anon-seq "$ANON_MB"
		r=$((r + 1))
	done
	return $fail
}
