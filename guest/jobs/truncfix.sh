#!/bin/sh
# make check-fix, in the guest: the truncation selftest on a kernel with or without the
# fix. EXPECT=pass: every test passes. EXPECT=hang: the page-aligned case reports that
# ftruncate() did not return (its child task loops in the kernel for the rest of the boot).
. "$TOP/guest/setup.sh"
setup_zram
bin=$TOP/selftests/bin/shmem_truncate_large_swap
if [ "$EXPECT" = hang ]; then
	"$bin" -t page_aligned > ktap.log 2>&1
	cat ktap.log
	grep -q '^not ok .*page_aligned' ktap.log && grep -q 'did not return' ktap.log
else
	"$bin" > ktap.log 2>&1
	rc=$?
	cat ktap.log
	[ $rc -eq 0 ] && grep -q '^ok .*page_aligned' ktap.log
fi
