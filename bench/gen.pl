#!/usr/bin/perl
# bench/gen.pl: signed callbacks and session credentials for the benchmark,
# made with t/lib/AppVerify/Test.pm (independent of the C core).
#
#   gen.pl body XID [PHONE]            a callback body (~400 bytes), on stdout
#   gen.pl sig FILE                    the TSA signature of FILE's bytes
#   gen.pl cred XID                    a session credential for XID
#   gen.pl callbacks OUT PREFIX FROM N data for lua/callback.lua: the body
#                                      before and after the xid, then
#                                      "xid<TAB>signature" for N xids
#                                      PREFIX-<FROM> .. PREFIX-<FROM+N-1>
#   gen.pl creds OUT PREFIX N K [SEED] K credentials for xids drawn
#                                      uniformly from PREFIX-0 .. PREFIX-<N-1>

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../t/lib";
use AppVerify::Test;

my $PHONE = '15555551234';

# Telesign's callback (telesign-protocol.md section 3) with the optional
# fields it may carry, about 400 bytes with a 36-character xid.
sub body {
    my ($xid, $phone) = @_;
    $phone //= $PHONE;
    return qq({"status":{"code":1800,"description":"Success","updated_on":"2026-11-21T10:00:00.000000Z"},)
         . qq("submit_timestamp":"2026-11-21T09:59:59.000000Z","errors":[],"sub_resource":"sdk",)
         . qq("mobile_verification":{"phone_number":"$phone","xid":"$xid"},)
         . qq("verify":{"code_state":"VALID","code_entered":""},)
         . qq("additional_info":{"caller_id":"15555550000"},)
         . qq("reference_id":"B149634764BC0144C833G7280C4403B8"});
}

# xids look like the module's own (36 characters, UUID-shaped)
sub xid { my ($prefix, $i) = @_; return sprintf(q(%s-%0*d), $prefix, 35 - length($prefix), $i) }

my $cmd = shift // '';

if ($cmd eq 'body') {
    print body(@ARGV);

} elsif ($cmd eq 'sig') {
    local $/;
    open my $fh, '<', $ARGV[0] or die "$ARGV[0]: $!\n";
    print AppVerify::Test::signature(scalar <$fh>);

} elsif ($cmd eq 'cred') {
    print AppVerify::Test::credential($ARGV[0], time() + 86400);

} elsif ($cmd eq 'callbacks') {
    my ($out, $prefix, $from, $n) = @ARGV;
    my ($before, $after) = split /\x00/, body("\x00");
    open my $fh, '>', $out or die "$out: $!\n";
    print $fh "$before\n$after\n";
    for my $i ($from .. $from + $n - 1) {
        my $x = xid($prefix, $i);
        print $fh "$x\t", AppVerify::Test::signature($before . $x . $after), "\n";
    }
    close $fh or die "$out: $!\n";

} elsif ($cmd eq 'creds') {
    my ($out, $prefix, $n, $k, $seed) = @ARGV;
    srand($seed // 1996);
    my $exp = time() + 86400;
    open my $fh, '>', $out or die "$out: $!\n";
    for (1 .. $k) {
        print $fh AppVerify::Test::credential(xid($prefix, int(rand($n))), $exp), "\n";
    }
    close $fh or die "$out: $!\n";

} else {
    die "usage: see the head of $0\n";
}
