# Get Status lookups: a record pending or absent here is asked about, with
# the simulator playing Telesign (it checks every request's signature).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb signed cookie bearer);
use AppVerify::Sim;

no_shuffle();
no_long_string();
log_level('info');

AppVerify::Sim::start();

our $http_config = $AppVerify::Test::HTTP_CONFIG;

our $locations = <<'_EOC_';
    location = /token    { appverify_token zone=av; }
    location = /status   { appverify_status zone=av lookup=/_telesign; }
    location /account/   { appverify_require zone=av lookup=/_telesign; alias html/; }
_EOC_
$locations .= AppVerify::Test::telesign_locations('1s');

sub set_status {
    my ($xid, $code) = @_;
    return qq(POST /sim/status\n{"xid":"$xid","code":$code,"phone":"15555551234"});
}

# exactly $n Get Status requests for $xid reached the simulator
sub asked { my ($xid, $n) = @_; return '^(?:(?!status/' . $xid . '").)*' . ('status/' . $xid . '"(?:(?!status/' . $xid . '").)*') x $n . '$' }

run_tests();

# N clients at once ask the gate and the status endpoint about one pending
# xid while Telesign is slow: the zone's in-flight mark lets one of them
# ask, the others answer from the stored state.
{
    use IO::Socket::INET;
    use POSIX ();

    my $n = 20;
    my $port = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
    my $cookie = AppVerify::Test::credential("lk-many");
    my @socks;
    for my $i (1 .. $n) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port)
            or die "connect: $!";
        my $uri = $i % 2 ? '/status' : '/account/index.html';
        print $s "GET $uri HTTP/1.1\r\nHost: localhost\r\nCookie: appverify=$cookie\r\nConnection: close\r\n\r\n";
        push @socks, $s;
    }
    my %codes;
    for my $s (@socks) {
        local $/;
        my $r = <$s> // '';
        my ($code) = $r =~ m{^HTTP/1\.1 (\d+)};
        $codes{$code // 'none'}++;
    }

    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ENV{TEST_NGINX_SIM_PORT})
        or die "connect: $!";
    print $s "GET /_sim/requests HTTP/1.0\r\n\r\n";
    my $body = do { local $/; <$s> };
    my $calls = () = $body =~ m{"path":"/v1/mobile/verification/status/lk-many"}g;

    is($calls, 1, "$n concurrent requests for one pending xid cause one Get Status call");
    is(($codes{200} // 0) + ($codes{401} // 0), $n,
       "all $n answered from the stored state (200 status, 401 pending): "
       . join(", ", map { "$_ x$codes{$_}" } sort keys %codes));
}

__DATA__

=== a session this node never saw is filled in from Telesign, and the gate passes
--- http_config eval: $::http_config
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "POST /sim/reset\n", main::set_status("lk-1", 1800), "GET /account/index.html", "GET /status", "GET /sim/requests" ]
--- more_headers eval
[ "", "", main::cookie("lk-1"), main::cookie("lk-1"), "" ]
--- error_code eval
[200, 200, 200, 200, 200]
--- response_body_like eval
[ '"reset":true', '"xid":"lk-1"', '^members only$',
  '^\{"xid":"lk-1","phone":"15555551234","verified":true,"state":"verified","status":\{"code":1800,"description":"Success"\}\}$',
  main::asked("lk-1", 1) ]



=== a pending answer is not asked again within appverify_lookup_interval
--- http_config eval: $::http_config
--- config eval: "    appverify_lookup_interval 30s;\n" . $::locations
--- request eval
[ "POST /sim/reset\n", "GET /token?phone=15555551234&xid=lk-2", main::set_status("lk-2", 1890),
  "GET /account/index.html", "GET /account/index.html", "GET /status", "GET /sim/requests" ]
--- more_headers eval
[ "", "", "", main::cookie("lk-2"), main::cookie("lk-2"), main::cookie("lk-2"), "" ]
--- error_code eval
[200, 200, 200, 401, 401, 200, 200]
--- response_body_like eval
[ '"reset":true', '^eyJ', '"xid":"lk-2"', '"error":"pending"', '"error":"pending"',
  '"verified":false,"state":"pending"', main::asked("lk-2", 1) ]



=== Telesign not knowing the xid is 401 unknown_session, not an error
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "POST /sim/reset\n", "GET /account/index.html", "GET /status" ]
--- more_headers eval
[ "", main::cookie("lk-nobody"), main::cookie("lk-nobody") ]
--- error_code eval
[200, 401, 401]
--- response_body_like eval
[ '"reset":true', '"error":"unknown_session"', '"error":"unknown_session"' ]



