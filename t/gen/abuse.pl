#!/usr/bin/perl
# Writes t/abuse.t, the bad-input suite, to stdout:
#
#   perl t/gen/abuse.pl > t/abuse.t       (what "make t/abuse.t" does)
#   make check-generated                  fails, with a diff, when t/abuse.t
#                                         is not what this script writes
#
# Each of the suite's blocks wraps one refused request in the requests that
# show the state before and after it, and those are the same for every case
# of an endpoint.  Written out, a case's one interesting line sits among 20
# copied ones; here a case is only what differs (its name, what it sends,
# the status and reason it must get) and the wrapping is one template per
# endpoint.  Edit the cases here, never the blocks in t/abuse.t: the next
# regeneration would undo it, and make check-generated (part of make test)
# refuses the hand edit.
#
# Core Perl only, so that make check-generated needs nothing but perl.

use strict;
use warnings;

# ---------------------------------------------------------------------------
# The cases
#
#   == GROUP            the endpoint the cases below go to: token, callback or
#                       credential; the group decides the block's shape and
#                       which "state is unchanged" check follows the refusal
#   STATUS REASON NAME  one case: the HTTP status and the JSON "error" reason
#                       the bad request must get, and its name (the block is
#                       titled "GROUP: NAME is STATUS REASON ...")
#       field: VALUE    the case's fields (which ones: see each group); a
#                       VALUE is Perl source, copied into the block as it is
#
# Blank lines and lines starting with # are skipped; a blank line separates
# the cases of one status and reason from the next.
#
# In a VALUE, {xid} and {phone} are this case's xid and phone.  They are made
# from the case's number, its position in the table (tk-1, cb-65, cr-110...),
# so that no two blocks share a record and a case can be inserted anywhere
# without renumbering the others by hand.
#
# A few names say more than the request does ("5000 spaces" sends 4000 "+",
# "nested 3000 deep" 2000 "["): they are kept as the suite has them.

# (where the table starts, for error messages that point into it)
my $CASES_AT = __LINE__ + 2;
my $CASES = <<'_END_CASES_';
== token
# The refused request goes to /token; a token for the case's phone and
# xid follows it.
#   request: the refused request (required)
#   type:    its Content-Type (none if not given)
#   headers: instead of type, all of its headers
#   unlike:  a raw_response_headers_unlike for both requests (what a header
#            injection would have put there)

413 body_too_large         a form body over 4k
    request: "POST /token\nphone={phone}&xid={xid}&pad=" . ("x" x 4100)
    type:    application/x-www-form-urlencoded
413 body_too_large         a JSON body over 4k
    request: "POST /token\n{\"phone\":\"{phone}\",\"pad\":\"" . ("x" x 4100) . "\"}"
    type:    application/json
413 body_too_large         a query string over 4k
    request: "GET /token?phone={phone}&pad=" . ("x" x 4100)
413 body_too_large         a chunked body over 4k
    request: "POST /token\n" . main::chunked("phone={phone}&xid={xid}&pad=" . ("x" x 4200))
    headers: "Content-Type: application/x-www-form-urlencoded\nTransfer-Encoding: chunked"

400 malformed_body         a bad %-escape
    request: "POST /token\nphone={phone}&xid=%zz"
    type:    application/x-www-form-urlencoded
400 malformed_body         a truncated %-escape
    request: "POST /token\nphone={phone}&xid=%4"
    type:    application/x-www-form-urlencoded
400 malformed_body         %00 in the phone
    request: "GET /token?phone={phone}%00"
400 malformed_body         %00 in the xid
    request: "GET /token?phone={phone}&xid={xid}%00x"
400 malformed_body         a raw NUL byte in a form body
    request: "POST /token\nphone={phone}\0&xid={xid}"
    type:    application/x-www-form-urlencoded
400 malformed_body         a raw NUL byte in a JSON body
    request: "POST /token\n{\"phone\":\"{phone}\0\"}"
    type:    application/json
400 malformed_body         \u0000 in a JSON string
    request: "POST /token\n{\"phone\":\"{phone}\\u0000\"}"
    type:    application/json
400 malformed_body         a repeated phone field
    request: "GET /token?phone={phone}&phone=15555559999"
400 malformed_body         a repeated xid field
    request: "GET /token?phone={phone}&xid={xid}&xid=other"
400 malformed_body         a JSON array
    request: "POST /token\n[\"{phone}\"]"
    type:    application/json
400 malformed_body         a JSON string
    request: "POST /token\n\"{phone}\""
    type:    application/json
400 malformed_body         a JSON number
    request: "POST /token\n{phone}"
    type:    application/json
400 malformed_body         truncated JSON
    request: "POST /token\n{\"phone\":\"{phone}\""
    type:    application/json
400 malformed_body         JSON with duplicate keys
    request: "POST /token\n{\"phone\":\"15555559999\",\"phone\":\"{phone}\"}"
    type:    application/json
400 malformed_body         a JSON phone that is true
    request: "POST /token\n{\"phone\":true,\"xid\":\"{xid}\"}"
    type:    application/json
400 malformed_body         a JSON phone that is an array
    request: "POST /token\n{\"phone\":[\"{phone}\"],\"xid\":\"{xid}\"}"
    type:    application/json
400 malformed_body         a JSON phone that is an object
    request: "POST /token\n{\"phone\":{\"n\":\"{phone}\"},\"xid\":\"{xid}\"}"
    type:    application/json
400 malformed_body         a negative JSON phone
    request: "POST /token\n{\"phone\":-{phone},\"xid\":\"{xid}\"}"
    type:    application/json
