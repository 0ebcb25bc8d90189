# The token endpoint, on httpd and nginx alike (t/both-servers/run).

use lib 't/lib';
use AppVerify::Scenario 'no_plan';
use AppVerify::Test;
use Digest::SHA ();
use MIME::Base64 ();

# header.claims with the signature recomputed here, independently of common/
sub jwt_claims {
    my ($jwt) = @_;
    my ($h, $c, $s) = split /\./, $jwt;
    return "no jwt" unless defined $s;
    my $mac = AppVerify::Test::b64url(
        Digest::SHA::hmac_sha256("$h.$c", AppVerify::Test::api_key()));
    return "bad signature" unless $mac eq $s;
    $c =~ tr{-_}{+/};
    $c .= '=' x ((4 - length($c) % 4) % 4);
    return MIME::Base64::decode_base64($c);
}

run_scenarios();

__DATA__

=== a phone as a query argument gets a bare JWT as text/plain, and a cookie
--- request
GET /token?phone=%2B1%20(555)%20100-0001&xid=tok-1
--- error_code: 200
--- response_headers_like
Content-Type: text/plain
Cache-Control: no-store
Set-Cookie: appverify=tok-1\.\d+\.[A-Za-z0-9_-]{22}; Path=/; Max-Age=43200; HttpOnly; Secure; SameSite=Lax
--- response_body_like chomp
^eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9\.eyJpc3MiOiJGRkZGRkZGRi1FRUVFLUREREQtMTIzNC1BQjEyMzQ1Njc4OTAiLCJpYXQiOj[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$



=== the JWT carries iss, iat, exp (30 s later), xid and phn, signed with the API key
--- request
GET /token?phone=15551000002&xid=tok-2
--- response_body_filters eval
sub {
    my $claims = main::jwt_claims(shift);
    return "ok\n"
        if $claims =~ /^\{"iss":"FFFFFFFF-EEEE-DDDD-1234-AB1234567890","iat":(\d+),"exp":(\d+),"xid":"tok-2","phn":"15551000002"\}$/
           && $2 - $1 == 30 && abs($1 - time()) < 5;
    return "bad claims: $claims\n";
}
--- response_body
ok



=== country_code and phone_number in a form body, trunk 0 dropped, JSON answer
--- request
POST /token
country_code=%2B44&phone_number=07981%20100004&xid=tok-4
--- more_headers
Content-Type: application/x-www-form-urlencoded
Accept: application/json
--- error_code: 200
--- response_headers_like
Content-Type: application/json
Set-Cookie: appverify=tok-4\.\d+\.[A-Za-z0-9_-]{22}; Path=/; Max-Age=43200; HttpOnly; Secure; SameSite=Lax
--- response_body_like chomp
^\{"token":"eyJ[^"]+","xid":"tok-4","expires_in":30,"session":"tok-4\.\d+\.[A-Za-z0-9_-]{22}"\}\n$



=== a JSON body works, and the xid is a random UUID when none is given
--- request
POST /token
{"country_code":"1","phone_number":"(555) 100-0005"}
--- more_headers
Content-Type: application/json
Accept: application/json
--- error_code: 200
--- response_body_like
^\{"token":"eyJ[^"]+","xid":"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}","expires_in":30,"session":"[^"]+"\}$



=== a second request while the first is pending is 409, and the refused xid is not stored
--- request eval
["GET /token?phone=15551000006&xid=tok-dup-1", "GET /token?phone=15551000006&xid=tok-dup-2", "GET /token?phone=15551000007&xid=tok-dup-2"]
--- error_code eval
[200, 409, 200]
--- response_body_like eval
["^eyJ", '^\{"error":"duplicate_request","message":"[^"]+"\}$', "^eyJ"]
--- response_headers eval
["", "Content-Type: application/json\n! Set-Cookie", ""]



