#!/usr/bin/env bash
# Model checking of the shmem swapin marker protocol: model/marker.pml
# (order 0, one index), model/large.pml (one marker for a swap entry of
# order 1, two indices, with the order-0 fallback) and model/batch.pml (the
# batch of patch 0009: a neighbour claimed with its own marker after an
# order-0 bypass swapin).
#
#   run.sh check     the design's model in all three configurations: P1, P2,
#                    P3 and P5 in one run, P4 in another, per configuration;
#                    one KTAP line per property; exit 1 if any fails
#   run.sh all       check + every broken variant against the properties it
#                    must violate (matrix below), the P6 and P7 findings
#                    and the witnesses; summary table; exit 1 on any surprise
#   run.sh full      `all' plus one run per property of the design's model
#                    and the expected passes: every property of every
#                    variant and alternative
#   run.sh variants | finding | witness | large-finding | large-witness |
#          batch-variants | batch-witness
#                    one part of `all'
#   run.sh deep      the design's model with three faulters (NF=3), P1-P3
#                    and P5 in one run (about 3.5 minutes, 8 GB of memory)
#   run.sh one VARIANT PROP [NF]
#                    one run, e.g. `run.sh one CONST_MARKER P2' (VARIANT is
#                    CORRECT for the design, LARGE for the design's large
#                    model, BATCH for the batch model; VARIANT+DEFINE adds
#                    -DDEFINE, e.g. LARGE+NO_F0);
#                    prints the trail's location
#
# Outputs go to model/out/<variant>-<prop>[-nf<N>]/ (git-ignored): the
# generated verifier, the commands (cmd), pan's log, the trail and its
# replay by `spin -t -p -g -l' (trail.txt).
# Environment: SPIN, CC, JOBS (parallel runs, default 2), OUT, MEMLIM (MB),
# BATCH_NF (faulters at the neighbour index in batch.pml, 1 or 2, default 1),
# MODEL_DEFINES (extra -D options for every run, e.g. to see `check' fail
# on a broken model: MODEL_DEFINES=-DNO_PIN run.sh check).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
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
	[P4]="no lost wake-up: every queued waiter proceeds, every task ends"
	[P5]="no deadlock: valid end states"
	[P6]="no shmem task polls on a bypass owner's pin"
	[P6B]="P6, except after a swap-level party held the slot"
	[P7]="truncation never polls on a large marker"
)

# Broken variants and the properties each must violate; all the others must
# hold.  The reasons are in docs/model.md.
VARIANTS="FREE_ON_TRUNC NO_CHECK NO_WAKE_HANDOFF NO_WAKE_UNCLAIM CONST_MARKER NO_PIN LOST_WAKE_ORDER"
# broken variants of the large model (large.pml)
LVARIANTS="WAIT_OWN_INDEX WAKE_OWN_INDEX PART_REMOVES FREE_ONE"
# broken variants of the batch model (batch.pml)
BVARIANTS="BATCH_NO_WAKE_INSTALL BATCH_GIVEBACK_NO_FREE BATCH_NO_PIN BATCH_CLAIM_UNCHECKED"
declare -A EXPECT=(
	[BATCH_NO_WAKE_INSTALL]="P4 P5"
	[BATCH_GIVEBACK_NO_FREE]="P1 P4"
	[BATCH_NO_PIN]="P3"
	[BATCH_CLAIM_UNCHECKED]="P1 P2"

	[WAIT_OWN_INDEX]="P4 P5"
	[WAKE_OWN_INDEX]="P4 P5"
	[PART_REMOVES]="P2"
	[FREE_ONE]="P1"
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
	[WAIT_OWN_INDEX]=P4 [WAKE_OWN_INDEX]=P4 [PART_REMOVES]=P2 [FREE_ONE]=P1
	[BATCH_NO_WAKE_INSTALL]=P4 [BATCH_GIVEBACK_NO_FREE]=P1 [BATCH_NO_PIN]=P3
	[BATCH_CLAIM_UNCHECKED]=P2
)
# names that select large.pml; the first is the design
LARGE_NAMES="LARGE TRUNC_FIX TRUNC_SPLIT CHARGE_AFTER_PIN $LVARIANTS"
is_large() { case " $LARGE_NAMES " in *" ${1%%+*} "*) return 0;; esac; return 1; }
# names that select batch.pml; the first is the design
BATCH_NAMES="BATCH $BVARIANTS"
is_batch() { case " $BATCH_NAMES " in *" ${1%%+*} "*) return 0;; esac; return 1; }
BATCH_NF=${BATCH_NF:-1}
# the design (and its fix): P4 is checked without the fairness assumption,
# a stronger result; variants need weak fairness for genuine counterexamples
is_design() { case ${1%%+*} in CORRECT|LARGE|TRUNC_FIX|TRUNC_SPLIT|BATCH) return 0;; esac; return 1; }
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

