#!/usr/bin/env bash
# Where order-0 shmem swapin spends its instructions: boot KERNEL (default: the bench kernel)
# under QEMU -icount (one vCPU; guest time counts instructions), record the timed part of each
# sequential swapin with perf's cpu-clock event (guest/jobs/profile.sh), and write flat
# (self) and inclusive (children) profiles per workload and mode next to the raw data.
#   scripts/profile.sh [KERNEL]      knobs: PROF_MB, PROF_MODES, PROF_TESTS, PROF_PERIOD,
#                                    FAULT_AROUND_BYTES (see guest/jobs/profile.sh)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kernel=${1:-$BUILD/obj-bench/arch/x86/boot/bzImage}
need perf linux-perf
make -s -C "$TOP/bench" || exit 1
JOB_ENV=$(printf '%s\n' "PROF_MB=${PROF_MB:-512}" "PROF_MODES=\"${PROF_MODES:-swapcache bypass poll}\"" \
	"PROF_TESTS=\"${PROF_TESTS:-seq-mmap seq-read anon-seq}\"" "PROF_PERIOD=${PROF_PERIOD:-1000000}" \
	"FAULT_AROUND_BYTES=${FAULT_AROUND_BYTES:-}" "PAGE_CLUSTER=${PAGE_CLUSTER:-3}" "ZRAM_ALGO=lz4") \
	GUEST_MEM=${GUEST_MEM:-3072} GUEST_SMP=1 QEMU_ACCEL="-accel tcg -icount shift=3,sleep=off" \
	GUEST_QUIET=${GUEST_QUIET:-1} "$TOP/scripts/guest.sh" "$kernel" "$TOP/guest/jobs/profile.sh" \
	profile "${PROF_TIMEOUT:-3600}" ||
	{ echo "profile run failed: $(cat "$TOP/results/.last-profile")/console.log" >&2; exit 1; }
out=$(cat "$TOP/results/.last-profile")
for d in "$out"/perf-*.data; do
	n=${d%.data}
	perf report -i "$d" --kallsyms="$out/kallsyms" --stdio --no-children --sort sym \
		--percent-limit 0.2 2>/dev/null > "$n.self.txt"
	perf report -i "$d" --kallsyms="$out/kallsyms" --stdio --children --sort sym -g none \
		--percent-limit 0.5 2>/dev/null > "$n.children.txt"
done
note "profiles in $out (*.self.txt, *.children.txt)"
