# Calls to Telesign (the simulator on 127.0.0.1): Get Status for pending
# and unknown sessions, failing closed when Telesign cannot be reached, and
# the missed-call flow (call, finalize): httpd's libcurl client and nginx's
# subrequests, against the same simulator, with the same answers.

use lib 't/lib';
use AppVerify::Scenario 'no_plan';
use AppVerify::Test;

sub cookie { "Cookie: appverify=" . AppVerify::Test::credential(@_) }
sub sim_status {
    my ($xid, $code, $phone) = @_;
    return qq(POST sim:/_sim/status\n{"xid":"$xid","code":$code,"phone":"$phone"});
}
sub count_requests {
    my ($path) = @_;
    return sub { my $n = () = $_[0] =~ /\Q$path\E/g; "$n\n" };
}

# the session and the code the simulated phone got, from earlier answers
sub session { ($AppVerify::Scenario::Responses[$_[0]]->content =~ /"session":"([^"]+)"/)[0] // 'none' }
sub prefix  { ($AppVerify::Scenario::Responses[$_[0]]->content =~ /"prefix":"(\d+)"/)[0] // 'none' }
sub code {
    my ($call, $calls) = @_;
    my $p = prefix($call);
    return ($AppVerify::Scenario::Responses[$calls]->content =~ /"from":"\+?\Q$p\E(\d{5})"/)[0] // '99999';
}

run_scenarios();

__DATA__

=== a pending session is looked up with Get Status; verified there, the gate passes
--- request eval
[ "GET /token?phone=15555000001&xid=lk-1",
  "GET /account/index.html",
  main::sim_status("lk-1", 1800, "15555000001"),
  "GET /lk/account/index.html",
  "GET /status" ]
--- more_headers eval
[ "", main::cookie("lk-1"), "Content-Type: application/json", main::cookie("lk-1"), main::cookie("lk-1") ]
--- error_code eval
[200, 401, 200, 200, 200]
--- response_body eval
[ qr/^eyJ/, qr/"error":"pending"/, qr/./, "members only\n",
  qq({"xid":"lk-1","phone":"15555000001","verified":true,"state":"verified","status":{"code":1800,"description":"Success"}}\n) ]



=== a session this node never saw is filled in from Get Status
--- request eval
[ main::sim_status("lk-2", 1800, "15555000002"), "GET /lk/status" ]
--- more_headers eval
[ "Content-Type: application/json", main::cookie("lk-2") ]
--- error_code eval
[200, 200]
--- response_body_like eval
[ ".", '^\{"xid":"lk-2","phone":"15555000002","verified":true' ]



=== a session Telesign does not know either is 401 unknown_session
--- request
GET /lk/status
--- more_headers eval
main::cookie("lk-3")
--- error_code: 401
--- response_body_like: "error":"unknown_session"



=== a failed verification found by Get Status is 403 at the gate
--- request eval
[ "GET /token?phone=15555000004&xid=lk-4", main::sim_status("lk-4", 1808, "15555000004"), "GET /lk/account/index.html" ]
--- more_headers eval
[ "", "Content-Type: application/json", main::cookie("lk-4") ]
--- error_code eval
[200, 200, 403]
--- response_body_like eval
[ "^eyJ", ".", '^\{"error":"failed"' ]



=== Get Status is asked at most once per lookup interval and xid
--- request eval
[ "POST sim:/_sim/reset\n{}", "GET /token?phone=15555000005&xid=lk-5", "GET /lk/status", "GET /lk/status", "GET /lk/status", "GET sim:/_sim/requests" ]
--- more_headers eval
[ "Content-Type: application/json", "", main::cookie("lk-5"), main::cookie("lk-5"), main::cookie("lk-5"), "" ]
--- response_body_filters eval
sub { $_[0] =~ /^\[/ ? main::count_requests("/status/lk-5")->($_[0]) : "other\n" }
--- response_body eval
[ "other\n", "other\n", "other\n", "other\n", "other\n", "1\n" ]



=== a missed-call session is decided by finalize, never asked about with Get Status
--- request eval
[ "POST /lk/call\nphone=15555000030&xid=lk-call-1", "GET /lk/status", "GET /lk/account/index.html", "GET sim:/_sim/requests" ]
--- more_headers eval
[ "Content-Type: application/x-www-form-urlencoded", main::cookie("lk-call-1"), main::cookie("lk-call-1"), "" ]
--- error_code eval
[200, 200, 401, 200]
--- response_body_filters eval
sub { $_[0] =~ /^\[/ ? main::count_requests("/status/lk-call-1")->($_[0]) : "other\n" }
--- response_body eval
[ "other\n", "other\n", "other\n", "0\n" ]



=== when Telesign cannot be reached, a pending session is 503, never verified
--- request eval
[ "GET /token?phone=15555000006&xid=lk-6", "GET /lk/down/status" ]
--- more_headers eval
[ "", main::cookie("lk-6") ]
--- error_code eval
[200, 503]
--- response_body_like eval
[ "^eyJ", '^\{"error":"upstream_unavailable"' ]



=== when Telesign cannot be reached, the gate answers 503 JSON for a pending or unknown session
--- request eval
[ "GET /token?phone=15555000016&xid=lk-16", "GET /lk/down/account/index.html",
  "GET /lk/down/account/index.html" ]
--- more_headers eval
[ "", main::cookie("lk-16"), main::cookie("lk-nobody-16") ]
--- error_code eval
[200, 503, 503]
--- response_headers_like eval
[ "", "Content-Type: application/json", "Content-Type: application/json" ]
--- response_body_like eval
[ "^eyJ", '^\{"error":"upstream_unavailable"', '^\{"error":"upstream_unavailable"' ]



=== the missed-call flow: call, a wrong code, the right code, then the gate passes
--- request eval
[ "POST /lk/call\nphone=%2B1%20555%20500%200010",
  "GET sim:/_sim/calls?phone=15555000010",
  sub { "POST /lk/finalize\ncode=" . (main::code(0, 1) eq '00000' ? '11111' : '00000') },
  sub { "POST /lk/finalize\ncode=" . main::code(0, 1) },
  "GET /account/index.html",
  "GET /lk/finalize" ]
--- more_headers eval
[ "Content-Type: application/x-www-form-urlencoded", "",
  sub { "Content-Type: application/x-www-form-urlencoded\nAuthorization: Bearer " . main::session(0) },
  sub { "Content-Type: application/x-www-form-urlencoded\nAuthorization: Bearer " . main::session(0) },
  sub { "Authorization: Bearer " . main::session(0) }, "" ]
--- error_code eval
[200, 200, 200, 200, 200, 405]
--- response_body_like eval
[ '^\{"prefix":"\d+","xid":"[0-9a-f-]{36}","session":"[^"]+","expires_in":43200\}$',
  '"from"',
  '^\{"verified":false,.*"attempts_left":2\}$',
  '^\{"verified":true,"state":"verified".*\}$',
  '^members only$',
  'method_not_allowed' ]



=== finalize refuses bad digits without spending an attempt, and needs a credential
--- request eval
[ "POST /lk/finalize\ncode=12ab5", "POST /lk/finalize\ncode=123" ]
--- more_headers eval
[ "Content-Type: application/x-www-form-urlencoded\n" . main::cookie("lk-7"), "Content-Type: application/x-www-form-urlencoded" ]
--- error_code eval
[400, 401]
--- response_body_like eval
[ '"error":"invalid_code"', '"error":"no_credential"' ]



=== a finalize whose answer was lost: Telesign then says "decided already", and the edge asks for the outcome
--- request eval
[ "POST sim:/_sim/next-code\n{\"code\":\"54321\"}",
  "POST /lk/call\nphone=15555000020&xid=lk-lost",
  "POST sim:/_sim/mode\n{\"mode\":\"drop\",\"count\":1}",
  "POST /lk/finalize\ncode=54321",
  "POST /lk/finalize\ncode=54321",
  "GET /status",
  "GET sim:/_sim/requests" ]
--- more_headers eval
[ "Content-Type: application/json", "Content-Type: application/x-www-form-urlencoded", "Content-Type: application/json",
  "Content-Type: application/x-www-form-urlencoded\n" . main::cookie("lk-lost"),
  "Content-Type: application/x-www-form-urlencoded\n" . main::cookie("lk-lost"),
  main::cookie("lk-lost"), "" ]
--- error_code eval
[200, 200, 200, 503, 200, 200, 200]
--- response_body_like eval
[ '.', '"xid":"lk-lost"', '"mode":"drop"', '"error":"upstream_unavailable"',
  '^\{"verified":true,"state":"verified".*"attempts_left":0\}$',
  '"xid":"lk-lost","phone":"15555000020","verified":true',
  '"path":"/v1/verify/auto/voice/[0-9A-F]{32}"' ]
