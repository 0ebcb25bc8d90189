# The callback endpoint: Telesign's signed POST, on httpd and nginx alike.

use lib 't/lib';
use AppVerify::Scenario 'no_plan';
use AppVerify::Test;

# the vector of telesign-protocol.md section 3
our $vector_body = '{"status":{"code":1800,"description":"Verification successful","updated_on":"2016-12-14T18:20:12.000000Z"},"mobile_verification":{"xid":"abc123","phone_number":"15555551234"}}';
our $vector_sig = 'GykRgq0yWZBpb52Y97YYd/x3PJrZJHcITKWejlGTbYU=';

sub cb { AppVerify::Test::callback_body(@_) }
sub signed { AppVerify::Test::tsa_header($_[0]) . "\nContent-Type: application/json" }
sub status_hdr { "Authorization: Bearer " . AppVerify::Test::credential($_[0]) }

run_scenarios();

__DATA__

=== the protocol's vector signature is accepted (Authorization: TSA)
--- request eval
"POST /callback\n$::vector_body"
--- more_headers eval
"Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:$::vector_sig"
--- error_code: 200
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body
{"ok":true,"xid":"abc123","state":"verified"}



=== the vector signature is accepted in X-TS-Authorization alone
--- request eval
"POST /callback\n$::vector_body"
--- more_headers eval
"X-TS-Authorization: $::vector_sig"
--- error_code: 200



=== a success repeated later protects itself from an older failure that arrives after it
--- request eval
[ "GET /token?phone=15552000009&xid=cb-order",
  "POST /callback\n" . main::cb(xid => "cb-order", phone => "15552000009", code => 1800, updated_on => "2026-11-21T10:00:30.000000Z"),
  "POST /callback\n" . main::cb(xid => "cb-order", phone => "15552000009", code => 1800, updated_on => "2026-11-21T10:00:55.000000Z"),
  "POST /callback\n" . main::cb(xid => "cb-order", phone => "15552000009", code => 1803, updated_on => "2026-11-21T10:00:40.000000Z"),
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cb-order", phone => "15552000009", code => 1800, updated_on => "2026-11-21T10:00:30.000000Z")),
  main::signed(main::cb(xid => "cb-order", phone => "15552000009", code => 1800, updated_on => "2026-11-21T10:00:55.000000Z")),
  main::signed(main::cb(xid => "cb-order", phone => "15552000009", code => 1803, updated_on => "2026-11-21T10:00:40.000000Z")),
  main::status_hdr("cb-order") ]
--- error_code eval
[200, 200, 200, 200, 200]
--- response_body_like eval
[ "^eyJ", '"state":"verified"', '"state":"verified"', '"state":"verified"', '"verified":true,"state":"verified"' ]


=== a forged signature is 401 and stores nothing
--- request eval
[ "GET /token?phone=15552000001&xid=cb-1",
  "POST /callback\n" . main::cb(xid => "cb-1", phone => "15552000001"),
  "GET /status" ]
--- more_headers eval
[ "", "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:GykRgq0yWZBpb52Y97YYd/x3PJrZJHcITKWejlGTbYU=",
  main::status_hdr("cb-1") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ "^eyJ", '^\{"error":"bad_signature"', '"verified":false,"state":"pending"' ]



=== no signature at all is 401 no_signature
--- request eval
"POST /callback\n$::vector_body"
--- error_code: 401
--- response_body
{"error":"no_signature","message":"The request is not signed."}



=== a signature for another customer id is 401
--- request eval
"POST /callback\n$::vector_body"
--- more_headers eval
"Authorization: TSA 00000000-0000-0000-0000-000000000000:$::vector_sig"
--- error_code: 401
--- response_body_like: "error":"bad_signature"



=== both headers present: both must verify
--- request eval
"POST /callback\n$::vector_body"
--- more_headers eval
"Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:$::vector_sig\nX-TS-Authorization: B97g3N9lPdVaptvifxRau7bzVAC5hhRBZ6HKXABN744="
--- error_code: 401



=== signature off accepts an unsigned callback
--- request eval
"POST /callback-unsigned\n" . main::cb(xid => "cb-unsigned", phone => "15552000002")
--- error_code: 200
--- response_body
{"ok":true,"xid":"cb-unsigned","state":"verified"}



