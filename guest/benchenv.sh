#!/bin/sh
# The benchmark's environment, the same in the guest (make bench) and on a real machine
# (make bench-host): a zram swap device of its own, a memory cgroup of its own, tmpfs mounts,
# sysctls and THP knobs. Sourced after guest/setup.sh. Every change is written to a journal
# before it is made; benchenv_restore undoes the journal in reverse order and says what it put
# back. The caller runs benchenv_restore from its INT, TERM and EXIT traps.
#
#   BENCH_ENV=guest|host   host: the tmpfs mounts under a temporary folder and a cgroup
#                          with a unique name; refuses a swap device of another's with a
#                          priority as high as ours. guest: /mnt/tmpfs*, cgroup $CG (shmbp).
#   PARTS                  the parts to run (large, loop, inv, limit need the huge tmpfs
#                          and hugepages-64kB/shmem_enabled=always)
#   ZRAM_PRIO=100 SWAPPINESS=60 PAGE_CLUSTER=0 ZSWAP=N FAULT_AROUND_BYTES (unset: untouched)
#
# zram: a device is hot-added (/sys/class/zram-control/hot_add) when zram is there, else
# zram is loaded (modprobe) and its zram0 used; either way a device the bench created, never
# one that was there before. It is swapped off, reset and removed again (and the module
# unloaded, if the bench loaded it).
: "${BENCH_ENV:=guest}" "${ZRAM_PRIO:=100}" "${SWAPPINESS:=60}"
BENCH_TMP= BENCH_JOURNAL= bench_bg_pid=

benchenv_say() { echo "bench-env: $*"; }

