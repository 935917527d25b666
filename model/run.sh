#!/usr/bin/env bash
# Model checking of the shmem swapin marker protocol (model/marker.pml).
#
#   run.sh check     the design's model, one run per property, KTAP lines;
#                    exit 1 if any property fails
#   run.sh all       check + every broken variant against the properties it
#                    must violate (matrix below), the P6 finding and the
#                    witnesses; summary table; exit 1 on any surprise
#   run.sh full      `all' plus the expected passes: every property of every
#                    variant and alternative (about 4 minutes on 2 cores)
#   run.sh variants | finding | witness
#                    one part of `all'
#   run.sh deep      the design's model with three faulters (NF=3), P1-P3
#                    and P5 in one run (about 3.5 minutes, 8 GB of memory)
#   run.sh one VARIANT PROP [NF]
#                    one run, e.g. `run.sh one CONST_MARKER P2' (VARIANT is
#                    CORRECT for the design); prints the trail's location
#
# Outputs go to model/out/<variant>-<prop>[-nf<N>]/ (git-ignored): the
# generated verifier, the commands (cmd), pan's log, the trail and its
# replay by `spin -t -p -g -l' (trail.txt).
# Environment: SPIN, CC, JOBS (parallel runs, default 2), OUT, MEMLIM (MB),
# MODEL_DEFINES (extra -D options for every run, e.g. to see `check' fail
# on a broken model: MODEL_DEFINES=-DNO_PIN run.sh check).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
MODEL=$HERE/marker.pml
OUT=${OUT:-$HERE/out}
SPIN=${SPIN:-spin}
CC=${CC:-gcc}
JOBS=${JOBS:-2}
MEMLIM=${MEMLIM:-4096}
FULL=${FULL:-0}

PROPS="P1 P2 P3 P4 P5"
declare -A TITLE=(
	[P1]="slot freed exactly once, none left allocated"
	[P2]="no install after marker loss, no stale data at a punched index"
	[P3]="at most one reader of a swap slot into a new folio at a time"
	[P4]="no lost wake-up: every queued waiter proceeds (weak fairness)"
	[P5]="no deadlock: valid end states"
	[P6]="no shmem task polls on a bypass owner's pin"
	[P6B]="P6, except after a swap-level party held the slot"
)

# Broken variants and the properties each must violate; all the others must
# hold.  The reasons are in docs/model.md.
VARIANTS="FREE_ON_TRUNC NO_CHECK NO_WAKE_HANDOFF NO_WAKE_UNCLAIM CONST_MARKER NO_PIN LOST_WAKE_ORDER"
declare -A EXPECT=(
	[FREE_ON_TRUNC]="P1 P2 P4"
	[NO_CHECK]="P1 P2"
	[NO_WAKE_HANDOFF]="P4 P5"
	[NO_WAKE_UNCLAIM]="P4 P5"
	[CONST_MARKER]="P2"
	[NO_PIN]="P3"
	[LOST_WAKE_ORDER]="P4 P5"
)
declare -A PRIMARY=(
	[FREE_ON_TRUNC]=P1 [NO_CHECK]=P2 [NO_WAKE_HANDOFF]=P4 [NO_WAKE_UNCLAIM]=P4
	[CONST_MARKER]=P2 [NO_PIN]=P3 [LOST_WAKE_ORDER]=P4
)
WITNESSES="1 2 3 4 5 6 7 8 9 10 11 12"
declare -A WTITLE=(
	[1]="a freed slot is reused for the same index and claimed again"
	[2]="swapoff is the owner"
	[3]="a claim while an owner whose marker was removed still runs"
	[4]="the pin fails (swap-level party): unclaim, swap cache path"
	[5]="read error: poisoned entry installed"
	[6]="handoff: the owner finds its marker gone at install"
	[7]="truncation removes a marker while a waiter is queued"
	[8]="a faulter polls in __read_swap_cache_async on an owner's pin"
	[9]="the swap-level party's swap cache folio is installed"
	[10]="the swap-level party reads a reused slot"
	[11]="the pin fails and the marker was truncated: owner frees E"
	[12]="unclaim while a waiter is queued"
)

