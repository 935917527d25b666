#!/bin/sh
# make run, in the guest: fio over a tmpfs file inside a memory cgroup whose limit is half
# the file, so the file lives partly in zram swap and every read may swap in.
# Parameters (job.env): FILE_MB=256 RUNTIME=20 RW=randread BS=4k ENGINE=psync, and setup.sh's.
. "$TOP/guest/setup.sh"
: "${FILE_MB:=256}" "${RUNTIME:=20}" "${RW:=randread}" "${BS:=4k}" "${ENGINE:=psync}"
CG_MAX=$((FILE_MB / 2))M
setup_all || exit 1
echo "# mode: $(cat /sys/kernel/mm/shmem_swapin/mode 2>/dev/null || echo 'swapcache (stock kernel)')"
echo "# file ${FILE_MB} MiB, memory.max $CG_MAX, zram $ZRAM_SIZE $ZRAM_ALGO, tmpfs huge=$TMPFS_HUGE"
in_cgroup fio --name=layout --directory="$TMPFS_DIR" --filename=data --size="${FILE_MB}M" \
	--rw=write --bs=1M --ioengine=psync --fallocate=none --buffer_compress_percentage=50 \
	--refill_buffers --output=layout.txt || exit 1
grep -E '^(Filename|SwapTotal|SwapFree)' /proc/swaps /proc/meminfo
cp /proc/vmstat vmstat.before
in_cgroup fio --name=swapin --directory="$TMPFS_DIR" --filename=data --size="${FILE_MB}M" \
	--rw="$RW" --bs="$BS" --ioengine="$ENGINE" --fallocate=none --time_based --runtime="$RUNTIME" \
	--randrepeat=1 --norandommap --output-format=json --output=fio.json || exit 1
cp /proc/vmstat vmstat.after
cat /sys/fs/cgroup/$CG/memory.stat > memory.stat
echo "# fio done"
