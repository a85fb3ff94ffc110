# SPDX-License-Identifier: GPL-2.0
# scripts/lib.sh - the one helper every stage script sources: paths, logging,
# error exit, argument checks, the series file and kernel make.
#
# Not runnable on its own.  Each stage starts with:
#     . "$(dirname "$0")/lib.sh"
# shellcheck shell=bash
# Variables here are used by the scripts that source this file.
# shellcheck disable=SC2034

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$TOP/build}
CACHE_DIR=${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mm-series}
SERIES_FILE=${SERIES:-$TOP/series}
PATCH_DIR=${PATCHES:-$TOP/patches}
CONFIG_DIR=$TOP/configs
# our own clone of the base (never the user's tree); branches "base" and "series"
SRC_DIR=$BUILD_DIR/src/linux
BASE_ENV=$BUILD_DIR/base.env
RESULTS_DIR=${RESULTS_DIR:-$BUILD_DIR/results}
LOG_DIR=$BUILD_DIR/logs
# scripts/posting.sh: the mails, and its own b4 repository + state
POSTING_DIR=$BUILD_DIR/posting
POSTING_WORK=$BUILD_DIR/posting-work
POSTING_CONF=${POSTING_CONF:-$CONFIG_DIR/posting.conf}
# one configs/topics/<name>.conf per "#@topic <name>" line of the series
TOPIC_CONF_DIR=${TOPIC_CONF_DIR:-$CONFIG_DIR/topics}
JOBS=${JOBS:-$(($(nproc) + 1))}
# every architecture the matrix knows (arm64-64k: arm64 with 64K pages, its
# own kernel in build/kernel/arm64-64k; configs/matrix.conf says how)
KNOWN_ARCHES="x86_64 x86_64-kvm i386 arm64 arm64-64k"
# arches built and booted only when named (ARCH=arm64-16k, BOOT=<run>): not
# in 'make build' or 'make check', for CI's time (docs/proof-arm64-vmemmap.md)
EXTRA_ARCHES="arm64-16k x86_64-bench arm64-bench"
# kernel_arch ARCH: the kernel's ARCH= for a matrix arch; a variant is named
# <arch>-<what> (arm64-64k -> arm64)
kernel_arch() { echo "${1%%-*}"; }

# arch_cross ARCH: the CROSS_COMPILE prefix of a matrix arch (empty: the
# host's gcc); its C compiler is "$(arch_cross ARCH)gcc"
arch_cross() {
	case "$(kernel_arch "$1")" in
	x86_64 | i386) ;;
	arm64) echo aarch64-linux-gnu- ;;
	*) die "arch_cross: unknown arch $1" ;;
	esac
}

# kernel_image ARCH: the boot image's path inside a build directory
kernel_image() {
	case "$(kernel_arch "$1")" in
	x86_64 | i386) echo arch/x86/boot/bzImage ;;
	arm64) echo arch/arm64/boot/Image ;;
	*) die "kernel_image: unknown arch $1" ;;
	esac
}

# run_arch RUN: the matrix arch of a guest run (configs/qemu/<run>.conf)
run_arch() { sed -n 's/^ARCH=//p' "$CONFIG_DIR/qemu/$1.conf"; }

# require_series_build ARCH: die unless build/kernel/<arch> is a build of
# the current series (its build-<arch>.json, which build.sh writes last)
require_series_build() {
	grep -q "\"series_head\": \"$(sgit rev-parse series)\"" "$RESULTS_DIR/build-$1.json" 2>/dev/null ||
		die "build/kernel/$1 is not a build of the current series: run 'make build ARCH=$1' first"
}

# proof_state BEFORE: the name of a "before" tree of configs/proof.conf:
# "+0003,0008" -> "base+0003+0008", "-0015,0016" -> "series-0015-0016"
proof_state() {
	case "$1" in
	+*) echo "base+${1#+}" | tr ', ' '++' ;;
	-*) echo "series-${1#-}" | tr ', ' '--' ;;
	*) die "proof_state: '$1' is neither +NNNN,... nor -NNNN,..." ;;
	esac
}

# scan_splats LOG OUT: the splat lines of a guest's kernel log into OUT
# (configs/splat-patterns minus configs/splat-allowlist); prints their count
scan_splats() {
	local log=$1 out=$2 pat allow
	pat=$(grep -Ev '^[[:space:]]*(#|$)' "$CONFIG_DIR/splat-patterns")
	allow=$(grep -Ev '^[[:space:]]*(#|$)' "$CONFIG_DIR/splat-allowlist" || true)
	grep -E -e "$pat" "$log" | { if [ -n "$allow" ]; then grep -Ev -e "$allow"; else cat; fi; } >"$out" || true
	wc -l <"$out"
}

# Variables given on our own make command line (V=2, KSRC=...) must not leak
# into the kernel's make.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

PROG=$(basename "$0" .sh)

log() { printf '[%s] %s\n' "$PROG" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "$PROG" "$*" >&2; }
die() {
	printf '[%s] ERROR: %s\n' "$PROG" "$*" >&2
	exit 1
}

# usage: print the script's header comment (lines after the shebang that start
# with "# ", up to the first blank line) as its --help text.
usage() {
	sed -n '2,/^$/{s/^# \{0,1\}//p}' "$0"
}

