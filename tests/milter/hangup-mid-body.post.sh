# No spool file of the dropped messages may stay open (they are unlinked already,
# so an open descriptor is the only trace a leak would leave).
wait_until 10 sh -c "! ls -l /proc/$MW_PID/fd 2>/dev/null | grep -q '/msg\.'" ||
    fail "spool file still open after the MTA hung up: $(ls -l /proc/$MW_PID/fd | grep /msg.)"
