# Telesign's answers in the shape Telesign publishes, on both servers: its
# error answers carry "reference_id": null and "sub_resource": null (the
# simulator writes them so), and each API's status codes mean something
# only in that API (the simulator's foreign_code mode answers Get Status
# with the missed call's 2401 "Success" and the missed-call API with the
# SDK's 1800).  The core decides; both glues must answer alike.

use lib 't/lib';
use AppVerify::Scenario 'no_plan';
use AppVerify::Test;

sub cookie { "Cookie: appverify=" . AppVerify::Test::credential(@_) }
sub json { "Content-Type: application/json" }
sub form { "Content-Type: application/x-www-form-urlencoded" }
sub sim_status {
    my ($xid, $code, $phone) = @_;
    return qq(POST sim:/_sim/status\n{"xid":"$xid","code":$code,"phone":"$phone"});
}
sub sim_mode { return "POST sim:/_sim/mode\n" . $_[0] }

run_scenarios();

__DATA__

=== an xid Telesign does not know, in its error shape ("reference_id": null), is 401 unknown_session, not 503
--- request eval
[ "GET /lk/status", "GET /lk/account/index.html" ]
--- more_headers eval
[ main::cookie("an-nobody"), main::cookie("an-nobody") ]
--- error_code eval
[401, 401]
--- response_body_like eval
[ '^\{"error":"unknown_session"', '^\{"error":"unknown_session"' ]



=== a Get Status answer carrying the missed call's 2401 is no answer: 503, the session stays pending, the log says why
--- request eval
[ "GET /token?phone=15556100001&xid=an-gs-1", main::sim_status("an-gs-1", 1890, "15556100001"),
  main::sim_mode('{"mode":"foreign_code","count":1}'), "GET /lk/status", "GET /status" ]
--- more_headers eval
[ "", main::json(), main::json(), main::cookie("an-gs-1"), main::cookie("an-gs-1") ]
--- error_code eval
[200, 200, 200, 503, 200]
--- response_body_like eval
[ '^eyJ', '"xid":"an-gs-1"', '"mode":"foreign_code"', '^\{"error":"upstream_unavailable"',
  '^\{"xid":"an-gs-1","phone":"15556100001","verified":false,"state":"pending"' ]
--- grep_error_log eval: qr/status code is not a Get Status code/
--- grep_error_log_out
status code is not a Get Status code



=== a session this node never saw is not filled in from a Get Status answer carrying 2401
--- request eval
[ main::sim_status("an-gs-2", 1800, "15556100002"), main::sim_mode('{"mode":"foreign_code","count":1}'),
  "GET /lk/status" ]
--- more_headers eval
[ main::json(), main::json(), main::cookie("an-gs-2") ]
--- error_code eval
[200, 200, 503]
--- response_body_like eval
[ '"code":1800,.*"xid":"an-gs-2"', '"mode":"foreign_code"', '^\{"error":"upstream_unavailable"' ]



=== a callback carrying the missed call's 2401 is refused and stores nothing
--- request eval
[ "GET /token?phone=15556100003&xid=an-cb-1",
  "POST /callback\n" . AppVerify::Test::cb(xid => "an-cb-1", code => 2401, phone => "15556100003"),
  "GET /status" ]
--- more_headers eval
[ "", AppVerify::Test::signed(AppVerify::Test::cb(xid => "an-cb-1", code => 2401, phone => "15556100003")),
  main::cookie("an-cb-1") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ '^eyJ', '^\{"error":"malformed_body"', '"xid":"an-cb-1",.*"verified":false' ]



=== a finalize answer carrying the SDK's 1800 does not verify the phone
--- request eval
[ "POST sim:/_sim/next-code\n{\"code\":\"20085\"}",
  "POST /lk/call\nphone=15556100004&xid=an-call-1",
  main::sim_mode('{"mode":"foreign_code","count":1}'),
  "POST /lk/finalize\ncode=20085",
  "GET /status" ]
--- more_headers eval
[ main::json(), main::form(), main::json(), main::form() . "\n" . main::cookie("an-call-1"),
  main::cookie("an-call-1") ]
--- error_code eval
[200, 200, 200, 503, 200]
--- response_body_like eval
[ '"next_code":"20085"', '"xid":"an-call-1"', '"mode":"foreign_code"', '^\{"error":"upstream_unavailable"',
  '"xid":"an-call-1","phone":"15556100004","verified":false' ]
--- grep_error_log eval: qr/status code is not a missed-call API code/
--- grep_error_log_out
status code is not a missed-call API code



=== a call start answered with an SDK code places no call here, and a retry is no duplicate
--- request eval
[ main::sim_mode('{"mode":"foreign_code","code":1890,"count":1}'),
  "POST /lk/call\nphone=15556100005", "POST /lk/call\nphone=15556100005" ]
--- more_headers eval
[ main::json(), main::form(), main::form() ]
--- error_code eval
[200, 503, 200]
--- response_body_like eval
[ '"mode":"foreign_code"', '^\{"error":"upstream_unavailable"', '^\{"prefix":"\d+"' ]