# Every stage takes --help and nothing else on its command line; its knobs are
# environment variables (the same names make passes on).
parse_help() {
	local arg
	for arg in "$@"; do
		case "$arg" in
		-h | --help)
			usage
			exit 0
			;;
		*) die "unknown argument '$arg' (see $0 --help)" ;;
		esac
	done
}

# die_log LOGFILE MESSAGE: die, with the log's tail first (a CI run shows
# the reason even when its work directory is gone).
die_log() {
	if [ -s "$1" ]; then
		printf '[%s] last lines of %s:\n' "$PROG" "$1" >&2
		tail -n 20 "$1" >&2
	fi
	die "$2"
}

# need_space DIR GIB WHAT: die unless the file system that holds DIR (or its
# nearest existing parent) has GIB GiB free; a full disk otherwise shows up
# much later as a puzzling build failure.
need_space() {
	local dir=$1 gib=$2 what=$3 avail
	while [ ! -d "$dir" ]; do dir=$(dirname "$dir"); done
	avail=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
	[ -n "$avail" ] || die "need_space: df gave nothing for $dir"
	[ "$avail" -ge $((gib * 1024 * 1024)) ] ||
		die "only $((avail / 1024)) MiB free on the file system of $dir; $what needs about $gib GiB: free some space (make clean removes build/)"
}

need_tool() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			die "'$t' is not installed: run 'make deps' (scripts/deps.sh) first"
	done
}

# stage NAME: print a progress line now and an elapsed-time line at exit.
STAGE_T0=$SECONDS
stage() {
	# the name with the ARCH of the stage's own environment: a run conf's
	# ARCH, sourced later into a function's locals, must not rename it
	STAGE_NAME=$1${ARCH:+ ($ARCH)}
	STAGE_T0=$SECONDS
	log "== $STAGE_NAME"
	trap 'stage_end $?' EXIT
}
stage_end() {
	local rc=$1 verdict=ok
	[ "$rc" -eq 0 ] || verdict="FAILED (exit $rc)"
	log "== $STAGE_NAME: $verdict in $((SECONDS - STAGE_T0))s"
	# one line per stage run, for scripts/report.sh
	if mkdir -p "$RESULTS_DIR" 2>/dev/null; then
		printf '%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$STAGE_NAME" \
			"$([ "$rc" -eq 0 ] && echo pass || echo FAIL)" "$((SECONDS - STAGE_T0))" >>"$RESULTS_DIR/stages.tsv"
	fi
}

# run_logged LOGFILE CMD...: run a long command with its output in LOGFILE and
# a progress line every 60 s; on failure show the log's tail.
run_logged() {
	local logfile=$1 pid rc t0=$SECONDS next=$((SECONDS + 60))
	shift
	mkdir -p "$(dirname "$logfile")"
	"$@" >"$logfile" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		if [ "$SECONDS" -ge "$next" ]; then
			log "   ... $((SECONDS - t0))s, $(wc -l <"$logfile") log lines ($logfile)"
			next=$((next + 60))
		fi
	done
	rc=0
	wait "$pid" || rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -n 25 "$logfile" >&2
		warn "command failed (exit $rc), full log: $logfile"
	fi
	return "$rc"
}

# static_cache_key CHECKER ARCH OBJ...: the key of the base side's findings
# of scripts/static.sh: the base commit, the checker, the arch's config
# (configs/matrix.conf line and fragments), the objects, the tool versions
# and STATIC_CACHE_FORMAT (scripts/static.sh), which a change to how the
# findings are made or normalised bumps.  The same key gives the same
# findings, so they are cached (CACHE_DIR/static/<key>).  The scripts
# themselves are not hashed: an edit elsewhere in lib.sh must not throw a
# warm cache away (a cold base side costs ~30 min on 2 cores).
static_cache_key() {
	local checker=$1 arch=$2
	shift 2
	{
		printf '%s\n' "base ${BASE_COMMIT:?}" "checker $checker" "objects $*"
		arch_build_id "$arch"
		case "$checker" in
		sparse) "$TOP/scripts/sparse" --version 2>&1 ;;
		cocci) spatch --version 2>&1 | head -n 1 ;;
		esac
		echo "format ${STATIC_CACHE_FORMAT:?}"
	} | sha256sum | cut -c1-24
}

# arch_build_id ARCH: what a kernel build of ARCH depends on besides the
# tree: the arch, its configs/matrix.conf line and fragments, the compiler's
# and make's versions.
arch_build_id() {
	local arch=$1 cc f frags=()
	cc=$(arch_cross "$arch")gcc
	echo "arch $arch"
	awk -v a="$arch" '$1 == a' "$CONFIG_DIR/matrix.conf"
	read -ra frags < <(awk -v a="$arch" '$1 == a { $1 = ""; print }' "$CONFIG_DIR/matrix.conf")
	for f in "${frags[@]}"; do cat "$CONFIG_DIR/kernel/$f.config"; done
	"$cc" --version 2>&1 | head -n 1
	make --version | head -n 1
}

# bisect_key ARCH COMMIT: the key of "COMMIT's tree builds for ARCH"
# (scripts/bisect.sh caches each prefix that built: CACHE_DIR/bisect/<key>);
# BISECT_CACHE_FORMAT is bumped when what "builds" means changes (targets,
# flags).  scripts/topics.sh records the topic trees that built there too.
BISECT_CACHE_FORMAT=1
bisect_key() {
	{
		echo "tree $(sgit rev-parse "$2^{tree}")"
		arch_build_id "$1"
		echo "format ${BISECT_CACHE_FORMAT:?}"
	} | sha256sum | cut -c1-24
}

