#!/usr/bin/env bash
# boot.sh - stage 5: boot the built kernels in QEMU (TCG) and judge the runs.
#
# Every guest run of configs/boots.list whose arch is selected (or BOOT=name)
# is started by scripts/qemu_run.py with the settings in
# configs/qemu/<name>.conf, a time limit, on arm64 memory hot-add/remove
# cycles over QMP (CYCLES=, default 10, per hot-plug kind), and pmem regions
# in the device tree where the run has PMEM=.  Then:
#   - the guest's KTAP blocks (scripts/guest/mmtest.c), the kernel's KUnit
#     output and the hot-plug KTAP are each parsed by the tree's own
#     tools/testing/kunit/kunit.py parse;
#   - the console log is scanned for splats (configs/splat-patterns, minus
#     configs/splat-allowlist): any WARNING/BUG/Oops/KASAN/lockdep line fails
#     the run, even though panic_on_warn is off;
#   - the run fails if QEMU timed out or the guest's init did not finish.
#
# Environment: ARCH, BOOT (one run by name), CYCLES, BOOT_APPEND (extra kernel
#              command line, e.g. mmseries.provoke=WARNING), BUILD_DIR,
#              FAIL_TAIL (console lines printed when a run fails, default 60)
# Output: build/results/<run>/{console.log,*.ktap,*.json,summary.tsv,summary.json}
# Needs: make build

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
arches=$(selected_arches)
need_tool python3 qemu-system-x86_64 qemu-system-i386 qemu-system-aarch64

load_base
KUNIT_PY=$SRC_DIR/tools/testing/kunit/kunit.py
FAIL_TAIL=${FAIL_TAIL:-60}
case "$FAIL_TAIL" in '' | *[!0-9]*) die "FAIL_TAIL must be a number, not '$FAIL_TAIL'" ;; esac

# boots to run
mapfile -t boots < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$CONFIG_DIR/boots.list")
if [ -n "${BOOT:-}" ]; then
	[ -f "$CONFIG_DIR/qemu/$BOOT.conf" ] || die "unknown BOOT '$BOOT' (configs/qemu/*.conf)"
	boots=("$BOOT")
fi

# kunit_parse NAME FILE OUTDIR: kunit.py parse into OUTDIR/NAME.{json,txt};
# prints "tests passed failed skipped errors"
kunit_parse() {
	local name=$1 file=$2 dir=$3
	python3 "$KUNIT_PY" parse --json="$dir/$name.json" "$file" >"$dir/$name.txt" 2>&1 || true
	kunit_counts "$dir/$name.json"
}