400 malformed_body         a fractional JSON phone
    request: "POST /token\n{\"phone\":{phone}.5,\"xid\":\"{xid}\"}"
    type:    application/json
400 malformed_body         a JSON xid that is a number
    request: "POST /token\n{\"phone\":\"{phone}\",\"xid\":12345}"
    type:    application/json
400 malformed_body         JSON nested 3000 deep
    request: "POST /token\n" . ("[" x 2000) . ("]" x 2000)
    type:    application/json
400 malformed_body         JSON with invalid UTF-8
    request: "POST /token\n{\"phone\":\"{phone}\",\"x\":\"\xff\xfe\"}"
    type:    application/json
400 malformed_body         a form body sent as application/json
    request: "POST /token\nphone={phone}&xid={xid}"
    type:    application/json

400 missing_phone          a JSON body sent as a form
    request: "POST /token\n{\"phone\":\"{phone}\"}"
    type:    application/x-www-form-urlencoded
400 missing_phone          an XML body (text/xml)
    request: "POST /token\n<phone>{phone}</phone>"
    type:    text/xml
400 missing_phone          a multipart body
    request: "POST /token\n--b\r\nContent-Disposition: form-data; name=\"phone\"\r\n\r\n{phone}\r\n--b--"
    type:    multipart/form-data; boundary=b
400 missing_phone          no phone at all
    request: "GET /token?xid={xid}"
400 missing_phone          a country code without a number
    request: "GET /token?country_code=1&xid={xid}"

405 method_not_allowed     PUT
    request: "PUT /token\nphone={phone}"
    type:    application/x-www-form-urlencoded
405 method_not_allowed     DELETE
    request: "DELETE /token?phone={phone}"
405 method_not_allowed     OPTIONS
    request: "OPTIONS /token?phone={phone}"

400 invalid_phone          a phone with CRLF (%0d%0a) and a header after it
    request: "GET /token?phone={phone}%0d%0aX-Injected:%201&xid={xid}"
400 invalid_phone          a phone with a bare LF
    request: "GET /token?phone={phone}%0a&xid={xid}"
400 invalid_phone          a phone with fullwidth digits (UTF-8)
    request: "GET /token?phone=%EF%BC%91%EF%BC%95%EF%BC%95%EF%BC%95%EF%BC%95%EF%BC%95%EF%BC%95%EF%BC%95%EF%BC%95&xid={xid}"
400 invalid_phone          a phone with Arabic-Indic digits
    request: "GET /token?phone=%D9%A1%D9%A5%D9%A5%D9%A5%D9%A5%D9%A5%D9%A5%D9%A5%D9%A5&xid={xid}"
400 invalid_phone          a phone with one superscript digit
    request: "GET /token?phone=1555555%C2%B9234&xid={xid}"
400 invalid_phone          a JSON phone with \u0661 digits
    request: "POST /token\n{\"phone\":\"\\u0661\\u0665\\u0665\\u0665\\u0665\\u0665\\u0665\\u0665\\u0665\\u0665\\u0665\",\"xid\":\"{xid}\"}"
    type:    application/json
400 invalid_phone          a phone with letters
    request: "GET /token?phone=1555CALLNOW&xid={xid}"
400 invalid_phone          a phone with a second +
    request: "GET /token?phone=%2B1%2B5555551234&xid={xid}"
400 invalid_phone          a phone with a semicolon
    request: "GET /token?phone=15555551234;ext=1&xid={xid}"
400 invalid_phone          a 16-digit phone
    request: "GET /token?phone=1555555123456789&xid={xid}"
400 invalid_phone          a 7-digit phone
    request: "GET /token?phone=1555555&xid={xid}"
400 invalid_phone          a phone of 65 characters
    request: "GET /token?phone=" . ("1" x 65) . "&xid={xid}"
400 invalid_phone          a phone of 5000 spaces
    request: "POST /token\nphone=" . ("+" x 4000) . "&xid={xid}"
    type:    application/x-www-form-urlencoded

400 invalid_country_code   an unassigned country code (+999)
    request: "GET /token?phone=%2B999123456789&xid={xid}"
400 invalid_country_code   international freephone (+800)
    request: "GET /token?phone=%2B80012345678&xid={xid}"
400 invalid_country_code   a country code with a letter
    request: "GET /token?country_code=1x&phone_number=5555551234&xid={xid}"
400 invalid_country_code   a country code with CRLF
    request: "GET /token?country_code=1%0d%0a&phone_number=5555551234&xid={xid}"

400 invalid_xid            an xid with CRLF and Set-Cookie
    request: "GET /token?phone={phone}&xid=x%0d%0aSet-Cookie:%20evil=1"
    unlike:  [ qr/evil|Set-Cookie/i, qr/evil/i ]
400 invalid_xid            an xid with %0a only
    request: "GET /token?phone={phone}&xid=x%0aX-Evil:1"
    unlike:  [ qr/X-Evil/i, qr/X-Evil/i ]
400 invalid_xid            an xid with a quote (JSON injection)
    request: "GET /token?phone={phone}&xid=a%22,%22verified%22:true"
400 invalid_xid            an xid with a script tag
    request: "GET /token?phone={phone}&xid=%3Cscript%3E"
400 invalid_xid            an xid with a slash (path traversal)
    request: "GET /token?phone={phone}&xid=..%2F..%2Fetc"
400 invalid_xid            an xid with a space
    request: "GET /token?phone={phone}&xid=a+b"
400 invalid_xid            an xid with a semicolon (cookie attribute)
    request: "GET /token?phone={phone}&xid=a;Domain=evil"