# static_cache_get KEY FILE: copy the cached findings of KEY to FILE; false
# on a miss.  static_cache_put KEY FILE: cache FILE under KEY.
static_cache_get() {
	[ -f "$CACHE_DIR/static/$1.findings" ] && cp "$CACHE_DIR/static/$1.findings" "$2"
}
static_cache_put() {
	mkdir -p "$CACHE_DIR/static"
	cp "$2" "$CACHE_DIR/static/$1.findings.tmp"
	mv "$CACHE_DIR/static/$1.findings.tmp" "$CACHE_DIR/static/$1.findings"
}

# need_compiler ARCH...: the C compiler that each matrix arch builds with
# runs; a missing (or removed) cross compiler would otherwise fail deep
# inside Kbuild ("unknown C compiler").
need_compiler() {
	local a cross cc pkg
	for a in "$@"; do
		cross=$(arch_cross "$a")
		# Debian names a cross gcc gcc-<triplet>
		cc=${cross}gcc pkg=gcc${cross:+-${cross%-}}
		"$cc" --version >/dev/null 2>&1 ||
			die "$cc (the $a compiler) does not run: install Debian's $pkg ('make deps' does; on bookworm it cannot be installed beside gcc-multilib)"
	done
}

check_arch() {
	local a
	for a in $KNOWN_ARCHES $EXTRA_ARCHES; do
		[ "$1" = "$a" ] && return 0
	done
	die "unknown ARCH '$1' (known: $KNOWN_ARCHES $EXTRA_ARCHES)"
}

# The arches a stage works on: ARCH=<one> or all of them.
selected_arches() {
	if [ -n "${ARCH:-}" ]; then
		check_arch "$ARCH"
		echo "$ARCH"
	else
		echo "$KNOWN_ARCHES"
	fi
}

# series_patches: the patch files named by the series file, in order, one per
# line (quilt syntax: comments, blank lines, "-p1" options are allowed).
series_patches() {
	[ -f "$SERIES_FILE" ] || die "no series file at $SERIES_FILE"
	local name rest
	while read -r name rest; do
		case "$name" in '' | '#'*) continue ;; esac
		case "$rest" in '' | '-p1' | '#'*) ;; *) die "series: unsupported options '$rest' for $name (only -p1)" ;; esac
		[ -f "$PATCH_DIR/$name" ] || die "series names $name, but $PATCH_DIR/$name does not exist"
		echo "$PATCH_DIR/$name"
	done <"$SERIES_FILE"
}

# load_series: SERIES_PATCHES=(the patch files in order); dies on a bad series.
load_series() {
	local list
	list=$(series_patches)
	SERIES_PATCHES=()
	[ -z "$list" ] || mapfile -t SERIES_PATCHES <<<"$list"
}

# Debian source packages as git repositories (the base, scripts/base.sh; the
# stable tree, scripts/stable-check.sh).  Both read the package from
# BASE_PKG, BASE_PKG_VERSION, BASE_PKG_SHA256, BASE_PKG_FALLBACK_GLOB,
# BASE_TARBALL, BASE_RELEASE (configs/base.conf, or a copy of another conf).
#
# fetch_deb: sets DEB to the verified .deb of the package (and BASE_PKG,
# BASE_PKG_VERSION, BASE_FALLBACK to what was really fetched).
fetch_deb() {
	local version=$BASE_PKG_VERSION sha=$BASE_PKG_SHA256 dl=$CACHE_DIR/downloads
	mkdir -p "$dl"
	DEB=$dl/${BASE_PKG}_${version/:/%3a}_all.deb
	if [ -f "$DEB" ] && echo "$sha  $DEB" | sha256sum -c --status; then
		return
	fi
	need_tool apt-get apt-cache sha256sum
	apt_private_update
	if ! apt-cache "${APT_OPTS[@]}" show "$BASE_PKG=$version" >/dev/null 2>&1; then
		local pkg
		pkg=$(apt-cache "${APT_OPTS[@]}" pkgnames "${BASE_PKG_FALLBACK_GLOB%\*}" | sort -V | tail -n 1)
		[ -n "$pkg" ] || die "neither $BASE_PKG $version nor any $BASE_PKG_FALLBACK_GLOB is on the mirror"
		version=$(apt-cache "${APT_OPTS[@]}" policy "$pkg" | sed -n 's/^ *Candidate: //p')
		sha=$(apt-cache "${APT_OPTS[@]}" show "$pkg=$version" | sed -n 's/^SHA256: //p' | head -n 1)
		warn "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
		warn "the pinned base $BASE_PKG $BASE_PKG_VERSION is gone from the mirror;"
		warn "FALLING BACK to $pkg $version. Results are NOT against the pinned base."
		warn "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
		BASE_PKG=$pkg BASE_FALLBACK=1
		DEB=$dl/${BASE_PKG}_${version/:/%3a}_all.deb
	fi
	log "downloading $BASE_PKG $version (~170 MB)"
	(cd "$dl" && apt-get "${APT_OPTS[@]}" -q download "$BASE_PKG=$version" >"$dl/download.log" 2>&1) ||
		die "apt-get download $BASE_PKG=$version failed: see $dl/download.log"
	echo "$sha  $DEB" | sha256sum -c --status ||
		die "$DEB does not match SHA256 $sha: refusing to use it"
	BASE_PKG_VERSION=$version
}