die() { echo "run.sh: $*" >&2; exit 2; }
command -v "$SPIN" >/dev/null || die "spin not found (SPIN=$SPIN)"
command -v "$CC" >/dev/null || die "C compiler not found (CC=$CC)"

# which property an error message belongs to
classify() {
	case $1 in
	*"invalid end state"*) echo P5;;
	*"acceptance cycle"*|*"non-progress"*) echo P4;;
	*owner_pin*) echo P6;;
	*WITNESS*) echo W;;
	*readers*) echo P3;;
	*lost*|*logical*) echo P2;;
	*sm_*) echo P1;;
	*) echo "?";;
	esac
}

# res STATUS DETAIL TRAIL STATES DEPTH SECONDS -> $dir/result (tab-separated)
res() {
	local IFS=$'\t'
	printf '%s\n' "$*" > "$dir/result"
}
field() { if [ -f "$1/result" ]; then cut -f"$2" "$1/result"; else echo error; fi; }

# run_one MODE VARIANT SPEC [NF] [WITNESS]
#   MODE  pass: a full depth-first search with an optimised verifier;
#         fail: a failure is expected, so breadth-first (shortest
#         counterexample) with a quickly compiled verifier (safety only;
#         liveness stays depth-first).
#   SPEC  P1..P6, W (witness), or safety properties joined by '+'
#         (e.g. P1+P3+P5) checked in one run.
run_one() {
	local mode=$1 variant=$2 spec=$3 nf=${4:-2} wit=${5:-}
	local name=$variant-$spec
	[ "$nf" != 2 ] && name=$name-nf$nf
	[ -n "$wit" ] && name=W$wit
	local dir=$OUT/$name
	rm -rf "$dir"; mkdir -p "$dir"
	cp "$MODEL" "$dir/marker.pml"

	local defs="-DNF=$nf" ccflags="-DMEMLIM=$MEMLIM" panflags="-m400000"
	[ "$variant" != CORRECT ] && defs="$defs -D$variant"
	defs="$defs ${MODEL_DEFINES:-}"
	case $spec in
	P4)
		defs="$defs -DCHECK_P4"
		ccflags="$ccflags -O1 -DCOLLAPSE -DNFAIR=3"
		panflags="$panflags -a -f";;
	*)
		local p
		for p in ${spec//+/ }; do
			case $p in
			P1|P2|P3|P6|P6B) defs="$defs -DCHECK_$p";;
			P5) ;;
			W) defs="$defs -DWITNESS=$wit";;
			*) die "unknown property $p";;
			esac
		done
		case "+$spec+" in *+P5+*) ;; *) panflags="$panflags -E";; esac
		ccflags="$ccflags -DSAFETY"
		if [ "$mode" = fail ]; then
			ccflags="$ccflags -O0 -DBFS"
		else
			ccflags="$ccflags -O1 -DCOLLAPSE"
		fi;;
	esac
	[ "$nf" = 3 ] && panflags="$panflags -w28"

	local t0=$SECONDS
	(
		cd "$dir" || exit 1
		printf '%s\n' "$SPIN $defs -a marker.pml" "$CC $ccflags -o pan pan.c" \
			"./pan $panflags" "$SPIN -t -p -g -l $defs marker.pml" > cmd
		"$SPIN" $defs -a marker.pml > spin.log 2>&1 || exit 1
		$CC $ccflags -o pan pan.c > cc.log 2>&1 || exit 1
		./pan $panflags > pan.log 2>&1
		if [ -f marker.pml.trail ]; then
			"$SPIN" -t -p -g -l $defs marker.pml > trail.txt 2>&1
			short_trail < trail.txt > trail.short
		fi
		exit 0
	) || { res error "could not build the verifier (see $dir)" - - - 0; return; }
	local secs=$((SECONDS - t0))

	local log=$dir/pan.log errors states depth detail trail
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$log" | tail -1)
	states=$(awk '/states, stored/ {print $1; exit}' "$log")
	depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' "$log" | tail -1)
	if [ -z "$errors" ]; then
		res error "no verdict from pan, see $log" - - - "$secs"
	elif [ "$errors" = 0 ]; then
		if grep -q "reached -DMEMLIM bound\|max search depth too small" "$log"; then
			res error "search incomplete (memory or depth bound), see $log" \
				- "${states:-?}" "${depth:-?}" "$secs"
		else
			res pass - - "${states:-?}" "${depth:-?}" "$secs"
		fi
	else
		detail=$(grep -m1 "^pan:1: " "$log" | sed 's/^pan:1: //; s/ (at depth [0-9]*)//; s/  */ /g')
		trail=$(sed -n 's/^spin: trail ends after \([0-9]*\) steps.*/\1/p' "$dir/trail.txt" 2>/dev/null)
		res fail "$detail" "${trail:-?}" "${states:-?}" "${depth:-?}" "$secs"
	fi
}

