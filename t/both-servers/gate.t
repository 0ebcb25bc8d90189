# The gate: "Require appverify-verified" on httpd, appverify_require on
# nginx, with the same answers; inside RequireAny / RequireAll (satisfy).

use lib 't/lib';
use AppVerify::Scenario 'no_plan';
use AppVerify::Test;

sub cb { AppVerify::Test::callback_body(@_) }
sub signed { AppVerify::Test::tsa_header($_[0]) . "\nContent-Type: application/json" }
sub cookie { "Cookie: appverify=" . AppVerify::Test::credential(@_) }

run_scenarios();

__DATA__

=== no credential: 401 with WWW-Authenticate and a JSON reason
--- request
GET /account/index.html
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="appverify"
Content-Type: application/json
! X-Phone
--- response_body
{"error":"no_credential","message":"No verification credential was presented."}



=== a verified session passes, with the phone, xid and status for headers and logs
--- request eval
[ "GET /token?phone=15554000001&xid=gate-1",
  "POST /callback\n" . main::cb(xid => "gate-1", phone => "15554000001"),
  "GET /account/index.html",
  "HEAD /account/index.html" ]
--- more_headers eval
[ "", main::signed(main::cb(xid => "gate-1", phone => "15554000001")), main::cookie("gate-1"), main::cookie("gate-1") ]
--- error_code eval
[200, 200, 200, 200]
--- response_headers eval
[ "", "", "X-Phone: 15554000001\nX-Xid: gate-1\nX-Status: 1800\nX-Verified: 1", "X-Phone: 15554000001" ]
--- response_body eval
[ qr/^eyJ/, qq({"ok":true,"xid":"gate-1","state":"verified"}\n), "members only\n", "" ]



=== the cookie in a second Cookie header passes too (httpd joins repeated headers with ", ")
--- request eval
[ "GET /token?phone=15554000092&xid=gate-c2",
  "POST /callback\n" . main::cb(xid => "gate-c2", phone => "15554000092"),
  "GET /account/index.html" ]
--- more_headers eval
[ "", main::signed(main::cb(xid => "gate-c2", phone => "15554000092")),
  "Cookie: theme=dark\n" . main::cookie("gate-c2") ]
--- error_code eval
[200, 200, 200]
--- response_headers eval
[ "", "", "X-Xid: gate-c2" ]



=== Bearer works as well as the cookie
--- request eval
[ "GET /token?phone=15554000002&xid=gate-2",
  "POST /callback\n" . main::cb(xid => "gate-2", phone => "15554000002"),
  "GET /account/index.html" ]
--- more_headers eval
[ "", main::signed(main::cb(xid => "gate-2", phone => "15554000002")),
  "Authorization: Bearer " . AppVerify::Test::credential("gate-2") ]
--- error_code eval
[200, 200, 200]
--- response_body eval
[ qr/^eyJ/, qr/verified/, "members only\n" ]



=== pending is 401 "pending", and the env still names the session
--- request eval
[ "GET /token?phone=15554000003&xid=gate-3", "GET /account/index.html" ]
--- more_headers eval
[ "", main::cookie("gate-3") ]
--- error_code eval
[200, 401]
--- response_headers eval
[ "", "X-Xid: gate-3\nX-Verified: 0\nX-Status: 1890\nX-Phone: 15554000003\nContent-Type: application/json\nWWW-Authenticate: Bearer realm=\"appverify\", error=\"invalid_token\"" ]
--- response_body eval
[ qr/^eyJ/, qq({"error":"pending","message":"The phone number has not been verified yet."}\n) ]



=== failed (1803) and blocked (1830) are 403 with a JSON reason
--- request eval
[ "GET /token?phone=15554000004&xid=gate-4",
  "POST /callback\n" . main::cb(xid => "gate-4", code => 1803, phone => "15554000004"),
  "GET /account/index.html",
  "GET /token?phone=15554000005&xid=gate-5",
  "POST /callback\n" . main::cb(xid => "gate-5", code => 1830, phone => "15554000005"),
  "GET /account/index.html" ]
