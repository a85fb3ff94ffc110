#!/usr/bin/env bash
# deps.sh - install every tool the pipeline needs.
#
# Bookworm packages from configs/deps.list with apt-get (only the missing ones;
# needs root or sudo; never removes a package: when apt would, for a
# conflict, it stops first and names both packages), and sid's sparse: bookworm's sparse 0.6.4 is too old for
# 7.3 (its scripts/checker-valid.sh wants __typeof_unqual__, and Kbuild would
# then silently skip sparse).  sid's sparse and sid's libc6 are downloaded with
# the private apt config (configs/apt/suites, lib.sh) and unpacked under
# CACHE_DIR/tools/sparse; scripts/sparse runs it through sid's own loader, so
# the system's libc is not touched.
#
# Environment: CACHE_DIR; DEPS_LIST (default configs/deps.list); APT_ETC (default /etc/apt): the system's apt
# configuration, whose mirrors the private sources use (lib.sh)

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"

stage deps
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || die "not root and no sudo: install $CONFIG_DIR/deps.list by hand"
	SUDO=(sudo)
fi

mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "${DEPS_LIST:-$CONFIG_DIR/deps.list}")
missing=()
for p in "${wanted[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	log "installing ${#missing[@]} packages: ${missing[*]}"
	run_logged "$CACHE_DIR/logs/apt-update.log" "${SUDO[@]}" apt-get -q update ||
		die "apt-get update failed"
	# Never remove a package of the machine's: apt would, silently, for a
	# conflict (bookworm: gcc-aarch64-linux-gnu vs gcc-multilib).  Ask apt
	# first (a simulation), and install with --no-remove.
	sim=$(apt-get -s -q --no-install-recommends install "${missing[@]}" 2>&1) ||
		die "apt-get cannot install ${missing[*]}: $(printf '%s\n' "$sim" | grep -E '^E:' | head -n 3)"
	mapfile -t removed < <(printf '%s\n' "$sim" | sed -n 's/^Remv \([^ ]*\).*/\1/p')
	if [ "${#removed[@]}" -gt 0 ]; then
		why=()
		for r in "${removed[@]}"; do
			by=''
			for p in "${missing[@]}"; do
				apt-get -s -q --no-install-recommends install "$p" 2>/dev/null | grep -q "^Remv $r " &&
					by+="${by:+, }$p"
			done
			why+=("$r (removed by installing ${by:-the set as a whole})")
		done
		die "installing the pipeline's packages would remove ${why[*]}; nothing was installed or removed.
  Way out: remove it yourself if you can do without it (apt-get remove ${removed[*]}), or run the
  pipeline on another machine or container.  On Debian bookworm gcc-multilib and gcc-aarch64-linux-gnu
  cannot be installed together; the arm64 kernels, static checks and proofs need the latter (README: Toolchains)."
	fi
	run_logged "$CACHE_DIR/logs/apt-install.log" "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get -q -y --no-remove --no-install-recommends install "${missing[@]}" ||
		die "apt-get install failed: see $CACHE_DIR/logs/apt-install.log"
else
	log "all ${#wanted[@]} Debian packages present"
fi

# sid's sparse, private
sp=$CACHE_DIR/tools/sparse
if ! "$TOP/scripts/sparse" --version >/dev/null 2>&1; then
	rm -rf "$sp.tmp"
	mkdir -p "$sp.tmp"
	apt_private_update
	log "fetching sid's sparse and libc6 into $sp"
	(cd "$sp.tmp" && apt-get "${APT_OPTS[@]}" -q download sparse libc6 >download.log 2>&1) ||
		die "apt-get download sparse libc6 (sid) failed: $sp.tmp/download.log"
	for deb in "$sp.tmp"/*.deb; do
		dpkg-deb -x "$deb" "$sp.tmp/root"
		echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)" >>"$sp.tmp/VERSIONS"
	done
	rm -rf "$sp"
	mv "$sp.tmp" "$sp"
	"$TOP/scripts/sparse" --version >/dev/null || die "the private sparse in $sp does not run"
fi
log "sparse: $("$TOP/scripts/sparse" --version) ($(paste -sd, "$sp/VERSIONS"))"
