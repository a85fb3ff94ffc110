# mm-series: a patch series against mainline Linux and the scripts that prove
# it.  This Makefile is only the table of contents: every target runs one
# script from scripts/ (each also runs alone, with --help).
#
# Knobs (environment or make variables): KSRC=/path/to/linux BASE=<commit>
# ARCH=x86_64|x86_64-kvm|i386|arm64|arm64-64k BOOT=<run> CYCLES=N SERIES=file PATCHES=dir V=N
# TOPIC=<topic>[,<topic>] POST_AS="Name <address>"|me BUILD_DIR=dir CACHE_DIR=dir

S := scripts

.NOTPARALLEL:
.PHONY: help all deps base apply quilt-check checkpatch sparse w1 cocci lint \
	bisect bisect-all topics stable-check build boot negative kunit-um matrix proof bench \
	report posting posting-check test-scripts summary check clean

help:
	@sed -n 's/^\([a-z0-9-]*\):.*## \(.*\)/  make \1\t\2/p' $(MAKEFILE_LIST) | expand -t 24

all: deps base apply topics quilt-check checkpatch matrix kunit-um proof stable-check lint bench report summary ## the main job: base -> apply -> checks -> build+boot -> proof -> long checks -> report

deps: ## install every tool (apt-get; sid's sparse privately)
	$(S)/deps.sh

base: ## fetch/unpack the base (or clone KSRC) into build/src/linux
	$(S)/base.sh

apply: ## git am the series onto the base (branch "series")
	$(S)/apply.sh

topics: ## each topic (series "#@topic") applies alone to the base and builds (TOPIC=)
	$(S)/topics.sh

stable-check: ## the fixes with Cc: stable apply to and build on 7.2.y (configs/stable.conf)
	$(S)/stable-check.sh

quilt-check: ## the series applies with quilt too, to the same tree
	$(S)/quilt-check.sh

checkpatch: ## checkpatch.pl --strict on every patch
	$(S)/checkpatch.sh

sparse: ## no new sparse warnings vs the base, per object and arch
	$(S)/static.sh sparse

w1: ## no new W=1 warnings vs the base, per object and arch
	$(S)/static.sh w1

cocci: ## no new coccicheck reports vs the base
	$(S)/static.sh cocci

lint: quilt-check checkpatch sparse w1 cocci bisect ## every static check

bisect: ## each prefix of the series builds (x86_64; ARCH= for another)
	$(S)/bisect.sh

bisect-all: ## each prefix of the series builds on every arch
	ARCH=all $(S)/bisect.sh

build: ## the matrix kernels + guest initramfs (ARCH= for one)
	$(S)/build.sh

boot: ## boot-test the built kernels in QEMU (ARCH=, BOOT=, CYCLES=)
	$(S)/boot.sh

negative: ## a guest that WARNs must fail the boot stage
	$(S)/negative.sh

matrix: ## build + boot each arch in turn (x86_64 first), then the negative test
	$(S)/matrix.sh

kunit-um: ## the series' KUnit suites of generic code on ARCH=um (kunit.py, no QEMU)
	$(S)/kunit-um.sh

proof: deps base apply ## each test FAILs on the base (+ test-only patches), PASSes with the series (after make matrix)
	$(S)/proof.sh

bench: deps base apply proof ## guest benchmarks under -icount, base and series alternating
	$(S)/bench.sh

report: ## the results report (build/results/report.md, .html) and summary
	$(S)/report.sh

posting: ## each topic as b4 would mail it, into build/posting/<topic> (TOPIC=, V=, POST_AS=)
	$(S)/posting.sh

posting-check: ## each topic's mails: git am and b4 am give its tree; sign-offs, prefixes, size, checkpatch
	$(S)/posting-check.sh

test-scripts: ## the scripts' own tests (shellcheck, bats)
	$(S)/test-scripts.sh

check: deps base apply topics quilt-check checkpatch test-scripts matrix kunit-um proof stable-check report posting posting-check summary ## the test command (.ci/run): the tests; the long static checks are in all/lint

summary: ## the stages of this run with their wall times, the total, the report
	$(S)/summary.sh

clean: ## remove build/ (the cache dir stays)
	rm -rf build
