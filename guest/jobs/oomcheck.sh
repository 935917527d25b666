#!/bin/sh
# Open question (docs/benchmarks.md, fio): how often does a tight memory.max (64 MiB for a
# 128 MiB tmpfs file, fio randread psync, 4 s) OOM-kill in each mode? Run with:
#   scripts/guest.sh build/obj-bench/arch/x86/boot/bzImage guest/jobs/oomcheck.sh oomcheck 900
# and grep ^OOMX results/oomcheck-latest/console.log (JOB_ENV ROUNDS=N: N rounds, default 6)
. "$TOP/guest/setup.sh"
ZRAM_SIZE=1G TMPFS_SIZE=1G
setup_zram || exit 1
setup_cgroup || exit 1
setup_tmpfs || exit 1
charge_program_to_root fio
ev() { awk -v k="$1" '$1 == k {print $2}' "/sys/fs/cgroup/$CG/memory.events"; }
vm() { awk -v k="$1" '$1 == k {print $2}' /proc/vmstat; }
for r in $(seq 1 "${ROUNDS:-6}"); do
  for mode in swapcache bypass poll; do
    set_swapin_mode $mode
    echo max > /sys/fs/cgroup/$CG/memory.max
    rm -f $TMPFS_DIR/fio.data
    in_cgroup fio --name=lay --directory=$TMPFS_DIR --filename=fio.data --size=128M --rw=write --bs=1M \
      --ioengine=psync --fallocate=none --buffer_compress_percentage=50 --refill_buffers --output=/dev/null
    echo 64M > /sys/fs/cgroup/$CG/memory.max
    o0=$(ev oom_kill); a0=$(vm workingset_activate_anon); s0=$(vm pswpin)
    in_cgroup fio --name=r --directory=$TMPFS_DIR --filename=fio.data --size=128M --rw=randread --bs=4k \
      --ioengine=psync --fallocate=none --time_based --runtime=4 --randrepeat=1 --norandommap \
      --output-format=terse --output=/tmp/t.out >/dev/null 2>&1; rc=$?
    echo "OOMX r=$r mode=$mode rc=$rc oom_kill=$(( $(ev oom_kill) - o0 )) activate_anon=$(( $(vm workingset_activate_anon) - a0 )) pswpin=$(( $(vm pswpin) - s0 ))"
  done
done
echo max > /sys/fs/cgroup/$CG/memory.max
exit 0
