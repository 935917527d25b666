#!/bin/sh
# make run, in the guest: the same fio job over a tmpfs file inside a memory cgroup whose limit
# is half the file (so the file lives partly in zram swap and reads swap in), once per swapin
# mode, in one boot. Each mode starts from a fresh layout of the file.
# Parameters (job.env): FILE_MB=256 RUNTIME=20 RW=randread BS=4k ENGINE=psync
#   RUN_MODES="swapcache bypass poll" (those the kernel lacks are skipped), ROUNDS=1 (the
#   modes interleaved, round after round), and setup.sh's.
# Output per mode and round: fio-<mode>.r<round>.json, vmstat-<mode>.r<round>.before/.after,
# memory.stat-<mode>.r<round>; modes (the modes run), rounds (how many).
. "$TOP/guest/setup.sh"
: "${FILE_MB:=256}" "${RUNTIME:=20}" "${RW:=randread}" "${BS:=4k}" "${ENGINE:=psync}"
: "${RUN_MODES:=swapcache bypass poll}" "${ROUNDS:=1}"
CG_MAX=$((FILE_MB / 2))M
setup_all || exit 1
knob=/sys/kernel/mm/shmem_swapin/mode
if [ -r $knob ]; then
	have=$(tr -d '[]' < $knob)
else
	have=swapcache	# a stock kernel has only the swap cache path
fi
echo "# modes in this kernel: $have"
echo "# file ${FILE_MB} MiB, memory.max $CG_MAX, zram $ZRAM_SIZE $ZRAM_ALGO, tmpfs huge=$TMPFS_HUGE"
: > modes
run_modes=
for mode in $RUN_MODES; do
	case " $have " in
	*" $mode "*) run_modes="$run_modes $mode"; echo "$mode" >> modes ;;
	*) echo "# mode $mode: not in this kernel, skipped" ;;
	esac
done
echo "$ROUNDS" > rounds
# fio's own files read in from the root cgroup: charged to the limited one, they were
# reclaimed with the file under test and read again over 9p, at times the guest does not
# control (the same as in make bench)
charge_program_to_root fio
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for mode in $run_modes; do
		[ -w $knob ] && { echo "$mode" > $knob || exit 1; }
		echo "# round $r mode $mode: layout"
		rm -f "$TMPFS_DIR/data"
		in_cgroup fio --name=layout --directory="$TMPFS_DIR" --filename=data --size="${FILE_MB}M" \
			--rw=write --bs=1M --ioengine=psync --fallocate=none --buffer_compress_percentage=50 \
			--refill_buffers --output=/dev/null || exit 1
		cp /proc/vmstat "vmstat-$mode.r$r.before"
		echo "# round $r mode $mode: fio $RW $BS $ENGINE for ${RUNTIME}s"
		in_cgroup fio --name=swapin --directory="$TMPFS_DIR" --filename=data --size="${FILE_MB}M" \
			--rw="$RW" --bs="$BS" --ioengine="$ENGINE" --fallocate=none --time_based \
			--runtime="$RUNTIME" --randrepeat=1 --norandommap --output-format=json \
			--output="fio-$mode.r$r.json" || exit 1
		cp /proc/vmstat "vmstat-$mode.r$r.after"
		cat "/sys/fs/cgroup/$CG/memory.stat" > "memory.stat-$mode.r$r"
	done
	r=$((r + 1))
done
rm -f "$TMPFS_DIR/data"
[ -s modes ] || { echo "# no mode could run"; exit 1; }
echo "# fio done: $(tr '\n' ' ' < modes)"
