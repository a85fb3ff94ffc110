#!/usr/bin/env bats
# Tests of scripts/proof_table.py (the verdicts of make proof) and of
# scripts/bench_table.py, on made-up kunit.py JSON and guest logs.

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	T=$BATS_TEST_TMPDIR
}

# result DIR SUITE CASE=STATUS...: a boot directory as scripts/proof.sh leaves it
result() {
	local dir=$1 suite=$2 c sep=''
	shift 2
	mkdir -p "$dir"
	echo 0 >"$dir/qemu_exit"
	echo "${SPLATS:-0}" >"$dir/splat_count"
	{
		printf '{"name": "KUnit Test Group", "sub_groups": [{"name": "%s", "test_cases": [' "$suite"
		for c in "$@"; do
			printf '%s{"name": "%s", "status": "%s"}' "$sep" "${c%%=*}" "${c#*=}"
			sep=', '
		done
		printf ']}]}\n'
	} >"$dir/kunit.json"
}

table() {
	: >"$T/empty"
	run python3 "$TOP/scripts/proof_table.py" --rows "$T/rows.tsv" --builds "$T/empty" --boots "$T/empty" \
		--seconds 1 --series abc --base base --md "$T/proof.md" --json "$T/proof.json"
}

@test "proof: FAIL/ERROR before and PASS after is proven; a case passing before is flagged" {
	result "$T/b" s a=FAIL b=ERROR c=PASS d=SKIP
	result "$T/a" s a=PASS b=PASS c=PASS d=PASS
	printf 's\tr\t0001\tbase+0002\t%s\t%s\n' "$T/b" "$T/a" >"$T/rows.tsv"
	table
	[ "$status" -eq 0 ]
	grep -q '| s | r | 0001 | base+0002 | a | FAIL | PASS | proven |' "$T/proof.md"
	grep -q '| b | ERROR | PASS | proven |' "$T/proof.md"
	grep -q '| c | PASS | PASS | \*\*PASSES BEFORE\*\* |' "$T/proof.md"
	grep -q '| d | SKIP | PASS | \*\*SKIPS BEFORE\*\* |' "$T/proof.md"
}

@test "proof: a suite that never fails before, or fails after, does not hold" {
	result "$T/b" s a=PASS
	result "$T/a" s a=PASS
	printf 's\tr\t0001\tbase+0002\t%s\t%s\n' "$T/b" "$T/a" >"$T/rows.tsv"
	table
	[ "$status" -eq 1 ]
	grep -q 'no case fails before and passes after' "$T/proof.md"
	result "$T/b2" s a=FAIL
	result "$T/a2" s a=FAIL
	printf 's\tr\t0001\tbase+0002\t%s\t%s\n' "$T/b2" "$T/a2" >"$T/rows.tsv"
	table
	[ "$status" -eq 1 ]
	grep -q 's.a on r: FAIL with the series' "$T/proof.md"
}

@test "proof: a before run without the suite proves nothing; a crash before counts for the cases after it" {
	result "$T/b" other x=FAIL
	result "$T/a" s a=PASS
	printf 's\tr\t0001\tbase+0002\t%s\t%s\n' "$T/b" "$T/a" >"$T/rows.tsv"
	table
	[ "$status" -eq 1 ]
	grep -q '| a | NO RESULT | PASS | \*\*NO BEFORE RESULT\*\* |' "$T/proof.md"
	result "$T/b2" s a=FAIL =ERROR
	result "$T/a2" s a=PASS b=PASS
	printf 's\tr\t0001\tbase+0002\t%s\t%s\n' "$T/b2" "$T/a2" >"$T/rows.tsv"
	table
	[ "$status" -eq 0 ]
	grep -q '| b | ERROR | PASS | proven |' "$T/proof.md"
	echo 124 >"$T/a2/qemu_exit"
	table
	[ "$status" -eq 1 ]
	grep -q 'r: the series. guest run ended with QEMU exit 124' "$T/proof.md"
}

@test "proof: a splat after fails; a before tree that does not apply is said so" {
	result "$T/b" s a=FAIL
	SPLATS=2 result "$T/a" s a=PASS
	printf 's\tr\t0001\tbase+0002\t%s\t%s\n' "$T/b" "$T/a" >"$T/rows.tsv"
	table
	[ "$status" -eq 1 ]
	grep -q 'r: 2 splat lines with the series' "$T/proof.md"
	result "$T/a2" s a=PASS b=SKIP
	printf 's\tr\t0001\tbase+0002\tERROR: 0002.patch does not apply to the base (mm/Makefile)\t%s\n' "$T/a2" >"$T/rows.tsv"
	table
	[ "$status" -eq 0 ]
	grep -q '| a | ERROR | PASS | proven (no before tree) |' "$T/proof.md"
	grep -q '| b | ERROR | SKIP | n/a here |' "$T/proof.md"
	grep -q '0002.patch does not apply to the base (mm/Makefile)' "$T/proof.md"
}

