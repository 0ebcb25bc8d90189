# Hash flooding: a client chooses its xid, so it can choose thousands that
# share a crc32.  Records are found through a hash keyed with a secret of
# the zone's own, so those xids do not share a chain, and a session among
# them is gated as fast as any other.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb signed cookie bearer);
use AppVerify::Attack qw(pipelined worker_crashes);
use Compress::Zlib ();
use Time::HiRes qw(time);

no_shuffle();
no_long_string();
log_level('info');

our $http_config = $AppVerify::Test::HTTP_CONFIG . <<'_EOC_';
    appverify_zone zone=flood:16m;
_EOC_

our $locations = <<'_EOC_';
    location = /callback { appverify_callback zone=flood signature=off; }
    location /account/   { appverify_require zone=flood; alias html/; }
_EOC_

# $n distinct xids of 48 letters with one crc32.  CRC-32 is affine over
# GF(2): with each letter 'a' or 'c' (they differ in bit 1), the crc of
# the string is c0 ^ M.x for the choice vector x, so every x in the kernel
# of M (48 unknowns, 32 equations) gives the same crc.
sub colliding_xids {
    my ($n) = @_;
    my $len = 48;
    my $base = 'a' x $len;
    my $c0 = Compress::Zlib::crc32($base);
    my @col = map {
        my $s = $base;
        substr($s, $_, 1) = 'c';
        Compress::Zlib::crc32($s) ^ $c0;
    } 0 .. $len - 1;

    # reduce the columns to find the free variables and a basis of the kernel
    my (@pivot_col, @rows);          # rows: [bits, combination mask]
    my @basis;
    for my $j (0 .. $len - 1) {
        my ($v, $m) = ($col[$j], 1 << $j);
        for my $r (@rows) {
            ($v, $m) = ($v ^ $r->[0], $m ^ $r->[1]) if $v & $r->[2];
        }
        if ($v) {
            my $top = 1;
            $top <<= 1 while ($top << 1) <= $v;
            push @rows, [$v, $m, $top];
        } else {
            push @basis, $m;         # a combination of columns that is 0
        }
    }
    my @out;
    for my $k (1 .. $n) {
        my $mask = 0;
        for my $b (0 .. $#basis) { $mask ^= $basis[$b] if ($k >> $b) & 1 }
        my $s = $base;
        for my $j (0 .. $len - 1) { substr($s, $j, 1) = 'c' if ($mask >> $j) & 1 }
        push @out, $s;
    }
    return @out;
}

sub callback_req {
    my ($xid) = @_;
    my $body = main::cb(xid => $xid);
    return "POST /callback HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n"
         . "Content-Type: application/json\r\nContent-Length: " . length($body) . "\r\n\r\n$body";
}

sub gate_req {
    my ($xid) = @_;
    return "GET /account/index.html HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n"
         . "Cookie: appverify=" . AppVerify::Test::credential($xid) . "\r\n\r\n";
}

run_tests();

{
    my $log = -s "$ENV{TEST_NGINX_SERVROOT}/logs/error.log" // 0;
    my @xids = colliding_xids(30000);
    my %crc = map { Compress::Zlib::crc32($_) => 1 } @xids;
    my %uniq = map { $_ => 1 } @xids;
    is(scalar(keys %crc), 1, "30000 xids share one crc32");
    is(scalar(keys %uniq), 30000, "... and are all different");

    my $stored = pipelined(48, map { callback_req($_) } @xids);
    my $n = () = $stored =~ /"state":"verified"/g;
    is($n, 30000, "all 30000 stored as verified");

    pipelined(1, callback_req("flood-normal"));

    # the first xid stored is at the far end of a chain they would share
    my ($deep, $normal) = ($xids[0], "flood-normal");
    my ($t_deep, $t_normal) = (0, 0);
    for my $round (1 .. 5) {
        my $t = time;
        my $r = pipelined(1, map { gate_req($deep) } 1 .. 200);
        $t_deep += time - $t;
        is(scalar(() = $r =~ m{^HTTP/1\.1 200}mg), 200, "round $round: the session among them passes");
        $t = time;
        pipelined(1, map { gate_req($normal) } 1 .. 200);
        $t_normal += time - $t;
    }
    my $ratio = $t_normal > 0 ? $t_deep / $t_normal : 0;
    cmp_ok($ratio, '<', 3, sprintf("gating it takes %.2fx a normal session's time (%.3f s vs %.3f s for 1000)",
                                   $ratio, $t_deep, $t_normal));

    my @dead = worker_crashes($log);
    is(scalar @dead, 0, "no worker died: @dead");
}

__DATA__

=== the last block: the config the flood after run_tests() runs against
--- http_config eval: $::http_config
--- config eval: $::locations
--- user_files
>>> index.html
ok
--- request eval
"POST /callback\n" . main::cb(xid => "flood-warm")
--- error_code: 200
