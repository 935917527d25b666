#!/bin/sh
# Guest setup, sourced by jobs: zram swap, a memory cgroup, a tmpfs mount.
# Parameters (environment, with defaults):
#   ZRAM_SIZE=1G ZRAM_ALGO=lz4   zram swap device size and compressor
#   PAGE_CLUSTER=3               vm.page-cluster (swap readahead, 2^N pages; 3 is the default)
#   CG=shmbp CG_MAX=max CG_HIGH=max CG_SWAP_MAX=max   cgroup v2 group for the workload
#   TMPFS_DIR=/mnt/tmpfs TMPFS_SIZE=2G TMPFS_HUGE=never   the workload's tmpfs
#   SWAPIN_MODE=bypass           /sys/kernel/mm/shmem_swapin/mode, when the kernel has it
#   ZSWAP=N                      zswap on (Y) or off
: "${ZRAM_SIZE:=1G}" "${ZRAM_ALGO:=lz4}" "${PAGE_CLUSTER:=3}"
: "${CG:=shmbp}" "${CG_MAX:=max}" "${CG_HIGH:=max}" "${CG_SWAP_MAX:=max}"
: "${TMPFS_DIR:=/mnt/tmpfs}" "${TMPFS_SIZE:=2G}" "${TMPFS_HUGE:=never}"
: "${SWAPIN_MODE:=bypass}" "${ZSWAP:=N}"

setup_fail() { echo "setup: $*" >&2; exit 1; }

# knob_get FILE: a sysctl or sysfs knob's value; of a choice list ("always [never]"), the
# chosen one.
knob_get() {
	_v=$(cat "$1") || return 1
	case $_v in *"["*"]"*) _v=${_v#*[}; _v=${_v%%]*} ;; esac
	echo "$_v"
}

# knob_set FILE VALUE: write a knob. guest/benchenv.sh replaces it with one that journals the
# old value first, so that what a bench changes can be put back.
knob_set() { echo "$2" > "$1"; }

# zram_swapon DEV PRIORITY: give the zram device DEV (zram0, ...) its compressor and size and
# swap on it
zram_swapon() {
	# the compressor has to be chosen before the size
	echo "$ZRAM_ALGO" > "/sys/block/$1/comp_algorithm" || setup_fail "zram algorithm $ZRAM_ALGO"
	echo "$ZRAM_SIZE" > "/sys/block/$1/disksize" || setup_fail "zram size $ZRAM_SIZE"
	mkswap "/dev/$1" >/dev/null || setup_fail "mkswap"
	swapon -p "$2" "/dev/$1" || setup_fail "swapon"
}

setup_zram() {
	[ -e /sys/block/zram0 ] || setup_fail "no /sys/block/zram0 (CONFIG_ZRAM?)"
	if grep -q '^/dev/zram0' /proc/swaps; then swapoff /dev/zram0 || setup_fail "swapoff"; fi
	echo 1 > /sys/block/zram0/reset
	zram_swapon zram0 100
	knob_set /proc/sys/vm/page-cluster "$PAGE_CLUSTER"
	set_zswap "$ZSWAP"
}

setup_cgroup() {
	echo +memory > /sys/fs/cgroup/cgroup.subtree_control || setup_fail "memory controller"
	mkdir -p "/sys/fs/cgroup/$CG"
	echo "$CG_MAX" > "/sys/fs/cgroup/$CG/memory.max"
	echo "$CG_HIGH" > "/sys/fs/cgroup/$CG/memory.high"
	echo "$CG_SWAP_MAX" > "/sys/fs/cgroup/$CG/memory.swap.max"
}

setup_tmpfs() {
	mkdir -p "$TMPFS_DIR"
	mountpoint -q "$TMPFS_DIR" && umount "$TMPFS_DIR"
	mount -t tmpfs -o "size=$TMPFS_SIZE,huge=$TMPFS_HUGE" shmbp "$TMPFS_DIR" || setup_fail "tmpfs huge=$TMPFS_HUGE"
}

# zswap on (Y) or off (N). In 6.12, writing the parameter at run time sets zswap up even
# when the value is N, and a zswap that was ever set up disables large-folio swapin for the
# rest of the boot (zswap_never_enabled()): write it only to change it.
set_zswap() {
	local f=/sys/module/zswap/parameters/enabled
	[ -w "$f" ] || return 0
	[ "$(cat "$f")" = "$1" ] || knob_set "$f" "$1"
}

# MODE: a value of /sys/kernel/mm/shmem_swapin/mode; MODE-nobatch: that mode with the
# batch knob off (it is on otherwise, where the kernel has it).
set_swapin_mode() {
	_batch=1
	case $1 in *-nobatch) _batch=0 ;; esac
	if [ -w /sys/kernel/mm/shmem_swapin/mode ]; then
		knob_set /sys/kernel/mm/shmem_swapin/mode "${1%-nobatch}" || setup_fail "swapin mode $1"
		if [ -w /sys/kernel/mm/shmem_swapin/batch ]; then
			knob_set /sys/kernel/mm/shmem_swapin/batch "$_batch"
		elif [ "$_batch" = 0 ]; then
			echo "setup: kernel has no /sys/kernel/mm/shmem_swapin/batch" >&2
			return 1
		fi
	elif [ "$1" != swapcache ]; then
		echo "setup: kernel has no /sys/kernel/mm/shmem_swapin/mode (stock kernel?)" >&2
		return 1
	fi
}

# Run a command inside the workload cgroup.
in_cgroup() {
	sh -c 'echo $$ > "/sys/fs/cgroup/$0/cgroup.procs" && exec "$@"' "$CG" "$@"
}

# Read a program and the libraries it links into the page cache from the calling (root)
# cgroup, so they are charged there: a program run in a limited workload cgroup then does not
# have its own text reclaimed with the workload and refault over virtio-9p.
charge_program_to_root() {
	_bin=$(command -v "$1") || return 1
	cat "$_bin" $(ldd "$_bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3}') \
		> /dev/null 2>&1
}

setup_all() {
	setup_zram
	setup_cgroup
	setup_tmpfs
	set_swapin_mode "$SWAPIN_MODE" || true
}