@test "bench: min/median/max and the ratio of medians from the guests' lines" {
	for i in 1 2 3; do
		printf "@@BENCH mmap_munmap rounds=3000 total_us=1 ns_per_round=%d\n[ 1.0] reboot\n" $((1000 + i)) >"$T/b$i.log"
		echo "@@BENCH mmap_munmap rounds=3000 total_us=1 ns_per_round=$((1010 + i))" >"$T/s$i.log"
		printf 'mmap\tx86_64\tbefore\t%d\t%s\nmmap\tx86_64\tseries\t%d\t%s\n' "$i" "$T/b$i.log" "$i" "$T/s$i.log" >>"$T/runs.tsv"
	done
	echo "x 1" >"$T/boots"
	run python3 "$TOP/scripts/bench_table.py" --runs "$T/runs.tsv" --boots "$T/boots" --seconds 1 \
		--icount '-icount shift=3' --series abc --md "$T/bench.md" --json "$T/bench.json"
	[ "$status" -eq 0 ]
	grep -q '1,001 / 1,002 / 1,003' "$T/bench.md"
	grep -q 'series/base: \*\*1.00998\*\*' "$T/bench.md"
	echo "nothing here" >"$T/s1.log"
	run python3 "$TOP/scripts/bench_table.py" --runs "$T/runs.tsv" --boots "$T/boots" --seconds 1 \
		--icount x --series abc --md "$T/bench.md" --json "$T/bench.json"
	[ "$status" -eq 1 ]
	grep -q 'no figures in' "$T/bench.md"
}

@test "bench nodm: the ratio of test_vmalloc's averages, flush calls per alloc+free, the goal" {
	for i in 1 2 3; do
		{
			echo "@@BENCH test_vmalloc fix_size_alloc_test passed: 1 failed: 0 xfailed: 0 repeat: 1 loops: 200 avg: $((100 + i)) usec"
			echo "@@BENCH test_vmalloc no_direct_map_alloc_test passed: 1 failed: 0 xfailed: 0 repeat: 1 loops: 200 avg: $((130 + i)) usec"
			echo "@@BENCH vmbench nr_pages=256"
		} >"$T/n$i.log"
		printf 'nodm\tx86_64-bench\tseries\t%d\t%s\n' "$i" "$T/n$i.log" >>"$T/runs.tsv"
	done
	cp "$T/n1.log" "$T/f1.log"
	{
		echo "@@BENCH flushes test=plain flush_tlb_kernel_range=7 flush_tlb_all=0"
		echo "@@BENCH flushes test=nodm flush_tlb_kernel_range=200 flush_tlb_all=3"
	} >>"$T/f1.log"
	printf 'nodmfl\tx86_64-bench\tseries\t1\t%s\n' "$T/f1.log" >>"$T/runs.tsv"
	# init_on_free=1, one test per boot: pooled by size and init_on_free
	for i in 1 2; do
		{
			echo "[    0.18] mem auto-init: stack:all(zero), heap alloc:off, heap free:on"
			echo "@@BENCH test_vmalloc fix_size_alloc_test passed: 1 failed: 0 xfailed: 0 repeat: 1 loops: 200 avg: $((200 + 10 * i)) usec"
			echo "@@BENCH vmbench nr_pages=256"
		} >"$T/p$i.log"
		{
			echo "[    0.18] mem auto-init: stack:all(zero), heap alloc:off, heap free:on"
			echo "@@BENCH test_vmalloc no_direct_map_alloc_test passed: 1 failed: 0 xfailed: 0 repeat: 1 loops: 200 avg: 400 usec"
			echo "@@BENCH vmbench nr_pages=256"
		} >"$T/q$i.log"
		printf 'nodm\tx86_64-bench\tseries\t%d\t%s\n' "$i" "$T/p$i.log" "$i" "$T/q$i.log" >>"$T/runs.tsv"
	done
	echo "x 1" >"$T/boots"
	run python3 "$TOP/scripts/bench_table.py" --runs "$T/runs.tsv" --boots "$T/boots" --seconds 1 \
		--icount x --series abc --md "$T/bench.md" --json "$T/bench.json"
	[ "$status" -eq 0 ]
	grep -q '| 1024 KiB | VM_NO_DIRECT_MAP only: its vfree() | 101 / 102 / 103 | 131 / 132 / 133 | 1.29x | 0.035 / 1.000 | 0.015 | .* | time not judged (clearing on one side only); flushes met |' "$T/bench.md"
	grep -q '| 1024 KiB | both: page allocator (init_on_free=1) | 210 / 215 / 220 | 400 / 400 / 400 | 1.86x | .* | \*\*missed\*\* |' "$T/bench.md"
	# a failed case is no figure
	sed -i 's/no_direct_map_alloc_test passed: 1 failed: 0/no_direct_map_alloc_test passed: 0 failed: 1/' "$T/n2.log"
	run python3 "$TOP/scripts/bench_table.py" --runs "$T/runs.tsv" --boots "$T/boots" --seconds 1 \
		--icount x --series abc --md "$T/bench.md" --json "$T/bench.json"
	[ "$status" -eq 1 ]
	grep -q 'no figures in' "$T/bench.md"
}