=== every way Telesign can fail is 503, changes nothing, and the gate recovers when it is back
--- http_config eval: $::http_config
--- config eval: "    appverify_lookup_interval 0;\n" . $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "POST /sim/reset\n", "GET /token?phone=15555551234&xid=lk-3", main::set_status("lk-3", 1800),
  "POST /sim/mode\n{\"mode\":\"error500\"}", "GET /account/index.html", "GET /status",
  "POST /sim/mode\n{\"mode\":\"error503\"}", "GET /account/index.html",
  "POST /sim/mode\n{\"mode\":\"garbage\"}", "GET /account/index.html",
  "POST /sim/mode\n{\"mode\":\"drop\"}", "GET /account/index.html",
  "POST /sim/mode\n{\"mode\":\"hang\"}", "GET /account/index.html",
  "POST /sim/mode\n{\"mode\":\"ratelimit\"}", "GET /account/index.html",
  "POST /sim/mode\n{\"mode\":\"slow\",\"delay_ms\":1500}", "GET /account/index.html",
  "POST /sim/mode\n{\"mode\":\"ok\"}", "GET /account/index.html" ]
--- more_headers eval
[ "", "", "", "", main::cookie("lk-3"), main::cookie("lk-3"),
  ("", main::cookie("lk-3")) x 6, "", main::cookie("lk-3") ]
--- timeout: 10
--- error_code eval
[200, 200, 200, 200, 503, 503, (200, 503) x 6, 200, 200]
--- response_body_like eval
[ '"reset":true', '^eyJ', '"xid":"lk-3"',
  '"mode":"error500"', '^\{"error":"upstream_unavailable","message":"[^"]+"\}$', '"error":"upstream_unavailable"',
  ('"mode"', '"error":"upstream_unavailable"') x 6,
  '"mode":"ok"', '^members only$' ]
--- no_error_log
[alert]
[crit]



=== a verified record is never asked about again
--- http_config eval: $::http_config
--- config eval: "    appverify_lookup_interval 0;\n" . $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "POST /sim/reset\n", main::set_status("lk-4", 1800), "GET /account/index.html",
  "POST /sim/mode\n{\"mode\":\"error500\"}", "GET /account/index.html", "GET /status",
  "POST /sim/mode\n{\"mode\":\"ok\"}", "GET /sim/requests" ]
--- more_headers eval
[ "", "", main::cookie("lk-4"), "", main::cookie("lk-4"), main::cookie("lk-4"), "", "" ]
--- error_code eval
[200, 200, 200, 200, 200, 200, 200, 200]
--- response_body_like eval
[ '"reset":true', '"xid":"lk-4"', '^members only$', '"mode":"error500"', '^members only$',
  '"verified":true', '"mode":"ok"', main::asked("lk-4", 1) ]



=== a failed answer from Telesign (1803) turns the gate to 403
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "POST /sim/reset\n", "GET /token?phone=15555551234&xid=lk-5", main::set_status("lk-5", 1803), "GET /account/index.html" ]
--- more_headers eval
[ "", "", "", main::cookie("lk-5") ]
--- error_code eval
[200, 200, 200, 403]
--- response_body_like eval
[ '"reset":true', '^eyJ', '"xid":"lk-5"', '"error":"failed"' ]



=== a Telesign location without appverify_params is detected: 503, one error line saying what to add
--- http_config eval: $::http_config
--- config
    location = /status { appverify_status zone=av lookup=/_bare; }
    location /_bare/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SIM_PORT/;
        subrequest_output_buffer_size 16k;
    }
--- request
GET /status
--- more_headers eval
main::cookie("lk-bare")
--- error_code: 503
--- response_body_like: "error":"upstream_unavailable"
--- error_log
sent no $appverify_telesign_authorization: add "include appverify_params;" to it




=== concurrent requests for one pending xid (checked after this block) start with a slow Telesign
--- http_config eval: $::http_config
--- config eval: "    appverify_lookup_interval 30s;\n" . $::locations
--- request eval
[ "POST /sim/reset\n", "GET /token?phone=15555551234&xid=lk-many", main::set_status("lk-many", 1890),
  "POST /sim/mode\n{\"mode\":\"slow\",\"delay_ms\":400}" ]
--- error_code eval
[200, 200, 200, 200]