400 invalid_xid            an xid in UTF-8
    request: "GET /token?phone={phone}&xid=%C3%A9t%C3%A9"
400 invalid_xid            an empty xid
    request: "GET /token?phone={phone}&xid="
400 invalid_xid            an xid of 65 characters
    request: "GET /token?phone={phone}&xid=" . ("a" x 65)
400 invalid_xid            an xid of 3000 characters
    request: "POST /token\nphone={phone}&xid=" . ("a" x 3000)
    type:    application/x-www-form-urlencoded

400 invalid_code           a code of 20 digits
    request: "GET /token?phone={phone}&code=" . ("1" x 20) . "&xid={xid}"

== callback
# The refused request is a callback for the case's pending record; the
# record's status follows it.
#   body:    what is posted; if not given, a valid callback for the case's
#            xid, so that only the signature is bad
#   headers: the callback's headers; if not given, a valid signature of the
#            body, so that only the body is bad
#   request: instead of "POST /callback" with the body, the whole request

401 no_signature           no signature
    headers: "Content-Type: application/json"

401 bad_signature          a forged signature
    headers: "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . main::b64("x" x 32)
401 bad_signature          a forged X-TS-Authorization
    headers: "X-TS-Authorization: " . main::b64("x" x 32)
401 bad_signature          a real signature of another body (pending, replayed onto a verified body)
    headers: AppVerify::Test::tsa_header(main::cb(xid => "{xid}", code => 1890))
401 bad_signature          the protocol vector signature on another body
    headers: "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:GykRgq0yWZBpb52Y97YYd/x3PJrZJHcITKWejlGTbYU="
401 bad_signature          a signature with the body changed by one byte
    headers: AppVerify::Test::tsa_header(main::cb(xid => "{xid}") . " ")
401 bad_signature          a signature for another customer id
    headers: "Authorization: TSA 00000000-0000-0000-0000-000000000000:" . main::sig(main::cb(xid => "{xid}"))
401 bad_signature          a signature without the customer id
    headers: "Authorization: TSA " . main::sig(main::cb(xid => "{xid}"))
401 bad_signature          a lower-case scheme
    headers: "Authorization: tsa FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . main::sig(main::cb(xid => "{xid}"))
401 bad_signature          a Bearer scheme
    headers: "Authorization: Bearer " . main::sig(main::cb(xid => "{xid}"))
