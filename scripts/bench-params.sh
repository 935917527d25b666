# The parameters of make bench and make bench-host, sourced by scripts/bench.sh and
# scripts/bench-host.sh. QUICK=1 chooses small sizes; env_for PARTS [LARGE_MB] prints the
# parameters as VAR=value lines (the guest sources them as job.env, bench-host evaluates them).
# shellcheck shell=bash
BENCH_ALL_PARTS="seq half large rand contend multi inv loop limit anon fio"
if [ "${QUICK:-0}" = 1 ]; then
	: "${ROUNDS:=3}" "${SEQ_MB:=64}" "${RAND_MB:=32}" "${CONT_PAGES:=50}" "${ANON_MB:=64}"
	: "${FIO_MB:=64}" "${FIO_RUNTIME:=3}" "${LARGE_MB:=64}" "${MULTI_PAGES:=30}" "${LOOP_MB:=64}"
	: "${LOOP_CG_MB:=32}" "${LOOP_N:=2}" "${INV_ROUNDS:=4}"
fi
env_for() {
	cat <<EOV
ROUNDS=${ROUNDS:-5}
MODES="${MODES:-swapcache bypass poll}"
SEQ_MB=${SEQ_MB:-512}
RAND_MB=${RAND_MB:-128}
CONT_THREADS=${CONT_THREADS:-16}
CONT_PAGES=${CONT_PAGES:-300}
CONT_DELAY_US=${CONT_DELAY_US:-500}
ANON_MB=${ANON_MB:-512}
FIO=${FIO:-1}
FIO_MB=${FIO_MB:-128}
FIO_RUNTIME=${FIO_RUNTIME:-5}
FIO_RWS="${FIO_RWS:-read randread randrw}"
ZRAM_ALGO=${ZRAM_ALGO:-lz4}
PAGE_CLUSTER=${PAGE_CLUSTER:-3}
LARGE_MB=${2:-${LARGE_MB:-256}}
LARGE_MODES="${LARGE_MODES:-swapcache poll bypass}"
MULTI_MODES="${MULTI_MODES:-bypass poll poll-wq}"
MULTI_GROUPS=${MULTI_GROUPS:-8}
MULTI_THREADS=${MULTI_THREADS:-4}
MULTI_PAGES=${MULTI_PAGES:-100}
MULTI_DELAY_US=${MULTI_DELAY_US:-500}
LOOP_MODES="${LOOP_MODES:-swapcache bypass poll poll-nosleep poll-wq}"
LOOP_KINDS="${LOOP_KINDS:-64k 2m}"
LOOP_MB=${LOOP_MB:-96}
LOOP_CG_MB=${LOOP_CG_MB:-48}
LOOP_N=${LOOP_N:-3}
LOOP_ROUNDS=${LOOP_ROUNDS:-1}
LOOP_TIMEOUT=${LOOP_TIMEOUT:-300}
LOOP_PAGE_CLUSTER=${LOOP_PAGE_CLUSTER:-3}
INV_MODES="${INV_MODES:-poll-nosleep poll poll-wq bypass}"
INV_KINDS="${INV_KINDS:-2m 64k}"
INV_ROUNDS=${INV_ROUNDS:-10}
INV_DELAY_US=${INV_DELAY_US:-5000}
INV_OFFSET_US=${INV_OFFSET_US:-2000}
INV_TIMEOUT=${INV_TIMEOUT:-300}
FAULT_AROUND_BYTES=${FAULT_AROUND_BYTES:-}
PARTS="$1"
EOV
}