# the steps of a replayed trail, one line each, without init's set-up and
# without the disabled witness/property assertions
short_trail() {
	sed -nE 's/^ *([0-9]+):\tproc +([0-9]+) \(([a-z_]+):[0-9]+\) marker\.pml:([0-9]+) \(state [0-9]+\)\t(.*)$/\1 \3[\2] line \4 \5/p;
		/START OF CYCLE|trail ends|assertion violated|invalid end state/p' |
		grep -v " init\[0\] \|\[assert(((\?[0-9]*!=" || true
}

# parallel runner: run_one argument lines on stdin
run_many() {
	local running=0 line
	while read -r line; do
		[ -z "$line" ] && continue
		# shellcheck disable=SC2086
		run_one $line &
		running=$((running + 1))
		if [ "$running" -ge "$JOBS" ]; then
			wait -n; running=$((running - 1))
		fi
	done
	wait
}

do_check() {
	local nf=${1:-2} p fails=0 n=0 suffix="" props=$PROPS
	[ "$nf" != 2 ] && suffix="-nf$nf"
	[ "$nf" = 3 ] && props="P1 P2 P3 P5"	# P4 with NF=3 needs far more memory
	for p in $props; do echo "pass CORRECT $p $nf"; done | run_many
	echo "KTAP version 1"
	echo "1..$(echo $props | wc -w)"
	for p in $props; do
		n=$((n + 1))
		local d=$OUT/CORRECT-$p$suffix
		if [ "$(field "$d" 1)" = pass ]; then
			echo "ok $n model: ${TITLE[$p]} ($p)"
		else
			fails=$((fails + 1))
			echo "not ok $n model: ${TITLE[$p]} ($p)"
			echo "# $p: $(field "$d" 1): $(field "$d" 2); see $d/trail.txt, $d/pan.log"
		fi
		echo "# $p: $(field "$d" 4) states, depth $(field "$d" 5), $(field "$d" 6) s"
	done
	echo "# totals: pass:$((n - fails)) fail:$fails"
	[ "$fails" = 0 ]
}

# three faulters: P1 P2 P3 P5 in one run (P4 does not fit in memory)
do_deep() {
	local d=$OUT/CORRECT-P1+P2+P3+P5-nf3 p n=0 fails=0 st cls
	echo "pass CORRECT P1+P2+P3+P5 3" | run_many
	st=$(field "$d" 1)
	cls=$(classify "$(field "$d" 2)")
	echo "KTAP version 1"
	echo "1..4"
	for p in P1 P2 P3 P5; do
		n=$((n + 1))
		if [ "$st" = pass ]; then
			echo "ok $n model NF=3: ${TITLE[$p]} ($p)"
		elif [ "$st" = fail ] && [ "$cls" != "$p" ]; then
			echo "ok $n model NF=3: ${TITLE[$p]} ($p) # SKIP search stopped at a $cls error"
		else
			fails=$((fails + 1))
			echo "not ok $n model NF=3: ${TITLE[$p]} ($p)"
		fi
	done
	echo "# $st: $(field "$d" 2); $(field "$d" 4) states, depth $(field "$d" 5), $(field "$d" 6) s"
	[ "$st" = pass ]
}

