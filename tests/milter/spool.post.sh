# The spool directory is empty while the daemon runs (the runner checks that it is
# removed when the daemon stops).
spooldir=$(ls -d "$MW_SPOOL_PARENT"/mailwarden.*)
assert_eq 700 "$(stat -c %a "$spooldir")" "spool directory mode"
assert_eq "" "$(ls -A "$spooldir")" "spool directory contents"
