#!/bin/sh
# make bench, in the guest: every workload in every mode, interleaved, ROUNDS times.
# Parameters (job.env): ROUNDS=5 MODES="swapcache bypass poll" SEQ_MB=512 RAND_MB=128
#   CONT_THREADS=16 CONT_PAGES=300 ANON_MB=512 FIO=1 FIO_MB=256 FIO_RUNTIME=5 PARTS=all
# Output: bench.jsonl (one JSON object per run), fio-*.json, in the results folder.
. "$TOP/guest/setup.sh"
: "${ROUNDS:=5}" "${MODES:=swapcache bypass poll}" "${SEQ_MB:=512}" "${RAND_MB:=128}"
: "${CONT_THREADS:=16}" "${CONT_PAGES:=300}" "${ANON_MB:=512}" "${FIO:=1}" "${FIO_MB:=128}"
: "${FIO_RUNTIME:=5}" "${PARTS:=seq rand contend anon fio}" "${CONT_DELAY_US:=500}"
ZRAM_SIZE=${ZRAM_SIZE:-2G} TMPFS_SIZE=${TMPFS_SIZE:-3G}
B=$TOP/bench/bin/swapin_bench
setup_zram || exit 1
setup_cgroup || exit 1
setup_tmpfs || exit 1
has() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
clk=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
i=0
while [ "$clk" != tsc ] && [ $i -lt 30 ]; do
	sleep 1; i=$((i + 1))
	clk=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
done
{
	echo "{\"meta\": {\"kernel\": \"$(uname -r)\", \"cpus\": $(nproc), \"mem_kb\": $(awk '/MemTotal/ {print $2}' /proc/meminfo),"
	echo " \"zram_algo\": \"$ZRAM_ALGO\", \"zram_size\": \"$ZRAM_SIZE\", \"page_cluster\": $(cat /proc/sys/vm/page-cluster),"
	echo " \"clocksource\": \"$clk\", \"rounds\": $ROUNDS, \"modes\": \"$MODES\", \"tmpfs_huge\": \"$TMPFS_HUGE\"}}"
} > meta.json
fail=0
runb() {
	# run one benchmark, append its JSON line tagged with the round
	out=$("$B" "$@") || { echo "# FAILED: $B $* (mode $mode)"; fail=1; }
	[ -n "$out" ] && echo "$out" | sed "s/^{/{\"round\": $r, /" >> bench.jsonl
	echo "$out" | cut -c1-200
}
r=1
while [ $r -le "$ROUNDS" ]; do
	for mode in $MODES; do
		set_swapin_mode "$mode" || { echo "# mode $mode unavailable"; fail=1; continue; }
		echo "# round $r mode $mode"
		has seq && runb seq-mmap "$TMPFS_DIR" "$SEQ_MB"
		has seq && runb seq-read "$TMPFS_DIR" "$SEQ_MB"
		has rand && runb rand-mmap "$TMPFS_DIR" "$RAND_MB"
		has contend && runb contend "$TMPFS_DIR" "$CONT_THREADS" "$CONT_PAGES"
		# the same with a slow device emulated: the owner holds its marker (or, in
		# poll mode, its pin) CONT_DELAY_US longer; the swap cache path has no such delay
		if has contend && [ "$mode" != swapcache ] && [ -w /sys/kernel/mm/shmem_swapin/debug_delay_us ]; then
			echo "$CONT_DELAY_US" > /sys/kernel/mm/shmem_swapin/debug_delay_us
			runb contend "$TMPFS_DIR" "$CONT_THREADS" "$CONT_PAGES" contend-slow
			echo 0 > /sys/kernel/mm/shmem_swapin/debug_delay_us
		fi
		if has fio && [ "$FIO" = 1 ]; then
			# one layout per mode and round, then the four jobs on it
			echo "$((FIO_MB / 2))M" > "/sys/fs/cgroup/$CG/memory.max"
			rm -f "$TMPFS_DIR/fio.data"
			in_cgroup fio --name=lay --directory="$TMPFS_DIR" --filename=fio.data \
				--size="${FIO_MB}M" --rw=write --bs=1M --ioengine=psync --fallocate=none \
				--buffer_compress_percentage=50 --refill_buffers --output=/dev/null
			for rw in randread randrw; do
				for eng in psync mmap; do
					cp /proc/vmstat /tmp/vm.0
					in_cgroup fio --name=swapin --directory="$TMPFS_DIR" --filename=fio.data \
						--size="${FIO_MB}M" --rw=$rw --bs=4k --ioengine=$eng --fallocate=none \
						--time_based --runtime="$FIO_RUNTIME" --randrepeat=1 --norandommap \
						--output-format=json --output="fio-$rw-$eng-$mode-$r.json" ||
						{ echo "# FAILED: fio $rw $eng $mode"; fail=1; }
					cp /proc/vmstat "fio-$rw-$eng-$mode-$r.vmstat1"
					cp /tmp/vm.0 "fio-$rw-$eng-$mode-$r.vmstat0"
				done
			done
			rm -f "$TMPFS_DIR/fio.data"
			echo max > "/sys/fs/cgroup/$CG/memory.max"
		fi
	done
	# anonymous reference: no mode involved
	has anon && mode=anon && runb anon-seq "$ANON_MB"
	r=$((r + 1))
done
exit $fail