# the runs for one variant: each expected failure on its own; with FULL=1
# also the expected passes, those among P1 P2 P3 P5 together, P4 alone
variant_jobs() {
	local v=$1 p passset=""
	for p in ${EXPECT[$v]}; do echo "fail $v $p 2"; done
	[ "$FULL" = 1 ] || return 0
	for p in P1 P2 P3 P5; do
		case " ${EXPECT[$v]} " in *" $p "*) ;; *) passset="$passset+$p";; esac
	done
	[ -n "$passset" ] && echo "pass $v ${passset#+} 2"
	case " ${EXPECT[$v]} " in *" P4 "*) ;; *) echo "pass $v P4 2";; esac
}

# status of property P of variant V, from whichever run covered it
prop_status() {
	local v=$1 p=$2 d
	if [ -d "$OUT/$v-$p" ]; then field "$OUT/$v-$p" 1; return; fi
	[ "$FULL" = 1 ] || { echo "-"; return; }
	for d in "$OUT/$v-"*"$p"*; do
		case $d in *+*) ;; *) continue;; esac
		case $(field "$d" 1) in
		pass) echo pass;;
		fail) if [ "$(classify "$(field "$d" 2)")" = "$p" ]; then echo fail; else echo "?"; fi;;
		*) echo error;;
		esac
		return
	done
	echo error
}