# debian_base: the cached one-commit repository made from the package:
# sets BASE_ORIGIN (its path), BASE_COMMIT, BASE_DESC.
debian_base() {
	local deb repo tmp tarball pinned=$BASE_PKG_VERSION
	BASE_FALLBACK=0
	fetch_deb
	deb=$DEB
	repo=$CACHE_DIR/base/${BASE_PKG}_${BASE_PKG_VERSION}.git
	if ! git -C "$repo" rev-parse -q --verify refs/tags/base >/dev/null 2>&1; then
		need_tool dpkg-deb tar xz
		rm -rf "$repo" "$repo.tmp"
		tmp=$repo.tmp
		mkdir -p "$tmp/deb" "$tmp/tree"
		log "unpacking $(basename "$deb")"
		dpkg-deb -x "$deb" "$tmp/deb"
		tarball=$(find "$tmp/deb/usr/src" -maxdepth 1 -name "${BASE_TARBALL%%.tar*}*.tar.*" | head -n 1)
		[ -n "$tarball" ] || die "no kernel tarball under /usr/src in $deb"
		run_logged "$tmp/untar.log" tar -C "$tmp/tree" --strip-components=1 -xf "$tarball"
		rm -rf "$tmp/deb"
		log "committing the unpacked tree as the base commit (~90k files)"
		git init -q --bare "$tmp/base.git"
		# Debian's top-level .gitignore ignores everything: add with -f.
		# Fixed identity and date: the same tree gives the same commit id.
		(
			export GIT_DIR=$tmp/base.git GIT_WORK_TREE=$tmp/tree
			export GIT_AUTHOR_NAME="Debian $BASE_PKG" GIT_AUTHOR_EMAIL="debian-kernel@lists.debian.org"
			export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
			export GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z"
			git add -f -A
			git commit -q --no-verify -m "Base: $BASE_PKG $BASE_PKG_VERSION (Linux $BASE_RELEASE)" \
				-m "Unpacked from Debian's $(basename "$deb")."
			git tag base
		)
		rm -rf "$tmp/tree"
		mv "$tmp/base.git" "$repo"
		rm -rf "$tmp"
	fi
	BASE_ORIGIN=$repo
	BASE_COMMIT=$(git -C "$repo" rev-parse 'base^{commit}')
	BASE_DESC="Debian $BASE_PKG $BASE_PKG_VERSION (Linux $BASE_RELEASE)"
	[ "$BASE_FALLBACK" = 0 ] || BASE_DESC="$BASE_DESC [FALLBACK: pinned $pinned was not available]"
}

# load_base: the base recorded by scripts/base.sh.
load_base() {
	if [ ! -f "$BASE_ENV" ] || [ ! -d "$SRC_DIR/.git" ]; then
		die "no base tree yet: run 'make base' (scripts/base.sh) first"
	fi
	# shellcheck source=/dev/null
	. "$BASE_ENV"
}

# git in our clone
sgit() { git -C "$SRC_DIR" "$@"; }

# own_clone DIR ORIGIN [STALE...]: DIR is our shared clone of the repository
# ORIGIN (which it never writes to), made if missing; a clone of another
# origin is removed first, with the STALE paths made from it.  Our commits
# there (git am) carry the project's identity, not the origin's.
own_clone() {
	local dir=$1 origin=$2 key val
	shift 2
	if [ -d "$dir/.git" ] && [ "$(git -C "$dir" config --get mmseries.origin || true)" != "$origin" ]; then
		log "$dir came from another origin: removing it"
		rm -rf "$dir" "$@"
	fi
	if [ ! -d "$dir/.git" ]; then
		log "cloning $origin into $dir (shared, read-only for the origin)"
		mkdir -p "$(dirname "$dir")"
		git clone -q --shared --no-tags --no-checkout "$origin" "$dir"
		git -C "$dir" config mmseries.origin "$origin"
		git -C "$dir" config advice.detachedHead false
	fi
	for key in user.name user.email; do
		val=$(git -C "$TOP" config --get "$key" || true)
		[ -z "$val" ] || git -C "$dir" config "$key" "$val"
	done
}

# require_series: the series branch must exist and sit on the recorded base.
require_series() {
	load_base
	sgit rev-parse -q --verify refs/heads/series >/dev/null ||
		die "no applied series yet: run 'make apply' (scripts/apply.sh) first"
	sgit merge-base --is-ancestor "$BASE_COMMIT" series ||
		die "branch 'series' is not on the base $BASE_COMMIT: run 'make apply' again"
}

# require_series_checkout: build/src/linux has the series checked out (a
# stage that builds from it directly, not from a worktree)
require_series_checkout() {
	[ "$(sgit rev-parse HEAD)" = "$(sgit rev-parse series)" ] ||
		die "$SRC_DIR is not on branch series: run 'make apply' again"
}

# worktree NAME COMMIT: a plain checkout of COMMIT under build/wt/NAME, owned
# by us.  Re-used between runs so unchanged files keep their mtimes and
# out-of-tree builds stay incremental.
worktree() {
	local dir=$BUILD_DIR/wt/$1 commit=$2
	if [ -e "$dir/.git" ]; then
		# an earlier run killed in the middle of a git am
		git -C "$dir" am --abort >/dev/null 2>&1 || true
		git -C "$dir" checkout -q --force --detach "$commit"
		git -C "$dir" clean -q -f -d -x
	else
		mkdir -p "$BUILD_DIR/wt"
		sgit worktree prune
		sgit worktree add -q --detach "$dir" "$commit"
	fi
	echo "$dir"
}