--- more_headers eval
[ "", main::signed(main::cb(xid => "gate-4", code => 1803, phone => "15554000004")), main::cookie("gate-4"),
  "", main::signed(main::cb(xid => "gate-5", code => 1830, phone => "15554000005")), main::cookie("gate-5") ]
--- error_code eval
[200, 200, 403, 200, 200, 403]
--- response_headers eval
[ "", "", "Content-Type: application/json\n! WWW-Authenticate\nX-Status: 1803", "", "", "Content-Type: application/json\nX-Status: 1830" ]
--- response_body eval
[ qr/^eyJ/, qr/"state":"failed"/, qq({"error":"failed","message":"The phone number verification failed."}\n),
  qr/^eyJ/, qr/"state":"blocked"/, qq({"error":"blocked","message":"This phone number is blocked."}\n) ]



=== forged, expired, unknown and garbage credentials are 401
--- request eval
[ "GET /account/index.html", "GET /account/index.html", "GET /account/index.html", "GET /account/index.html" ]
--- more_headers eval
[ main::cookie("gate-6", time() + 3600, "another-secret-another-secret-another-secret!!"),
  main::cookie("gate-6", time() - 10),
  main::cookie("gate-never-issued"),
  "Cookie: appverify=garbage" ]
--- error_code eval
[401, 401, 401, 401]
--- response_headers eval
[ qq{WWW-Authenticate: Bearer realm="appverify", error="invalid_token"}, "", "", "" ]
--- response_body_like eval
[ '"error":"bad_credential"', '"error":"expired_credential"', '"error":"unknown_session"', '"error":"bad_credential"' ]



=== RequireAny (satisfy any): an allowed address passes without a credential
--- request
GET /any-local/index.html
--- error_code: 200
--- response_body
members only



=== RequireAny (satisfy any): from elsewhere, the gate decides, 401 and 403 as alone
--- request eval
[ "GET /any-other/index.html",
  "GET /token?phone=15554000007&xid=gate-7",
  "GET /any-other/index.html",
  "POST /callback\n" . main::cb(xid => "gate-7", phone => "15554000007"),
  "GET /any-other/index.html",
  "GET /token?phone=15554000008&xid=gate-8",
  "POST /callback\n" . main::cb(xid => "gate-8", code => 1808, phone => "15554000008"),
  "GET /any-other/index.html" ]
--- more_headers eval
[ "", "", main::cookie("gate-7"), main::signed(main::cb(xid => "gate-7", phone => "15554000007")), main::cookie("gate-7"),
  "", main::signed(main::cb(xid => "gate-8", code => 1808, phone => "15554000008")), main::cookie("gate-8") ]
--- error_code eval
[401, 200, 401, 200, 200, 200, 200, 403]
--- response_body eval
[ qq({"error":"no_credential","message":"No verification credential was presented."}\n), qr/^eyJ/,
  qq({"error":"pending","message":"The phone number has not been verified yet."}\n), qr/verified/,
  "members only\n", qr/^eyJ/, qr/failed/,
  qq({"error":"failed","message":"The phone number verification failed."}\n) ]
--- response_headers eval
[ "WWW-Authenticate: Bearer realm=\"appverify\"", "", "X-Xid: gate-7", "", "X-Phone: 15554000007", "", "", "X-Status: 1808" ]



=== RequireAll (satisfy all): the address alone is not enough
--- request eval
[ "GET /all-local/index.html",
  "GET /token?phone=15554000009&xid=gate-9",
  "POST /callback\n" . main::cb(xid => "gate-9", phone => "15554000009"),
  "GET /all-local/index.html" ]
--- more_headers eval
[ "", "", main::signed(main::cb(xid => "gate-9", phone => "15554000009")), main::cookie("gate-9") ]
--- error_code eval
[401, 200, 200, 200]
--- response_body eval
[ qr/"error":"no_credential"/, qr/^eyJ/, qr/verified/, "members only\n" ]
