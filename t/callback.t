# appverify_callback: Telesign's signed POST with the outcome.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb signed cookie bearer);

no_shuffle();
no_long_string();
log_level('info');

our $http_config = $AppVerify::Test::HTTP_CONFIG;

our $locations = <<'_EOC_';
    location = /token    { appverify_token zone=av; }
    location = /callback { appverify_callback zone=av; }
    location = /status   { appverify_status zone=av; }
_EOC_

# the vector of telesign-protocol.md section 3
our $vector_body = '{"status":{"code":1800,"description":"Verification successful","updated_on":"2016-12-14T18:20:12.000000Z"},"mobile_verification":{"xid":"abc123","phone_number":"15555551234"}}';
our $vector_sig = 'GykRgq0yWZBpb52Y97YYd/x3PJrZJHcITKWejlGTbYU=';


run_tests();

__DATA__

=== the protocol's vector signature is accepted (Authorization: TSA)
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
"POST /callback\n$::vector_body"
--- more_headers eval
"Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:$::vector_sig"
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body
{"ok":true,"xid":"abc123","state":"verified"}



=== the vector signature is accepted in X-TS-Authorization alone
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
"POST /callback\n$::vector_body"
--- more_headers eval
"X-TS-Authorization: $::vector_sig"
--- error_code: 200



=== a forged signature is 401 and stores nothing
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "GET /token?phone=15555551234&xid=cb-1",
  "POST /callback\n" . main::cb(xid => "cb-1"),
  "GET /status" ]
--- more_headers eval
[ "", "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:GykRgq0yWZBpb52Y97YYd/x3PJrZJHcITKWejlGTbYU=",
  main::bearer("cb-1") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ "^eyJ", '^\{"error":"bad_signature"', '"verified":false,"state":"pending"' ]



=== no signature at all is 401 no_signature, logged once at info
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
"POST /callback\n$::vector_body"
--- error_code: 401
--- response_body_like: "error":"no_signature"
--- error_log
[info]
appverify: no_signature: callback refused
--- no_error_log
[error]



=== a signature for another customer id is 401
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
"POST /callback\n$::vector_body"
--- more_headers eval
"Authorization: TSA 00000000-0000-0000-0000-000000000000:$::vector_sig"
--- error_code: 401



=== both headers present: both must verify
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
"POST /callback\n$::vector_body"
--- more_headers eval
"Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:$::vector_sig\nX-TS-Authorization: B97g3N9lPdVaptvifxRau7bzVAC5hhRBZ6HKXABN744="
--- error_code: 401



=== signature=off accepts an unsigned callback (and warns at startup)
--- http_config eval: $::http_config
--- config
    location = /callback { appverify_callback zone=av signature=off; }
--- request eval
"POST /callback\n$::vector_body"
--- error_code: 200
--- error_log
callback signatures are not checked



=== a malformed body is 400 even when correctly signed, and stores nothing
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "GET /token?phone=15555551234&xid=cb-2",
  "POST /callback\n{\"status\":{\"code\":\"1800\"},\"mobile_verification\":{\"xid\":\"cb-2\"}}",
  "POST /callback\nnot json",
  "POST /callback\n{\"status\":{\"code\":1800},\"mobile_verification\":{\"xid\":\"cb 2\"}}",
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed("{\"status\":{\"code\":\"1800\"},\"mobile_verification\":{\"xid\":\"cb-2\"}}"),
  main::signed("not json"),
  main::signed("{\"status\":{\"code\":1800},\"mobile_verification\":{\"xid\":\"cb 2\"}}"),
  main::bearer("cb-2") ]
--- error_code eval
[200, 400, 400, 400, 200]
--- response_body_like eval
[ "^eyJ", '"error":"malformed_body"', '"error":"malformed_body"', '"error":"invalid_xid"', '"state":"pending"' ]



=== a repeated callback answers the same and changes nothing
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "GET /token?phone=15555551234&xid=cb-3",
  "POST /callback\n" . main::cb(xid => "cb-3"),
  "POST /callback\n" . main::cb(xid => "cb-3"),
  "GET /status" ]
--- more_headers eval
[ "", main::signed(main::cb(xid => "cb-3")), main::signed(main::cb(xid => "cb-3")), main::bearer("cb-3") ]
--- error_code eval
[200, 200, 200, 200]
--- response_body eval
[ qr/^eyJ/,
  qq({"ok":true,"xid":"cb-3","state":"verified"}\n),
  qq({"ok":true,"xid":"cb-3","state":"verified"}\n),
  qq({"xid":"cb-3","phone":"15555551234","verified":true,"state":"verified","status":{"code":1800,"description":"Success"}}\n) ]



=== a late pending callback never downgrades a verified record
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "GET /token?phone=15555551234&xid=cb-4",
  "POST /callback\n" . main::cb(xid => "cb-4", code => 1800, updated_on => "2026-11-21T10:00:05.000000Z"),
  "POST /callback\n" . main::cb(xid => "cb-4", code => 1890, updated_on => "2026-11-21T10:00:09.000000Z"),
  "POST /callback\n" . main::cb(xid => "cb-4", code => 1803, updated_on => "2026-11-21T10:00:01.000000Z"),
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cb-4", code => 1800, updated_on => "2026-11-21T10:00:05.000000Z")),
  main::signed(main::cb(xid => "cb-4", code => 1890, updated_on => "2026-11-21T10:00:09.000000Z")),
  main::signed(main::cb(xid => "cb-4", code => 1803, updated_on => "2026-11-21T10:00:01.000000Z")),
  main::bearer("cb-4") ]
--- error_code eval
[200, 200, 200, 200, 200]
--- response_body_like eval
[ "^eyJ", '"state":"verified"', '"state":"verified"', '"state":"verified"', '"verified":true,"state":"verified","status":\{"code":1800' ]



=== a callback naming another phone than the xid was issued for is refused
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "GET /token?phone=15555551234&xid=cb-5",
  "POST /callback\n" . main::cb(xid => "cb-5", phone => "15555550000"),
  "GET /status" ]
--- more_headers eval
[ "", main::signed(main::cb(xid => "cb-5", phone => "15555550000")), main::bearer("cb-5") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ "^eyJ", '"error":"malformed_body"', '"state":"pending"' ]



=== a callback for an xid this node never issued is stored (the token came from another node)
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "POST /callback\n" . main::cb(xid => "other-node-1"), "GET /status" ]
--- more_headers eval
[ main::signed(main::cb(xid => "other-node-1")), main::bearer("other-node-1") ]
--- error_code eval
[200, 200]
--- response_body_like eval
[ '"state":"verified"', '"xid":"other-node-1","phone":"15555551234","verified":true' ]



=== GET is 405; a body over appverify_max_body is 413
--- http_config eval: $::http_config
--- config
    location = /callback { appverify_callback zone=av; appverify_max_body 512; }
--- request eval
[ "GET /callback", "POST /callback\n" . ("x" x 600) ]
--- error_code eval
[405, 413]
--- response_body_like eval
[ '"error":"method_not_allowed"', '"error":"body_too_large"' ]