declare -A LWTITLE=(
	[1]="an owner that faulted at b+1 claims the whole range"
	[2]="the large bypass installs its folio"
	[3]="large handoff: the owner finds its marker gone at install"
	[4]="large unclaim while a waiter is queued"
	[5]="fallback: the pin of the nr slots fails, unclaim, then split"
	[6]="the pin fails and a whole punch took the marker: owner frees nr"
	[7]="a waiter at b+1 sleeps on the marker of an owner at b"
	[8]="a punch or truncate zeroes one page of the large folio"
	[9]="the party's order-0 swap cache folio is installed"
	[10]="order-0 unclaim after the split (the party pinned the slot)"
	[11]="order-0 bypass install after the split"
	[12]="a large swap entry is split"
	[13]="a whole punch removes a large marker while a waiter is queued"
	[14]="truncation polls on a large marker (the P7 finding)"
	[15]="truncation polls on a large swap entry across the new size"
	[16]="a waiter at b sleeps on the marker of an owner at b+1"
	[17]="a partial punch swaps the large entry in itself"
	[18]="a partial punch waits on a large marker"
)
BWITNESSES="1 2 3 4 5 6 7 8 9 10 11 12"
declare -A BWTITLE=(
	[1]="the batch claims the neighbour"
	[2]="the batch's claim finds the entry changed: claims nothing"
	[3]="swapcache_prepare refused (readahead has E2): give back"
	[4]="give back finds the marker gone: frees E2, handoff done"
	[5]="batch install finds the marker gone: frees E2, handoff done"
	[6]="give back while a waiter is queued"
	[7]="the neighbour's charge fails: unpin, give back"
	[8]="the neighbour's read fails: give back, not poisoned"
	[9]="batch install while a waiter is queued"
	[10]="a swap cache hit (readahead's folio) is installed"
	[11]="swapoff meets the batch's marker"
	[12]="slot 2 reused for index 1 after the punch"
)
# the large model as implemented (patches 0001 and 0007 since 2026-12-04): truncation
# splits a large swap entry across the new size and waits on a large marker
# (TRUNC_SPLIT), the charge after the pin, the pins dropped before the unclaim, and a
# large owner that gives up stores order-0 entries (UNCLAIM_SPLIT)
IMPL=TRUNC_SPLIT+CHARGE_AFTER_PIN+CLEAR_FIRST+UNCLAIM_SPLIT
LWITNESSES="1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18"

die() { echo "run.sh: $*" >&2; exit 2; }
command -v "$SPIN" >/dev/null || die "spin not found (SPIN=$SPIN)"
command -v "$CC" >/dev/null || die "C compiler not found (CC=$CC)"

# which property an error message belongs to
classify() {
	case $1 in
	*"invalid end state"*) echo P5;;
	*"acceptance cycle"*|*"non-progress"*) echo P4;;
	*owner_pin*) echo P6;;
	*tpoll*) echo P7;;
	*WITNESS*) echo W;;
	*so_ok*|*hoff*) echo P1;;
	*readers*) echo P3;;
	*lost*|*logical*) echo P2;;
	*sm_*|*swapped*) echo P1;;
	*) echo "?";;
	esac
}

