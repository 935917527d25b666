#!/usr/bin/env bash
# scripts/upstream.sh build: only build them (make test runs a bounded subset in its guest).
# make upstream: build a subset of the kernel's own selftests (memfd, mm tests that exercise
# shmem/THP/userfaultfd, cgroup memcontrol and zswap) and run them on the stock 6.12.117 bench
# kernel and on ours (same config). Writes results/upstream-*/ and prints a comparison table.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
K=$BUILD/kst
src=$BUILD/linux
mkdir -p "$K"/{memfd,mm,cgroup}
obj=$BUILD/obj-bench
[ -f "$obj/.config" ] || obj=$BUILD/obj-test
if [ ! -d "$K/hdr/include" ]; then
	make -s -C "$src" O="$obj" headers_install INSTALL_HDR_PATH="$K/hdr" > "$K/hdr.log" 2>&1 ||
		die "headers_install failed ($K/hdr.log)"
fi
hdr="-isystem $K/hdr/include"
st=$src/tools/testing/selftests
make -s -C "$st/memfd" OUTPUT="$K/memfd" KHDR_INCLUDES="$hdr" "$K/memfd/memfd_test" > "$K/memfd.log" 2>&1
for p in cow uffd-unit-tests madv_populate split_huge_page_test; do
	make -s -C "$st/mm" OUTPUT="$K/mm" KHDR_INCLUDES="$hdr" "$K/mm/$p" > "$K/mm-$p.log" 2>&1
done
make -s -C "$st/cgroup" OUTPUT="$K/cgroup" KHDR_INCLUDES="$hdr" > "$K/cgroup.log" 2>&1
for b in memfd/memfd_test mm/cow mm/uffd-unit-tests mm/madv_populate mm/split_huge_page_test \
	cgroup/test_memcontrol cgroup/test_zswap; do
	[ -x "$K/$b" ] || echo "warning: $b did not build (see $K/*.log)" >&2
done
[ "${1:-}" = build ] && exit 0
"$TOP/scripts/kernel.sh" bench stock >/dev/null || exit 1
for k in stock ours; do
	img=$BUILD/obj-bench/arch/x86/boot/bzImage
	[ $k = stock ] && img=$BUILD/obj-stock-bench/arch/x86/boot/bzImage
	JOB_ENV="KST=$K" GUEST_QUIET=1 GUEST_MEM=2048 "$TOP/scripts/guest.sh" "$img" \
		"$TOP/guest/jobs/upstream.sh" "upstream-$k" 2400
done
python3 - "$TOP" <<'PY'
import os, re, sys
top = sys.argv[1]
res = {}
for k in ("stock", "ours"):
    d = open(os.path.join(top, "results", ".last-upstream-" + k)).read().strip()
    for line in open(os.path.join(d, "console.log"), errors="replace"):
        m = re.match(r"^(ok|not ok) \d+ (\S+)(.*)$", line.strip())
        if m:
            res.setdefault(m.group(2), {})[k] = (m.group(1), m.group(3).strip(" #"))
print("| suite | stock 6.12.117 | ours |")
print("|---|---|---|")
for name, r in res.items():
    cell = lambda k: "%s (%s)" % r[k] if k in r else "-"
    print("| %s | %s | %s |" % (name, cell("stock"), cell("ours")))
PY