# a knob's name as people write it: vm.page-cluster for /proc/sys/vm/page-cluster
knob_name() {
	case $1 in
	/proc/sys/*) _n=${1#/proc/sys/}; echo "$_n" | tr / . ;;
	*) echo "$1" ;;
	esac
}

# jr KIND [ARG [VALUE]]: one journal line, written before the change it names
jr() { printf '%s|%s|%s\n' "$1" "${2:-}" "${3:-}" >> "$BENCH_JOURNAL"; }

# knob_set FILE VALUE, journalled: the value FILE had before the bench first wrote it is kept.
# Writes only what differs (a write of the same value can have effects: zswap).
knob_set() {
	_old=$(knob_get "$1") || setup_fail "cannot read $1"
	if [ -n "$BENCH_JOURNAL" ] && ! grep -qF "knob|$1|" "$BENCH_JOURNAL"; then
		jr knob "$1" "$_old"
		[ "$_old" = "$2" ] || benchenv_say "changed $(knob_name "$1"): $_old -> $2"
	fi
	[ "$_old" = "$2" ] && return 0
	echo "$2" > "$1"
}

benchenv_zram() {
	zc=/sys/class/zram-control
	if [ -e $zc/hot_add ]; then
		n=$(cat $zc/hot_add) || setup_fail "zram hot_add"
		ZRAM_DEV=zram$n
	else
		[ -d /sys/module/zram ] && setup_fail "zram is there but has no $zc/hot_add"
		jr module zram
		modprobe zram num_devices=1 || setup_fail "no zram (modprobe zram failed: CONFIG_ZRAM?)"
		benchenv_say "loaded the zram module"
		ZRAM_DEV=zram0
	fi
	# a device the bench just created is not in use; if it is, it is someone else's
	if grep -q "^/dev/$ZRAM_DEV[[:space:]]" /proc/swaps ||
		grep -q "^/dev/$ZRAM_DEV[[:space:]]" /proc/mounts ||
		[ "$(cat "/sys/block/$ZRAM_DEV/disksize")" != 0 ]; then
		setup_fail "/dev/$ZRAM_DEV is in use (swap, mounted or sized): not touching it"
	fi
	jr zram "$ZRAM_DEV"
	if [ "$BENCH_ENV" = host ]; then
		# another swap device at our priority or above would take pages in our place
		awk -v p="$ZRAM_PRIO" 'NR > 1 && $5 >= p {print $1 " (priority " $5 ")"}' /proc/swaps > "$BENCH_TMP/swaps"
		[ -s "$BENCH_TMP/swaps" ] && setup_fail "swap in use at priority $ZRAM_PRIO or above: \
$(tr '\n' ' ' < "$BENCH_TMP/swaps")(ZRAM_PRIO=N above it, or swapoff it yourself)"
	fi
	zram_swapon "$ZRAM_DEV" "$ZRAM_PRIO"
	benchenv_say "swap on /dev/$ZRAM_DEV ($ZRAM_SIZE, $ZRAM_ALGO, priority $ZRAM_PRIO)"
	export SWAPIN_BENCH_ZRAM=$ZRAM_DEV
}

benchenv_cgroup() {
	[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || setup_fail "no cgroup v2 at /sys/fs/cgroup"
	if ! grep -qw memory /sys/fs/cgroup/cgroup.subtree_control; then
		jr subtree memory
		benchenv_say "enabling the memory controller in /sys/fs/cgroup/cgroup.subtree_control"
	fi
	[ -e "/sys/fs/cgroup/$CG" ] && setup_fail "cgroup /sys/fs/cgroup/$CG exists already"
	jr cgroup "/sys/fs/cgroup/$CG"
	setup_cgroup
	benchenv_say "cgroup /sys/fs/cgroup/$CG"
}

# benchenv_mount DIR OPTIONS NAME
benchenv_mount() {
	mkdir -p "$1"
	mountpoint -q "$1" && setup_fail "$1 is a mount point already"
	jr mount "$1"
	mount -t tmpfs -o "$2" "$3" "$1" || setup_fail "tmpfs $2 on $1"
	benchenv_say "tmpfs on $1 ($2)"
}

benchenv_thp() {
	t=/sys/kernel/mm/transparent_hugepage
	[ -d $t ] || return 0
	# as the guest boots (transparent_hugepage=madvise, the other knobs at their defaults)
	knob_set $t/enabled madvise
	knob_set $t/defrag madvise
	knob_set $t/shmem_enabled never
	for d in $t/hugepages-*; do
		case $d in
		*-2048kB) v=inherit ;;
		*) v=never ;;
		esac
		[ -w "$d/enabled" ] && knob_set "$d/enabled" $v
		[ -w "$d/shmem_enabled" ] && knob_set "$d/shmem_enabled" $v
	done
	case " $PARTS " in *" large "* | *" loop "* | *" inv "* | *" limit "*) ;; *) return 0 ;; esac
	# large folios: 2M from a huge=always tmpfs; 64K for anonymous shared memory only
	# (hugepages-64kB/shmem_enabled=always, every other size never; 2048kB stays inherit, for
	# anonymous shmem the top level's never: in 6.12 its never also keeps PMD folios from
	# mmap faults on a huge=always tmpfs)
	[ -w $t/hugepages-64kB/shmem_enabled ] || setup_fail "no hugepages-64kB/shmem_enabled"
	knob_set $t/hugepages-64kB/shmem_enabled always
	benchenv_mount "$HUGE_DIR" "size=$TMPFS_SIZE,huge=always" shmbp-huge
}

# benchenv_setup: everything the workload needs; the journal starts here
benchenv_setup() {
	BENCH_TMP=$(mktemp -d /tmp/shmbp-bench.XXXXXX) || setup_fail "mktemp"
	BENCH_JOURNAL=$BENCH_TMP/journal
	: > "$BENCH_JOURNAL"
	if [ "$BENCH_ENV" = host ]; then
		TMPFS_DIR=$BENCH_TMP/tmpfs HUGE_DIR=$BENCH_TMP/huge
		CG=shmbp-bench-host-$$-$(date +%s)
	fi
	: "${HUGE_DIR:=/mnt/tmpfs-huge}"
	benchenv_zram
	knob_set /proc/sys/vm/page-cluster "$PAGE_CLUSTER"
	knob_set /proc/sys/vm/swappiness "$SWAPPINESS"
	set_zswap "$ZSWAP"
	if [ -n "${FAULT_AROUND_BYTES:-}" ]; then
		[ -e /sys/kernel/debug/fault_around_bytes ] ||
			setup_fail "FAULT_AROUND_BYTES: no /sys/kernel/debug/fault_around_bytes (debugfs?)"
		knob_set /sys/kernel/debug/fault_around_bytes "$FAULT_AROUND_BYTES"
	fi
	benchenv_cgroup
	benchenv_mount "$TMPFS_DIR" "size=$TMPFS_SIZE,huge=$TMPFS_HUGE" shmbp
	benchenv_thp
	benchenv_say "$(wc -l < "$BENCH_JOURNAL") changes journalled in $BENCH_JOURNAL"
}

# benchenv_undo KIND ARG VALUE: undo one journal line; says what it did, 1 if it could not
benchenv_undo() {
	case $1 in
	knob)
		cur=$(knob_get "$2")
		if [ "$cur" != "$3" ]; then
			echo "$3" > "$2" 2>/dev/null
			[ "$(knob_get "$2")" = "$3" ] || { benchenv_say "FAILED to restore $(knob_name "$2") to $3"; return 1; }
			benchenv_say "restored $(knob_name "$2") = $3 (was $cur)"
		else
			same=$((same + 1))
		fi ;;
	mount)
		i=0
		while mountpoint -q "$2" && ! umount "$2" 2>/dev/null && [ $i -lt 10 ]; do sleep 1; i=$((i + 1)); done
		mountpoint -q "$2" && { benchenv_say "FAILED to unmount $2"; return 1; }
		benchenv_say "unmounted $2" ;;
	cgroup)
		[ -d "$2" ] || return 0
		i=0
		while [ -s "$2/cgroup.procs" ] && [ $i -lt 20 ]; do
			if [ -e "$2/cgroup.kill" ]; then echo 1 > "$2/cgroup.kill"
			else xargs -r kill -9 < "$2/cgroup.procs"; fi
			sleep 0.5; i=$((i + 1))
		done
		rmdir "$2" || { benchenv_say "FAILED to remove cgroup $2"; return 1; }
		benchenv_say "removed cgroup $2" ;;
	subtree)
		echo "-$2" > /sys/fs/cgroup/cgroup.subtree_control ||
			{ benchenv_say "FAILED to disable the $2 controller again"; return 1; }
		benchenv_say "disabled the $2 controller in /sys/fs/cgroup/cgroup.subtree_control again" ;;
	zram)
		if grep -q "^/dev/$2[[:space:]]" /proc/swaps; then
			swapoff "/dev/$2" || { benchenv_say "FAILED to swapoff /dev/$2"; return 1; }
		fi
		echo 1 > "/sys/block/$2/reset" || { benchenv_say "FAILED to reset /dev/$2"; return 1; }
		if [ -w /sys/class/zram-control/hot_remove ] && [ "$2" != zram0 ]; then
			echo "${2#zram}" > /sys/class/zram-control/hot_remove ||
				{ benchenv_say "FAILED to remove /dev/$2"; return 1; }
			benchenv_say "swapped off, reset and removed /dev/$2"
		else
			benchenv_say "swapped off and reset /dev/$2"
		fi ;;
	module)
		modprobe -r "$2" || { benchenv_say "FAILED to unload $2"; return 1; }
		benchenv_say "unloaded the $2 module" ;;
	esac
	return 0
}

# benchenv_restore: stop what the bench left running, undo the journal, newest first
benchenv_restore() {
	[ -n "$BENCH_JOURNAL" ] && [ -f "$BENCH_JOURNAL" ] || return 0
	trap '' INT TERM
	if [ -n "$bench_bg_pid" ] && kill -0 "$bench_bg_pid" 2>/dev/null; then
		kill -9 "$bench_bg_pid" 2>/dev/null
		wait "$bench_bg_pid" 2>/dev/null
	fi
	benchenv_say "restoring $(wc -l < "$BENCH_JOURNAL") journalled changes"
	bad=0 same=0
	tac "$BENCH_JOURNAL" > "$BENCH_TMP/undo"
	while IFS='|' read -r kind arg val; do
		benchenv_undo "$kind" "$arg" "$val" || bad=$((bad + 1))
	done < "$BENCH_TMP/undo"
	[ $same = 0 ] || benchenv_say "$same other knob(s) the bench wrote are at their old value: nothing to put back"
	rm -f "$BENCH_TMP"/* 2>/dev/null
	rmdir "$BENCH_TMP"/* "$BENCH_TMP" 2>/dev/null
	[ -d "$BENCH_TMP" ] && { benchenv_say "FAILED to remove $BENCH_TMP"; bad=$((bad + 1)); }
	BENCH_JOURNAL=
	if [ $bad = 0 ]; then
		benchenv_say "everything the bench changed is restored"
	else
		benchenv_say "$bad change(s) could NOT be restored (see above)"
	fi
	trap - INT TERM
	[ $bad = 0 ]
}