# kernel_config ARCH SRCTREE OUTDIR: allnoconfig + the arch's fragments from
# configs/matrix.conf (merge_config.sh) + olddefconfig, then check that every
# requested option survived; die naming the ones that did not.  The one
# exception: an option that a patch in PATCHES adds ("+config FOO") may be
# missing from a tree that does not define it yet (the base, a prefix of the
# series, or an empty series).
kernel_config() {
	local arch=$1 src=$2 out=$3 f names=() frags=() line want missing=()
	read -ra names < <(awk -v a="$arch" '$1 == a { $1 = ""; print }' "$CONFIG_DIR/matrix.conf")
	for f in "${names[@]}"; do
		[ -f "$CONFIG_DIR/kernel/$f.config" ] || die "configs/matrix.conf: no configs/kernel/$f.config"
		frags+=("$CONFIG_DIR/kernel/$f.config")
	done
	[ "${#frags[@]}" -gt 0 ] || die "configs/matrix.conf has no line for $arch"
	mkdir -p "$out"
	kernel_make "$arch" "$src" "$out" allnoconfig >"$out.kconfig.log" 2>&1 ||
		die_log "$out.kconfig.log" "allnoconfig failed for $arch: $out.kconfig.log"
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}" >>"$out.kconfig.log" 2>&1 ||
		die_log "$out.kconfig.log" "merge_config.sh failed for $arch: $out.kconfig.log"
	kernel_make "$arch" "$src" "$out" olddefconfig >>"$out.kconfig.log" 2>&1 ||
		die_log "$out.kconfig.log" "olddefconfig failed for $arch: $out.kconfig.log"
	while read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$out/.config" && continue
			want=${line%%=*}
			# grep the files, not "cat | grep -q": grep -q stops at the first
			# match and cat's SIGPIPE would fail the pipe under pipefail
			if grep -qsxF "+config ${want#CONFIG_}" "$PATCH_DIR"/*.patch &&
				! grep -rqx --include='Kconfig*' "config ${want#CONFIG_}" "$src"; then
				log "$arch: $want is not in this tree yet (a patch of the series adds it)"
				continue
			fi
			missing+=("$line")
			;;
		"# CONFIG_"*" is not set")
			want=${line#\# }
			want=${want%% *}
			! grep -q "^$want=" "$out/.config" || missing+=("$line")
			;;
		esac
	done < <(cat "${frags[@]}")
	[ "${#missing[@]}" -eq 0 ] ||
		die "$arch: these options did not survive olddefconfig (missing dependency?): ${missing[*]}"
}

# conf_values FILE KEY: the values of KEY in a "KEY VALUE..." data file
# (configs/posting.conf, configs/topics/*.conf), one per line; the value is
# the rest of the line; "#" lines are comments.
conf_values() {
	[ -f "$1" ] || die "no $1"
	awk -v k="$2" '$1 == k { sub(/^[ \t]*[^ \t]+[ \t]*/, ""); sub(/[ \t]+$/, ""); print }' "$1"
}

# posting_conf KEY: the values of KEY in configs/posting.conf
posting_conf() { conf_values "$POSTING_CONF" "$1"; }

# topic_conf NAME KEY: the values of KEY in configs/topics/NAME.conf
topic_conf() { conf_values "$TOPIC_CONF_DIR/$1.conf" "$2"; }

# load_topics: the topics of the series file.  A line "#@topic NAME" starts
# a topic; the patches up to the next such line are its patches.  Sets
# TOPICS=(names in series order) and TOPIC_OF[patch file]=name (and
# SERIES_PATCHES, as load_series).  Dies when a patch is in no topic, a name
# repeats or is not a plain word, a topic has no patch, or its configs/topics
# file lacks a required key.
load_topics() {
	local line name cur='' p k
	load_series
	TOPICS=()
	declare -gA TOPIC_OF=()
	local -A npatches=()
	while read -r line; do
		case "$line" in
		'#@topic '*)
			cur=${line#'#@topic '}
			cur=${cur%%[[:space:]]*}
			[[ "$cur" =~ ^[a-z0-9][a-z0-9-]*$ ]] || die "series: topic name '$cur' is not a plain word (a-z, 0-9, -)"
			[ -z "${npatches[$cur]:-}" ] || die "series: topic $cur is named twice"
			npatches[$cur]=0
			TOPICS+=("$cur")
			;;
		'' | '#'*) ;;
		*)
			name=${line%%[[:space:]]*}
			[ -n "$cur" ] || die "series: $name comes before the first '#@topic NAME' line: every patch belongs to a topic"
			TOPIC_OF[$PATCH_DIR/$name]=$cur
			npatches[$cur]=$((npatches[$cur] + 1))
			;;
		esac
	done <"$SERIES_FILE"
	for name in "${TOPICS[@]}"; do
		[ "${npatches[$name]}" -gt 0 ] || die "series: topic $name has no patch"
		[ -f "$TOPIC_CONF_DIR/$name.conf" ] || die "series: topic $name has no $TOPIC_CONF_DIR/$name.conf"
		for k in subject-prefix to cover; do
			[ -n "$(topic_conf "$name" "$k")" ] || die "$TOPIC_CONF_DIR/$name.conf: no '$k'"
		done
		case "$(topic_conf "$name" subject-prefix)" in
		PATCH | 'PATCH RFC') ;;
		*) die "$TOPIC_CONF_DIR/$name.conf: subject-prefix is PATCH or PATCH RFC (b4's order)" ;;
		esac
	done
	for p in "${SERIES_PATCHES[@]}"; do
		[ -n "${TOPIC_OF[$p]:-}" ] || die "series: $(basename "$p") is in no topic"
	done
}

