#!/usr/bin/env bash
# make stress DURATION=seconds: the debug kernel runs guest/jobs/stress.sh for that long.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kernel=${1:?kernel image}
dur=${2:-600}
JOB_ENV="DURATION=$dur" GUEST_DEBUG=1 GUEST_SMP=${GUEST_SMP:-2} GUEST_QUIET=${GUEST_QUIET:-1} \
	"$TOP/scripts/guest.sh" "$kernel" "$TOP/guest/jobs/stress.sh" stress "${STRESS_TIMEOUT:-$((dur + 900))}"
rc=$?
out=$(cat "$TOP/results/.last-stress")
grep -a -E '^(stress:|# stress round|# .*FAILED|fsx: |not ok)' "$out/console.log" | tail -n 40
exit $rc