401 bad_signature          a Basic scheme with the key
    headers: "Authorization: Basic " . main::b64("FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . $AppVerify::Test::API_KEY_TEXT)
401 bad_signature          a signature without its padding
    headers: "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . substr(main::sig(main::cb(xid => "{xid}")), 0, 43)
401 bad_signature          a signature in base64url
    headers: "X-TS-Authorization: " . main::sig_url(main::cb(xid => "{xid}"))
401 bad_signature          a hex signature
    headers: "X-TS-Authorization: " . unpack("H*", Digest::SHA::hmac_sha256(main::cb(xid => "{xid}"), AppVerify::Test::api_key()))
401 bad_signature          a signature made with the session key (key confusion)
    headers: "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . main::b64(Digest::SHA::hmac_sha256(main::cb(xid => "{xid}"), $AppVerify::Test::SESSION_KEY))
401 bad_signature          a signature made with the undecoded key text
    headers: "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . main::b64(Digest::SHA::hmac_sha256(main::cb(xid => "{xid}"), $AppVerify::Test::API_KEY_TEXT))
401 bad_signature          a signature made with an empty key
    headers: "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . main::b64(Digest::SHA::hmac_sha256(main::cb(xid => "{xid}"), ""))
401 bad_signature          a SHA-1 signature (algorithm downgrade)
    headers: "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . main::b64(Digest::SHA::hmac_sha1(main::cb(xid => "{xid}"), AppVerify::Test::api_key()))
401 bad_signature          a plain SHA-256 of the body (no key)
    headers: "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . main::b64(Digest::SHA::sha256(main::cb(xid => "{xid}")))
401 bad_signature          a signature of 44 "="
    headers: "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . ("=" x 44)
401 bad_signature          an empty Authorization
    headers: "Authorization: "
401 bad_signature          a good Authorization with a bad X-TS-Authorization
    headers: AppVerify::Test::tsa_header(main::cb(xid => "{xid}")) . "\nX-TS-Authorization: " . main::b64("y" x 32)
401 bad_signature          a signature with %0d%0a appended
    headers: AppVerify::Test::tsa_header(main::cb(xid => "{xid}")) . "%0d%0aX-Evil: 1"
401 bad_signature          a signature followed by another one
    headers: AppVerify::Test::tsa_header(main::cb(xid => "{xid}")) . "," . main::sig(main::cb(xid => "{xid}"))

413 body_too_large         a signed body over the limit
    body:    main::cb(xid => "{xid}", description => "x" x 17000)
413 body_too_large         a chunked body over the limit
    body:    main::chunked(main::cb(xid => "{xid}", description => "x" x 17000))
    headers: main::signed(main::cb(xid => "{xid}", description => "x" x 17000)) . "\nTransfer-Encoding: chunked"

400 malformed_body         a signed body that is not JSON
    body:    "xid={xid}&code=1800"
400 malformed_body         a signed empty JSON object
    body:    "{}"
400 malformed_body         a signed JSON array
    body:    "[1800]"
400 malformed_body         a signed body with the code as a string
    body:    "{\"status\":{\"code\":\"1800\"},\"xid\":\"{xid}\"}"
400 malformed_body         a signed body with code 0
    body:    "{\"status\":{\"code\":0},\"xid\":\"{xid}\"}"
400 malformed_body         a signed body with a negative code
    body:    "{\"status\":{\"code\":-1800},\"xid\":\"{xid}\"}"
400 malformed_body         a signed body with a 20-digit code
    body:    "{\"status\":{\"code\":18000000000000000000},\"xid\":\"{xid}\"}"
400 malformed_body         a signed body with a bad updated_on
    body:    main::cb(xid => "{xid}", updated_on => "yesterday")
400 malformed_body         a signed body with two xids (duplicate key)
    body:    "{\"status\":{\"code\":1800},\"xid\":\"{xid}\",\"xid\":\"other\"}"
400 malformed_body         a signed body with a raw NUL byte
    body:    main::cb(xid => "{xid}") . "\0"
400 malformed_body         a signed body with \u0000 in the xid
    body:    main::cb(xid => "{xid}\\u0000")

400 invalid_xid            a signed body with CRLF in the xid
    body:    main::cb(xid => "{xid}\\r\\nX-Evil: 1")
400 invalid_xid            a signed body with a 65-character xid
    body:    main::cb(xid => "{xid}" . "a" x 65)

400 malformed_body         a signed body nested 40 deep
    body:    ("[" x 40) . ("]" x 40)
400 malformed_body         a signed body naming another phone
    body:    main::cb(xid => "{xid}", phone => "15555550000")
400 malformed_body         a signed body with Arabic-Indic digits in the phone
    body:    main::cb(xid => "{xid}", phone => "\\u0661555")
400 malformed_body         a signed body with invalid UTF-8
    body:    main::cb(xid => "{xid}", description => "\xff\xfe")

405 method_not_allowed     GET
    request: "GET /callback"
    headers: ""
405 method_not_allowed     PUT with a signed body
    request: "PUT /callback\n" . main::cb(xid => "{xid}")

== credential
# The refused requests are /status and the gate with a bad credential, for
# the case's verified record; its real credential at the gate follows them.
#   headers: the bad credential's headers (required)

401 no_credential          no credential at all
    headers: ""

401 bad_credential         the minted JWT as a Bearer
    headers: "Authorization: Bearer " . main::jwt({alg => "HS256", typ => "JWT"}, {iss => "FFFFFFFF-EEEE-DDDD-1234-AB1234567890", xid => "{xid}", phn => "15555551234", iat => time(), exp => time() + 30}, AppVerify::Test::api_key())
401 bad_credential         the minted JWT as the cookie
    headers: "Cookie: appverify=" . main::jwt({alg => "HS256", typ => "JWT"}, {iss => "FFFFFFFF-EEEE-DDDD-1234-AB1234567890", xid => "{xid}", phn => "15555551234", iat => time(), exp => time() + 30}, AppVerify::Test::api_key())
401 bad_credential         an alg=none JWT
    headers: "Authorization: Bearer " . main::jwt({alg => "none", typ => "JWT"}, {xid => "{xid}", exp => time() + 3600}, undef)
401 bad_credential         a JWT signed with the session key
    headers: "Authorization: Bearer " . main::jwt({alg => "HS256", typ => "JWT"}, {xid => "{xid}", exp => time() + 3600}, $AppVerify::Test::SESSION_KEY)
401 bad_credential         a credential MAC made with the API key
    headers: "Authorization: Bearer " . AppVerify::Test::credential("{xid}", time() + 3600, AppVerify::Test::api_key())
401 bad_credential         a credential MAC made with the API key text
    headers: "Authorization: Bearer " . AppVerify::Test::credential("{xid}", time() + 3600, $AppVerify::Test::API_KEY_TEXT)
401 bad_credential         a credential with an empty MAC (alg=none style)
    headers: "Authorization: Bearer {xid}." . (time() + 3600) . "."
401 bad_credential         a credential with a MAC of zeros
    headers: "Authorization: Bearer {xid}." . (time() + 3600) . ".AAAAAAAAAAAAAAAAAAAAAA"
401 bad_credential         a credential with the full 32-byte MAC
    headers: "Authorization: Bearer {xid}." . (time() + 3600) . "." . main::b64url(Digest::SHA::hmac_sha256("av1\0{xid}\0" . (time() + 3600), $AppVerify::Test::SESSION_KEY))
401 bad_credential         a credential with the MAC in standard base64
    headers: "Authorization: Bearer " . main::std_b64_cred("{xid}")
401 bad_credential         a credential with the MAC over "xid.exp" (no domain separation)
    headers: "Authorization: Bearer {xid}." . (time() + 3600) . "." . main::b64url(substr(Digest::SHA::hmac_sha256("{xid}." . (time() + 3600), $AppVerify::Test::SESSION_KEY), 0, 16))
401 bad_credential         a credential with one bit flipped in the xid
    headers: "Authorization: Bearer " . main::flip(AppVerify::Test::credential("{xid}"), 0)
401 bad_credential         a credential with one bit flipped in the expiry
    headers: "Authorization: Bearer " . main::flip(AppVerify::Test::credential("{xid}"), length("{xid}") + 3)
401 bad_credential         a credential with one bit flipped in the MAC
    headers: "Authorization: Bearer " . main::flip(AppVerify::Test::credential("{xid}"), -5)
401 bad_credential         a credential with the MAC's last character changed
    headers: "Authorization: Bearer " . main::last_char(AppVerify::Test::credential("{xid}"))
401 bad_credential         a credential truncated by one character
    headers: "Authorization: Bearer " . substr(AppVerify::Test::credential("{xid}"), 0, -1)
401 bad_credential         a credential with a character appended
    headers: "Authorization: Bearer " . AppVerify::Test::credential("{xid}") . "A"
401 bad_credential         a credential whose expiry was extended
    headers: "Authorization: Bearer " . main::extend(AppVerify::Test::credential("{xid}", time() + 60))
401 bad_credential         a credential for another xid with this MAC
    headers: "Authorization: Bearer " . main::swap_xid(AppVerify::Test::credential("{xid}"), "cr-other")

401 expired_credential     an expired credential
    headers: "Authorization: Bearer " . AppVerify::Test::credential("{xid}", time() - 1)
401 expired_credential     a credential that expired at 0
    headers: "Authorization: Bearer " . AppVerify::Test::credential("{xid}", 0)
401 expired_credential     an expired credential as the cookie
    headers: "Cookie: appverify=" . AppVerify::Test::credential("{xid}", time() - 3600)

401 bad_credential         a credential with a leading zero in the expiry
    headers: "Authorization: Bearer " . AppVerify::Test::credential("{xid}", "0" . (time() + 3600))
401 bad_credential         a credential with a negative expiry
    headers: "Authorization: Bearer " . AppVerify::Test::credential("{xid}", -1)
401 bad_credential         a credential with a 20-digit expiry
    headers: "Authorization: Bearer " . AppVerify::Test::credential("{xid}", "99999999999999999999")
401 bad_credential         a credential with a signed xid of 65 characters
    headers: "Authorization: Bearer " . AppVerify::Test::credential("{xid}" . ("a" x 65))
401 bad_credential         a credential with a signed xid holding "/"
    headers: "Authorization: Bearer " . AppVerify::Test::credential("{xid}/../x")
401 bad_credential         a credential with a signed xid holding %0d%0a
    headers: "Authorization: Bearer " . AppVerify::Test::credential("{xid}%0d%0aX-Evil:1")
401 bad_credential         a credential with a signed UTF-8 xid
    headers: "Authorization: Bearer " . AppVerify::Test::credential("{xid}\xc3\xa9")

401 unknown_session        a signed credential for an xid never issued
    headers: "Authorization: Bearer " . AppVerify::Test::credential("{xid}-never")

401 bad_credential         a 4000-character cookie
    headers: "Cookie: appverify=" . ("A" x 4000)
401 bad_credential         a quoted cookie value
    headers: "Cookie: appverify=\"" . AppVerify::Test::credential("{xid}") . "\""
401 bad_credential         a bad Bearer beside a good cookie (Bearer wins)
    headers: "Authorization: Bearer x.1.AAAAAAAAAAAAAAAAAAAAAA\nCookie: appverify=" . AppVerify::Test::credential("{xid}")
401 bad_credential         a bad first cookie before a good one (the first decides)
    headers: "Cookie: appverify=x.1.AAAAAAAAAAAAAAAAAAAAAA; appverify=" . AppVerify::Test::credential("{xid}")

401 no_credential          the credential under another cookie name
    headers: "Cookie: appverifyx=" . AppVerify::Test::credential("{xid}")
401 no_credential          a Basic Authorization
    headers: "Authorization: Basic " . main::b64("{xid}:x")

_END_CASES_

# ---------------------------------------------------------------------------
# One template per group.  {status}, {reason}, {name}, {xid} and {phone} are
# the case's; {request} and {headers} are the Perl source of the refused
# request and its headers, worked out from the case's fields below.

my %TEMPLATE;

# the refused request, then a token for the same phone and xid, which is 200
# only if the refusal reserved neither (else 409 duplicate_request or
# xid_in_use)
$TEMPLATE{token} = <<'_END_TEMPLATE_';
=== token: {name} is {status} {reason} and reserves nothing
--- request eval
[ {request},
  "GET /token?phone={phone}&xid={xid}" ]
--- more_headers eval
[ {headers},
  "" ]
--- error_code eval
[{status}, 200]
--- response_body_like eval
[ '^\{"error":"{reason}","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]
_END_TEMPLATE_

# a pending record, the refused callback aimed at it, then the record's
# status, which must still be pending
$TEMPLATE{callback} = <<'_END_TEMPLATE_';
=== callback: {name} is {status} {reason} and changes nothing
--- request eval
[ "GET /token?phone={phone}&xid={xid}",
  {request},
  "GET /status" ]
--- more_headers eval
[ "",
  {headers},
  main::bearer("{xid}") ]
--- error_code eval
[200, {status}, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"{reason}","message":"[^"]+"\}$',
  '^\{"xid":"{xid}","phone":"{phone}","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]
_END_TEMPLATE_

# a verified record; the bad credential is refused by the status endpoint
# and by the gate, and the record's real credential still passes the gate
$TEMPLATE{credential} = <<'_END_TEMPLATE_';
=== credential: {name} is {status} {reason} at status and gate
--- request eval
[ "GET /token?phone={phone}&xid={xid}",
  "POST /callback\n" . main::cb(xid => "{xid}"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "{xid}")),
  {headers},
  {headers},
  main::bearer("{xid}") ]
--- error_code eval
[200, 200, {status}, {status}, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"{reason}","message":"[^"]+"\}$',
  '^\{"error":"{reason}","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]
_END_TEMPLATE_

# ---------------------------------------------------------------------------
# Carried verbatim: the file's Perl part (helpers, the block preprocessor
# and the secrets check that runs after the blocks), and the last blocks,
# which fit no template: callbacks replayed on purpose (several requests,
# all 200), chunked bodies that must work, and the secrets block that runs
# every endpoint at debug level.

my $PREAMBLE = <<'_END_PREAMBLE_';
# The bad-input suite (issue 7): every malformed, oversized, forged,
# replayed or confused input gets its 4xx with a JSON reason and changes no
# state.  Each block sends the bad request between requests that show the
# state before and after it:
#   token:      the refused request's phone and xid are still free (a new
#               token for them is 200, not 409 duplicate_request/xid_in_use);
#   callback:   the record the callback aimed at is still pending;
#   credential: the verified record is still served for its real credential.
# The last blocks replay a valid callback (harmless) and grep a debug-level
# error log, after every endpoint has run, for the API key, the session
# secret and a minted JWT.
#
# Generated by t/gen/abuse.pl from its table of cases: edit the cases
# there, not the blocks here, then run "make t/abuse.t" (make
# check-generated, part of make test, fails when this file is not what the
# generator writes).  What the blocks share is set below, before
# run_tests(), by a block preprocessor.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb signed bearer);
use AppVerify::Sim;
use Digest::SHA ();
use MIME::Base64 ();

no_shuffle();
no_long_string();
log_level('info');

AppVerify::Sim::start();

our $http_config = $AppVerify::Test::HTTP_CONFIG;

our $locations = <<'_EOC_';
    location = /token    { appverify_token zone=av rate=60r/m burst=10; }
    location = /callback { appverify_callback zone=av; }
    location = /status   { appverify_status zone=av; }
    location /account/   { appverify_require zone=av; alias html/; }
_EOC_

# every endpoint, with Telesign played by the simulator (secrets test)
our $all_locations = <<'_EOC_';
    location = /token    { appverify_token zone=av; }
    location = /callback { appverify_callback zone=av; }
    location = /status   { appverify_status zone=av lookup=/_telesign; }
    location = /call     { appverify_call zone=av upstream=/_telesign; }
    location = /finalize { appverify_finalize zone=av upstream=/_telesign; }
    location /account/   { appverify_require zone=av lookup=/_telesign; alias html/; }
_EOC_
$all_locations .= AppVerify::Test::telesign_locations('2s');

sub sig    { AppVerify::Test::signature($_[0]) }
sub b64    { AppVerify::Test::b64($_[0]) }
sub b64url { AppVerify::Test::b64url($_[0]) }
sub sig_url { my $s = sig($_[0]); $s =~ tr{+/}{-_}; $s =~ s/=+$//; $s }

# a compact JWS; no key: alg=none with an empty signature
sub jwt {
    my ($h, $c, $key) = @_;
    my $enc = sub {
        my $o = shift;
        '{' . join(',', map { my $v = $o->{$_}; qq("$_":) . ($v =~ /^\d+$/ ? $v : qq("$v")) } sort keys %$o) . '}';
    };
    my $in = b64url($enc->($h)) . '.' . b64url($enc->($c));
    return "$in." . (defined $key ? b64url(Digest::SHA::hmac_sha256($in, $key)) : '');
}

# one bit of character $i flipped, staying printable
sub flip {
    my ($s, $i) = @_;
    $i += length $s if $i < 0;
    my $c = ord substr($s, $i, 1);
    substr($s, $i, 1) = chr($c ^ 0x01);
    return $s;
}

# the MAC's last character: its 4 unused low bits set
sub last_char {
    my ($s) = @_;
    my $alpha = join '', 'A' .. 'Z', 'a' .. 'z', 0 .. 9, '-', '_';
    my $v = index $alpha, substr($s, -1);
    substr($s, -1) = substr($alpha, $v | 0x0f, 1) eq substr($s, -1)
                   ? substr($alpha, $v & ~0x0f, 1) : substr($alpha, $v | 0x0f, 1);
    return $s;
}

sub extend { my ($s) = @_; $s =~ s/\.(\d+)\./"." . ($1 + 86400) . "."/e; $s }
sub swap_xid { my ($s, $x) = @_; $s =~ s/^[^.]+/$x/; $s }

sub std_b64_cred {
    my ($xid) = @_;
    my $exp = time() + 3600;
    my $mac = substr(Digest::SHA::hmac_sha256("av1\0$xid\0$exp", $AppVerify::Test::SESSION_KEY), 0, 16);
    my $s = MIME::Base64::encode_base64($mac, '');
    $s = MIME::Base64::encode_base64(substr($mac, 0, 15) . "\xfb", '') unless $s =~ m{[+/]};
    return "$xid.$exp.$s";
}

# a body in one chunk (the runner sends chunked bodies as they are)
sub chunked { my $d = shift; sprintf("%x", length $d) . "\r\n$d\r\n0\r\n\r\n" }

our $minted_jwt;

# What every block has unless it says otherwise: the http{} lines, the
# endpoints, and no line at error level or worse in the log.
add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value(http_config => $::http_config)
        unless defined $block->http_config;
    $block->set_value(config => $::locations) unless defined $block->config;
    $block->set_value(no_error_log => "[error]\n[alert]\n[crit]\n")
        unless defined $block->no_error_log;
});