# topic_patches NAME: the topic's patch files, in order (after load_topics)
topic_patches() {
	local p
	for p in "${SERIES_PATCHES[@]}"; do
		[ "${TOPIC_OF[$p]}" != "$1" ] || echo "$p"
	done
}

# select_topics: SELECTED_TOPICS=(the topics of TOPIC=, one name or several
# separated by commas, or every topic), in series order (after load_topics);
# dies on an unknown name
select_topics() {
	local t want=",${TOPIC:-},"
	SELECTED_TOPICS=()
	if [ -z "${TOPIC:-}" ]; then
		SELECTED_TOPICS=("${TOPICS[@]}")
		return
	fi
	for t in ${TOPIC//,/ }; do
		[[ " ${TOPICS[*]} " == *" $t "* ]] || die "TOPIC=$t: no such topic (the series has: ${TOPICS[*]})"
	done
	for t in "${TOPICS[@]}"; do
		[[ "$want" != *",$t,"* ]] || SELECTED_TOPICS+=("$t")
	done
}

# topic_ref NAME: the ref of the topic's own tree (base + its patches alone),
# written by scripts/topics.sh in build/src/linux
topic_ref() { echo "refs/topics/$1"; }

# posting_lock: one posting.sh/posting-check.sh at a time per build dir (they
# share the repository under build/posting-work).
posting_lock() {
	mkdir -p "$POSTING_WORK"
	exec 9>"$POSTING_WORK/lock"
	flock -n 9 || die "another posting.sh or posting-check.sh is using $POSTING_WORK"
}

# mail_header NAME FILE: one header of a mail, unfolded, as "Name: value".
mail_header() {
	awk -v h="${1,,}:" '
		/^$/ { exit }
		/^[ \t]/ { if (p) s = s $0; next }
		p { exit }
		tolower($1) == h { p = 1; s = $0 }
		END { if (p) { gsub(/[ \t]+/, " ", s); print s } }' "$2"
}

# checkpatch_pl ARGS... PATCH: the tree's scripts/checkpatch.pl, run in SRC_DIR
# (absolute patch paths; after load_base), with Debian's python3 first in PATH:
# checkpatch runs scripts/spdxcheck.py, which needs python3-ply and
# python3-git, and it treats an SPDX check that cannot run as a pass.
# spdxcheck_works first.
#
# With the Debian base (BASE_KIND=debian, from load_base) the tree has no
# history, so a Fixes: id cannot be looked up there: UNKNOWN_COMMIT_ID is then
# ignored (and said so); with a KSRC= mainline checkout it is checked.
# CHECKPATCH_ARGS: the flags every patch and mail is checked with
# (scripts/checkpatch.sh, scripts/posting-check.sh); checkpatch_ready first.
CHECKPATCH_ARGS=(--strict --codespell --show-types)

checkpatch_pl() {
	local extra=()
	[ "${BASE_KIND:-}" != debian ] || extra=(--ignore=UNKNOWN_COMMIT_ID)
	(cd "$SRC_DIR" && PATH="/usr/bin:$PATH" perl scripts/checkpatch.pl --root=. "${extra[@]}" "$@")
}

# spdxcheck_works: die unless the tree's scripts/spdxcheck.py runs and accepts
# a valid identifier (so checkpatch's SPDX check is not silently off).
spdxcheck_works() {
	local out rc=0
	# a stand-in tree without it (the scripts' own tests): checkpatch skips it too
	[ -f "$SRC_DIR/scripts/spdxcheck.py" ] || return 0
	out=$(cd "$SRC_DIR" && echo "GPL-2.0-only" | PATH="/usr/bin:$PATH" python3 scripts/spdxcheck.py - 2>&1) || rc=$?
	if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
		die "scripts/spdxcheck.py does not run (checkpatch would skip its SPDX check): $(printf '%s' "$out" | tail -n 1); run 'make deps'"
	fi
}

# codespell_works: die unless checkpatch.pl --codespell finds codespell's
# dictionary where checkpatch.pl looks (/usr/share/codespell/dictionary.txt,
# else codespell_lib's data/dictionary.txt through Debian's python3, first in
# PATH as in checkpatch_pl); without it checkpatch only says "No codespell
# typos will be found" and passes.
codespell_works() {
	[ ! -f /usr/share/codespell/dictionary.txt ] || return 0
	PATH="/usr/bin:$PATH" python3 -c 'import codespell_lib, os.path as p, sys
sys.exit(not p.isfile(p.join(p.dirname(codespell_lib.__file__), "data", "dictionary.txt")))' 2>/dev/null ||
		die "codespell's dictionary is missing, so checkpatch.pl --codespell would find no typo: run 'make deps' (Debian package codespell)"
}

# checkpatch_ready: the checks checkpatch.pl would otherwise skip silently.
checkpatch_ready() {
	spdxcheck_works
	codespell_works
}

# Touched files of the series (paths relative to the tree).
series_files() { sgit diff --name-only "$BASE_COMMIT" series; }

# kernel_make ARCH SRCTREE OUTDIR ARGS...: the kernel's make, out of tree,
# with ccache and the cross compiler the arch needs.
kernel_make() {
	local arch=$1 src=$2 out=$3 karch cross
	shift 3
	karch=$(kernel_arch "$arch")
	cross=$(arch_cross "$arch") || die "kernel_make: unknown arch $arch"
	mkdir -p "$out"
	# paths below the checkout hashed relative: clones elsewhere share hits
	CCACHE_DIR=${CCACHE_DIR:-$CACHE_DIR/ccache} CCACHE_BASEDIR=$TOP CCACHE_NOHASHDIR=true \
		make -C "$src" O="$out" ARCH="$karch" CROSS_COMPILE="$cross" \
		CC="ccache ${cross}gcc" HOSTCC="ccache gcc" -j"$JOBS" "$@"
}

# The private apt config: the suites of configs/apt/suites from the mirror(s)
# of the system's own Debian apt sources, in CACHE_DIR/apt/sources.list (made
# by apt_private_update); state under CACHE_DIR/apt.  Used for the base
# package and sid's sparse, never touching the system's apt state.  The
# system's apt.conf (proxies) still applies.
APT_DIR=$CACHE_DIR/apt
APT_ETC=${APT_ETC:-/etc/apt}
APT_OPTS=(
	-o "Dir::Etc::SourceList=$APT_DIR/sources.list"
	-o "Dir::Etc::SourceParts=/dev/null"
	-o "Dir::State::Lists=$APT_DIR/lists"
	-o "Dir::Cache=$APT_DIR/cache"
	-o "Dir::State::status=/dev/null"
	-o "Debug::NoLocking=1"
)

# debian_mirrors: "URI KEYRING" of every enabled Debian archive entry (type
# deb, a Debian suite, not -security) of APT_ETC's sources.list, *.list and
# deb822 *.sources files; KEYRING is the entry's Signed-By file, or -.
debian_mirrors() {
	local f srcs=()
	[ -f "$APT_ETC/sources.list" ] && srcs+=("$APT_ETC/sources.list")
	for f in "$APT_ETC"/sources.list.d/*.list "$APT_ETC"/sources.list.d/*.sources; do
		[ -f "$f" ] && srcs+=("$f")
	done
	[ "${#srcs[@]}" -gt 0 ] || return 0
	awk '
		function debian(suite) {
			return suite ~ /^(buster|bullseye|bookworm|trixie|forky|duke|sid|unstable|testing|stable|oldstable|oldoldstable|experimental)(-updates|-backports|-proposed-updates)?$/
		}
		function emit(uri, key) { sub(/\/+$/, "", uri); if (!(uri in seen)) { seen[uri] = 1; print uri, key } }
		function flush_stanza(   n, i, u, m, j, s) {
			if (types ~ /(^| )deb( |$)/ && enabled !~ /^(no|false)$/) {
				n = split(suites, s, " ")
				for (j = 1; j <= n; j++) if (debian(s[j])) break
				if (j <= n) {
					m = split(uris, u, " ")
					for (i = 1; i <= m; i++) emit(u[i], key == "" ? "-" : key)
				}
			}
			types = uris = suites = key = enabled = ""
		}
		FNR == 1 { if (deb822) flush_stanza(); deb822 = (FILENAME ~ /\.sources$/) }
		/^[ \t]*#/ { next }
		deb822 && /^[ \t]*$/ { flush_stanza(); next }
		deb822 {
			k = tolower($1); $1 = ""; sub(/^[ \t]+/, "")
			if (k == "types:") types = $0
			else if (k == "uris:") uris = $0
			else if (k == "suites:") suites = $0
			else if (k == "enabled:") enabled = tolower($0)
			else if (k == "signed-by:" && $0 ~ /^\//) key = $0
			next
		}
		$1 == "deb" {
			i = 2; key = "-"
			if ($2 ~ /^\[/) {
				opts = ""
				for (; i <= NF; i++) { opts = opts " " $i; if ($i ~ /\]$/) { i++; break } }
				if (match(opts, /signed-by=[^] ]+/)) key = substr(opts, RSTART + 10, RLENGTH - 10)
			}
			if (debian($(i + 1)) && $(i + 1) !~ /-security$/) emit($i, key)
		}
		END { if (deb822) flush_stanza() }' "${srcs[@]}"
}

# apt_private_sources OUT: the private sources.list: each line of
# configs/apt/suites from each mirror (APT_MIRROR=URI instead, if set).
apt_private_sources() {
	local out=$1 mirrors uri key suite comps
	if [ -n "${APT_MIRROR:-}" ]; then
		mirrors="$APT_MIRROR -"
	else
		mirrors=$(debian_mirrors)
	fi
	[ -n "$mirrors" ] ||
		die "no Debian mirror in the system's apt sources ($APT_ETC/sources.list, $APT_ETC/sources.list.d/): add one, or set APT_MIRROR=<uri of a Debian mirror>"
	: >"$out"
	while read -r uri key; do
		[ "$key" != - ] || key=/usr/share/keyrings/debian-archive-keyring.gpg
		while read -r suite comps; do
			case "$suite" in '' | '#'*) continue ;; esac
			printf 'deb [signed-by=%s] %s %s %s\n' "$key" "$uri" "$suite" "$comps" >>"$out"
		done <"$CONFIG_DIR/apt/suites"
	done <<<"$mirrors"
}

# apt_private_update: refresh the private lists, at most once a day.
apt_private_update() {
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
	apt_private_sources "$APT_DIR/sources.list.new"
	if cmp -s "$APT_DIR/sources.list.new" "$APT_DIR/sources.list"; then
		rm -f "$APT_DIR/sources.list.new"
		[ -z "$(find "$APT_DIR/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null)" ] || return 0
	else
		# other mirrors or suites: the old lists say nothing about them
		mv "$APT_DIR/sources.list.new" "$APT_DIR/sources.list"
		find "$APT_DIR/lists" -maxdepth 1 -type f -delete
	fi
	log "updating the private apt lists ($APT_DIR/sources.list: $(awk '{ print $3, $4 }' "$APT_DIR/sources.list" | paste -sd, -))"
	apt-get "${APT_OPTS[@]}" -q update >"$APT_DIR/update.log" 2>&1 ||
		die_log "$APT_DIR/update.log" "apt-get update with the private config failed: see $APT_DIR/update.log"
}

# kunit_counts JSON: "tests passed failed skipped errors" of a kunit.py parse
# --json file (failed counts crashed tests too; no file: one error)
kunit_counts() {
	python3 - "$1" <<-'PY'
		import json, sys
		try:
		    m = json.load(open(sys.argv[1]))['misc']
		    print(m['tests'], m['passed'], m['failed'] + m['crashed'], m['skipped'], m['errors'])
		except (OSError, ValueError, KeyError):
		    print(0, 0, 0, 0, 1)
	PY
}

# kunit_um_verdict OUTDIR: why the kunit_um run in OUTDIR failed (it timed
# out, a splat, a failed or crashed test, a KTAP parse error, no test
# passed), or nothing if it passed; the first reason found, in that order
kunit_um_verdict() {
	local out=$1 passed failed errors
	read -r _ passed failed _ errors < <(kunit_counts "$out/kunit.json")
	if [ "$(cat "$out/qemu_exit")" -ne 0 ]; then
		echo "the ARCH=um kernel timed out"
	elif [ "$(cat "$out/splat_count")" -ne 0 ]; then
		echo "splat in the ARCH=um kernel log: $(head -n 3 "$out/splats.txt")"
	elif [ "$failed" -ne 0 ]; then
		echo "$failed KUnit test(s) failed or crashed on ARCH=um"
	elif [ "$errors" -ne 0 ]; then
		echo "kunit.py found $errors errors in the ARCH=um KTAP"
	elif [ "$passed" -eq 0 ]; then
		echo "no KUnit test passed on ARCH=um"
	fi
}

# kunit_um SRCTREE BUILDDIR OUTDIR [FILTER]: the tree's own
# tools/testing/kunit/kunit.py builds an ARCH=um kernel with
# configs/kunit/um.kunitconfig in BUILDDIR (ccache) and runs it (KUnit
# filter glob FILTER); OUTDIR gets what scripts/proof_table.py reads of a
# guest boot: kernel.log, kunit.json (kunit.py parse), qemu_exit (124 when
# the run timed out) and splat_count.  A build failure dies; failing tests
# do not (the caller reads kunit.json).
KUNIT_UM_TIMEOUT=${KUNIT_UM_TIMEOUT:-300}
kunit_um() {
	local src=$1 bdir=$2 out=$3 filter=${4:-} kpy rc=0
	local kconf=$CONFIG_DIR/kunit/um.kunitconfig
	kpy=$src/tools/testing/kunit/kunit.py
	[ -f "$kpy" ] || die "no tools/testing/kunit/kunit.py in $src"
	[ -f "$kconf" ] || die "no $kconf"
	mkdir -p "$out" "$bdir"
	# kunit.py runs make in the tree: ccache as for kernel_make
	export CCACHE_DIR=${CCACHE_DIR:-$CACHE_DIR/ccache} CCACHE_BASEDIR=$TOP CCACHE_NOHASHDIR=true
	run_logged "$out/build.log" python3 "$kpy" build --arch=um --build_dir="$bdir" \
		--kunitconfig="$kconf" --jobs="$JOBS" --make_options="CC=ccache gcc" ||
		die_log "$out/build.log" "kunit.py build (ARCH=um) failed in $src: $out/build.log"
	timeout "$((KUNIT_UM_TIMEOUT + 60))" python3 "$kpy" exec --arch=um --build_dir="$bdir" \
		--timeout="$KUNIT_UM_TIMEOUT" --raw_output=all ${filter:+"$filter"} >"$out/raw.log" 2>&1 || rc=$?
	# kunit.py exits 1 when a test fails: only a time-out counts here
	[ "$rc" -eq 124 ] || rc=0
	printf '%s\n' "$rc" >"$out/qemu_exit"
	tr -d '\r' <"$out/raw.log" >"$out/kernel.log"
	python3 "$kpy" parse --json="$out/kunit.json" "$out/kernel.log" >"$out/kunit.txt" 2>&1 || true
	scan_splats "$out/kernel.log" "$out/splats.txt" >"$out/splat_count"
}
