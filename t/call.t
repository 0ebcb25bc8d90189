# Missed-call verification: appverify_call and appverify_finalize against
# the Telesign simulator, which checks every request's TSA signature and
# nonce with its own implementation and "places" the call.

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
    appverify_cookie_secure off;
    location = /call     { appverify_call zone=av upstream=/_telesign; }
    location = /finalize { appverify_finalize zone=av upstream=/_telesign; }
    location = /status   { appverify_status zone=av; }
    location /account/   { appverify_require zone=av; alias html/; }
_EOC_
$locations .= AppVerify::Test::telesign_locations('1s');


run_tests();

__DATA__

=== the call starts a missed call and answers the prefix, never the code
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "POST /sim/reset\n", "POST /call\nphone=%2B44%207981%20897555" ]
--- more_headers eval
[ "", "Content-Type: application/x-www-form-urlencoded" ]
--- error_code eval
[200, 200]
--- response_headers_like eval
[ "", 'Set-Cookie: appverify=[0-9a-f-]{36}\.\d+\.[A-Za-z0-9_-]{22}; Path=/; Max-Age=43200; HttpOnly; SameSite=Lax' ]
--- response_body_like eval
[ '"reset":true', '^\{"prefix":"44\d+","xid":"[0-9a-f-]{36}","session":"[^"]+","expires_in":43200\}$' ]
--- response_body_unlike eval
[ "verify_code", "verify_code" ]



=== a second call for a phone whose call is pending is 409 and costs nothing
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "POST /sim/reset\n", "POST /call\nphone=447981897555", "POST /call\nphone=447981897555", "GET /sim/calls?phone=447981897555" ]
--- error_code eval
[200, 200, 409, 200]
--- response_body_like eval
[ '"reset":true', '"prefix"', '"error":"duplicate_request"', '^\[\{[^\]]*\}\]$' ]



=== GET, a bad phone and a disallowed method are refused without calling Telesign
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "POST /sim/reset\n", "GET /call?phone=447981897555", "POST /call\nphone=abc", "GET /sim/requests" ]
--- error_code eval
[200, 405, 400, 200]
--- response_body_like eval
[ '"reset":true', '"error":"method_not_allowed"', '"error":"invalid_phone"', '^\[\]$' ]



=== Telesign failing the call start is 503 and leaves nothing behind (a retry is not a duplicate)
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "POST /sim/reset\n", "POST /sim/mode\n{\"mode\":\"error500\",\"count\":1}", "POST /call\nphone=447981897555", "POST /call\nphone=447981897555" ]
--- error_code eval
[200, 200, 503, 200]
--- response_body_like eval
[ '"reset":true', '"mode":"error500"', '"error":"upstream_unavailable"', '"prefix"' ]



=== the right five digits verify the phone, and the gate lets the session through
--- http_config eval: $::http_config
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "POST /sim/reset\n", "POST /sim/next-code\n{\"code\":\"20085\"}",
  "POST /call\nphone=447981897555&xid=call-ok",
  "GET /sim/calls?phone=447981897555",
  "GET /account/index.html",
  "POST /finalize\ncode=20085",
  "GET /account/index.html",
  "GET /status",
  "POST /finalize\ncode=20085",
  "GET /sim/requests" ]
--- more_headers eval
[ "", "", "", "", main::cookie("call-ok"), main::cookie("call-ok"), main::cookie("call-ok"),
  main::cookie("call-ok"), main::cookie("call-ok"), "" ]
--- error_code eval
[200, 200, 200, 200, 401, 200, 200, 200, 200, 200]
--- response_body_like eval
[ '"reset":true', '"next_code":"20085"',
  '^\{"prefix":"44\d+","xid":"call-ok","session":"call-ok\.\d+\.[A-Za-z0-9_-]{22}","expires_in":43200\}$',
  '"from":"44\d+20085","reference_id":"[0-9A-F]{32}"',
  '"error":"pending"',
  '^\{"verified":true,"state":"verified","status":\{"code":2401,"description":"Success"\},"attempts_left":0\}$',
  '^members only$',
  '"phone":"447981897555","verified":true,"state":"verified","status":\{"code":2401',
  '"verified":true',
  '^(?!.*"signature_ok":false)(?:.*?"auth_ok":true.*?"signature_ok":true){2}(?!.*"signature_ok")' ]



=== wrong codes use up the attempts, then the verification is failed for good (403)
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "POST /sim/reset\n", "POST /sim/next-code\n{\"code\":\"11111\"}",
  "POST /call\nphone=447981897555&xid=call-wrong",
  "POST /finalize\ncode=22222",
  "POST /finalize\ncode=33333",
  "POST /finalize\ncode=44444",
  "POST /finalize\ncode=11111",
  "GET /account/index.html" ]
