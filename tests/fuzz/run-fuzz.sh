#!/bin/sh
# run-fuzz.sh SECONDS [FUZZER] - run a built libFuzzer target for a bounded time.
#
# Builds nothing: configure with --enable-fuzzing CC=clang and `make` first.  The
# default target is the message model's (issue 3), found in $MW_BUILDDIR (or the
# current directory); its seed corpus is tests/fuzz/seeds-message.  New inputs go
# to a temporary corpus directory that is removed afterwards; crashes are written
# to $MW_FUZZ_ARTIFACTS (default: the current directory) and fail the run.
set -u
secs=${1:?usage: run-fuzz.sh SECONDS [FUZZER]}
here=$(cd "$(dirname "$0")" && pwd)
build=${MW_BUILDDIR:-.}
fuzzer=${2:-$build/tests/fuzz/fuzz_message}
case $(basename "$fuzzer") in
fuzz_message) seeds=$here/seeds-message ;;
*) seeds=$here/seeds-$(basename "$fuzzer" | sed 's/^fuzz_//') ;;
esac
artifacts=${MW_FUZZ_ARTIFACTS:-.}

if [ ! -x "$fuzzer" ]; then
	echo "run-fuzz: $fuzzer not built (./configure --enable-fuzzing CC=clang && make)" >&2
	exit 1
fi
if [ ! -d "$seeds" ]; then
	echo "run-fuzz: no seed corpus $seeds" >&2
	exit 1
fi
corpus=$(mktemp -d "${TMPDIR:-/tmp}/mw-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$corpus"' EXIT
trap 'exit 1' INT TERM
mkdir -p "$artifacts"
# -max_total_time bounds the run; -timeout flags a single input taking > 10 s;
# -rss_limit_mb catches unbounded allocation.
"$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus" "$seeds"
