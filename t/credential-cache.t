# The worker's cache of checked credentials (av_cred_cache_t), attacked:
# it skips the HMAC of a credential it has seen, so what it must never do
# is let through one it has not.  Credentials forged into the slot of a
# verified session's (the slot is chosen by the MAC's first characters,
# which an attacker copies), thousands of other valid ones churning the
# slots, parallel requests of one session through two workers, and a
# credential that expires while it sits in the cache.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb);
use AppVerify::Attack qw(pipelined worker_crashes);

no_shuffle();
no_long_string();
log_level('info');
workers(2);
master_on();

our $http_config = $AppVerify::Test::HTTP_CONFIG . <<'_EOC_';
    appverify_zone zone=cc:16m;
_EOC_

our $locations = <<'_EOC_';
    location = /callback { appverify_callback zone=cc signature=off; }
    location /account/   { appverify_require zone=cc; alias html/; }
_EOC_

sub gate_req {
    my ($cred) = @_;
    return "GET /account/index.html HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n"
         . "Cookie: appverify=$cred\r\n\r\n";
}

sub callback {
    my ($xid) = @_;
    my $body = main::cb(xid => $xid);
    return pipelined(1, "POST /callback HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n"
        . "Content-Type: application/json\r\nContent-Length: " . length($body) . "\r\n\r\n$body");
}

# each answer's status and error code ("401 bad_credential", "200"), in order
sub answers {
    my ($raw) = @_;
    my @a;
    while ($raw =~ m{\GHTTP/1\.1 (\d+)[^\r]*\r\n(.*?)\r\n\r\n}sg) {
        my ($status, $head) = ($1, $2);
        my ($len) = $head =~ /^Content-Length: (\d+)/mi;
        my $body = substr($raw, pos($raw), $len // 0);
        pos($raw) = pos($raw) + ($len // 0);
        my ($err) = $body =~ /"error":"([a-z_]+)"/;
        push @a, $status . ($err ? " $err" : "");
    }
    return @a;
}

# the same credential with its MAC changed past the first four characters
# (so it lands in the same slot), every one a forgery
sub forgeries {
    my ($cred, $n) = @_;
    my @abc = ('A' .. 'Z', 'a' .. 'z', '0' .. '9', '-', '_');
    my $mac_at = length($cred) - 22;
    my @out;
    for my $i (1 .. $n) {
        my $f = $cred;
        my $pos = $mac_at + 4 + ($i % 18);
        my $c = $abc[$i % 64];
        $c = $abc[($i + 1) % 64] if $c eq substr($f, $pos, 1);
        substr($f, $pos, 1) = $c;
        push @out, $f;
    }
    return @out;
}

run_tests();

{
    my $log = -s "$ENV{TEST_NGINX_SERVROOT}/logs/error.log" // 0;

    callback("cc-verified");
    my $good = AppVerify::Test::credential("cc-verified");

    # the session's credential first (each worker keeps it after its first
    # request), then forgeries in its slot interleaved with it
    my @warm = answers(pipelined(4, map { gate_req($good) } 1 .. 40));
    is(scalar(grep { $_ eq '200' } @warm), 40, "the verified session passes, 40 times over 4 connections");

    my @forged = forgeries($good, 600);
    my @reqs = map { (gate_req($forged[$_]), gate_req($good)) } 0 .. $#forged;
    my @a = answers(pipelined(6, @reqs));
    is(scalar(@a), 1200, "1200 answers");
    is(scalar(grep { $_ eq '401 bad_credential' } @a[grep { $_ % 2 == 0 } 0 .. $#a]), 600,
       "600 forgeries in the session's slot: every one 401 bad_credential");
    is(scalar(grep { $_ eq '200' } @a[grep { $_ % 2 == 1 } 0 .. $#a]), 600,
       "... and the session between them passes every time");

    # its xid and exp with another MAC, the MAC with another xid: refused
    my ($xid, $exp, $mac) = $good =~ /^(.*)\.(\d+)\.([^.]+)$/;
    my @mixed = answers(pipelined(1, gate_req($good), gate_req("cc-other.$exp.$mac"),
                                     gate_req("$xid." . ($exp + 1) . ".$mac")));
    is_deeply(\@mixed, ['200', '401 bad_credential', '401 bad_credential'],
              "the kept MAC with another xid or exp: bad_credential");

    # volume: 4000 valid credentials of other xids (never verified) churn
    # every slot; the session passes, and an expired one stays expired
    my @churn = map { AppVerify::Test::credential("cc-churn-$_") } 1 .. 4000;
    @reqs = map { (gate_req($churn[$_]), ($_ % 10 == 0 ? gate_req($good) : ())) } 0 .. $#churn;
    @a = answers(pipelined(8, @reqs));
    my %seen;
    $seen{$_}++ for @a;
    is($seen{'200'} // 0, 400, "400 passes of the session among 4000 other credentials");
    is(($seen{'200'} // 0) + ($seen{'401 unknown_session'} // 0), 4400,
       "the others are refused as unverified, none as a bad credential: " . join(', ', map { "$_ x$seen{$_}" } sort keys %seen));

    # a credential that expires while its worker keeps it
    callback("cc-short");
    my $short = AppVerify::Test::credential("cc-short", time() + 2);
    @a = answers(pipelined(2, map { gate_req($short) } 1 .. 10));
    is(scalar(grep { $_ eq '200' } @a), 10, "a credential with 2 s to live passes");
    sleep 3;
    @a = answers(pipelined(2, map { gate_req($short) } 1 .. 10));
    is(scalar(grep { $_ eq '401 expired_credential' } @a), 10,
       "3 s later the same bytes are refused as expired, though both workers kept them");

    my @dead = worker_crashes($log);
    is(scalar @dead, 0, "no worker died: @dead");
}

__DATA__

=== the last block: the config the attacks after run_tests() run against
--- http_config eval: $::http_config
--- config eval: $::locations
--- user_files
>>> index.html
ok
--- request eval
"POST /callback\n" . main::cb(xid => "cc-warm")
--- error_code: 200
