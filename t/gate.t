# appverify_require: the access-phase gate on static files and proxies.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb signed cookie bearer);

no_shuffle();
no_long_string();
log_level('info');

our $http_config = <<'_EOC_';
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $TEST_NGINX_ROOT/t/data/api.key;
    appverify_session_key_file $TEST_NGINX_ROOT/t/data/session.key;
    log_format av '$appverify_xid $appverify_phone $appverify_status $appverify_verified';
_EOC_

our $locations = <<'_EOC_';
    location = /token    { appverify_token zone=av; }
    location = /callback { appverify_callback zone=av; }
    location /account/ {
        appverify_require zone=av;
        add_header X-Phone $appverify_phone always;
        add_header X-Xid $appverify_xid always;
        add_header X-Status $appverify_status always;
        add_header X-Verified $appverify_verified always;
        alias html/;
    }
_EOC_




run_tests();

__DATA__

=== no credential: 401 with WWW-Authenticate and a JSON reason
--- http_config eval: $::http_config
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request
GET /account/index.html
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="appverify"
Content-Type: application/json
--- response_body
{"error":"no_credential","message":"No verification credential was presented."}
--- error_log
appverify: access denied: no_credential



=== a verified session passes, with the variables set for headers and logs
--- http_config eval: $::http_config
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "GET /token?phone=15555551234&xid=gate-1",
  "POST /callback\n" . main::cb(xid => "gate-1"),
  "GET /account/index.html" ]
--- more_headers eval
[ "", main::signed(main::cb(xid => "gate-1")), main::cookie("gate-1") ]
--- error_code eval
[200, 200, 200]
--- response_headers eval
[ "", "", "X-Phone: 15555551234\nX-Xid: gate-1\nX-Status: 1800\nX-Verified: 1" ]
--- response_body eval
[ qr/^eyJ/, qq({"ok":true,"xid":"gate-1","state":"verified"}\n), "members only\n" ]



=== Bearer works as well as the cookie
--- http_config eval: $::http_config
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "GET /token?phone=15555551234&xid=gate-2",
  "POST /callback\n" . main::cb(xid => "gate-2"),
  "GET /account/index.html" ]
--- more_headers eval
[ "", main::signed(main::cb(xid => "gate-2")),
  "Authorization: Bearer " . AppVerify::Test::credential("gate-2") ]
--- error_code eval
[200, 200, 200]



=== pending is 401 "pending", and the variables still name the session
--- http_config eval: $::http_config
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "GET /token?phone=15555551234&xid=gate-3", "GET /account/index.html" ]
--- more_headers eval
[ "", main::cookie("gate-3") ]
--- error_code eval
[200, 401]
--- response_headers eval
[ "", "X-Xid: gate-3\nX-Verified: 0\nX-Status: 1890" ]
--- response_body eval
[ qr/^eyJ/, qq({"error":"pending","message":"The phone number has not been verified yet."}\n) ]



=== failed (1803) and blocked (1830) are 403
--- http_config eval: $::http_config
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "GET /token?phone=15555551234&xid=gate-4",
  "POST /callback\n" . main::cb(xid => "gate-4", code => 1803),
  "GET /account/index.html",
  "GET /token?phone=15555550000&xid=gate-5",
  "POST /callback\n" . main::cb(xid => "gate-5", code => 1830, phone => "15555550000"),
  "GET /account/index.html" ]
--- more_headers eval
[ "", main::signed(main::cb(xid => "gate-4", code => 1803)), main::cookie("gate-4"),
  "", main::signed(main::cb(xid => "gate-5", code => 1830, phone => "15555550000")), main::cookie("gate-5") ]
--- error_code eval
[200, 200, 403, 200, 200, 403]
--- response_body_like eval
[ "^eyJ", '"state":"failed"', '^\{"error":"failed"', "^eyJ", '"state":"blocked"', '^\{"error":"blocked"' ]



=== forged, expired and unknown credentials are 401
--- http_config eval: $::http_config
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "GET /account/index.html", "GET /account/index.html", "GET /account/index.html", "GET /account/index.html" ]
--- more_headers eval
[ main::cookie("gate-6", time() + 3600, "another-secret-another-secret-another-secret!!"),
  main::cookie("gate-6", time() - 10),
  main::cookie("never-issued"),
  "Cookie: appverify=garbage" ]
--- error_code eval
[401, 401, 401, 401]
--- response_headers eval
[ qq{WWW-Authenticate: Bearer realm="appverify", error="invalid_token"}, "", "", "" ]
--- response_body_like eval
[ '"error":"bad_credential"', '"error":"expired_credential"', '"error":"unknown_session"', '"error":"bad_credential"' ]



=== error_page 401 can send the browser to a verification page
--- http_config eval: $::http_config
--- config
    location /account/ {
        appverify_require zone=av;
        error_page 401 = @verify;
        alias html/;
    }
    location @verify { return 302 /verify.html; }
--- request
GET /account/index.html
--- error_code: 302
--- response_headers
Location: http://localhost:$ServerPort/verify.html



=== the gate guards a proxied location and passes the phone upstream
--- http_config eval: $::http_config
--- config eval
$::locations . <<'_EOC_';
    location /app/ {
        appverify_require zone=av;
        proxy_set_header X-Verified-Phone $appverify_phone;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo/;
    }
    location /echo/ { return 200 "upstream saw $http_x_verified_phone\n"; }
_EOC_
--- request eval
[ "GET /token?phone=%2B44%207981%20897555&xid=gate-7",
  "POST /callback\n" . main::cb(xid => "gate-7", phone => "447981897555"),
  "GET /app/x" ]
--- more_headers eval
[ "", main::signed(main::cb(xid => "gate-7", phone => "447981897555")), main::cookie("gate-7") ]
--- error_code eval
[200, 200, 200]
--- response_body eval
[ qr/^eyJ/, qr/"state":"verified"/, "upstream saw 447981897555\n" ]



=== appverify_require off in a nested location lifts the gate
--- http_config eval: $::http_config
--- config
    location /account/ {
        appverify_require zone=av;
        alias html/;
        location /account/public/ { appverify_require off; alias html/; }
    }
--- user_files
>>> index.html
hello
--- request
GET /account/public/index.html
--- error_code: 200
--- response_body
hello



=== the variables reach the access log
--- http_config eval: $::http_config . "    access_log logs/av.log av;\n"
--- config eval
$::locations . "    location = /avlog { access_log off; alias logs/av.log; }\n"
--- user_files
>>> index.html
members only
--- request eval
[ "GET /token?phone=15555551234&xid=gate-8",
  "POST /callback\n" . main::cb(xid => "gate-8"),
  "GET /account/index.html",
  "GET /avlog" ]
--- more_headers eval
[ "", main::signed(main::cb(xid => "gate-8")), main::cookie("gate-8"), "" ]
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[ "^eyJ", '"state":"verified"', "^members only\n\$",
  "^gate-8 15555551234 1890 0\ngate-8 15555551234 1800 1\ngate-8 15555551234 1800 1\n\$" ]