boot_one() {
	local name=$1
	local conf=$CONFIG_DIR/qemu/$name.conf res=$RESULTS_DIR/$name
	local ARCH QEMU QEMU_ARGS APPEND TIMEOUT HOTPLUG='' HOTPLUG_SIZE=512M PMEM=''
	# shellcheck source=configs/qemu/x86_64.conf
	. "$conf"
	local out=$BUILD_DIR/kernel/$ARCH img rc=0 t0 secs verdict=PASS why=() qemu_args=() hp=() r
	img=$out/$(kernel_image "$ARCH")
	stage "boot $name"
	if [ ! -f "$img" ] || [ ! -f "$out/initramfs.cpio" ]; then
		die "$name: no kernel/initramfs in $out: run 'make build ARCH=$ARCH'"
	fi
	rm -rf "$res"
	mkdir -p "$res"
	read -ra qemu_args <<<"$QEMU_ARGS"
	if [ -n "$HOTPLUG" ]; then
		hp=(--hotplug "$HOTPLUG" --cycles "${CYCLES:-10}" --size "$HOTPLUG_SIZE" --ktap "$res/hotplug.ktap")
		log "$name: booting; then ${CYCLES:-10} cycles each of: $HOTPLUG (timeout ${TIMEOUT}s)"
	else
		log "$name: booting (timeout ${TIMEOUT}s)"
	fi
	for r in $PMEM; do hp+=(--pmem "$r"); done
	t0=$SECONDS
	python3 "$TOP/scripts/qemu_run.py" --log "$res/console.log" --timeout "$TIMEOUT" "${hp[@]}" -- \
		"$QEMU" "${qemu_args[@]}" -kernel "$img" -initrd "$out/initramfs.cpio" \
		-append "$APPEND${BOOT_APPEND:+ $BOOT_APPEND}" >"$res/qemu_run.txt" 2>&1 || rc=$?
	secs=$((SECONDS - t0))
	cat "$res/qemu_run.txt"
	[ "$rc" -eq 0 ] || why+=("QEMU/runner exit $rc$(case $rc in 124) echo " (timeout)" ;; 125) echo " (crashed, hung)" ;; esac)")

	# split the console: our KTAP blocks (kernel printk lines dropped) / the rest
	tr -d '\r' <"$res/console.log" | awk -v dir="$res" '
		/@@KTAP-BEGIN/ { n++; inblk = 1; next }
		/@@KTAP-END/ { inblk = 0; next }
		inblk && !/^\[ *[0-9]+\.[0-9]+\]/ { print > (dir "/guest-" n ".ktap"); next }
		!inblk { print > (dir "/kernel.log") }'
	grep -q '@@DONE' "$res/console.log" || why+=("the guest init did not finish")

	local summary=() k=0 f
	if grep -qE '^(\[[ 0-9.]+\] )?1\.\.0$' "$res/kernel.log" 2>/dev/null; then
		summary+=("0/0/0")	# KUnit is built in, but this kernel has no suite
	elif grep -q 'KTAP version' "$res/kernel.log" 2>/dev/null; then
		read -ra k <<<"$(kunit_parse kunit "$res/kernel.log" "$res")"
		summary+=("${k[1]}/$((k[2] + k[4]))/${k[3]}")
		if [ "${k[2]}" -ne 0 ] || [ "${k[4]}" -ne 0 ]; then
			why+=("KUnit: ${k[2]} failed, ${k[4]} errors")
		fi
	else
		summary+=("none")
	fi
	local gt=0 gp=0 gf=0 gs=0
	for f in "$res"/guest-*.ktap; do
		[ -f "$f" ] || { why+=("no guest KTAP"); break; }
		read -ra k <<<"$(kunit_parse "$(basename "$f" .ktap)" "$f" "$res")"
		gt=$((gt + k[0])) gp=$((gp + k[1])) gf=$((gf + k[2] + k[4])) gs=$((gs + k[3]))
	done
	summary+=("$gp/$gf/$gs")
	[ "$gf" -eq 0 ] || why+=("guest tests: $gf failed")
	local hp_ok='-'
	if [ -n "$HOTPLUG" ]; then
		if [ -f "$res/hotplug.ktap" ]; then
			read -ra k <<<"$(kunit_parse hotplug "$res/hotplug.ktap" "$res")"
			hp_ok="${k[1]}/${k[0]}"
			if [ "${k[2]}" -ne 0 ] || [ "${k[0]}" -eq 0 ]; then
				why+=("hot-plug: ${k[2]} of ${k[0]} cycles failed")
			fi
		else
			hp_ok=0/0
			why+=("no hot-plug results")
		fi
	fi

	# splats
	local splats
	splats=$(scan_splats "$res/kernel.log" "$res/splats.txt")
	if [ "$splats" -gt 0 ]; then
		why+=("$splats splat lines in the log (first: $(head -n 1 "$res/splats.txt" | cut -c1-120))")
	fi

	[ "${#why[@]}" -eq 0 ] || verdict=FAIL
	local build_s
	build_s=$(sed -n 's/.*"seconds": \([0-9]*\).*/\1/p' "$RESULTS_DIR/build-$ARCH.json" 2>/dev/null || true)
	local kernel
	kernel="$(sed -n 's/.*Linux version \([^ ]*\) .*/\1/p' "$res/kernel.log" | head -n 1) $(sgit rev-parse --short=12 HEAD)"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$ARCH" "$kernel" "$verdict" "${summary[0]}" \
		"${summary[1]}" "$hp_ok" "$splats" "${build_s:--}" "$secs" >"$res/summary.tsv"
	printf '{"run": "%s", "arch": "%s", "kernel": "%s", "result": "%s", "kunit_passed_failed_skipped": "%s",\n' \
		"$name" "$ARCH" "$kernel" "$verdict" "${summary[0]}" >"$res/summary.json"
	printf ' "guest_passed_failed_skipped": "%s", "hotplug_cycles_ok_total": "%s", "splat_lines": %s,\n' \
		"${summary[1]}" "$hp_ok" "$splats" >>"$res/summary.json"
	printf ' "build_seconds": "%s", "boot_seconds": %s, "qemu_exit": %s}\n' "${build_s:--}" "$secs" "$rc" >>"$res/summary.json"
	log "$name: $verdict: KUnit p/f/s ${summary[0]}, guest p/f/s ${summary[1]}, hot-plug $hp_ok, $splats splat lines, ${secs}s"
	if [ "$verdict" = FAIL ]; then
		printf '    - %s\n' "${why[@]}" >&2
		# the log may not outlive the machine (CI): keep its end in the output
		printf '    last %s console lines:\n' "$FAIL_TAIL" >&2
		tail -n "$FAIL_TAIL" "$res/console.log" | sed 's/^/    | /' >&2
		die "$name: the guest run failed (log: $res/console.log)"
	fi
}

failed=0
ran=0
for b in "${boots[@]}"; do
	conf_arch=$(run_arch "$b")
	# a run named by BOOT= is booted whatever its arch (arm64-16k is in no
	# default set)
	[ -n "${BOOT:-}" ] || case " $arches " in *" $conf_arch "*) ;; *) continue ;; esac
	ran=$((ran + 1))
	(boot_one "$b") || failed=$((failed + 1))
done
[ "$ran" -gt 0 ] || die "no guest run matches ARCH=${ARCH:-} BOOT=${BOOT:-}"
[ "$failed" -eq 0 ] || die "$failed of $ran guest runs failed"
log "$ran guest runs passed"
