#!/bin/sh
# build.sh BUILDDIR [configure args...] - out-of-tree build (the source tree stays clean).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:?usage: build.sh BUILDDIR [configure args]}
shift
mkdir -p "$dir"
if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ] ||
   [ "$top/Makefile.am" -nt "$top/Makefile.in" ]; then
	(cd "$top" && autoreconf -fi)
fi
cd "$dir"
if [ ! -f Makefile ] || [ "$top/configure" -nt config.status ]; then
	"$top/configure" -q "$@"
fi
make -j"$(nproc)"