=== a caller-chosen xid already in use is 409 xid_in_use
--- request eval
["GET /token?phone=15551000008&xid=tok-same", "GET /token?phone=15551000009&xid=tok-same"]
--- error_code eval
[200, 409]
--- response_body_like eval
["^eyJ", '"error":"xid_in_use"']



=== more than the rate per phone is 429 (rate 1r/m, burst 1, no pending window)
--- request eval
["GET /token-rate?phone=15551000010&xid=tok-r1", "GET /token-rate?phone=15551000010&xid=tok-r2", "GET /token-rate?phone=15551000010&xid=tok-r3", "GET /token-rate?phone=15551000011&xid=tok-r4"]
--- error_code eval
[200, 200, 429, 200]
--- response_body_like eval
["^eyJ", "^eyJ", '^\{"error":"rate_limited"', "^eyJ"]



=== a refused rate-limited request does not store its xid
--- request eval
["GET /token-rate0?phone=15551000012&xid=tok-z1", "GET /token-rate0?phone=15551000012&xid=tok-z2", "GET /token-rate0?phone=15551000013&xid=tok-z2"]
--- error_code eval
[200, 429, 200]



=== invalid phone numbers are 400 with a reason
--- request eval
["GET /token?phone=call-me", "GET /token?phone=123", "GET /token?phone=1234567890123456", "GET /token?phone=%2B2812345678", "GET /token", "GET /token?country_code=44", "GET /token?phone=%EF%BC%91%EF%BC%95%EF%BC%95%EF%BC%95%EF%BC%95%EF%BC%95%EF%BC%95%EF%BC%91%EF%BC%92%EF%BC%93", "GET /token?phone=1555%00551234"]
--- error_code eval
[400, 400, 400, 400, 400, 400, 400, 400]
--- response_body_like eval
['"error":"invalid_phone"', '"error":"invalid_phone"', '"error":"invalid_phone"', '"error":"invalid_country_code"', '"error":"missing_phone"', '"error":"missing_phone"', '"error":"invalid_phone"', '"error":"(invalid_phone|malformed_body)"']
--- response_headers eval
[("Content-Type: application/json\n! Set-Cookie") x 8]



=== invalid xids are 400 invalid_xid and set no cookie
--- request eval
["GET /token?phone=15551000014&xid=a%22b", "GET /token?phone=15551000014&xid=" . ("x" x 65), "GET /token?phone=15551000014&xid=a%0d%0aSet-Cookie:%20x=y"]
--- error_code eval
[400, 400, 400]
--- response_body_like eval
['"error":"invalid_xid"', '"error":"invalid_xid"', '"error":"invalid_xid"']
--- response_headers eval
["! Set-Cookie", "! Set-Cookie", "! Set-Cookie"]



=== malformed bodies are 400 and bodies over 4k are 413
--- request eval
["POST /token\n{\"phone\": [1]}", "POST /token\nphone=1%zz", "POST /token\n" . ("phone=15551000015&" x 300)]
--- more_headers eval
["Content-Type: application/json", "Content-Type: application/x-www-form-urlencoded", "Content-Type: application/x-www-form-urlencoded"]
--- error_code eval
[400, 400, 413]
--- response_body_like eval
['"error":"malformed_body"', '"error":"malformed_body"', '"error":"body_too_large"']



=== other methods are 405 (HEAD too: it would start a verification)
--- request eval
["DELETE /token?phone=15551000016", "PUT /token\nphone=15551000016", "HEAD /token?phone=15551000016&xid=tok-head", "GET /token?phone=15551000016&xid=tok-head"]
--- error_code eval
[405, 405, 405, 200]
--- response_body_like eval
['"error":"method_not_allowed"', '"error":"method_not_allowed"', '^$', '^eyJ']



=== cookie name, Secure, SameSite and the lifetimes are configurable
--- request
GET /token-cookie?phone=15551000017&xid=tok-c1
--- more_headers
Accept: application/json
--- response_headers_like
Set-Cookie: av_session=tok-c1\.\d+\.[A-Za-z0-9_-]{22}; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict
--- response_body_like: "expires_in":45,
