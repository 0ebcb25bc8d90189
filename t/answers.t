# Telesign's answers in the shape Telesign publishes: error answers carry
# "reference_id": null and "sub_resource": null (the simulator writes them
# so), and each API's status codes mean something only in that API (the
# simulator's foreign_code mode answers Get Status with the missed call's
# 2401 "Success", and the missed-call API with the SDK's 1800).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb signed cookie bearer);
use AppVerify::Sim;

no_shuffle();
no_long_string();
log_level('info');

AppVerify::Sim::start();

our $http_config = $AppVerify::Test::HTTP_CONFIG;

our $telesign = AppVerify::Test::telesign_locations('1s');

# the SDK flow: the gate and the status endpoint ask Get Status
our $locations = <<'_EOC_' . $telesign;
    location = /token    { appverify_token zone=av; }
    location = /callback { appverify_callback zone=av; }
    location = /status   { appverify_status zone=av lookup=/_telesign; }
    location /account/   { appverify_require zone=av lookup=/_telesign; alias html/; }
_EOC_

# the missed-call flow: initiate and finalize
our $call_locations = <<'_EOC_' . $telesign;
    appverify_cookie_secure off;
    location = /call     { appverify_call zone=av upstream=/_telesign; }
    location = /finalize { appverify_finalize zone=av upstream=/_telesign; }
    location = /status   { appverify_status zone=av; }
    location /account/   { appverify_require zone=av; alias html/; }
_EOC_

sub set_status {
    my ($xid, $code) = @_;
    return qq(POST /sim/status\n{"xid":"$xid","code":$code,"phone":"15555551234"});
}

sub mode { return "POST /sim/mode\n" . $_[0] }

run_tests();

__DATA__

=== an xid Telesign does not know, in its error shape ("reference_id": null), is 401 unknown_session, not 503
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "POST /sim/reset\n", "GET /account/index.html", "GET /status", "GET /sim/requests" ]
--- more_headers eval
[ "", main::cookie("an-nobody"), main::cookie("an-nobody"), "" ]
--- error_code eval
[200, 401, 401, 200]
--- response_body_like eval
[ '"reset":true', '^\{"error":"unknown_session","message":"[^"]+"\}$', '"error":"unknown_session"',
  '"http_status":400,.*"path":"/v1/mobile/verification/status/an-nobody"' ]
--- no_error_log
[error]



=== a Get Status answer carrying the missed call's 2401 leaves the gate closed and the session not verified
--- http_config eval: $::http_config
--- config eval: "    appverify_lookup_interval 0;\n" . $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "POST /sim/reset\n", "GET /token?phone=15555551234&xid=an-2", main::set_status("an-2", 1890),
  main::mode('{"mode":"foreign_code"}'), "GET /account/index.html", "GET /status",
  main::mode('{"mode":"ok"}'), "GET /status", "GET /account/index.html" ]
--- more_headers eval
[ "", "", "", "", main::cookie("an-2"), main::cookie("an-2"), "", main::cookie("an-2"), main::cookie("an-2") ]
--- error_code eval
[200, 200, 200, 200, 503, 503, 200, 200, 401]
--- response_body_like eval
[ '"reset":true', '^eyJ', '"xid":"an-2"', '"mode":"foreign_code"',
  '^\{"error":"upstream_unavailable","message":"[^"]+"\}$', '"error":"upstream_unavailable"',
  '"mode":"ok"', '^\{"xid":"an-2","phone":"15555551234","verified":false,"state":"pending","status":\{"code":1890,',
  '"error":"pending"' ]



=== (the same server) the refused answer is logged as Telesign's, naming why
--- request
GET /sim/health
--- error_code: 200
--- error_log eval
[ qr{\[error\].*appverify: telesign GET /v1/mobile/verification/status/an-2: Telesign's status code is not a Get Status code \(status 200\)} ]



=== a session this node never saw is not filled in from a Get Status answer carrying 2401
--- http_config eval: $::http_config
--- config eval: "    appverify_lookup_interval 0;\n" . $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "POST /sim/reset\n", main::set_status("an-3", 1800), main::mode('{"mode":"foreign_code"}'),
  "GET /account/index.html", "GET /status",
  main::mode('{"mode":"ok"}'), "GET /account/index.html" ]
--- more_headers eval
[ "", "", "", main::cookie("an-3"), main::cookie("an-3"), "", main::cookie("an-3") ]
--- error_code eval
[200, 200, 200, 503, 503, 200, 200]
--- response_body_like eval
[ '"reset":true', '"xid":"an-3"', '"mode":"foreign_code"',
  '"error":"upstream_unavailable"', '"error":"upstream_unavailable"',
  '"mode":"ok"', '^members only$' ]



=== a callback carrying the missed call's 2401 is refused and stores nothing
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "POST /sim/reset\n", "GET /token?phone=15555551234&xid=an-cb",
  "POST /callback\n" . main::cb(xid => "an-cb", code => 2401, description => "Success"),
  "POST /callback\n" . main::cb(xid => "an-cb", code => 1890, description => "Pending") ]
--- more_headers eval
[ "", "", main::signed(main::cb(xid => "an-cb", code => 2401, description => "Success")),
  main::signed(main::cb(xid => "an-cb", code => 1890, description => "Pending")) ]
--- error_code eval
[200, 200, 400, 200]
--- response_body_like eval
[ '"reset":true', '^eyJ', '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^\{"ok":true,"xid":"an-cb","state":"pending"\}$' ]



=== a finalize answer carrying the SDK's 1800 does not verify the phone
--- http_config eval: $::http_config
--- config eval: $::call_locations
--- user_files
>>> index.html
members only
--- request eval
[ "POST /sim/reset\n", "POST /sim/next-code\n{\"code\":\"20085\"}",
  "POST /call\nphone=447981897555&xid=an-call",
  main::mode('{"mode":"foreign_code","count":1}'), "POST /finalize\ncode=20085",
  "GET /status", "GET /account/index.html" ]
--- more_headers eval
[ "", "", "", "", (main::cookie("an-call")) x 3 ]
--- error_code eval
[200, 200, 200, 200, 503, 200, 401]
--- response_body_like eval
[ '"reset":true', '"next_code":"20085"', '"xid":"an-call"', '"mode":"foreign_code"',
  '^\{"error":"upstream_unavailable","message":"[^"]+"\}$',
  '"xid":"an-call","phone":"447981897555","verified":false,"state":"pending"',
  '"error":"pending"' ]



=== (the same server) the refused finalize answer is logged, naming why
--- request
GET /sim/health
--- error_code: 200
--- error_log eval
[ qr{\[error\].*appverify: telesign POST /v1/verify/auto/voice/finalize: Telesign's status code is not a missed-call API code \(status 200\)} ]



=== a call start answered with an SDK code places no call here, and a retry is no duplicate
--- http_config eval: $::http_config
--- config eval: $::call_locations
--- request eval
[ "POST /sim/reset\n", main::mode('{"mode":"foreign_code","code":1890,"count":1}'),
  "POST /call\nphone=447981897555", "POST /call\nphone=447981897555" ]
--- error_code eval
[200, 200, 503, 200]
--- response_body_like eval
[ '"reset":true', '"code":1890,.*"mode":"foreign_code"',
  '"error":"upstream_unavailable"', '^\{"prefix":"44\d+"' ]
