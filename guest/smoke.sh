#!/bin/sh
# Smoke test, run in the guest: a tmpfs file goes out to zram swap and comes back intact,
# and swap use returns to where it was. KTAP output.
#   smoke.sh MODE [SIZE_MB]   MODE: bypass or swapcache
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/guest/setup.sh"
mode=${1:-bypass}
mb=${2:-32}
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n smoke_$mode: $*"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n smoke_$mode: $*"; }
vm() { awk -v k="$1" '$1 == k {print $2}' /proc/vmstat; }
swap_used_kb() { awk 'NR > 1 {s += $4} END {print s + 0}' /proc/swaps; }

echo "# smoke: $mb MiB tmpfs file, mode $mode"
set_swapin_mode "$mode" || { notok "mode $mode not available"; echo "1..$n"; exit 1; }
grep -q '^/dev/zram0' /proc/swaps || setup_zram
CG=smoke CG_MAX=max
setup_cgroup
dir=/mnt/smoke
mkdir -p $dir && mount -t tmpfs -o size=256m smoke $dir || exit 1
base_swap=$(swap_used_kb)
base_shmem=$(awk '/^Shmem:/ {print $2}' /proc/meminfo)

# Reference outside the cgroup (root group is never reclaimed here).
head -c $((mb * 1024 * 1024)) /dev/urandom > /tmp/smoke.ref
in_cgroup cp /tmp/smoke.ref $dir/file
blocks_before=$(stat -c %b $dir/file)

echo $((mb * 2))M > /sys/fs/cgroup/smoke/memory.reclaim 2>/dev/null
out=$(($(swap_used_kb) - base_swap))
if [ "$out" -ge $((mb * 1024 * 9 / 10)) ]; then
	ok "file went out to swap ($out kB)"
else
	notok "file did not go out to swap: $out kB of $((mb * 1024)) kB"
fi

b0=$(vm shmem_swapin_bypass); s0=$(vm shmem_swapin_swapcache); p0=$(vm pswpin)
if in_cgroup cmp -s /tmp/smoke.ref $dir/file; then
	ok "data read back intact"
else
	notok "data differs after swapin"
fi
b1=$(vm shmem_swapin_bypass); s1=$(vm shmem_swapin_swapcache); p1=$(vm pswpin)
echo "# swapins: bypass $((${b1:-0} - ${b0:-0})) swapcache $((${s1:-0} - ${s0:-0})) pswpin $((p1 - p0))"
pages=$((mb * 256))
if [ -z "$b0" ]; then
	notok "kernel has no shmem_swapin_* counters"
elif [ "$mode" = bypass ] && [ $((b1 - b0)) -ge $((pages * 9 / 10)) ]; then
	ok "swapins took the bypass ($((b1 - b0)) of $pages pages)"
elif [ "$mode" = swapcache ] && [ $((s1 - s0)) -ge $((pages * 9 / 10)) ] && [ "$b1" = "$b0" ]; then
	ok "swapins took the swap cache path ($((s1 - s0)) of $pages pages)"
else
	notok "swapin path: bypass $((b1 - b0)) swapcache $((s1 - s0)) of $pages pages"
fi
blocks_after=$(stat -c %b $dir/file)
if [ "$blocks_after" = "$blocks_before" ]; then
	ok "st_blocks unchanged ($blocks_after)"
else
	notok "st_blocks $blocks_before before, $blocks_after after"
fi

rm -f $dir/file /tmp/smoke.ref
umount $dir
sleep 1
left=$(($(swap_used_kb) - base_swap))
# Each CPU's swap slot cache may keep up to 64 slots allocated (counted as used).
if [ "$left" -le $((64 * 4 * $(nproc))) ]; then
	ok "swap use back to baseline ($left kB left)"
else
	notok "swap use not back to baseline: $left kB left"
fi
shm=$(($(awk '/^Shmem:/ {print $2}' /proc/meminfo) - base_shmem))
if [ "$shm" -le 1024 ] && [ "$shm" -ge -1024 ]; then
	ok "Shmem back to baseline (${shm} kB)"
else
	notok "Shmem not back to baseline: ${shm} kB"
fi
rmdir /sys/fs/cgroup/smoke 2>/dev/null
echo "1..$n"
[ $fails -eq 0 ]
