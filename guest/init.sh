#!/bin/sh
# PID 1 of the guest. The root filesystem is the host's, read-only over 9p;
# every writable path is a small tmpfs. The job to run is results/<run>/job.sh,
# on a second 9p share that is writable and lands on the host.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
TOP=$(cd "$(dirname "$0")/.." && pwd)
export PATH HOME=/root TERM=dumb LANG=C TOP
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o size=64m,mode=1777 shm /dev/shm
for d in /tmp /run /var/tmp /mnt /root; do
	mount -t tmpfs -o size=64m,mode=1777 tmp "$d"
done
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# The repository, shared on its own: it may live under one of the paths just covered by a
# tmpfs (a clone in /tmp, say). Mounted at its own path, so host and guest paths agree.
mkdir -p "$TOP" 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro top "$TOP" ||
	echo "init: could not mount the repository share at $TOP"
mkdir -p /mnt/results
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /mnt/results; then
	echo "SHMBP-GUEST-DONE rc=125 (results share did not mount)"
	echo b > /proc/sysrq-trigger
fi
hostname shmbp-guest 2>/dev/null
cd /mnt/results || exit 1
echo "SHMBP-GUEST-START $(uname -r) $(nproc) cpus $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
set -a
. /mnt/results/job.env
set +a
sh /mnt/results/job.sh > /dev/console 2>&1
rc=$?
sync
echo "SHMBP-GUEST-DONE rc=$rc"
cd /
umount /mnt/results 2>/dev/null
# QEMU runs with -no-reboot: a reboot ends it.
echo b > /proc/sysrq-trigger 2>/dev/null
busybox reboot -f 2>/dev/null
sleep 10