=== a malformed body is 400 even when correctly signed, and stores nothing
--- request eval
[ "GET /token?phone=15552000003&xid=cb-2",
  "POST /callback\n{\"status\":{\"code\":\"1800\"},\"mobile_verification\":{\"xid\":\"cb-2\"}}",
  "POST /callback\nnot json",
  "POST /callback\n{\"status\":{\"code\":1800},\"mobile_verification\":{\"xid\":\"cb 2\"}}",
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed("{\"status\":{\"code\":\"1800\"},\"mobile_verification\":{\"xid\":\"cb-2\"}}"),
  main::signed("not json"),
  main::signed("{\"status\":{\"code\":1800},\"mobile_verification\":{\"xid\":\"cb 2\"}}"),
  main::status_hdr("cb-2") ]
--- error_code eval
[200, 400, 400, 400, 200]
--- response_body_like eval
[ "^eyJ", '"error":"malformed_body"', '"error":"malformed_body"', '"error":"invalid_xid"', '"state":"pending"' ]



=== a repeated callback answers the same and changes nothing
--- request eval
[ "GET /token?phone=15552000004&xid=cb-3",
  "POST /callback\n" . main::cb(xid => "cb-3", phone => "15552000004"),
  "POST /callback\n" . main::cb(xid => "cb-3", phone => "15552000004"),
  "GET /status" ]
--- more_headers eval
[ "", main::signed(main::cb(xid => "cb-3", phone => "15552000004")),
  main::signed(main::cb(xid => "cb-3", phone => "15552000004")), main::status_hdr("cb-3") ]
--- error_code eval
[200, 200, 200, 200]
--- response_body eval
[ qr/^eyJ/,
  qq({"ok":true,"xid":"cb-3","state":"verified"}\n),
  qq({"ok":true,"xid":"cb-3","state":"verified"}\n),
  qq({"xid":"cb-3","phone":"15552000004","verified":true,"state":"verified","status":{"code":1800,"description":"Success"}}\n) ]



=== a late pending callback never downgrades a verified record, nor does an older failure
--- request eval
[ "GET /token?phone=15552000005&xid=cb-4",
  "POST /callback\n" . main::cb(xid => "cb-4", phone => "15552000005", code => 1800, updated_on => "2026-11-21T10:00:05.000000Z"),
  "POST /callback\n" . main::cb(xid => "cb-4", phone => "15552000005", code => 1890, updated_on => "2026-11-21T10:00:09.000000Z"),
  "POST /callback\n" . main::cb(xid => "cb-4", phone => "15552000005", code => 1803, updated_on => "2026-11-21T10:00:01.000000Z"),
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cb-4", phone => "15552000005", code => 1800, updated_on => "2026-11-21T10:00:05.000000Z")),
  main::signed(main::cb(xid => "cb-4", phone => "15552000005", code => 1890, updated_on => "2026-11-21T10:00:09.000000Z")),
  main::signed(main::cb(xid => "cb-4", phone => "15552000005", code => 1803, updated_on => "2026-11-21T10:00:01.000000Z")),
  main::status_hdr("cb-4") ]
--- error_code eval
[200, 200, 200, 200, 200]
--- response_body_like eval
[ "^eyJ", '"state":"verified"', '"state":"verified"', '"state":"verified"', '"verified":true,"state":"verified","status":\{"code":1800' ]



=== a callback naming another phone than the xid was issued for is refused
--- request eval
[ "GET /token?phone=15552000006&xid=cb-5",
  "POST /callback\n" . main::cb(xid => "cb-5", phone => "15552000007"),
  "GET /status" ]
--- more_headers eval
[ "", main::signed(main::cb(xid => "cb-5", phone => "15552000007")), main::status_hdr("cb-5") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ "^eyJ", '"error":"malformed_body"', '"state":"pending"' ]



=== a callback for an xid this node never issued is stored (the token came from another node)
--- request eval
[ "POST /callback\n" . main::cb(xid => "cb-other-node", phone => "15552000008"), "GET /status" ]
--- more_headers eval
[ main::signed(main::cb(xid => "cb-other-node", phone => "15552000008")), main::status_hdr("cb-other-node") ]
--- error_code eval
[200, 200]
--- response_body_like eval
[ '"state":"verified"', '"xid":"cb-other-node","phone":"15552000008","verified":true' ]



=== GET is 405; a body over the configured maximum is 413
--- request eval
[ "GET /callback", "POST /callback-small\n" . ("x" x 600) ]
--- error_code eval
[405, 413]
--- response_body_like eval
[ '"error":"method_not_allowed"', '"error":"body_too_large"' ]
