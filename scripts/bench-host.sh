#!/usr/bin/env bash
# make bench-host: the workload of make bench, run natively (no QEMU) on the machine this
# runs on, which must be booted with a kernel of the series (make deb; the bench kernel for
# the polling peers). As root. The environment comes from guest/benchenv.sh: a zram device
# and a cgroup of its own, tmpfs mounts under a temporary folder, sysctls and THP knobs, each
# change journalled first and undone at the end, on Ctrl-C (INT) and on TERM; the workload is
# guest/bench-workload.sh, the guest's own. Results: results/bench-host-<stamp>/ (raw files,
# bench.json, report.md, img/); docs/benchmarks-results.md only with DOCS=1.
# Knobs: those of make bench (scripts/bench-params.sh: QUICK=1, PARTS, ROUNDS, MODES, SEQ_MB,
# ...), ZRAM_SIZE=1G TMPFS_SIZE=2G ZRAM_PRIO=100 SWAPPINESS=60, BENCH_HOST_RESULTS (the folder
# the stamped folder goes in, default results/), DOCS=1.
set -o pipefail
. "$(dirname "$0")/lib.sh"
sk=/sys/kernel/mm/shmem_swapin
[ "$(id -u)" = 0 ] || die "make bench-host needs root: it creates a swap device and a cgroup and changes sysctls (all restored afterwards); run it with sudo"
[ -d $sk ] || die "this kernel ($(uname -r)) has no $sk: it is not a kernel of the series. Boot one first (make deb, then install build/deb/*.deb) and run make bench-host there"
[ -x "$TOP/bench/bin/swapin_bench" ] || die "no $TOP/bench/bin/swapin_bench: make -C bench"
need mkswap util-linux
need swapon util-linux
need python3 python3
. "$TOP/scripts/bench-params.sh"
set -a
eval "$(env_for "${PARTS:-$BENCH_ALL_PARTS}")"
set +a
[ "$FIO" != 1 ] || need fio fio
export BENCH_ENV=host BENCH_MACHINE="bare metal"
# (bench-workload.sh gives the parameters env_for does not name their defaults)
. "$TOP/guest/setup.sh"
. "$TOP/guest/benchenv.sh"
. "$TOP/guest/bench-workload.sh"

# the modes this kernel has (a kernel of the series alone has no poll*: the bench kernel's peer)
avail=" $(tr -d '[]' < $sk/mode | tr -s ' \n' '  ')"
dropped=
for v in MODES LARGE_MODES MULTI_MODES LOOP_MODES INV_MODES LIMIT_MODES; do
	keep=
	for m in ${!v}; do
		case $avail in
		*" $m "*) keep="$keep $m" ;;
		*) case " $dropped " in *" $m "*) ;; *) dropped="$dropped $m" ;; esac ;;
		esac
	done
	printf -v "$v" '%s' "${keep# }"
	export "${v?}"
done
[ -n "$dropped" ] && note "modes this kernel does not have, left out:$dropped"
[ -w $sk/debug_delay_us ] ||
	note "no $sk/debug_delay_us (not the bench kernel): contend-slow, multi and inv run without the device delay"

stamp=$(date +%Y%m%d-%H%M%S)
# (not "out": the workload uses that name)
bh_out=${BENCH_HOST_RESULTS:-$TOP/results}/bench-host-$stamp
mkdir -p "$bh_out" || die "cannot create $bh_out"
trap 'benchenv_restore' EXIT
trap 'echo "bench-host: interrupted (INT)"; benchenv_restore; exit 130' INT
trap 'echo "bench-host: terminated (TERM)"; benchenv_restore; exit 143' TERM
note "bench-host: $(uname -r) on $(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n 1), results in $bh_out"
benchenv_setup
cd "$bh_out" || exit 1
bench_workload
rc=$?
cd "$TOP" || exit 1
benchenv_restore || rc=1
trap - EXIT INT TERM
python3 "$TOP/bench/report.py" "$TOP" --out "$bh_out" $([ "${DOCS:-0}" = 1 ] && echo --docs) host="$bh_out" ||
	rc=1
exit $rc