# res STATUS DETAIL TRAIL STATES DEPTH SECONDS -> $dir/result (tab-separated)
res() {
	local IFS=$'\t'
	printf '%s\n' "$*" > "$dir/result"
}
field() { if [ -f "$1/result" ]; then cut -f"$2" "$1/result"; else echo error; fi; }
# the same, "-" for a run that was not made (by another part of `all')
field_or_not() { if [ -f "$1/result" ]; then cut -f"$2" "$1/result"; else echo -; fi; }

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
	local pml=marker.pml opt=-O1 d
	[ "$nf" != 2 ] && name=$name-nf$nf
	[ -n "$wit" ] && name=W$wit
	local defs="-DNF=$nf" ccflags="-DMEMLIM=$MEMLIM" panflags="-m400000"
	if is_batch "$variant"; then
		# batch.pml: its own number of faulters (BATCH_NF), no suffix
		pml=batch.pml defs="-DNF=$BATCH_NF" name=$variant-$spec
		[ -n "$wit" ] && name=BW$wit
		[ "${variant%%+*}" != BATCH ] && defs="$defs -D${variant%%+*}"
		case $variant in *+*)
			for d in $(echo "${variant#*+}" | tr + ' '); do defs="$defs -D$d"; done;;
		esac
	elif is_large "$variant"; then
		# large.pml: its verifier is costly to optimise (gcc -O1 takes
		# longer than the search), so it is compiled with -O0
		pml=large.pml opt=-O0 defs=""
		[ -n "$wit" ] && name=LW$wit
		[ "${variant%%+*}" != LARGE ] && defs="-D${variant%%+*}"
		case $variant in *+*)
			for d in $(echo "${variant#*+}" | tr + ' '); do defs="$defs -D$d"; done;;
		esac
	else
		[ "$variant" != CORRECT ] && defs="$defs -D$variant"
	fi
	local dir=$OUT/$name
	rm -rf "$dir"; mkdir -p "$dir"
	cp "$HERE/$pml" "$dir/$pml"

	defs="$defs ${MODEL_DEFINES:-}"
	case $spec in
	P4)
		defs="$defs -DCHECK_P4"
		ccflags="$ccflags $opt -DCOLLAPSE -DNFAIR=3"
		if is_design "$variant"; then
			panflags="$panflags -a"		# no fairness assumed
		else
			panflags="$panflags -a -f"
		fi;;
	*)
		local p
		for p in ${spec//+/ }; do
			case $p in
			P1|P2|P3|P6|P6B|P7) defs="$defs -DCHECK_$p";;
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
			ccflags="$ccflags $opt -DCOLLAPSE"
		fi;;
	esac
	[ "$nf" = 3 ] && panflags="$panflags -w28"

	local t0=$SECONDS
	(
		cd "$dir" || exit 1
		printf '%s\n' "$SPIN $defs -a $pml" "$CC $ccflags -o pan pan.c" \
			"./pan $panflags" "$SPIN -t -p -g -l $defs $pml" > cmd
		"$SPIN" $defs -a $pml > spin.log 2>&1 || exit 1
		$CC $ccflags -o pan pan.c > cc.log 2>&1 || exit 1
		./pan $panflags > pan.log 2>&1
		if [ -f $pml.trail ]; then
			"$SPIN" -t -p -g -l $defs $pml > trail.txt 2>&1
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
	sed -nE 's/^ *([0-9]+):\tproc +([0-9]+) \(([a-z_]+):[0-9]+\) [a-z]+\.pml:([0-9]+) \(state [0-9]+\)\t(.*)$/\1 \3[\2] line \4 \5/p;
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

# KTAP lines for P1 P2 P3 P5 (one run, directory $1) and P4 (directory $2)
# of one configuration; a combined run that stopped at an error of another
# property reports that one as failed and the others as skipped
check_lines() {
	local d=$1 d4=$2 label=$3 p st cls
	st=$(field "$d" 1)
	cls=$(classify "$(field "$d" 2)")
	for p in $PROPS; do
		n=$((n + 1))
		if [ "$p" = P4 ]; then
			if [ "$(field "$d4" 1)" = pass ]; then
				echo "ok $n model $label: ${TITLE[$p]} ($p)"
			else
				fails=$((fails + 1))
				echo "not ok $n model $label: ${TITLE[$p]} ($p)"
				echo "# $p: $(field "$d4" 1): $(field "$d4" 2); see $d4/trail.txt, $d4/pan.log"
			fi
			echo "# $p: $(field "$d4" 4) states, depth $(field "$d4" 5), $(field "$d4" 6) s (pan -a, no fairness assumed)"
			continue
		fi
		if [ "$st" = pass ]; then
			echo "ok $n model $label: ${TITLE[$p]} ($p)"
		elif [ "$st" = fail ] && [ "$cls" != "$p" ]; then
			echo "ok $n model $label: ${TITLE[$p]} ($p) # SKIP search stopped at a $cls error"
		else
			fails=$((fails + 1))
			echo "not ok $n model $label: ${TITLE[$p]} ($p)"
			echo "# $p: $st: $(field "$d" 2); see $d/trail.txt, $d/pan.log"
		fi
		[ "$p" = P1 ] && echo "# P1 P2 P3 P5 (one run): $(field "$d" 4) states, depth $(field "$d" 5), $(field "$d" 6) s"
	done
}

# the design's model: order 0 (marker.pml, NF faulters) and large
# (large.pml); P1 P2 P3 P5 in one search each, P4 in another
do_check() {
	local nf=${1:-2} fails=0 n=0 suffix=""
	[ "$nf" != 2 ] && suffix="-nf$nf"
	# the longest runs first
	# the large model as the series implements it (IMPL above; docs/model.md,
	# findings 5 and 7)
	printf '%s\n' "pass $IMPL P4" "pass BATCH P4" "pass CORRECT P4 $nf" \
		"pass CORRECT P1+P2+P3+P5 $nf" "pass BATCH P1+P2+P3+P5" \
		"pass $IMPL P1+P2+P3+P5" | run_many
	echo "KTAP version 1"
	echo "1..15"
	check_lines "$OUT/CORRECT-P1+P2+P3+P5$suffix" "$OUT/CORRECT-P4$suffix" "order 0"
	check_lines "$OUT/$IMPL-P1+P2+P3+P5" "$OUT/$IMPL-P4" "large"
	check_lines "$OUT/BATCH-P1+P2+P3+P5" "$OUT/BATCH-P4" "batch"
	echo "# totals: pass:$((n - fails)) fail:$fails"
	[ "$fails" = 0 ]
}

# one run per property (as `check' did before the large model): `full'
do_check_each() {
	local v p n=0 fails=0
	for v in CORRECT LARGE BATCH; do for p in $PROPS; do echo "pass $v $p 2"; done; done | run_many
	echo
	echo "The design's model, one run per property"
	for v in CORRECT LARGE BATCH; do
		for p in $PROPS; do
			local d=$OUT/$v-$p
			n=$((n + 1))
			[ "$(field "$d" 1)" = pass ] || fails=$((fails + 1))
			printf "  %-8s %-3s %-5s %9s states, depth %4s, %4s s\n" "$v" "$p" \
				"$(field "$d" 1)" "$(field "$d" 4)" "$(field "$d" 5)" "$(field "$d" 6)"
		done
	done
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
	local v p bad=0 list=${1:-$VARIANTS} what=${2:-"Broken variants"}
	for v in $list; do rm -rf "${OUT:?}/$v-"*; done
	for v in $list; do variant_jobs "$v"; done | run_many
	echo
	echo "$what: result per property (* = expected to fail$([ "$FULL" = 1 ] || echo "; - = not run, see \`run.sh full'"))"
	printf "%-22s %-6s %-6s %-6s %-6s %-6s %-10s %s\n" variant P1 P2 P3 P4 P5 verdict \
		"counterexample for the primary property"
	for v in $list; do
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
		printf "%-22s %s%-10s %s: %s, trail %s steps\n" "$v" "$row" "$verdict" \
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
			c=$(field "$OUT/CORRECT-P1+P2+P3+P5" 1)
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

# the P7 finding: a truncation to a page-aligned size inside a large marker
# does not wait on it (shmem_get_partial_folio() fails beyond i_size) but
# polls in shmem_undo_range()'s second pass; TRUNC_FIX reads the entry in at
# its base instead.  NO_F0 (no fault at b): on a large swap entry the same
# loop never ends.
do_large_finding() {
	local bad=0 v
	rm -rf "${OUT:?}/LARGE-P7" "${OUT:?}/LARGE-P6B"
	for v in TRUNC_FIX LARGE+NO_F0 TRUNC_FIX+NO_F0 CHARGE_AFTER_PIN; do rm -rf "${OUT:?}/$v-"*; done
	{
		echo "fail LARGE P7"
		echo "pass TRUNC_FIX P7"
		echo "pass TRUNC_FIX P1+P2+P3+P5"
		[ "$FULL" = 1 ] && echo "pass TRUNC_FIX P4"
		echo "fail LARGE+NO_F0 P5"
		echo "pass TRUNC_FIX+NO_F0 P5"
		echo "pass LARGE P6B"
		echo "fail CHARGE_AFTER_PIN P6B"
		echo "pass CHARGE_AFTER_PIN P1+P2+P3+P5"
		echo "pass CHARGE_AFTER_PIN+CLEAR_FIRST P6B"
		echo "pass CHARGE_AFTER_PIN+CLEAR_FIRST P1+P2+P3+P5"
	} | run_many
	echo
	echo "Truncation across a large marker (P7 = ${TITLE[P7]})"
	local a b c d e f
	a=$(field "$OUT/LARGE-P7" 1); b=$(field "$OUT/TRUNC_FIX-P7" 1)
	c=$(field "$OUT/TRUNC_FIX-P1+P2+P3+P5" 1); d=$(field "$OUT/TRUNC_FIX-P4" 1)
	[ "$FULL" = 1 ] || d=-
	e=$(field "$OUT/LARGE+NO_F0-P5" 1); f=$(field "$OUT/TRUNC_FIX+NO_F0-P5" 1)
	printf "  %-22s %-6s %-12s %-6s %-16s %s\n" variant P7 "P1-P3,P5" P4 "P5 without F0" "shortest P7 counterexample"
	local v1=ok v2=ok
	[ "$a" = fail ] && [ "$e" = fail ] || v1=UNEXPECTED
	[ "$b" = pass ] && [ "$c" = pass ] && [ "$f" = pass ] && { [ "$d" = pass ] || [ "$d" = - ]; } || v2=UNEXPECTED
	printf "  %-22s %-6s %-12s %-6s %-16s %s steps (%s) %s\n" design "$a" \
		"$(field_or_not "$OUT/LARGE-P1+P2+P3+P5" 1)" "$(field_or_not "$OUT/LARGE-P4" 1)" "$e" \
		"$(field "$OUT/LARGE-P7" 3)" "$OUT/LARGE-P7/trail.short" "$v1"
	printf "  %-22s %-6s %-12s %-6s %-16s %s\n" TRUNC_FIX "$b" "$c" "$d" "$f" "$v2"
	[ "$v1 $v2" = "ok ok" ] || bad=1
	echo
	echo "The charge after the pin (patch 0006 as written) and its failure path (P6B = ${TITLE[P6B]})"
	printf "  %-34s %-6s %-12s %-10s %s\n" variant P6B "P1-P3,P5" verdict "shortest P6B counterexample"
	local v3 v4 v5 g
	g=$(field "$OUT/LARGE-P6B" 1)
	v3=ok; [ "$g" = pass ] || v3=UNEXPECTED
	printf "  %-34s %-6s %-12s %-10s\n" "design (charge before claim)" "$g" \
		"$(field_or_not "$OUT/LARGE-P1+P2+P3+P5" 1)" "$v3"
	a=$(field "$OUT/CHARGE_AFTER_PIN-P6B" 1); c=$(field "$OUT/CHARGE_AFTER_PIN-P1+P2+P3+P5" 1)
	v4=ok; [ "$a $c" = "fail pass" ] || v4=UNEXPECTED
	printf "  %-34s %-6s %-12s %-10s %s steps (%s)\n" "CHARGE_AFTER_PIN (unclaim, clear)" "$a" "$c" "$v4" \
		"$(field "$OUT/CHARGE_AFTER_PIN-P6B" 3)" "$OUT/CHARGE_AFTER_PIN-P6B/trail.short"
	a=$(field "$OUT/CHARGE_AFTER_PIN+CLEAR_FIRST-P6B" 1); c=$(field "$OUT/CHARGE_AFTER_PIN+CLEAR_FIRST-P1+P2+P3+P5" 1)
	v5=ok; [ "$a $c" = "pass pass" ] || v5=UNEXPECTED
	printf "  %-34s %-6s %-12s %-10s\n" "  + CLEAR_FIRST (clear, unclaim)" "$a" "$c" "$v5"
	[ "$v3 $v4 $v5" = "ok ok ok" ] || bad=1
	return $bad
}

do_large_witness() {
	local w bad=0
	for w in $LWITNESSES; do echo "fail LARGE W 2 $w"; done | run_many
	echo
	echo "Witnesses of the large model (large.pml)"
	for w in $LWITNESSES; do
		local st
		if [ "$(field "$OUT/LW$w" 1)" = fail ]; then
			st="reached, trail $(field "$OUT/LW$w" 3) steps"
		else
			st="NOT REACHED"; bad=1
		fi
		printf "  LW%-3s %-64s %s\n" "$w" "${LWTITLE[$w]}" "$st"
	done
	return $bad
}

do_batch_witness() {
	local w bad=0
	for w in $BWITNESSES; do echo "fail BATCH W 2 $w"; done | run_many
	echo
	echo "Witnesses of the batch model (batch.pml)"
	for w in $BWITNESSES; do
		local st
		if [ "$(field "$OUT/BW$w" 1)" = fail ]; then
			st="reached, trail $(field "$OUT/BW$w" 3) steps"
		else
			st="NOT REACHED"; bad=1
		fi
		printf "  BW%-3s %-64s %s\n" "$w" "${BWTITLE[$w]}" "$st"
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
	rc=0
	do_variants || rc=1
	do_variants "$LVARIANTS" "Broken variants of the large model" || rc=1
	do_variants "$BVARIANTS" "Broken variants of the batch model" || rc=1
	exit $rc;;
batch-variants)
	do_variants "$BVARIANTS" "Broken variants of the batch model"; exit $?;;
batch-witness)
	do_batch_witness; exit $?;;
large-finding)
	do_large_finding; exit $?;;
large-witness)
	do_large_witness; exit $?;;
witness)
	do_witness; exit $?;;
finding)
	do_finding; exit $?;;
one)
	[ $# -ge 3 ] || die "usage: run.sh one VARIANT PROP [NF]"
	mode=pass
	[ "$2" != CORRECT ] && case " ${EXPECT[$2]:-} " in *" $3 "*) mode=fail;; esac
	if is_large "$2"; then
		case $3 in P7) [ "$2" = LARGE ] && mode=fail;; P6B) [ "$2" = CHARGE_AFTER_PIN ] && mode=fail;; esac
	else
		case $3 in P6) mode=fail;; P6B) [ "$2" != CORRECT ] && mode=fail;; esac
	fi
	run_one "$mode" "$2" "$3" "${4:-2}"
	d=$OUT/$2-$3; [ "${4:-2}" != 2 ] && ! is_batch "$2" && d=$d-nf$4
	echo "$(field "$d" 1): $(field "$d" 2); trail $(field "$d" 3) steps;" \
		"$(field "$d" 4) states, depth $(field "$d" 5), $(field "$d" 6) s"
	echo "log: $d/pan.log"
	[ -f "$d/trail.txt" ] && echo "trail: $d/trail.txt"
	exit 0;;
full)
	FULL=1 "$0" all; exit $?;;
all)
	rc=0
	echo "== the design's model: order 0 (NF=2: two faulters and swapoff can own or wait), large (two indices) and batch (a neighbour claimed in a batch) =="
	do_check 2 || rc=1
	[ "$FULL" = 1 ] && { do_check_each || rc=1; }
	do_variants || rc=1
	do_variants "$LVARIANTS" "Broken variants of the large model" || rc=1
	do_variants "$BVARIANTS" "Broken variants of the batch model" || rc=1
	do_finding || rc=1
	do_large_finding || rc=1
	do_witness || rc=1
	do_large_witness || rc=1
	do_batch_witness || rc=1
	echo
	echo "Unexpected results: $([ $rc = 0 ] && echo none || echo SOME, see above)." \
		"Total $((SECONDS - t_start)) s."
	exit $rc;;
*)
	die "unknown command ${1} (check|all|full|variants|finding|witness|large-finding|large-witness|batch-variants|batch-witness|deep|one)";;
esac
