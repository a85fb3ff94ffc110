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
		    for iof in (False, True):
		        rows = [r for r in b['rows'] if r.get('init_on_free', False) == iof]
		        if not rows:
		            continue
		        name = b['run'] + ('-init_on_free' if iof else '')
		        with open('%s/nodm-%s.dat' % (sys.argv[2], name), 'w') as f:
		            for r in rows:
		                t = r['usec']
		                f.write('%d %g %g\n' % (r['kib'], t['plain']['median'], t['nodm']['median']))
		        cols.append(name)
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
					printf "'' using 1:3 with linespoints title '%s no_direct_map', " "$r"
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
# (plain text, for the list: no stage names, no timings): the topic alone
# (make topics), the checks that ran, the stable tree, the topic's proof rows
# and benchmarks, and the matrix of the whole series.
# arch_words ARCH: how a matrix arch reads in a mail
arch_words() {
	case "$1" in
	i386) echo "i386 with PAE" ;;
	arm64) echo "arm64 (4K pages)" ;;
	arm64-64k) echo "arm64 with 64K pages" ;;
	arm64-16k) echo "arm64 with 16K pages" ;;
	um) echo "ARCH=um" ;;
	*) echo "$1" ;;
	esac
}
# testing_text TOPIC
testing_text() {
	local topic=$1 s r out='' table stale line nums=() p built=() kunit='' words
	local tfile=$RESULTS_DIR/topics/$topic.txt
	echo "Tested on the base below; the guests ran in QEMU (TCG):"
	echo
	if [ -f "$tfile" ] && [ "$(cat "$RESULTS_DIR/topics/series.head" 2>/dev/null)" = "$head" ]; then
		while read -r line; do
			case "$line" in
			'build ok '*)
				line=${line#build ok }
				built+=("$(arch_words "${line%% *}")")
				;;
			'build FAIL '*) echo "- THESE PATCHES ALONE DO NOT BUILD for $(arch_words "${line#build FAIL }")." ;;
			'apply FAIL '*) echo "- THESE PATCHES DO NOT APPLY ALONE: ${line#apply FAIL }." ;;
			'kunit-um ok '*)
				line=${line#kunit-um ok }
				kunit="their KUnit suite passes on ARCH=um (kunit.py: ${line%% (*})"
				;;
			'kunit-um FAIL '*) echo "- THEIR KUNIT SUITE FAILS on ARCH=um: ${line#kunit-um FAIL }." ;;
			esac
		done <"$tfile"
		if grep -q '^apply ok' "$tfile"; then
			words="These patches alone, applied with git am, build"
			if [ "${#built[@]}" -gt 0 ]; then
				words+=" for $(printf '%s, ' "${built[@]}" | sed 's/, $//; s/\(.*\), /\1 and /')"
				[ "${#built[@]}" -eq 1 ] || words+=", each"
				words+=" with DEBUG_VM, PROVE_LOCKING and DEBUG_PAGEALLOC (KASAN on x86_64 and arm64)"
			fi
			[ -z "$kunit" ] || words+=", and $kunit"
			echo "- $words." | fold -s -w 70 | sed 's/ *$//; 2,$s/^/  /'
		fi
	fi
	for s in checkpatch sparse w1 cocci bisect; do
		r=$(awk -F'\t' -v s="$s" '$2 == s { r = $3 } END { print r }' "$stages")
		[ "$r" = pass ] || continue
		case "$s" in
		checkpatch) out+="${out:+; }checkpatch.pl --strict --codespell is clean" ;;
		sparse) out+="${out:+; }no new sparse warnings" ;;
		w1) out+="${out:+; }no new W=1 warnings" ;;
		cocci) out+="${out:+; }no new coccicheck reports" ;;
		bisect) out+="${out:+; }every patch builds in turn" ;;
		esac
	done
	[ -z "$out" ] || echo "- $out." | fold -s -w 70 | sed 's/ *$//; 2,$s/^/  /'
	if grep -q "^$topic: patch " "$RESULTS_DIR/stable.txt" 2>/dev/null; then
		grep "^$topic: " "$RESULTS_DIR/stable.txt" |
			sed "s/^$topic: //; s/^patch [0-9]* (\(.*\)) /\"\1\" /" | paste -sd';' - |
			sed "s/;/; /g; s/^/- On $(sed -n 's/^stable tree: .*(Linux \(.*\))$/\1/p' "$RESULTS_DIR/stable.txt") (Debian's linux-source package): /; s/$/./" |
			fold -s -w 70 | sed 's/ *$//; 2,$s/^/  /'
	fi
	while read -r p; do
		p=$(basename "$p")
		nums+=("${p:0:4}")
	done < <(topic_patches "$topic")
	python3 - "$RESULTS_DIR/proof.json" "$RESULTS_DIR/bench/bench.json" "$head" "${nums[*]}" \
		"$(topic_conf "$topic" bench | paste -sd' ' -)" "$CONFIG_DIR" <<-'PY'
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
		order = sys.argv[4].split()
		def k_of(num):
		    return '%d/%d' % (order.index(num) + 1, len(order)) if num in order else num
		def ks(nums):
		    nums = sorted(nums, key=lambda x: order.index(x) if x in order else 99)
		    w = [k_of(x) for x in nums]
		    return ' and '.join([', '.join(w[:-1]), w[-1]] if len(w) > 1 else w)
		def before_words(tree):
		    if tree.startswith('base+'):
		        return 'the base plus %s alone' % ks(tree[5:].split('+'))
		    if tree.startswith('series-'):
		        return 'all of this work except %s' % ks(tree[7:].split('-'))
		    return tree
		desc = {'um': 'ARCH=um'}
		for run in {l['run'] for l in lines}:
		    try:
		        for cl in open('%s/qemu/%s.conf' % (sys.argv[6], run)):
		            m = re.match(r'DESC="(.*)"', cl)
		            if m:
		                desc[run] = m.group(1)
		    except OSError:
		        pass
		if lines:
		    stale('proof', proof)
		    if proof.get('problems'):
		        para('THE PROOF DOES NOT HOLD: ' + '; '.join(proof['problems']) + '.')
		    print()
		    print('The tests against the patches they prove:')
		    for l in lines:
		        fix = ks(numbers(l['proves']))
		        for c in l['cases']:
		            v = c['verdict']
		            where = '%s (%s)' % (c['case'], desc.get(l['run'], l['run']))
		            if v == 'proven':
		                t = '%s: %s on %s, passes with %s.' % (where, c['before'].lower().replace('error', 'errors'),
		                                                      before_words(l['before_tree']), fix)
		                t = t.replace(': fail on', ': fails on')
		            elif v == 'proven (no before tree)':
		                t = '%s: passes; it does not build without %s (a new interface).' % (where, fix)
		            elif v in ('PASSES BEFORE', 'SKIPS BEFORE'):
		                t = '%s: %s with and without %s (a guard, not a proof).' % (
		                    where, 'passes' if v == 'PASSES BEFORE' else 'skips', fix)
		            elif v == 'n/a here':
		                t = '%s: does not apply to this configuration.' % where
		            else:
		                t = '%s: %s, %s before and %s after.' % (where, v, c['before'], c['after'])
		            print(textwrap.fill(t, 70, initial_indent='- ', subsequent_indent='  ',
		                                break_on_hyphens=False))
		try:
		    bench = json.load(open(sys.argv[2]))
		except (OSError, ValueError):
		    bench = None
		parts = []
		for b in (bench or {}).get('benches', []):
		    if b['bench'] not in benches:
		        continue
		    if b['bench'] == 'nodm':
		        fl = sorted({'%g' % r['flushes_per_op']['nodm'][0] for r in b['rows'] if r['flushes_per_op']})
		        def ratios(iof):
		            return ', '.join('%s %.2f' % (
		                '%dK' % r['kib'] if r['kib'] < 1024 else '%dM' % (r['kib'] // 1024),
		                r['nodm_over_plain']) for r in b['rows'] if r.get('init_on_free', False) == iof)
		        parts.append('VM_NO_DIRECT_MAP alloc+free on %s, x plain vmalloc(): %s '
		                     'with init_on_free=1 (both clear the pages at free), %s without '
		                     '(only VM_NO_DIRECT_MAP clears them) (goal %s: %s)%s'
		                     % (b['run'], ratios(True) or '-', ratios(False) or '-',
		                        b['goal'], 'met' if b['goal_met'] else 'MISSED',
		                        ', flush_tlb_kernel_range() calls per alloc+free: %s' % ', '.join(fl) if fl else ''))
		    elif b['bench'] == 'mmap':
		        parts.append('mmap/munmap on %s, series/base %.4f (goal %s: %s)'
		                     % (b['run'], b['ratio'], b['goal'], 'met' if b['goal_met'] else 'MISSED'))
		if parts:
		    stale('benchmark', bench)
		    para('Benchmarks with all topics applied (guest-side under QEMU %s, '
		         'medians of %s runs; the two sides of a ratio booted in turn): %s.'
		         % (bench['qemu'], bench.get('repeat') or '?', '; '.join(parts)))
	PY
	table=$(awk '/^\| run \|/ { t = 1 } t && /^\|/ { print "  " $0; next } t { exit }' "$summary")
	if [ -n "$table" ]; then
		cat <<-EOF

			With all topics of this work applied together, each arch's kernel,
			built with DEBUG_VM, PROVE_LOCKING and DEBUG_PAGEALLOC (KASAN on x86_64
			and arm64), boots in QEMU and runs the KUnit suites, test_vmalloc and
			an mmap/munmap, fork and exec stress (arm64: also memory hot-add and
			hot-remove beside vmalloc, ptdump, mmap and memfd_secret stress); any
			kernel warning fails a run:

		EOF
		printf '%s\n' "$table"
		stale=$(cat "$RESULTS_DIR"/*/summary.tsv 2>/dev/null | awk -F'\t' -v h="${head:0:12}" 'index($3, h) == 0 { print $1 }' | paste -sd, -)
		[ -z "$stale" ] || printf '\n(Runs %s are of an older version of the patches.)\n' "$stale"
	fi
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
