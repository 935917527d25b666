#!/bin/sh
# make coverage, in the guest: the make test job, then the gcov counters of the profiled
# objects (mm/shmem.o, mm/shmem/swapin.o) copied into the results folder (gcda/...).
sh "$TOP/guest/jobs/test.sh"
rc=$?
g=/sys/kernel/debug/gcov
if [ -d "$g" ]; then
	find "$g" -name '*.gcda' | while read -r f; do
		rel=${f#"$g"}
		mkdir -p "gcda$(dirname "$rel")"
		cat "$f" > "gcda$rel"
	done
	echo "coverage: $(find gcda -name '*.gcda' | wc -l) counter files saved"
else
	echo "coverage: no $g (kernel without CONFIG_GCOV_KERNEL?)"
	rc=1
fi
exit $rc