--- more_headers eval
[ "", "", "", (main::cookie("call-wrong")) x 5 ]
--- error_code eval
[200, 200, 200, 200, 200, 403, 403, 403]
--- response_body_like eval
[ '"reset":true', '"next_code"', '"xid":"call-wrong"',
  '"verified":false,"state":"pending",.*"attempts_left":2',
  '"verified":false,"state":"pending",.*"attempts_left":1',
  '"verified":false,"state":"failed",.*"attempts_left":0',
  '"verified":false,"state":"failed"',
  '"error":"failed"' ]



=== attempts=5 allows more tries; a code that is not five digits costs none and is 400
--- http_config eval: $::http_config
--- config eval: $::locations =~ s/(appverify_finalize zone=av upstream=\/_telesign);/$1 attempts=5;/r
--- request eval
[ "POST /sim/reset\n", "POST /call\nphone=447981897555&xid=call-five",
  "POST /finalize\ncode=1234", "POST /finalize\ncode=123456", "POST /finalize\ncode=12%2034",
  "POST /finalize\n{\"code\":\"٠١٢٣٤\"}", "POST /finalize\nnothing=here",
  "POST /finalize\ncode=00000" ]
--- more_headers eval
[ "", "", (main::cookie("call-five")) x 3, main::cookie("call-five") . "\nContent-Type: application/json", (main::cookie("call-five")) x 2 ]
--- error_code eval
[200, 200, 400, 400, 400, 400, 400, 200]
--- response_body_like eval
[ '"reset":true', '"xid":"call-five"', ('"error":"invalid_code"') x 5, '"attempts_left":4' ]



=== "the call never came" and "it came from another number" end the verification as failed
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "POST /sim/reset\n",
  "POST /call\nphone=447981897555&xid=call-timeout", "POST /finalize\ntimeout=1",
  "POST /call\nphone=15555551234&xid=call-callerid", "POST /finalize\ncaller_id=%2B1%20555%20000%201111",
  "GET /sim/requests" ]
--- more_headers eval
[ "", "", main::cookie("call-timeout"), "", main::cookie("call-callerid"), "" ]
--- error_code eval
[200, 200, 403, 200, 403, 200]
--- response_body_like eval
[ '"reset":true', '"xid":"call-timeout"', '"state":"failed","status":\{"code":2409',
  '"xid":"call-callerid"', '"state":"failed","status":\{"code":2407',
  '"path":"/v1/verify/auto/voice/finalize/timeout".*"path":"/v1/verify/auto/voice/finalize/callerid"' ]



=== each way Telesign can fail a finalize is 503 and uses no attempt
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "POST /sim/reset\n", "POST /sim/next-code\n{\"code\":\"54321\"}",
  "POST /call\nphone=447981897555&xid=call-fail",
  "POST /sim/mode\n{\"mode\":\"error500\",\"count\":1}", "POST /finalize\ncode=54321",
  "POST /sim/mode\n{\"mode\":\"garbage\",\"count\":1}", "POST /finalize\ncode=54321",
  "POST /sim/mode\n{\"mode\":\"drop\",\"count\":1}", "POST /finalize\ncode=54321",
  "POST /sim/mode\n{\"mode\":\"hang\",\"count\":1}", "POST /finalize\ncode=54321",
  "POST /sim/mode\n{\"mode\":\"ratelimit\",\"count\":1}", "POST /finalize\ncode=11111",
  "GET /status",
  "POST /finalize\ncode=54321" ]
--- more_headers eval
[ "", "", "", "", main::cookie("call-fail"), "", main::cookie("call-fail"), "", main::cookie("call-fail"),
  "", main::cookie("call-fail"), "", main::cookie("call-fail"), main::cookie("call-fail"), main::cookie("call-fail") ]
--- timeout: 10
--- error_code eval
[200, 200, 200, 200, 503, 200, 503, 200, 503, 200, 503, 200, 503, 200, 200]
--- response_body_like eval
[ '"reset":true', '"next_code"', '"xid":"call-fail"',
  '"mode":"error500"', '"error":"upstream_unavailable"',
  '"mode":"garbage"', '"error":"upstream_unavailable"',
  '"mode":"drop"', '"error":"upstream_unavailable"',
  '"mode":"hang"', '"error":"upstream_unavailable"',
  '"mode":"ratelimit"', '"error":"upstream_unavailable"',
  '"verified":false,"state":"pending"',
  '"verified":true,"state":"verified".*"attempts_left":0' ]



=== finalize without a missed-call session is refused
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "POST /finalize\ncode=12345", "POST /finalize\ncode=12345", "GET /finalize" ]
--- more_headers eval
[ "", main::cookie("never-called"), "" ]
--- error_code eval
[401, 401, 405]
--- response_body_like eval
[ '"error":"no_credential"', '"error":"unknown_session"', '"error":"method_not_allowed"' ]