do_variants() {
	local v p bad=0
	for v in $VARIANTS; do rm -rf "${OUT:?}/$v-"*; done
	for v in $VARIANTS; do variant_jobs "$v"; done | run_many
	echo
	echo "Broken variants: result per property (* = expected to fail$([ "$FULL" = 1 ] || echo "; - = not run, see \`run.sh full'"))"
	printf "%-16s %-6s %-6s %-6s %-6s %-6s %-10s %s\n" variant P1 P2 P3 P4 P5 verdict \
		"counterexample for the primary property"
	for v in $VARIANTS; do
		local row="" verdict=ok
		for p in $PROPS; do
			local st exp=" "
			st=$(prop_status "$v" "$p")
			case " ${EXPECT[$v]} " in *" $p "*) exp="*";; esac
			if [ "$exp" = "*" ] && [ "$st" != fail ]; then verdict=UNEXPECTED; fi
			if [ "$exp" = " " ] && [ "$st" != pass ] && [ "$st" != - ]; then verdict=UNEXPECTED; fi
			row="$row$(printf "%-6s " "$st$exp")"
		done
		local pd=$OUT/$v-${PRIMARY[$v]}
		printf "%-16s %s%-10s %s: %s, trail %s steps\n" "$v" "$row" "$verdict" \
			"${PRIMARY[$v]}" "$(field "$pd" 2)" "$(field "$pd" 3)"
		[ "$verdict" = ok ] || bad=1
	done
	return $bad
}

# the P6 finding: the design's claim-then-pin order against the first
# design's pin-then-claim order (and that order with a recheck); all three
# must keep P1-P5
ORDERS="CORRECT PIN_THEN_CLAIM PIN_RECHECK"
declare -A EXPECT6=([CORRECT]="fail pass" [PIN_THEN_CLAIM]="fail fail" [PIN_RECHECK]="fail fail")
do_finding() {
	local bad=0 v
	for v in $ORDERS; do
		rm -rf "${OUT:?}/$v-P6" "${OUT:?}/$v-P6B"
		echo "fail $v P6 2"
		if [ "$v" = CORRECT ]; then echo "pass $v P6B 2"; else echo "fail $v P6B 2"; fi
		[ "$v" = CORRECT ] && continue	# P1-P5: do_check
		echo "pass $v P1+P2+P3+P5 2"
		[ "$FULL" = 1 ] && echo "pass $v P4 2"
	done | { cat; echo "fail PIN_THEN_CLAIM W 2 13"; } | run_many
	echo
	echo "Polling (design.md section 1: \"Nobody polls.\"), claim-then-pin against pin-then-claim"
	echo "  P6  = ${TITLE[P6]}"
	echo "  P6B = ${TITLE[P6B]}"
	printf "  %-20s %-6s %-6s %-12s %-6s %-10s %s\n" variant P6 P6B "P1-P3,P5" P4 verdict "shortest P6 counterexample"
	for v in $ORDERS; do
		local a b c d verdict=ok
		a=$(field "$OUT/$v-P6" 1); b=$(field "$OUT/$v-P6B" 1)
		if [ "$v" = CORRECT ]; then
			c=pass
			for p in P1 P2 P3 P5; do [ "$(field "$OUT/CORRECT-$p" 1)" = pass ] || c=fail; done
			d=$(field "$OUT/CORRECT-P4" 1)
		else
			c=$(field "$OUT/$v-P1+P2+P3+P5" 1); d=$(field "$OUT/$v-P4" 1)
			[ "$FULL" = 1 ] || d=-
		fi
		[ "$a $b" = "${EXPECT6[$v]}" ] && [ "$c" = pass ] && { [ "$d" = pass ] || [ "$d" = - ]; } || verdict=UNEXPECTED
		[ "$verdict" = ok ] || bad=1
		printf "  %-20s %-6s %-6s %-12s %-6s %-10s %s steps (%s)\n" "$([ $v = CORRECT ] && echo design || echo $v)" \
			"$a" "$b" "$c" "$d" "$verdict" "$(field "$OUT/$v-P6" 3)" "$OUT/$v-P6/trail.short"
	done
	if [ "$(field "$OUT/W13" 1)" = fail ]; then
		echo "  PIN_THEN_CLAIM: a pin fails while the owner's marker is visible, then polls:" \
			"reached, trail $(field "$OUT/W13" 3) steps (W13)"
	else
		echo "  PIN_THEN_CLAIM: W13 (pin fails while the owner's marker is visible) NOT REACHED"
		bad=1
	fi
	return $bad
}

do_witness() {
	local w bad=0
	for w in $WITNESSES; do echo "fail CORRECT W 2 $w"; done | run_many
	echo
	echo "Witnesses: scenarios the design's model must reach (else it is vacuous)"
	for w in $WITNESSES; do
		local st
		if [ "$(field "$OUT/W$w" 1)" = fail ]; then
			st="reached, trail $(field "$OUT/W$w" 3) steps"
		else
			st="NOT REACHED"; bad=1
		fi
		printf "  W%-3s %-64s %s\n" "$w" "${WTITLE[$w]}" "$st"
	done
	return $bad
}

mkdir -p "$OUT"
t_start=$SECONDS
case ${1:-all} in
check)
	do_check 2; exit $?;;
deep)
	MEMLIM=${DEEP_MEMLIM:-14000}; do_deep; exit $?;;
variants)
	do_variants; exit $?;;
witness)
	do_witness; exit $?;;
finding)
	do_finding; exit $?;;
one)
	[ $# -ge 3 ] || die "usage: run.sh one VARIANT PROP [NF]"
	mode=pass
	[ "$2" != CORRECT ] && case " ${EXPECT[$2]:-} " in *" $3 "*) mode=fail;; esac
	case $3 in P6) mode=fail;; P6B) [ "$2" != CORRECT ] && mode=fail;; esac
	run_one "$mode" "$2" "$3" "${4:-2}"
	d=$OUT/$2-$3; [ "${4:-2}" != 2 ] && d=$d-nf$4
	echo "$(field "$d" 1): $(field "$d" 2); trail $(field "$d" 3) steps;" \
		"$(field "$d" 4) states, depth $(field "$d" 5), $(field "$d" 6) s"
	echo "log: $d/pan.log"
	[ -f "$d/trail.txt" ] && echo "trail: $d/trail.txt"
	exit 0;;
full)
	FULL=1 "$0" all; exit $?;;
all)
	rc=0
	echo "== the design's model (NF=2: two faulters and swapoff can own or wait) =="
	do_check 2 || rc=1
	do_variants || rc=1
	do_finding || rc=1
	do_witness || rc=1
	echo
	echo "Unexpected results: $([ $rc = 0 ] && echo none || echo SOME, see above)." \
		"Total $((SECONDS - t_start)) s."
	exit $rc;;
*)
	die "unknown command ${1} (check|all|full|variants|finding|witness|deep|one)";;
esac
