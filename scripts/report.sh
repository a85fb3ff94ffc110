#!/usr/bin/env bash
# report.sh - last stage: one summary and one report of what the stages recorded.
#
# Prints, and writes to build/results/summary.md: the base, the series (count
# and head), the latest result and time of every stage that has run
# (build/results/stages.tsv, one line per stage run) and the matrix table of
# the guest runs (build/results/<run>/summary.tsv).
# Writes build/results/report.md and report.html (one offline page, plots
# inline): tool versions, that summary, the static checks' new findings per
# arch, the proof table (make proof), the benchmarks (make bench) with plots
# (gnuplot), and build/results/testing-<topic>.txt, the "Testing" section
# that make posting puts into each topic's cover letter.  Parts whose stage has not run
# say so.  Exits non-zero if the latest run of any stage, or any guest run,
# failed.

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"

load_base
load_series
summary=$RESULTS_DIR/summary.md
stages=$RESULTS_DIR/stages.tsv
[ -f "$stages" ] || die "no stage has run yet ($stages)"
head=$(sgit rev-parse -q --verify series 2>/dev/null || echo "not applied")
{
	echo "# mm-series summary"
	echo
	echo "- base: $BASE_DESC, commit $BASE_COMMIT"
	echo "- series: ${#SERIES_PATCHES[@]} patches, head $head"
	echo
	echo "| stage | result | seconds | when (UTC) |"
	echo "|---|---|---|---|"
	# latest line per stage name, in the order the stages first ran
	awk -F'\t' '{ if (!($2 in last)) order[n++] = $2; last[$2] = $0 }
		END { for (i = 0; i < n; i++) { split(last[order[i]], f, "\t"); printf "| %s | %s | %s | %s |\n", f[2], f[3], f[4], f[1] } }' "$stages"
	runs=("$RESULTS_DIR"/*/summary.tsv)
	if [ -f "${runs[0]}" ]; then
		echo
		echo "| run | arch | kernel | result | KUnit passed/failed/skipped | guest tests p/f/s | hot-plug cycles ok/total | splat lines | build s | boot s |"
		echo "|---|---|---|---|---|---|---|---|---|---|"
		for r in "${runs[@]}"; do
			awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }' "$r"
		done
	fi
} >"$summary"
cat "$summary"

# --- report.md
report=$RESULTS_DIR/report.md
plots=$RESULTS_DIR/plots
rm -rf "$plots"
mkdir -p "$plots"
tool_version() { "$@" 2>&1 | head -n 1 | cut -c1-100 || true; }
# nodm_plot: bench.json's VM_NO_DIRECT_MAP medians, one line per run and mode
nodm_plot() {
	python3 - "$RESULTS_DIR/bench/bench.json" "$plots" <<-'PY' || return 0
		import json, sys
		benches = [b for b in json.load(open(sys.argv[1]))['benches'] if b['bench'] == 'nodm']
		if not benches:
		    sys.exit(1)
		cols = []
		for b in benches:
		    with open('%s/nodm-%s.dat' % (sys.argv[2], b['run']), 'w') as f:
		        for r in b['rows']:
		            t = r['times_ns']
		            f.write('%d %g %g %g\n' % (r['kib'], t['plain']['median'] / 1e3,
		                    t['reset_perms']['median'] / 1e3, t['no_direct_map']['median'] / 1e3))
		    cols.append(b['run'])
		print(' '.join(cols))
	PY
}
{
	echo "# mm-series results report"
	echo
	echo "Generated $(date -u '+%F %T') UTC by scripts/report.sh."
	echo
	echo "## Base, series and tools"
	echo
	echo "- base: $BASE_DESC, commit $BASE_COMMIT"
	echo "- series: ${#SERIES_PATCHES[@]} patches, head $head"
	echo "- gcc: $(tool_version gcc --version)"
	echo "- aarch64 gcc: $(tool_version aarch64-linux-gnu-gcc --version)"
	echo "- QEMU: $(tool_version qemu-system-x86_64 --version), TCG"
	echo "- sparse: $(tool_version "$TOP/scripts/sparse" --version)"
	echo "- coccinelle: $(tool_version spatch --version)"
	echo "- b4: $(tool_version b4 --version)"
	echo "- KTAP parser: the tree's tools/testing/kunit/kunit.py parse"
	echo
	echo "## Stages and matrix"
	echo
	sed -n '/^| stage /,$p' "$summary"
	echo
	echo "## Static checks: new findings against the base"
	echo
	lint=("$RESULTS_DIR"/lint/*.new)
	if [ -f "${lint[0]}" ]; then
		echo "| check | arch | new findings |"
		echo "|---|---|---|"
		for f in "${lint[@]}"; do
			n=$(basename "$f" .new)
			echo "| ${n%%-*} | ${n#*-} | $(grep -c . "$f" || true) |"
		done
		caches=("$RESULTS_DIR"/lint/*-cache.txt)
		if [ -f "${caches[0]}" ]; then
			echo
			printf 'Base-side findings from the cache (CACHE_DIR/static; a miss builds the base side):'
			for f in "${caches[@]}"; do
				printf ' %s %d hit, %d miss;' "$(basename "$f" -cache.txt)" \
					"$(grep -c ' hit ' "$f" || true)" "$(grep -c ' miss ' "$f" || true)"
			done | sed 's/;$/./'
			echo
		fi
	else
		echo "Not run (make sparse w1 cocci)."
	fi
	echo
	if [ -f "$RESULTS_DIR/proof.md" ]; then
		sed -e '1s/^# /## /' -e '2,$s/^## /### /' "$RESULTS_DIR/proof.md"
	else
		echo "## Proof"
		echo
		echo "Not run (make proof)."
	fi
	echo
	if [ -f "$RESULTS_DIR/bench/bench.md" ]; then
		sed -e '1s/^# /## /' -e '2,$s/^## /### /' "$RESULTS_DIR/bench/bench.md"
		nodm_runs=$(nodm_plot)
		if [ -n "$nodm_runs" ] && command -v gnuplot >/dev/null; then
			{
				echo "set terminal svg size 720,420 font 'sans,11'"
				echo "set output '$plots/nodm.svg'"
				echo "set termoption noenhanced; set logscale xy; set grid; set key top left"
				echo "set xlabel 'allocation size (KiB)'; set ylabel 'alloc+free, us (median, -icount)'"
				printf 'plot '
				for r in $nodm_runs; do
					printf "'%s' using 1:2 with linespoints title '%s plain', " "$plots/nodm-$r.dat" "$r"
					printf "'' using 1:3 with linespoints title '%s reset_perms', " "$r"
					printf "'' using 1:4 with linespoints title '%s no_direct_map', " "$r"
				done | sed 's/, $//'
				echo
			} >"$plots/nodm.gp"
			gnuplot "$plots/nodm.gp" 2>"$plots/nodm.err" &&
				printf '\n![VM_NO_DIRECT_MAP alloc+free time](plots/nodm.svg)\n'
		fi
	else
		echo "## Benchmarks"
		echo
		echo "Not run (make bench)."
	fi
	echo
	echo "## Host: wall time per stage (latest run of each)"
	echo
	awk -F'\t' '{ if (!($2 in last)) order[n++] = $2; last[$2] = $4 }
		END { for (i = 0; i < n; i++) printf "%d \"%s\" %s\n", i, order[i], last[order[i]] }' "$stages" >"$plots/stages.dat"
	if command -v gnuplot >/dev/null && [ -s "$plots/stages.dat" ]; then
		gnuplot >"$plots/stages.err" 2>&1 <<-GP && echo "![seconds per stage](plots/stages.svg)"
			set terminal svg size 720,$((100 + 18 * $(wc -l <"$plots/stages.dat"))) font 'sans,11'
			set output '$plots/stages.svg'
			set termoption noenhanced; set style fill solid 0.6; set grid x; unset key
			set xlabel 'seconds'; set yrange [-1:*] reverse; set offsets 0,0,0,0.5
			plot '$plots/stages.dat' using (0):1:(0):3:(\$1 - 0.35):(\$1 + 0.35):ytic(2) with boxxyerror
		GP
	fi
	echo
	echo "Total of the latest runs: $(awk '{ s += $NF } END { print s + 0 }' "$plots/stages.dat") s."
} >"$report"
# --- testing-<topic>.txt: each topic's cover letter's Testing section
# (plain text): the topic alone (make topics), the static checks, the matrix
# of the whole series, the topic's own proof rows and benchmarks.
# testing_text TOPIC
testing_text() {
	local topic=$1 s r out='' table stale line nums=() p
	if [ -f "$RESULTS_DIR/topics/$topic.txt" ]; then
		echo "This topic alone, the base plus only its patches (make topics):"
		while read -r line; do
			case "$line" in
			'apply ok '*) echo "- applies with git am (${line#apply ok })" ;;
			'apply FAIL '*) echo "- DOES NOT APPLY: ${line#apply FAIL }" ;;
			'build ok '*) echo "- builds: ${line#build ok }" ;;
			'build FAIL '*) echo "- DOES NOT BUILD: ${line#build FAIL }" ;;
			'kunit-um ok '*) echo "- its KUnit suite on ARCH=um (kunit.py): ${line#kunit-um ok }" ;;
			'kunit-um FAIL '*) echo "- its KUnit suite on ARCH=um FAILS: ${line#kunit-um FAIL }" ;;
			*) echo "- $line" ;;
			esac
		done <"$RESULTS_DIR/topics/$topic.txt" | fold -s -w 70 | sed 's/ *$//; /^- /!s/^/  /'
		[ "$(cat "$RESULTS_DIR/topics/series.head" 2>/dev/null)" = "$head" ] ||
			echo "(make topics ran on another series head than ${head:0:12}.)"
		echo
	else
		echo "make topics (this topic alone on the base) was not run."
		echo
	fi
	for s in checkpatch quilt-check sparse w1 cocci bisect; do
		r=$(awk -F'\t' -v s="$s" '$2 == s { r = $3 } END { print r }' "$stages")
		out+="${out:+, }$s ${r:-not run}"
	done
	echo "Static checks of the whole series, all topics (checkpatch --strict;"
	echo "no new sparse, W=1 or coccicheck findings against the base; every"
	echo "patch builds), latest runs:"
	echo "$out." | fold -s -w 70 | sed 's/ *$//; s/^/  /'
	echo
	table=$(awk '/^\| run \|/ { t = 1 } t && /^\|/ { print "  " $0; next } t { exit }' "$summary")
	if [ -z "$table" ]; then
		echo "The build and boot matrix was not run for this posting."
	else
		cat <<-EOF
			The build and boot matrix, with the whole series (all four topics):
			each arch's kernel (x86_64, i386 with PAE, arm64 with 4K and with 64K
			pages) built with DEBUG_VM, PROVE_LOCKING and DEBUG_PAGEALLOC (KASAN
			on x86_64 and arm64) and booted in QEMU/TCG, running the KUnit
			suites, then a guest program that runs test_vmalloc and stresses
			mmap/munmap of exec, data and hugetlb mappings, fork and exec (arm64:
			also memory hot-add/remove cycles beside vmalloc, ptdump, mmap and
			memfd_secret stress); any splat fails a run.  For series head
			${head:0:12}:

		EOF
		printf '%s\n' "$table"
		stale=$(cat "$RESULTS_DIR"/*/summary.tsv 2>/dev/null | awk -F'\t' -v h="${head:0:12}" 'index($3, h) == 0 { print $1 }' | paste -sd, -)
		[ -z "$stale" ] || printf '\n(Runs %s are of another series head than %s.)\n' "$stale" "${head:0:12}"
	fi
	while read -r p; do
		p=$(basename "$p")
		nums+=("${p:0:4}")
	done < <(topic_patches "$topic")
	python3 - "$RESULTS_DIR/proof.json" "$RESULTS_DIR/bench/bench.json" "$head" "${nums[*]}" \
		"$(topic_conf "$topic" bench | paste -sd' ' -)" <<-'PY'
		import json, re, sys, textwrap
		def para(text):
		    print()
		    print(textwrap.fill(text, 72, break_on_hyphens=False))
		head = sys.argv[3][:12]
		mine = set(sys.argv[4].split())
		benches = set(sys.argv[5].split())
		def numbers(proves):
		    out = set()
		    for part in proves.split(','):
		        a, _, b = part.strip().partition('-')
		        out.update('%04d' % i for i in range(int(a), int(b or a) + 1))
		    return out
		def stale(what, data):
		    if data and data.get('series_head', '')[:12] != head:
		        para('(The %s below is of series %s, not of this series %s.)'
		             % (what, data.get('series_head', '?')[:12], head))
		try:
		    proof = json.load(open(sys.argv[1]))
		except (OSError, ValueError):
		    proof = None
		lines = [l for l in (proof or {}).get('lines', []) if numbers(l['proves']) & mine]
		if not lines:
		    para('No proof row of this topic was recorded (make proof).')
		else:
		    stale('proof', proof)
		    if proof.get('problems'):
		        para('THE PROOF DOES NOT HOLD: ' + '; '.join(proof['problems']) + '.')
		    para('Each test against the patches it proves: before is the base plus '
		         'the test patch alone (where it applies; a suite of a new interface '
		         'does not build on the base) or the series without the patches it '
		         'proves; after is the whole series.  A case that passes before is '
		         'a guard, not a proof.')
		    print()
		    for l in lines:
		        for c in l['cases']:
		            print('  %s, %s, before %s: %s before, %s after: %s'
		                  % (c['case'], l['run'], l['before_tree'], c['before'],
		                     c['after'], c['verdict']))
		try:
		    bench = json.load(open(sys.argv[2]))
		except (OSError, ValueError):
		    bench = None
		parts = []
		for b in (bench or {}).get('benches', []):
		    if b['bench'] not in benches:
		        continue
		    if b['bench'] == 'nodm':
		        fl = sorted({tuple(r['flushes'].get('no_direct_map', (-1, -1))) for r in b['rows']})
		        parts.append('VM_NO_DIRECT_MAP alloc+free on %s, x plain vmalloc: %s '
		                     '(goal %s: %s), direct-map flushes at alloc/free: %s'
		                     % (b['run'], ', '.join('%s %.2f' % (
		                         '%dK' % r['kib'] if r['kib'] < 1024 else '%dM' % (r['kib'] // 1024),
		                         r['nodm_over_plain']) for r in b['rows']),
		                        b['goal'], 'met' if b['goal_met'] else 'MISSED',
		                        ', '.join('%d/%d' % f for f in fl)))
		    elif b['bench'] == 'mmap':
		        parts.append('mmap/munmap on %s, series/base %.4f (goal %s: %s)'
		                     % (b['run'], b['ratio'], b['goal'], 'met' if b['goal_met'] else 'MISSED'))
		if parts:
		    stale('benchmark', bench)
		    para('Benchmarks (guest-side under QEMU %s, medians of %s runs, base and '
		         'series booted alternately, the whole series): %s.'
		         % (bench['qemu'], bench.get('repeat') or '?', '; '.join(parts)))
	PY
}
rm -f "$RESULTS_DIR"/testing-*.txt "$RESULTS_DIR/testing.txt"
if grep -q '^#@topic ' "$SERIES_FILE"; then
	load_topics
	for t in "${TOPICS[@]}"; do
		testing_text "$t" >"$RESULTS_DIR/testing-$t.txt"
	done
else
	warn "the series file names no topic ('#@topic NAME'): no cover letter Testing sections"
fi
printf '%s\n' "$head" >"$RESULTS_DIR/testing.head"

PATH="/usr/bin:$PATH" python3 "$TOP/scripts/report_html.py" "$report" "$RESULTS_DIR/report.html" ||
	warn "report.html not written (python3-markdown: make deps)"
log "report: $report, $RESULTS_DIR/report.html"
# the closing line: stages and guest runs
echo
echo "summary: $(grep -c '| pass |\|| PASS |' "$summary") passed, $(grep -c '| FAIL |' "$summary") failed"
! grep -q '| FAIL |' "$summary" || die "some stages or guest runs failed (see above)"
