#!/bin/sh
# quickstart.sh - the README's first command: install what is needed, build, and run
# mailwarden in the foreground on its embedded defaults (milter on
# inet:8899@127.0.0.1, log lines on stderr).  Run as root on Debian 12.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh" "$top/build/plain"
echo "quickstart: starting mailwarden in the foreground (Ctrl-C stops it)"
conf=/etc/mailwarden/mailwarden.conf
[ -e "$conf" ] && echo "quickstart: note: $conf exists and will be used"
exec "$top/build/plain/mailwarden" -f
