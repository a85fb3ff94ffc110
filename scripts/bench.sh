#!/usr/bin/env bash
# bench.sh - guest-side benchmarks under QEMU -icount, before/after side by side.
#
# Every line of configs/bench.conf boots the run's guest (configs/qemu/<run>.conf)
# with its extra kernel command line, -icount and -smp SMP, REPEAT times; a
# line with a "before" kernel (built by make proof from the base + those
# patches) alternates before and series boots in one go, so the ratio never
# compares runs of different sessions.  scripts/bench_table.py reads the
# figures the guests print ("@@BENCH" lines: test_vmalloc's Summary lines,
# flush calls, mmap_munmap) and writes min/median/max per figure,
# the ratios and the goals (VM_NO_DIRECT_MAP <= 1.5x plain vmalloc from
# 1 MiB and one flush per allocation; munmap/mmap within 1 % of the base).
# A boot that fails, times out or has a splat fails the stage; a goal that
# is missed is reported, not fatal (the figures are for the reviewers).
#
# Environment: BENCH (only the lines of these benches, e.g. nodm,nodmfl), BENCH_RUN
#              (only the lines of this run, e.g. x86_64-bench), REPEAT, BUILD_DIR
# Output: build/results/bench/{bench.md,bench.json}, one directory per boot
# Needs: make build, make proof (the before kernels); builds the bench
#        kernels (configs/matrix.conf: x86_64-bench, arm64-bench) if needed

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
need_tool python3 qemu-system-x86_64 qemu-system-i386 qemu-system-aarch64

conf=$CONFIG_DIR/bench.conf
setting() { sed -n "s/^$1=//p" "$conf" | tr -d '"'; }
REPEAT=${REPEAT:-$(setting REPEAT)}
ICOUNT=$(setting ICOUNT)
SMP=$(setting SMP)
case "$REPEAT" in '' | *[!0-9]* | 0) die "REPEAT must be a number > 0, not '$REPEAT'" ;; esac

stage bench
require_series
res=$RESULTS_DIR/bench
rm -rf "$res"
mkdir -p "$res"
T0=$SECONDS

lines=()
while read -r bench run before append; do
	case "$bench" in '' | '#'* | *=*) continue ;; esac
	[ -f "$CONFIG_DIR/qemu/$run.conf" ] || die "configs/bench.conf: unknown run '$run'"
	[ -n "$append" ] || die "configs/bench.conf: no command line for '$bench $run'"
	case ",${BENCH:-$bench}," in *",$bench,"*) ;; *) continue ;; esac
	[ -z "${BENCH_RUN:-}" ] || [ "$BENCH_RUN" = "$run" ] || continue
	arch=$(run_arch "$run")
	# the bench kernels (x86_64-bench, arm64-bench) are built here, the
	# matrix kernels by make build
	if ! (require_series_build "$arch") 2>/dev/null; then
		case " $EXTRA_ARCHES " in
		*" $arch "*) ARCH=$arch "$TOP/scripts/build.sh" || die "building the $arch kernel failed" ;;
		*) require_series_build "$arch" ;;
		esac
	fi
	if [ "$before" != - ]; then
		bimg=$BUILD_DIR/proof/images/$(proof_state "$before")-$arch
		[ -f "$bimg" ] || die "no before kernel $bimg: run 'make proof' first"
		# make proof removes its images first: these are of its last run,
		# which must be of this series
		grep -q "\"series_head\": \"$(sgit rev-parse --short=12 series)\"" "$RESULTS_DIR/proof.json" 2>/dev/null ||
			die "the before kernels are not from a make proof of the current series: run 'make proof' first"
	fi
	lines+=("$bench $run $before $append")
done <"$conf"
[ "${#lines[@]}" -gt 0 ] || die "no line of configs/bench.conf is for BENCH=${BENCH:-} BENCH_RUN=${BENCH_RUN:-}"

# bench_boot DIR RUN IMAGE APPEND: one -icount boot; dies on a failed run
bench_boot() {
	local dir=$1 run=$2 img=$3 append=$4 rc=0 t0=$SECONDS splats a
	# shellcheck disable=SC2034
	local ARCH QEMU QEMU_ARGS APPEND TIMEOUT HOTPLUG='' HOTPLUG_SIZE='' qemu_args=() args=()
	# shellcheck source=configs/qemu/x86_64.conf
	. "$CONFIG_DIR/qemu/$run.conf"
	read -ra qemu_args <<<"$QEMU_ARGS"
	# the run's QEMU arguments with "-smp N" replaced by "-smp $SMP"
	local skip=0
	for a in "${qemu_args[@]}"; do
		if [ "$skip" -eq 1 ]; then
			skip=0
		elif [ "$a" = -smp ]; then
			args+=(-smp "$SMP")
			skip=1
		else
			args+=("$a")
		fi
	done
	read -ra qemu_args <<<"$ICOUNT"
	mkdir -p "$dir"
	python3 "$TOP/scripts/qemu_run.py" --log "$dir/console.log" --timeout "$((TIMEOUT * 3))" -- \
		"$QEMU" "${args[@]}" "${qemu_args[@]}" -kernel "$img" -initrd "$BUILD_DIR/kernel/$ARCH/initramfs.cpio" \
		-append "$APPEND $append" >"$dir/qemu_run.txt" 2>&1 || rc=$?
	tr -d '\r' <"$dir/console.log" >"$dir/kernel.log"
	splats=$(scan_splats "$dir/kernel.log" "$dir/splats.txt")
	log "   $(basename "$dir"): qemu exit $rc, $splats splat lines, $((SECONDS - t0))s"
	printf '%s %s\n' "$(basename "$dir")" "$((SECONDS - t0))" >>"$res/boots.txt"
	if [ "$rc" -ne 0 ] || [ "$splats" -ne 0 ] || ! grep -q '@@DONE' "$dir/kernel.log"; then
		tail -n 40 "$dir/kernel.log" | sed 's/^/    | /' >&2
		die "$(basename "$dir"): the benchmark boot failed (log: $dir/console.log)"
	fi
}

: >"$res/runs.tsv"
n=0
for line in "${lines[@]}"; do
	read -r bench run before append <<<"$line"
	n=$((n + 1))
	arch=$(run_arch "$run")
	log "$bench on $run: $REPEAT x $([ "$before" = - ] && echo series || echo "before ($(proof_state "$before")) and series, alternating")"
	for i in $(seq 1 "$REPEAT"); do
		if [ "$before" != - ]; then
			d=$res/$n-$bench-$run-before-$i
			bench_boot "$d" "$run" "$BUILD_DIR/proof/images/$(proof_state "$before")-$arch" "$append"
			printf '%s\t%s\tbefore\t%s\t%s\n' "$bench" "$run" "$i" "$d/kernel.log" >>"$res/runs.tsv"
		fi
		d=$res/$n-$bench-$run-series-$i
		bench_boot "$d" "$run" "$BUILD_DIR/kernel/$arch/$(kernel_image "$arch")" "$append"
		printf '%s\t%s\tseries\t%s\t%s\n' "$bench" "$run" "$i" "$d/kernel.log" >>"$res/runs.tsv"
	done
done

python3 "$TOP/scripts/bench_table.py" --runs "$res/runs.tsv" --boots "$res/boots.txt" \
	--seconds "$((SECONDS - T0))" --repeat "$REPEAT" --icount "$ICOUNT -smp $SMP" --series "$(sgit rev-parse --short=12 series)" \
	--md "$res/bench.md" --json "$res/bench.json" ||
	die "could not read the benchmark figures (build/results/bench)"
cat "$res/bench.md"
