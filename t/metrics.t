# appverify_metrics: the zones' counters in Prometheus's text format,
# parsed by prometheus_client's own parser (t/lib/promparse.py): every
# event counted once, in the zone it happened in, and nothing else.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb signed cookie bearer);
use IPC::Open2 ();
use AppVerify::Sim;

no_shuffle();
no_long_string();
log_level('info');

AppVerify::Sim::start();

our $http_config = $AppVerify::Test::HTTP_CONFIG . <<'_EOC_';
    appverify_zone          zone=other:1m;
    appverify_countries     44 1;
_EOC_

our $locations = <<'_EOC_';
    location = /token    { appverify_token zone=av; }
    location = /token-other { appverify_token zone=other; }
    location = /callback { appverify_callback zone=av; }
    location = /metrics  { appverify_metrics; }
    location /account/   { appverify_require zone=av; alias html/; }
    location = /lk/status { appverify_status zone=av lookup=/_telesign; }
_EOC_
$locations .= AppVerify::Test::telesign_locations('1s');

# the scrape through the real parser: "families N" and the non-zero samples
# of the families named; other answers filter to ""
sub parsed {
    my @names = @_;
    return sub {
        my ($body) = @_;
        return "" unless $body =~ /^# HELP /;
        my $pid = IPC::Open2::open2(my $out, my $in, "$ENV{TEST_NGINX_ROOT}/t/lib/promparse.py", @names);
        print $in $body;
        close $in;
        my $text = do { local $/; <$out> };
        waitpid($pid, 0);
        return $text;
    };
}

$ENV{TEST_NGINX_ROOT} //= Cwd::getcwd();

run_tests();

__DATA__

=== a token, a duplicate, a refused country, a callback and the gate, counted where they happened
--- http_config eval: $::http_config
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "GET /token?phone=15555551234&xid=mx-1",
  "GET /token?phone=15555551234&xid=mx-1",
  "GET /token?phone=4930123456&xid=mx-de",
  "GET /token-other?phone=447700900123&xid=mx-2",
  "POST /callback\n" . main::cb(xid => "mx-1"),
  "GET /account/index.html",
  "GET /account/index.html",
  "GET /metrics" ]
--- more_headers eval
[ "", "", "", "", main::signed(main::cb(xid => "mx-1")), main::cookie("mx-1"), "", "" ]
--- error_code eval
[200, 409, 403, 200, 200, 200, 401, 200]
--- response_headers eval
[ "", "", "", "", "", "", "", "Content-Type: text/plain; version=0.0.4; charset=utf-8\nCache-Control: no-store" ]
--- response_body_filters eval
main::parsed(qw(appverify_requests_total appverify_verifications appverify_refused_total appverify_records))
--- response_body eval
[ ("") x 7, <<'_EOT_' ]
families 9
appverify_records{state=pending,zone=other} 1
appverify_records{state=verified,zone=av} 1
appverify_refused_total{guard=country,zone=av} 1
appverify_requests_total{endpoint=callback,reason=ok,zone=av} 1
appverify_requests_total{endpoint=gate,reason=no_credential,zone=av} 1
appverify_requests_total{endpoint=gate,reason=ok,zone=av} 1
appverify_requests_total{endpoint=token,reason=country_not_allowed,zone=av} 1
appverify_requests_total{endpoint=token,reason=duplicate_request,zone=av} 1
appverify_requests_total{endpoint=token,reason=ok,zone=av} 1
appverify_requests_total{endpoint=token,reason=ok,zone=other} 1
appverify_verifications_started_total{flow=sdk,zone=av} 1
appverify_verifications_started_total{flow=sdk,zone=other} 1
appverify_verifications_total{flow=sdk,state=verified,zone=av} 1
_EOT_



=== the zone's bytes: used and free add up to its size; only GET and HEAD
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "GET /metrics", "HEAD /metrics", "POST /metrics\nx=1" ]
--- error_code eval
[200, 200, 405]
--- response_body_filters eval
sub { my ($b) = @_; return "" unless $b =~ /^# HELP /; my %z; $z{"$1 $2"} = $3 while $b =~ /^appverify_zone_bytes\{zone="(\w+)",kind="(\w+)"\} (\d+)$/mg;
      join '', map { "$_ " . ($z{"$_ used"} + $z{"$_ free"}) . ($z{"$_ used"} > 0 ? " used\n" : " empty\n") } sort qw(av other) }
--- response_body eval
[ "av 1048576 used\nother 1048576 used\n", "", "" ]



=== Get Status asked of Telesign: counted by operation and result, with its time in the histogram
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "GET /token?phone=15555551234&xid=mx-lk",
  qq(POST /sim/status\n{"xid":"mx-lk","code":1800,"phone":"15555551234"}),
  "GET /lk/status",
  "GET /metrics" ]
--- more_headers eval
[ "", "", main::cookie("mx-lk"), "" ]
--- error_code eval
[200, 200, 200, 200]
--- response_body_filters eval
main::parsed(qw(appverify_telesign appverify_verifications_total))
--- response_body_like eval
[ "", "", "", qr/^families 9
appverify_telesign_duration_seconds_bucket\{le=\+Inf,operation=get_status,zone=av\} 1
(?:appverify_telesign_duration_seconds_bucket\{le=[0-9.]+,operation=get_status,zone=av\} 1
)+appverify_telesign_duration_seconds_count\{operation=get_status,zone=av\} 1
(?:appverify_telesign_duration_seconds_sum\{operation=get_status,zone=av\} [0-9.e-]+
)?appverify_telesign_requests_total\{operation=get_status,result=answered,zone=av\} 1
appverify_verifications_total\{flow=sdk,state=verified,zone=av\} 1
\z/ ]



=== a zone that fills up and evicts: the records by state follow the evictions (no wrap below zero)
--- http_config eval: $::http_config . "    appverify_zone zone=tiny:64k;\n"
--- config eval: $::locations . "    location = /token-tiny { appverify_token zone=tiny; }\n"
--- request eval
[ (map { sprintf("GET /token-tiny?phone=1555%07d&xid=ev-%d", $_, $_) } 1 .. 300), "GET /metrics" ]
--- response_body_filters eval
sub { my ($b) = @_; return "" unless $b =~ /^# HELP /;
      my $sum = 0; my $max = 0;
      while ($b =~ /^appverify_records\{zone="tiny",state="\w+"\} (\d+)$/mg) { $sum += $1; $max = $1 if $1 > $max }
      my ($free) = $b =~ /^appverify_zone_bytes\{zone="tiny",kind="free"\} (\d+)$/m;
      ($sum >= 1 && $sum <= 300 && $free < 4096 ? "held, evicted, no wrap\n" : "held $sum, free $free\n") }
--- response_body eval
[ ("") x 300, "held, evicted, no wrap\n" ]