run_tests();

# The last block ran every endpoint with a debug-level log; the server is
# still up, its log is complete.
{
    my $log = do {
        local $/;
        open my $fh, '<:raw', server_root() . '/logs/error.log' or die "error.log: $!";
        <$fh>;
    };
    my $key_text = $AppVerify::Test::API_KEY_TEXT;
    (my $key_b64 = $key_text) =~ s/^EXAMPLE----//;
    my $key = AppVerify::Test::api_key();
    my $session = $AppVerify::Test::SESSION_KEY;

    ok(length($log) > 10000, 'the debug log has content (' . length($log) . ' bytes)');
    like($log, qr/\[debug\]/, 'the log is at debug level');
    # a control: the grep below sees what clients send, credentials included
    like($log, qr/http header: "Authorization: Bearer sec-1\.\d+\./,
         'request headers are in the log (so a leaked secret would be seen)');
    ok(defined $minted_jwt && $minted_jwt =~ /^eyJ[\w-]+\.[\w-]+\.[\w-]{43}$/, 'a JWT was minted');
    for my $secret (['the API key text', $key_text], ['the API key base64 without its prefix', $key_b64],
                    ['the first 16 characters of the key', substr($key_b64, 0, 16)],
                    ['the decoded API key', $key], ['the first 8 bytes of the decoded key', substr($key, 0, 8)],
                    ['the decoded key in hex', unpack('H*', $key)],
                    ['the session secret', $session], ['the session secret in base64', b64($session)],
                    ['the minted JWT', $minted_jwt // 'no-jwt-was-minted'],
                    ['the minted JWT signature', (split /\./, $minted_jwt // 'x.y.no-jwt')[2]]) {
        my ($what, $s) = @$secret;
        ok(index($log, $s) < 0, "$what never appears in the debug log");
    }
}
__DATA__
_END_PREAMBLE_

my $TAIL = <<'_END_TAIL_';
=== callback: a valid callback replayed, and an older pending one after it, is harmless
--- request eval
[ "GET /token?phone=15555551234&xid=rp-1",
  "POST /callback\n" . main::cb(xid => "rp-1"),
  "POST /callback\n" . main::cb(xid => "rp-1"),
  "POST /callback\n" . main::cb(xid => "rp-1"),
  "POST /callback\n" . main::cb(xid => "rp-1", code => 1890, updated_on => "2026-11-21T09:00:00.000000Z"),
  "POST /callback\n" . main::cb(xid => "rp-1", code => 1803, updated_on => "2026-11-21T09:00:01.000000Z"),
  "GET /status",
  "GET /account/index.html",
  "GET /token?phone=15555551234&xid=rp-2" ]
--- more_headers eval
[ "", main::signed(main::cb(xid => "rp-1")), main::signed(main::cb(xid => "rp-1")),
  main::signed(main::cb(xid => "rp-1")),
  main::signed(main::cb(xid => "rp-1", code => 1890, updated_on => "2026-11-21T09:00:00.000000Z")),
  main::signed(main::cb(xid => "rp-1", code => 1803, updated_on => "2026-11-21T09:00:01.000000Z")),
  main::bearer("rp-1"), main::bearer("rp-1"), "" ]
--- error_code eval
[200, 200, 200, 200, 200, 200, 200, 200, 200]
--- response_body_like eval
[ "^eyJ", '"state":"verified"', '"state":"verified"', '"state":"verified"', '"state":"verified"',
  '"state":"verified"', '"verified":true,"state":"verified","status":\{"code":1800', "It works", "^eyJ" ]
--- no_error_log
[error]



=== callback: a replayed verified callback for an xid never issued stores it once; replaying it for another xid is forged
--- request eval
[ "POST /callback\n" . main::cb(xid => "rp-3"),
  "POST /callback\n" . main::cb(xid => "rp-3"),
  "POST /callback\n" . main::cb(xid => "rp-4"),
  "GET /status" ]
--- more_headers eval
[ main::signed(main::cb(xid => "rp-3")), main::signed(main::cb(xid => "rp-3")),
  main::signed(main::cb(xid => "rp-3")), main::bearer("rp-4") ]
--- error_code eval
[200, 200, 401, 401]
--- response_body_like eval
[ '"xid":"rp-3","state":"verified"', '"xid":"rp-3","state":"verified"', '"error":"bad_signature"', '"error":"unknown_session"' ]



=== chunked bodies within the limits work (their empty last buffer is skipped when the body is joined)
--- request eval
[ "POST /token\n" . main::chunked("phone=15555550999&xid=ch-1"),
  "POST /callback\n" . main::chunked(main::cb(xid => "ch-1", phone => "15555550999")),
  "GET /status" ]
--- more_headers eval
[ "Content-Type: application/x-www-form-urlencoded\nTransfer-Encoding: chunked",
  main::signed(main::cb(xid => "ch-1", phone => "15555550999")) . "\nTransfer-Encoding: chunked",
  main::bearer("ch-1") ]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[ "^eyJ", '"state":"verified"', '"xid":"ch-1","phone":"15555550999","verified":true' ]
--- no_error_log
[error]



=== secrets: every endpoint runs with a debug-level log (checked after the blocks)
--- log_level: debug
--- config eval: $::all_locations
--- request eval
[ "POST /sim/reset\n",
  "GET /token?phone=15555551234&xid=sec-1",
  "POST /token\n{\"phone\":\"+44 7981 897555\",\"xid\":\"sec-2\"}",
  "POST /callback\n" . main::cb(xid => "sec-1"),
  "POST /callback\nforged",
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html",
  "POST /sim/status\n{\"xid\":\"sec-2\",\"code\":1800,\"phone\":\"447981897555\"}",
  "GET /status",
  "POST /sim/next-code\n{\"code\":\"12345\"}",
  "POST /call\nphone=%2B33612345678&xid=sec-3",
  "POST /finalize\ncode=54321",
  "POST /finalize\ncode=12345",
  "GET /account/index.html" ]
--- more_headers eval
[ "", "", "Content-Type: application/json",
  main::signed(main::cb(xid => "sec-1")),
  "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . main::b64("z" x 32),
  main::bearer("sec-1"), "Cookie: appverify=" . AppVerify::Test::credential("sec-1"),
  "Authorization: Bearer sec-1.1.AAAAAAAAAAAAAAAAAAAAAA",
  "", main::bearer("sec-2"), "",
  "Content-Type: application/x-www-form-urlencoded",
  main::bearer("sec-3") . "\nContent-Type: application/x-www-form-urlencoded",
  main::bearer("sec-3") . "\nContent-Type: application/x-www-form-urlencoded",
  main::bearer("sec-3") ]
--- response_body_filters eval
sub { my $b = shift; $main::minted_jwt //= $1 if defined $b && $b =~ /^(eyJ[\w-]+\.[\w-]+\.[\w-]+)$/m; $b }
--- error_code eval
[200, 200, 200, 200, 401, 200, 200, 401, 200, 200, 200, 200, 200, 200, 200]
--- response_body_like eval
[ '"reset"', "^eyJ", "^eyJ", '"state":"verified"', '"error":"bad_signature"', '"verified":true', "It works",
  '"error":"bad_credential"', '.', '"xid":"sec-2".*"verified":true', '.', '"prefix":"33', '"verified":false',
  '"verified":true', "It works" ]
_END_TAIL_

# ---------------------------------------------------------------------------

# the cases as a list of { group, n, status, reason, name, fields }
sub parse_cases {
    my ($text) = @_;
    my ($group, @cases);
    my $line = $CASES_AT - 1;
    for (split /\n/, $text) {
        $line++;
        next if /^\s*(#|$)/;
        if (/^== (\w+)$/) {
            die "t/gen/abuse.pl line $line: no template for group $1\n" unless $TEMPLATE{$1};
            $group = $1;
        } elsif (/^(\d{3}) +(\w+) +(\S.*)$/) {
            die "t/gen/abuse.pl line $line: a case before any group\n" unless $group;
            push @cases, { group => $group, n => @cases + 1, status => $1,
                           reason => $2, name => $3, line => $line, f => {} };
        } elsif (/^\s+(\w+): +(\S.*)$/) {
            die "t/gen/abuse.pl line $line: a field before any case\n" unless @cases;
            die "t/gen/abuse.pl line $line: $1 given twice\n" if exists $cases[-1]{f}{$1};
            $cases[-1]{f}{$1} = $2;
        } else {
            die "t/gen/abuse.pl line $line: not a group, a case or a field: $_\n";
        }
    }
    return @cases;
}

# "PREFIX" . EXPR, one string literal when EXPR is one ("POST /callback\n{}"
# rather than "POST /callback\n" . "{}"), as the suite writes it
sub join_literal {
    my ($prefix, $expr) = @_;
    return qq("$prefix$1") if $expr =~ /^"((?:[^"\\]|\\.)*)"$/;
    return qq("$prefix" . $expr);
}

# the values of the template's {placeholders} for one case
sub fill {
    my ($c) = @_;
    my %f = %{ $c->{f} };
    my %allowed = (token      => [qw(request type headers unlike)],
                   callback   => [qw(body request headers)],
                   credential => [qw(headers)]);
    my %ok = map { $_ => 1 } @{ $allowed{ $c->{group} } };
    for (sort keys %f) {
        die "t/gen/abuse.pl line $c->{line}: $c->{group} cases have no field $_\n" unless $ok{$_};
    }

    my $xid = { token => 'tk', callback => 'cb', credential => 'cr' }->{ $c->{group} } . "-$c->{n}";
    # a token case reserves a phone of its own, so a refusal that reserved it
    # shows as 409 in that case's follow-up and not in another's
    my $phone = $c->{group} eq 'token' ? sprintf('1555555%04d', $c->{n}) : '15555551234';
    for my $v (values %f) {
        $v =~ s/\{xid\}/$xid/g;
        $v =~ s/\{phone\}/$phone/g;
        # anything else in braces would be a mistyped placeholder
        die "t/gen/abuse.pl line $c->{line}: unknown placeholder $1\n" if $v =~ /(\{\w+\})/;
    }

    my %v = (name => $c->{name}, status => $c->{status}, reason => $c->{reason},
             xid => $xid, phone => $phone);
    if ($c->{group} eq 'token') {
        die "t/gen/abuse.pl line $c->{line}: a token case needs a request\n" unless defined $f{request};
        die "t/gen/abuse.pl line $c->{line}: type or headers, not both\n" if defined $f{type} && defined $f{headers};
        $v{request} = $f{request};
        $v{headers} = defined $f{type} ? qq("Content-Type: $f{type}") : $f{headers} // '""';
        $v{unlike}  = $f{unlike};
    } elsif ($c->{group} eq 'callback') {
        my $body = $f{body} // qq(main::cb(xid => "$xid"));
        $v{request} = $f{request} // join_literal('POST /callback\n', $body);
        $v{headers} = $f{headers} // "main::signed($body)";
    } else {
        die "t/gen/abuse.pl line $c->{line}: a credential case needs its headers\n" unless defined $f{headers};
        $v{headers} = $f{headers};
    }
    return %v;
}

sub block {
    my ($c) = @_;
    my %v = fill($c);
    (my $b = $TEMPLATE{ $c->{group} }) =~ s/\{(\w+)\}/$v{$1} \/\/ die "no value for {$1}\n"/ge;
    $b .= "--- raw_response_headers_unlike eval\n$v{unlike}\n" if defined $v{unlike};
    return $b;
}

binmode STDOUT;
print $PREAMBLE, "\n", join("\n\n\n", (map { block($_) } parse_cases($CASES)), $TAIL);
