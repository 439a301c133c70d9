#!/usr/bin/perl
# sa_relays.pl - SpamAssassin's own Received-chain analysis, as an oracle for
# mailwarden's (src/relays.c).  For each message file named on the command line
# (or one per line on stdin), prints one line:
#   FILE <TAB> Trusted <TAB> Untrusted <TAB> Internal <TAB> External
# the X-Spam-Relays-* pseudo-headers SpamAssassin builds, with its default
# configuration and Debian's rule files (which set originating_ip_headers; no
# trusted_networks: trust is inferred).  Only the metadata is extracted; no rule runs.  Needs Debian's spamassassin package.
use strict;
use warnings;
use Mail::SpamAssassin;

# SA_RELAYS_CF=FILE: extra configuration (trusted_networks...), as a rule file would give.
my $extra = '';
if ($ENV{SA_RELAYS_CF}) {
    open(my $cf, '<', $ENV{SA_RELAYS_CF}) or die "$ENV{SA_RELAYS_CF}: $!\n";
    local $/;
    $extra = <$cf>;
    close $cf;
}
my $sa = Mail::SpamAssassin->new({
    local_tests_only => 1,
    dont_copy_prefs  => 1,
    userprefs_filename => '/dev/null',
    post_config_text => $extra,
});
$sa->init(0);

my @files = @ARGV ? @ARGV : map { chomp; $_ } <STDIN>;
for my $f (@files) {
    open(my $fh, '<', $f) or do { warn "$f: $!\n"; next; };
    my @lines = <$fh>;
    close $fh;
    shift @lines if @lines && $lines[0] =~ /^From /;	# mbox separator
    my $msg = $sa->parse(\@lines);
    my $pms = Mail::SpamAssassin::PerMsgStatus->new($sa, $msg);
    $pms->extract_message_metadata();
    my @v = map { my $x = $msg->get_metadata("X-Spam-Relays-$_"); defined $x ? $x : '' }
        qw(Trusted Untrusted Internal External);
    print join("\t", $f, @v), "\n";
    $pms->finish();
    $msg->finish();
}
