# Rate limits as an attacker meets them: over time, with buckets of
# different lifetimes side by side in the zone (an expired bucket must be
# reused, never shadowed by a second one for the same key), and the
# directive's own defaults (burst=0 means 0).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb signed cookie bearer);
use AppVerify::Attack qw(send_pieces worker_crashes);
use Time::HiRes qw(time sleep);

no_shuffle();
no_long_string();
log_level('info');

our $http_config = $AppVerify::Test::HTTP_CONFIG;

our $limited = <<'_EOC_';
    appverify_pending_timeout 1s;
    appverify_client_limit rate=1r/s burst=1;
    appverify_prefix_limit digits=4 rate=1r/s burst=1;
    location = /token    { appverify_token zone=av rate=1r/s burst=1; }
    location = /slow     { appverify_token zone=av rate=1r/m burst=5; }
    location = /callback { appverify_callback zone=av; }
_EOC_

run_tests();

# Phone A asks for tokens in bursts of 20 (one every 20 ms), with pauses
# long enough for its own bucket to expire in between, after a token for
# a number in another range left a long-lived phone bucket (1r/m burst=5:
# six minutes) at the old end of the zone's queue, where it stops the
# reclaiming of expired buckets behind it.  Per burst 1r/s, burst=1 and
# the 1 s pending window allow at most 2; before the fix an expired bucket
# was shadowed by a new one for the same key, found again on the next
# request, and nearly every request got a token.
{
    my $log = -s "$ENV{TEST_NGINX_SERVROOT}/logs/error.log" // 0;
    my $get = sub {
        my ($uri) = @_;
        my $r = send_pieces(["GET $uri HTTP/1.0\r\nHost: localhost\r\n\r\n"]);
        return $r =~ m{^HTTP/1\.[01] (\d{3})} ? $1 : 'none';
    };

    is($get->("/slow?phone=15555550001&xid=lim-b"), 200, "a token for a number in another range");

    my ($i, @got) = (0);
    for my $burst (1 .. 3) {
        sleep 3.5;    # phone A's and the client's buckets expire; phone B's stays
        my $ok = 0;
        for (1 .. 20) {
            $ok++ if $get->("/token?phone=447981890001&xid=lim-a-" . $i++) eq '200';
            sleep 0.02;
        }
        push @got, $ok;
    }
    my $sum = 0;
    $sum += $_ for @got;
    cmp_ok($sum, '<=', 6, "phone A got @got tokens in three bursts of 20 at 1r/s burst=1");
    cmp_ok($sum, '>=', 3, "... one per burst at least: the limit still lets it through");

    my @dead = worker_crashes($log);
    is(scalar @dead, 0, "no worker died: @dead");
}

__DATA__

=== burst=0 without rate= is no burst (the default rate, 6r/m, alone)
--- http_config eval: $::http_config
--- config
    location = /token    { appverify_token zone=av burst=0; }
    location = /callback { appverify_callback zone=av; }
--- request eval
[ "GET /token?phone=15555551234&xid=lim-0a",
  "POST /callback\n" . main::cb(xid => "lim-0a"),
  "GET /token?phone=15555551234&xid=lim-0b" ]
--- more_headers eval
[ "", main::signed(main::cb(xid => "lim-0a")), "" ]
--- error_code eval
[200, 200, 429]
--- response_body_like eval
[ '^eyJ', '"state":"verified"', '"error":"rate_limited"' ]



=== no burst= at all keeps the documented default, burst=3
--- http_config eval: $::http_config
--- config
    location = /token    { appverify_token zone=av; }
    location = /callback { appverify_callback zone=av; }
--- request eval
[ "GET /token?phone=15555551234&xid=lim-1a", "POST /callback\n" . main::cb(xid => "lim-1a"),
  "GET /token?phone=15555551234&xid=lim-1b", "POST /callback\n" . main::cb(xid => "lim-1b"),
  "GET /token?phone=15555551234&xid=lim-1c", "POST /callback\n" . main::cb(xid => "lim-1c"),
  "GET /token?phone=15555551234&xid=lim-1d", "POST /callback\n" . main::cb(xid => "lim-1d"),
  "GET /token?phone=15555551234&xid=lim-1e" ]
--- more_headers eval
[ "", main::signed(main::cb(xid => "lim-1a")), "", main::signed(main::cb(xid => "lim-1b")),
  "", main::signed(main::cb(xid => "lim-1c")), "", main::signed(main::cb(xid => "lim-1d")), "" ]
--- error_code eval
[200, 200, 200, 200, 200, 200, 200, 200, 429]



=== rate= without burst= bursts as limit_req does: not at all
--- http_config eval: $::http_config
--- config
    location = /token    { appverify_token zone=av rate=6r/m; }
    location = /callback { appverify_callback zone=av; }
--- request eval
[ "GET /token?phone=15555551234&xid=lim-2a", "POST /callback\n" . main::cb(xid => "lim-2a"),
  "GET /token?phone=15555551234&xid=lim-2b" ]
--- more_headers eval
[ "", main::signed(main::cb(xid => "lim-2a")), "" ]
--- error_code eval
[200, 200, 429]



=== the last block: the config the timed run after run_tests() runs against
--- http_config eval: $::http_config
--- config eval: $::limited
--- request
GET /token?phone=15555559999&xid=lim-warm
--- error_code: 200
