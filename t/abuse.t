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
# Generated once from a table of cases (see the git history of this file);
# edit the blocks directly.  What they share is set below, before
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

=== token: a form body over 4k is 413 body_too_large and reserves nothing
--- request eval
[ "POST /token\nphone=15555550001&xid=tk-1&pad=" . ("x" x 4100),
  "GET /token?phone=15555550001&xid=tk-1" ]
--- more_headers eval
[ "Content-Type: application/x-www-form-urlencoded",
  "" ]
--- error_code eval
[413, 200]
--- response_body_like eval
[ '^\{"error":"body_too_large","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a JSON body over 4k is 413 body_too_large and reserves nothing
--- request eval
[ "POST /token\n{\"phone\":\"15555550002\",\"pad\":\"" . ("x" x 4100) . "\"}",
  "GET /token?phone=15555550002&xid=tk-2" ]
--- more_headers eval
[ "Content-Type: application/json",
  "" ]
--- error_code eval
[413, 200]
--- response_body_like eval
[ '^\{"error":"body_too_large","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a query string over 4k is 413 body_too_large and reserves nothing
--- request eval
[ "GET /token?phone=15555550003&pad=" . ("x" x 4100),
  "GET /token?phone=15555550003&xid=tk-3" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[413, 200]
--- response_body_like eval
[ '^\{"error":"body_too_large","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a chunked body over 4k is 413 body_too_large and reserves nothing
--- request eval
[ "POST /token\n" . main::chunked("phone=15555550004&xid=tk-4&pad=" . ("x" x 4200)),
  "GET /token?phone=15555550004&xid=tk-4" ]
--- more_headers eval
[ "Content-Type: application/x-www-form-urlencoded\nTransfer-Encoding: chunked",
  "" ]
--- error_code eval
[413, 200]
--- response_body_like eval
[ '^\{"error":"body_too_large","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a bad %-escape is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\nphone=15555550005&xid=%zz",
  "GET /token?phone=15555550005&xid=tk-5" ]
--- more_headers eval
[ "Content-Type: application/x-www-form-urlencoded",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a truncated %-escape is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\nphone=15555550006&xid=%4",
  "GET /token?phone=15555550006&xid=tk-6" ]
--- more_headers eval
[ "Content-Type: application/x-www-form-urlencoded",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: %00 in the phone is 400 malformed_body and reserves nothing
--- request eval
[ "GET /token?phone=15555550007%00",
  "GET /token?phone=15555550007&xid=tk-7" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: %00 in the xid is 400 malformed_body and reserves nothing
--- request eval
[ "GET /token?phone=15555550008&xid=tk-8%00x",
  "GET /token?phone=15555550008&xid=tk-8" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a raw NUL byte in a form body is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\nphone=15555550009\0&xid=tk-9",
  "GET /token?phone=15555550009&xid=tk-9" ]
--- more_headers eval
[ "Content-Type: application/x-www-form-urlencoded",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a raw NUL byte in a JSON body is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\n{\"phone\":\"15555550010\0\"}",
  "GET /token?phone=15555550010&xid=tk-10" ]
--- more_headers eval
[ "Content-Type: application/json",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: \u0000 in a JSON string is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\n{\"phone\":\"15555550011\\u0000\"}",
  "GET /token?phone=15555550011&xid=tk-11" ]
--- more_headers eval
[ "Content-Type: application/json",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a repeated phone field is 400 malformed_body and reserves nothing
--- request eval
[ "GET /token?phone=15555550012&phone=15555559999",
  "GET /token?phone=15555550012&xid=tk-12" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a repeated xid field is 400 malformed_body and reserves nothing
--- request eval
[ "GET /token?phone=15555550013&xid=tk-13&xid=other",
  "GET /token?phone=15555550013&xid=tk-13" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a JSON array is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\n[\"15555550014\"]",
  "GET /token?phone=15555550014&xid=tk-14" ]
--- more_headers eval
[ "Content-Type: application/json",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a JSON string is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\n\"15555550015\"",
  "GET /token?phone=15555550015&xid=tk-15" ]
--- more_headers eval
[ "Content-Type: application/json",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a JSON number is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\n15555550016",
  "GET /token?phone=15555550016&xid=tk-16" ]
--- more_headers eval
[ "Content-Type: application/json",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: truncated JSON is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\n{\"phone\":\"15555550017\"",
  "GET /token?phone=15555550017&xid=tk-17" ]
--- more_headers eval
[ "Content-Type: application/json",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: JSON with duplicate keys is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\n{\"phone\":\"15555559999\",\"phone\":\"15555550018\"}",
  "GET /token?phone=15555550018&xid=tk-18" ]
--- more_headers eval
[ "Content-Type: application/json",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a JSON phone that is true is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\n{\"phone\":true,\"xid\":\"tk-19\"}",
  "GET /token?phone=15555550019&xid=tk-19" ]
--- more_headers eval
[ "Content-Type: application/json",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a JSON phone that is an array is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\n{\"phone\":[\"15555550020\"],\"xid\":\"tk-20\"}",
  "GET /token?phone=15555550020&xid=tk-20" ]
--- more_headers eval
[ "Content-Type: application/json",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a JSON phone that is an object is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\n{\"phone\":{\"n\":\"15555550021\"},\"xid\":\"tk-21\"}",
  "GET /token?phone=15555550021&xid=tk-21" ]
--- more_headers eval
[ "Content-Type: application/json",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a negative JSON phone is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\n{\"phone\":-15555550022,\"xid\":\"tk-22\"}",
  "GET /token?phone=15555550022&xid=tk-22" ]
--- more_headers eval
[ "Content-Type: application/json",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a fractional JSON phone is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\n{\"phone\":15555550023.5,\"xid\":\"tk-23\"}",
  "GET /token?phone=15555550023&xid=tk-23" ]
--- more_headers eval
[ "Content-Type: application/json",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a JSON xid that is a number is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\n{\"phone\":\"15555550024\",\"xid\":12345}",
  "GET /token?phone=15555550024&xid=tk-24" ]
--- more_headers eval
[ "Content-Type: application/json",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: JSON nested 3000 deep is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\n" . ("[" x 2000) . ("]" x 2000),
  "GET /token?phone=15555550025&xid=tk-25" ]
--- more_headers eval
[ "Content-Type: application/json",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: JSON with invalid UTF-8 is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\n{\"phone\":\"15555550026\",\"x\":\"\xff\xfe\"}",
  "GET /token?phone=15555550026&xid=tk-26" ]
--- more_headers eval
[ "Content-Type: application/json",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a form body sent as application/json is 400 malformed_body and reserves nothing
--- request eval
[ "POST /token\nphone=15555550027&xid=tk-27",
  "GET /token?phone=15555550027&xid=tk-27" ]
--- more_headers eval
[ "Content-Type: application/json",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a JSON body sent as a form is 400 missing_phone and reserves nothing
--- request eval
[ "POST /token\n{\"phone\":\"15555550028\"}",
  "GET /token?phone=15555550028&xid=tk-28" ]
--- more_headers eval
[ "Content-Type: application/x-www-form-urlencoded",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"missing_phone","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: an XML body (text/xml) is 400 missing_phone and reserves nothing
--- request eval
[ "POST /token\n<phone>15555550029</phone>",
  "GET /token?phone=15555550029&xid=tk-29" ]
--- more_headers eval
[ "Content-Type: text/xml",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"missing_phone","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a multipart body is 400 missing_phone and reserves nothing
--- request eval
[ "POST /token\n--b\r\nContent-Disposition: form-data; name=\"phone\"\r\n\r\n15555550030\r\n--b--",
  "GET /token?phone=15555550030&xid=tk-30" ]
--- more_headers eval
[ "Content-Type: multipart/form-data; boundary=b",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"missing_phone","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: no phone at all is 400 missing_phone and reserves nothing
--- request eval
[ "GET /token?xid=tk-31",
  "GET /token?phone=15555550031&xid=tk-31" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"missing_phone","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a country code without a number is 400 missing_phone and reserves nothing
--- request eval
[ "GET /token?country_code=1&xid=tk-32",
  "GET /token?phone=15555550032&xid=tk-32" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"missing_phone","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: PUT is 405 method_not_allowed and reserves nothing
--- request eval
[ "PUT /token\nphone=15555550033",
  "GET /token?phone=15555550033&xid=tk-33" ]
--- more_headers eval
[ "Content-Type: application/x-www-form-urlencoded",
  "" ]
--- error_code eval
[405, 200]
--- response_body_like eval
[ '^\{"error":"method_not_allowed","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: DELETE is 405 method_not_allowed and reserves nothing
--- request eval
[ "DELETE /token?phone=15555550034",
  "GET /token?phone=15555550034&xid=tk-34" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[405, 200]
--- response_body_like eval
[ '^\{"error":"method_not_allowed","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: OPTIONS is 405 method_not_allowed and reserves nothing
--- request eval
[ "OPTIONS /token?phone=15555550035",
  "GET /token?phone=15555550035&xid=tk-35" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[405, 200]
--- response_body_like eval
[ '^\{"error":"method_not_allowed","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a phone with CRLF (%0d%0a) and a header after it is 400 invalid_phone and reserves nothing
--- request eval
[ "GET /token?phone=15555550036%0d%0aX-Injected:%201&xid=tk-36",
  "GET /token?phone=15555550036&xid=tk-36" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_phone","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a phone with a bare LF is 400 invalid_phone and reserves nothing
--- request eval
[ "GET /token?phone=15555550037%0a&xid=tk-37",
  "GET /token?phone=15555550037&xid=tk-37" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_phone","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a phone with fullwidth digits (UTF-8) is 400 invalid_phone and reserves nothing
--- request eval
[ "GET /token?phone=%EF%BC%91%EF%BC%95%EF%BC%95%EF%BC%95%EF%BC%95%EF%BC%95%EF%BC%95%EF%BC%95%EF%BC%95&xid=tk-38",
  "GET /token?phone=15555550038&xid=tk-38" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_phone","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a phone with Arabic-Indic digits is 400 invalid_phone and reserves nothing
--- request eval
[ "GET /token?phone=%D9%A1%D9%A5%D9%A5%D9%A5%D9%A5%D9%A5%D9%A5%D9%A5%D9%A5&xid=tk-39",
  "GET /token?phone=15555550039&xid=tk-39" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_phone","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a phone with one superscript digit is 400 invalid_phone and reserves nothing
--- request eval
[ "GET /token?phone=1555555%C2%B9234&xid=tk-40",
  "GET /token?phone=15555550040&xid=tk-40" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_phone","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a JSON phone with \u0661 digits is 400 invalid_phone and reserves nothing
--- request eval
[ "POST /token\n{\"phone\":\"\\u0661\\u0665\\u0665\\u0665\\u0665\\u0665\\u0665\\u0665\\u0665\\u0665\\u0665\",\"xid\":\"tk-41\"}",
  "GET /token?phone=15555550041&xid=tk-41" ]
--- more_headers eval
[ "Content-Type: application/json",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_phone","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a phone with letters is 400 invalid_phone and reserves nothing
--- request eval
[ "GET /token?phone=1555CALLNOW&xid=tk-42",
  "GET /token?phone=15555550042&xid=tk-42" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_phone","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a phone with a second + is 400 invalid_phone and reserves nothing
--- request eval
[ "GET /token?phone=%2B1%2B5555551234&xid=tk-43",
  "GET /token?phone=15555550043&xid=tk-43" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_phone","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a phone with a semicolon is 400 invalid_phone and reserves nothing
--- request eval
[ "GET /token?phone=15555551234;ext=1&xid=tk-44",
  "GET /token?phone=15555550044&xid=tk-44" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_phone","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a 16-digit phone is 400 invalid_phone and reserves nothing
--- request eval
[ "GET /token?phone=1555555123456789&xid=tk-45",
  "GET /token?phone=15555550045&xid=tk-45" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_phone","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a 7-digit phone is 400 invalid_phone and reserves nothing
--- request eval
[ "GET /token?phone=1555555&xid=tk-46",
  "GET /token?phone=15555550046&xid=tk-46" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_phone","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a phone of 65 characters is 400 invalid_phone and reserves nothing
--- request eval
[ "GET /token?phone=" . ("1" x 65) . "&xid=tk-47",
  "GET /token?phone=15555550047&xid=tk-47" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_phone","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a phone of 5000 spaces is 400 invalid_phone and reserves nothing
--- request eval
[ "POST /token\nphone=" . ("+" x 4000) . "&xid=tk-48",
  "GET /token?phone=15555550048&xid=tk-48" ]
--- more_headers eval
[ "Content-Type: application/x-www-form-urlencoded",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_phone","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: an unassigned country code (+999) is 400 invalid_country_code and reserves nothing
--- request eval
[ "GET /token?phone=%2B999123456789&xid=tk-49",
  "GET /token?phone=15555550049&xid=tk-49" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_country_code","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: international freephone (+800) is 400 invalid_country_code and reserves nothing
--- request eval
[ "GET /token?phone=%2B80012345678&xid=tk-50",
  "GET /token?phone=15555550050&xid=tk-50" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_country_code","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a country code with a letter is 400 invalid_country_code and reserves nothing
--- request eval
[ "GET /token?country_code=1x&phone_number=5555551234&xid=tk-51",
  "GET /token?phone=15555550051&xid=tk-51" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_country_code","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a country code with CRLF is 400 invalid_country_code and reserves nothing
--- request eval
[ "GET /token?country_code=1%0d%0a&phone_number=5555551234&xid=tk-52",
  "GET /token?phone=15555550052&xid=tk-52" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_country_code","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: an xid with CRLF and Set-Cookie is 400 invalid_xid and reserves nothing
--- request eval
[ "GET /token?phone=15555550053&xid=x%0d%0aSet-Cookie:%20evil=1",
  "GET /token?phone=15555550053&xid=tk-53" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_xid","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]
--- raw_response_headers_unlike eval
[ qr/evil|Set-Cookie/i, qr/evil/i ]



=== token: an xid with %0a only is 400 invalid_xid and reserves nothing
--- request eval
[ "GET /token?phone=15555550054&xid=x%0aX-Evil:1",
  "GET /token?phone=15555550054&xid=tk-54" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_xid","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]
--- raw_response_headers_unlike eval
[ qr/X-Evil/i, qr/X-Evil/i ]



=== token: an xid with a quote (JSON injection) is 400 invalid_xid and reserves nothing
--- request eval
[ "GET /token?phone=15555550055&xid=a%22,%22verified%22:true",
  "GET /token?phone=15555550055&xid=tk-55" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_xid","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: an xid with a script tag is 400 invalid_xid and reserves nothing
--- request eval
[ "GET /token?phone=15555550056&xid=%3Cscript%3E",
  "GET /token?phone=15555550056&xid=tk-56" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_xid","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: an xid with a slash (path traversal) is 400 invalid_xid and reserves nothing
--- request eval
[ "GET /token?phone=15555550057&xid=..%2F..%2Fetc",
  "GET /token?phone=15555550057&xid=tk-57" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_xid","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: an xid with a space is 400 invalid_xid and reserves nothing
--- request eval
[ "GET /token?phone=15555550058&xid=a+b",
  "GET /token?phone=15555550058&xid=tk-58" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_xid","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: an xid with a semicolon (cookie attribute) is 400 invalid_xid and reserves nothing
--- request eval
[ "GET /token?phone=15555550059&xid=a;Domain=evil",
  "GET /token?phone=15555550059&xid=tk-59" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_xid","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: an xid in UTF-8 is 400 invalid_xid and reserves nothing
--- request eval
[ "GET /token?phone=15555550060&xid=%C3%A9t%C3%A9",
  "GET /token?phone=15555550060&xid=tk-60" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_xid","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: an empty xid is 400 invalid_xid and reserves nothing
--- request eval
[ "GET /token?phone=15555550061&xid=",
  "GET /token?phone=15555550061&xid=tk-61" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_xid","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: an xid of 65 characters is 400 invalid_xid and reserves nothing
--- request eval
[ "GET /token?phone=15555550062&xid=" . ("a" x 65),
  "GET /token?phone=15555550062&xid=tk-62" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_xid","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: an xid of 3000 characters is 400 invalid_xid and reserves nothing
--- request eval
[ "POST /token\nphone=15555550063&xid=" . ("a" x 3000),
  "GET /token?phone=15555550063&xid=tk-63" ]
--- more_headers eval
[ "Content-Type: application/x-www-form-urlencoded",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_xid","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== token: a code of 20 digits is 400 invalid_code and reserves nothing
--- request eval
[ "GET /token?phone=15555550064&code=" . ("1" x 20) . "&xid=tk-64",
  "GET /token?phone=15555550064&xid=tk-64" ]
--- more_headers eval
[ "",
  "" ]
--- error_code eval
[400, 200]
--- response_body_like eval
[ '^\{"error":"invalid_code","message":"[^"]+"\}$',
  '^eyJ' ]
--- response_headers eval
[ "Content-Type: application/json", "" ]



=== callback: no signature is 401 no_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-65",
  "POST /callback\n" . main::cb(xid => "cb-65"),
  "GET /status" ]
--- more_headers eval
[ "",
  "Content-Type: application/json",
  main::bearer("cb-65") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"no_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-65","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a forged signature is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-66",
  "POST /callback\n" . main::cb(xid => "cb-66"),
  "GET /status" ]
--- more_headers eval
[ "",
  "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . main::b64("x" x 32),
  main::bearer("cb-66") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-66","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a forged X-TS-Authorization is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-67",
  "POST /callback\n" . main::cb(xid => "cb-67"),
  "GET /status" ]
--- more_headers eval
[ "",
  "X-TS-Authorization: " . main::b64("x" x 32),
  main::bearer("cb-67") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-67","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a real signature of another body (pending, replayed onto a verified body) is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-68",
  "POST /callback\n" . main::cb(xid => "cb-68"),
  "GET /status" ]
--- more_headers eval
[ "",
  AppVerify::Test::tsa_header(main::cb(xid => "cb-68", code => 1890)),
  main::bearer("cb-68") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-68","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: the protocol vector signature on another body is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-69",
  "POST /callback\n" . main::cb(xid => "cb-69"),
  "GET /status" ]
--- more_headers eval
[ "",
  "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:GykRgq0yWZBpb52Y97YYd/x3PJrZJHcITKWejlGTbYU=",
  main::bearer("cb-69") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-69","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signature with the body changed by one byte is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-70",
  "POST /callback\n" . main::cb(xid => "cb-70"),
  "GET /status" ]
--- more_headers eval
[ "",
  AppVerify::Test::tsa_header(main::cb(xid => "cb-70") . " "),
  main::bearer("cb-70") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-70","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signature for another customer id is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-71",
  "POST /callback\n" . main::cb(xid => "cb-71"),
  "GET /status" ]
--- more_headers eval
[ "",
  "Authorization: TSA 00000000-0000-0000-0000-000000000000:" . main::sig(main::cb(xid => "cb-71")),
  main::bearer("cb-71") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-71","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signature without the customer id is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-72",
  "POST /callback\n" . main::cb(xid => "cb-72"),
  "GET /status" ]
--- more_headers eval
[ "",
  "Authorization: TSA " . main::sig(main::cb(xid => "cb-72")),
  main::bearer("cb-72") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-72","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a lower-case scheme is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-73",
  "POST /callback\n" . main::cb(xid => "cb-73"),
  "GET /status" ]
--- more_headers eval
[ "",
  "Authorization: tsa FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . main::sig(main::cb(xid => "cb-73")),
  main::bearer("cb-73") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-73","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a Bearer scheme is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-74",
  "POST /callback\n" . main::cb(xid => "cb-74"),
  "GET /status" ]
--- more_headers eval
[ "",
  "Authorization: Bearer " . main::sig(main::cb(xid => "cb-74")),
  main::bearer("cb-74") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-74","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a Basic scheme with the key is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-75",
  "POST /callback\n" . main::cb(xid => "cb-75"),
  "GET /status" ]
--- more_headers eval
[ "",
  "Authorization: Basic " . main::b64("FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . $AppVerify::Test::API_KEY_TEXT),
  main::bearer("cb-75") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-75","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signature without its padding is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-76",
  "POST /callback\n" . main::cb(xid => "cb-76"),
  "GET /status" ]
--- more_headers eval
[ "",
  "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . substr(main::sig(main::cb(xid => "cb-76")), 0, 43),
  main::bearer("cb-76") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-76","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signature in base64url is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-77",
  "POST /callback\n" . main::cb(xid => "cb-77"),
  "GET /status" ]
--- more_headers eval
[ "",
  "X-TS-Authorization: " . main::sig_url(main::cb(xid => "cb-77")),
  main::bearer("cb-77") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-77","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a hex signature is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-78",
  "POST /callback\n" . main::cb(xid => "cb-78"),
  "GET /status" ]
--- more_headers eval
[ "",
  "X-TS-Authorization: " . unpack("H*", Digest::SHA::hmac_sha256(main::cb(xid => "cb-78"), AppVerify::Test::api_key())),
  main::bearer("cb-78") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-78","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signature made with the session key (key confusion) is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-79",
  "POST /callback\n" . main::cb(xid => "cb-79"),
  "GET /status" ]
--- more_headers eval
[ "",
  "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . main::b64(Digest::SHA::hmac_sha256(main::cb(xid => "cb-79"), $AppVerify::Test::SESSION_KEY)),
  main::bearer("cb-79") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-79","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signature made with the undecoded key text is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-80",
  "POST /callback\n" . main::cb(xid => "cb-80"),
  "GET /status" ]
--- more_headers eval
[ "",
  "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . main::b64(Digest::SHA::hmac_sha256(main::cb(xid => "cb-80"), $AppVerify::Test::API_KEY_TEXT)),
  main::bearer("cb-80") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-80","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signature made with an empty key is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-81",
  "POST /callback\n" . main::cb(xid => "cb-81"),
  "GET /status" ]
--- more_headers eval
[ "",
  "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . main::b64(Digest::SHA::hmac_sha256(main::cb(xid => "cb-81"), "")),
  main::bearer("cb-81") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-81","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a SHA-1 signature (algorithm downgrade) is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-82",
  "POST /callback\n" . main::cb(xid => "cb-82"),
  "GET /status" ]
--- more_headers eval
[ "",
  "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . main::b64(Digest::SHA::hmac_sha1(main::cb(xid => "cb-82"), AppVerify::Test::api_key())),
  main::bearer("cb-82") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-82","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a plain SHA-256 of the body (no key) is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-83",
  "POST /callback\n" . main::cb(xid => "cb-83"),
  "GET /status" ]
--- more_headers eval
[ "",
  "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . main::b64(Digest::SHA::sha256(main::cb(xid => "cb-83"))),
  main::bearer("cb-83") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-83","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signature of 44 "=" is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-84",
  "POST /callback\n" . main::cb(xid => "cb-84"),
  "GET /status" ]
--- more_headers eval
[ "",
  "Authorization: TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:" . ("=" x 44),
  main::bearer("cb-84") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-84","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: an empty Authorization is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-85",
  "POST /callback\n" . main::cb(xid => "cb-85"),
  "GET /status" ]
--- more_headers eval
[ "",
  "Authorization: ",
  main::bearer("cb-85") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-85","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a good Authorization with a bad X-TS-Authorization is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-86",
  "POST /callback\n" . main::cb(xid => "cb-86"),
  "GET /status" ]
--- more_headers eval
[ "",
  AppVerify::Test::tsa_header(main::cb(xid => "cb-86")) . "\nX-TS-Authorization: " . main::b64("y" x 32),
  main::bearer("cb-86") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-86","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signature with %0d%0a appended is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-87",
  "POST /callback\n" . main::cb(xid => "cb-87"),
  "GET /status" ]
--- more_headers eval
[ "",
  AppVerify::Test::tsa_header(main::cb(xid => "cb-87")) . "%0d%0aX-Evil: 1",
  main::bearer("cb-87") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-87","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signature followed by another one is 401 bad_signature and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-88",
  "POST /callback\n" . main::cb(xid => "cb-88"),
  "GET /status" ]
--- more_headers eval
[ "",
  AppVerify::Test::tsa_header(main::cb(xid => "cb-88")) . "," . main::sig(main::cb(xid => "cb-88")),
  main::bearer("cb-88") ]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"bad_signature","message":"[^"]+"\}$',
  '^\{"xid":"cb-88","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signed body over the limit is 413 body_too_large and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-89",
  "POST /callback\n" . main::cb(xid => "cb-89", description => "x" x 17000),
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cb-89", description => "x" x 17000)),
  main::bearer("cb-89") ]
--- error_code eval
[200, 413, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"body_too_large","message":"[^"]+"\}$',
  '^\{"xid":"cb-89","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a chunked body over the limit is 413 body_too_large and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-90",
  "POST /callback\n" . main::chunked(main::cb(xid => "cb-90", description => "x" x 17000)),
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cb-90", description => "x" x 17000)) . "\nTransfer-Encoding: chunked",
  main::bearer("cb-90") ]
--- error_code eval
[200, 413, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"body_too_large","message":"[^"]+"\}$',
  '^\{"xid":"cb-90","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signed body that is not JSON is 400 malformed_body and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-91",
  "POST /callback\nxid=cb-91&code=1800",
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed("xid=cb-91&code=1800"),
  main::bearer("cb-91") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^\{"xid":"cb-91","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signed empty JSON object is 400 malformed_body and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-92",
  "POST /callback\n{}",
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed("{}"),
  main::bearer("cb-92") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^\{"xid":"cb-92","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signed JSON array is 400 malformed_body and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-93",
  "POST /callback\n[1800]",
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed("[1800]"),
  main::bearer("cb-93") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^\{"xid":"cb-93","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signed body with the code as a string is 400 malformed_body and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-94",
  "POST /callback\n{\"status\":{\"code\":\"1800\"},\"xid\":\"cb-94\"}",
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed("{\"status\":{\"code\":\"1800\"},\"xid\":\"cb-94\"}"),
  main::bearer("cb-94") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^\{"xid":"cb-94","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signed body with code 0 is 400 malformed_body and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-95",
  "POST /callback\n{\"status\":{\"code\":0},\"xid\":\"cb-95\"}",
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed("{\"status\":{\"code\":0},\"xid\":\"cb-95\"}"),
  main::bearer("cb-95") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^\{"xid":"cb-95","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signed body with a negative code is 400 malformed_body and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-96",
  "POST /callback\n{\"status\":{\"code\":-1800},\"xid\":\"cb-96\"}",
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed("{\"status\":{\"code\":-1800},\"xid\":\"cb-96\"}"),
  main::bearer("cb-96") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^\{"xid":"cb-96","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signed body with a 20-digit code is 400 malformed_body and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-97",
  "POST /callback\n{\"status\":{\"code\":18000000000000000000},\"xid\":\"cb-97\"}",
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed("{\"status\":{\"code\":18000000000000000000},\"xid\":\"cb-97\"}"),
  main::bearer("cb-97") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^\{"xid":"cb-97","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signed body with a bad updated_on is 400 malformed_body and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-98",
  "POST /callback\n" . main::cb(xid => "cb-98", updated_on => "yesterday"),
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cb-98", updated_on => "yesterday")),
  main::bearer("cb-98") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^\{"xid":"cb-98","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signed body with two xids (duplicate key) is 400 malformed_body and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-99",
  "POST /callback\n{\"status\":{\"code\":1800},\"xid\":\"cb-99\",\"xid\":\"other\"}",
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed("{\"status\":{\"code\":1800},\"xid\":\"cb-99\",\"xid\":\"other\"}"),
  main::bearer("cb-99") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^\{"xid":"cb-99","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signed body with a raw NUL byte is 400 malformed_body and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-100",
  "POST /callback\n" . main::cb(xid => "cb-100") . "\0",
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cb-100") . "\0"),
  main::bearer("cb-100") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^\{"xid":"cb-100","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signed body with \u0000 in the xid is 400 malformed_body and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-101",
  "POST /callback\n" . main::cb(xid => "cb-101\\u0000"),
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cb-101\\u0000")),
  main::bearer("cb-101") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^\{"xid":"cb-101","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signed body with CRLF in the xid is 400 invalid_xid and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-102",
  "POST /callback\n" . main::cb(xid => "cb-102\\r\\nX-Evil: 1"),
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cb-102\\r\\nX-Evil: 1")),
  main::bearer("cb-102") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"invalid_xid","message":"[^"]+"\}$',
  '^\{"xid":"cb-102","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signed body with a 65-character xid is 400 invalid_xid and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-103",
  "POST /callback\n" . main::cb(xid => "cb-103" . "a" x 65),
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cb-103" . "a" x 65)),
  main::bearer("cb-103") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"invalid_xid","message":"[^"]+"\}$',
  '^\{"xid":"cb-103","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signed body nested 40 deep is 400 malformed_body and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-104",
  "POST /callback\n" . ("[" x 40) . ("]" x 40),
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed(("[" x 40) . ("]" x 40)),
  main::bearer("cb-104") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^\{"xid":"cb-104","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signed body naming another phone is 400 malformed_body and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-105",
  "POST /callback\n" . main::cb(xid => "cb-105", phone => "15555550000"),
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cb-105", phone => "15555550000")),
  main::bearer("cb-105") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^\{"xid":"cb-105","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signed body with Arabic-Indic digits in the phone is 400 malformed_body and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-106",
  "POST /callback\n" . main::cb(xid => "cb-106", phone => "\\u0661555"),
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cb-106", phone => "\\u0661555")),
  main::bearer("cb-106") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^\{"xid":"cb-106","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: a signed body with invalid UTF-8 is 400 malformed_body and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-107",
  "POST /callback\n" . main::cb(xid => "cb-107", description => "\xff\xfe"),
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cb-107", description => "\xff\xfe")),
  main::bearer("cb-107") ]
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"malformed_body","message":"[^"]+"\}$',
  '^\{"xid":"cb-107","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: GET is 405 method_not_allowed and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-108",
  "GET /callback",
  "GET /status" ]
--- more_headers eval
[ "",
  "",
  main::bearer("cb-108") ]
--- error_code eval
[200, 405, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"method_not_allowed","message":"[^"]+"\}$',
  '^\{"xid":"cb-108","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== callback: PUT with a signed body is 405 method_not_allowed and changes nothing
--- request eval
[ "GET /token?phone=15555551234&xid=cb-109",
  "PUT /callback\n" . main::cb(xid => "cb-109"),
  "GET /status" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cb-109")),
  main::bearer("cb-109") ]
--- error_code eval
[200, 405, 200]
--- response_body_like eval
[ '^eyJ',
  '^\{"error":"method_not_allowed","message":"[^"]+"\}$',
  '^\{"xid":"cb-109","phone":"15555551234","verified":false,"state":"pending"' ]
--- response_headers eval
[ "", "Content-Type: application/json", "" ]



=== credential: no credential at all is 401 no_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-110",
  "POST /callback\n" . main::cb(xid => "cr-110"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-110")),
  "",
  "",
  main::bearer("cr-110") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"no_credential","message":"[^"]+"\}$',
  '^\{"error":"no_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: the minted JWT as a Bearer is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-111",
  "POST /callback\n" . main::cb(xid => "cr-111"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-111")),
  "Authorization: Bearer " . main::jwt({alg => "HS256", typ => "JWT"}, {iss => "FFFFFFFF-EEEE-DDDD-1234-AB1234567890", xid => "cr-111", phn => "15555551234", iat => time(), exp => time() + 30}, AppVerify::Test::api_key()),
  "Authorization: Bearer " . main::jwt({alg => "HS256", typ => "JWT"}, {iss => "FFFFFFFF-EEEE-DDDD-1234-AB1234567890", xid => "cr-111", phn => "15555551234", iat => time(), exp => time() + 30}, AppVerify::Test::api_key()),
  main::bearer("cr-111") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: the minted JWT as the cookie is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-112",
  "POST /callback\n" . main::cb(xid => "cr-112"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-112")),
  "Cookie: appverify=" . main::jwt({alg => "HS256", typ => "JWT"}, {iss => "FFFFFFFF-EEEE-DDDD-1234-AB1234567890", xid => "cr-112", phn => "15555551234", iat => time(), exp => time() + 30}, AppVerify::Test::api_key()),
  "Cookie: appverify=" . main::jwt({alg => "HS256", typ => "JWT"}, {iss => "FFFFFFFF-EEEE-DDDD-1234-AB1234567890", xid => "cr-112", phn => "15555551234", iat => time(), exp => time() + 30}, AppVerify::Test::api_key()),
  main::bearer("cr-112") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: an alg=none JWT is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-113",
  "POST /callback\n" . main::cb(xid => "cr-113"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-113")),
  "Authorization: Bearer " . main::jwt({alg => "none", typ => "JWT"}, {xid => "cr-113", exp => time() + 3600}, undef),
  "Authorization: Bearer " . main::jwt({alg => "none", typ => "JWT"}, {xid => "cr-113", exp => time() + 3600}, undef),
  main::bearer("cr-113") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a JWT signed with the session key is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-114",
  "POST /callback\n" . main::cb(xid => "cr-114"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-114")),
  "Authorization: Bearer " . main::jwt({alg => "HS256", typ => "JWT"}, {xid => "cr-114", exp => time() + 3600}, $AppVerify::Test::SESSION_KEY),
  "Authorization: Bearer " . main::jwt({alg => "HS256", typ => "JWT"}, {xid => "cr-114", exp => time() + 3600}, $AppVerify::Test::SESSION_KEY),
  main::bearer("cr-114") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential MAC made with the API key is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-115",
  "POST /callback\n" . main::cb(xid => "cr-115"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-115")),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-115", time() + 3600, AppVerify::Test::api_key()),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-115", time() + 3600, AppVerify::Test::api_key()),
  main::bearer("cr-115") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential MAC made with the API key text is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-116",
  "POST /callback\n" . main::cb(xid => "cr-116"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-116")),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-116", time() + 3600, $AppVerify::Test::API_KEY_TEXT),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-116", time() + 3600, $AppVerify::Test::API_KEY_TEXT),
  main::bearer("cr-116") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential with an empty MAC (alg=none style) is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-117",
  "POST /callback\n" . main::cb(xid => "cr-117"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-117")),
  "Authorization: Bearer cr-117." . (time() + 3600) . ".",
  "Authorization: Bearer cr-117." . (time() + 3600) . ".",
  main::bearer("cr-117") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential with a MAC of zeros is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-118",
  "POST /callback\n" . main::cb(xid => "cr-118"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-118")),
  "Authorization: Bearer cr-118." . (time() + 3600) . ".AAAAAAAAAAAAAAAAAAAAAA",
  "Authorization: Bearer cr-118." . (time() + 3600) . ".AAAAAAAAAAAAAAAAAAAAAA",
  main::bearer("cr-118") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential with the full 32-byte MAC is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-119",
  "POST /callback\n" . main::cb(xid => "cr-119"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-119")),
  "Authorization: Bearer cr-119." . (time() + 3600) . "." . main::b64url(Digest::SHA::hmac_sha256("av1\0cr-119\0" . (time() + 3600), $AppVerify::Test::SESSION_KEY)),
  "Authorization: Bearer cr-119." . (time() + 3600) . "." . main::b64url(Digest::SHA::hmac_sha256("av1\0cr-119\0" . (time() + 3600), $AppVerify::Test::SESSION_KEY)),
  main::bearer("cr-119") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential with the MAC in standard base64 is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-120",
  "POST /callback\n" . main::cb(xid => "cr-120"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-120")),
  "Authorization: Bearer " . main::std_b64_cred("cr-120"),
  "Authorization: Bearer " . main::std_b64_cred("cr-120"),
  main::bearer("cr-120") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential with the MAC over "xid.exp" (no domain separation) is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-121",
  "POST /callback\n" . main::cb(xid => "cr-121"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-121")),
  "Authorization: Bearer cr-121." . (time() + 3600) . "." . main::b64url(substr(Digest::SHA::hmac_sha256("cr-121." . (time() + 3600), $AppVerify::Test::SESSION_KEY), 0, 16)),
  "Authorization: Bearer cr-121." . (time() + 3600) . "." . main::b64url(substr(Digest::SHA::hmac_sha256("cr-121." . (time() + 3600), $AppVerify::Test::SESSION_KEY), 0, 16)),
  main::bearer("cr-121") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential with one bit flipped in the xid is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-122",
  "POST /callback\n" . main::cb(xid => "cr-122"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-122")),
  "Authorization: Bearer " . main::flip(AppVerify::Test::credential("cr-122"), 0),
  "Authorization: Bearer " . main::flip(AppVerify::Test::credential("cr-122"), 0),
  main::bearer("cr-122") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential with one bit flipped in the expiry is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-123",
  "POST /callback\n" . main::cb(xid => "cr-123"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-123")),
  "Authorization: Bearer " . main::flip(AppVerify::Test::credential("cr-123"), length("cr-123") + 3),
  "Authorization: Bearer " . main::flip(AppVerify::Test::credential("cr-123"), length("cr-123") + 3),
  main::bearer("cr-123") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential with one bit flipped in the MAC is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-124",
  "POST /callback\n" . main::cb(xid => "cr-124"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-124")),
  "Authorization: Bearer " . main::flip(AppVerify::Test::credential("cr-124"), -5),
  "Authorization: Bearer " . main::flip(AppVerify::Test::credential("cr-124"), -5),
  main::bearer("cr-124") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential with the MAC's last character changed is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-125",
  "POST /callback\n" . main::cb(xid => "cr-125"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-125")),
  "Authorization: Bearer " . main::last_char(AppVerify::Test::credential("cr-125")),
  "Authorization: Bearer " . main::last_char(AppVerify::Test::credential("cr-125")),
  main::bearer("cr-125") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential truncated by one character is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-126",
  "POST /callback\n" . main::cb(xid => "cr-126"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-126")),
  "Authorization: Bearer " . substr(AppVerify::Test::credential("cr-126"), 0, -1),
  "Authorization: Bearer " . substr(AppVerify::Test::credential("cr-126"), 0, -1),
  main::bearer("cr-126") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential with a character appended is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-127",
  "POST /callback\n" . main::cb(xid => "cr-127"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-127")),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-127") . "A",
  "Authorization: Bearer " . AppVerify::Test::credential("cr-127") . "A",
  main::bearer("cr-127") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential whose expiry was extended is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-128",
  "POST /callback\n" . main::cb(xid => "cr-128"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-128")),
  "Authorization: Bearer " . main::extend(AppVerify::Test::credential("cr-128", time() + 60)),
  "Authorization: Bearer " . main::extend(AppVerify::Test::credential("cr-128", time() + 60)),
  main::bearer("cr-128") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential for another xid with this MAC is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-129",
  "POST /callback\n" . main::cb(xid => "cr-129"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-129")),
  "Authorization: Bearer " . main::swap_xid(AppVerify::Test::credential("cr-129"), "cr-other"),
  "Authorization: Bearer " . main::swap_xid(AppVerify::Test::credential("cr-129"), "cr-other"),
  main::bearer("cr-129") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: an expired credential is 401 expired_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-130",
  "POST /callback\n" . main::cb(xid => "cr-130"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-130")),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-130", time() - 1),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-130", time() - 1),
  main::bearer("cr-130") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"expired_credential","message":"[^"]+"\}$',
  '^\{"error":"expired_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential that expired at 0 is 401 expired_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-131",
  "POST /callback\n" . main::cb(xid => "cr-131"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-131")),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-131", 0),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-131", 0),
  main::bearer("cr-131") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"expired_credential","message":"[^"]+"\}$',
  '^\{"error":"expired_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: an expired credential as the cookie is 401 expired_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-132",
  "POST /callback\n" . main::cb(xid => "cr-132"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-132")),
  "Cookie: appverify=" . AppVerify::Test::credential("cr-132", time() - 3600),
  "Cookie: appverify=" . AppVerify::Test::credential("cr-132", time() - 3600),
  main::bearer("cr-132") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"expired_credential","message":"[^"]+"\}$',
  '^\{"error":"expired_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential with a leading zero in the expiry is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-133",
  "POST /callback\n" . main::cb(xid => "cr-133"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-133")),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-133", "0" . (time() + 3600)),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-133", "0" . (time() + 3600)),
  main::bearer("cr-133") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential with a negative expiry is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-134",
  "POST /callback\n" . main::cb(xid => "cr-134"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-134")),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-134", -1),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-134", -1),
  main::bearer("cr-134") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential with a 20-digit expiry is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-135",
  "POST /callback\n" . main::cb(xid => "cr-135"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-135")),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-135", "99999999999999999999"),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-135", "99999999999999999999"),
  main::bearer("cr-135") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential with a signed xid of 65 characters is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-136",
  "POST /callback\n" . main::cb(xid => "cr-136"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-136")),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-136" . ("a" x 65)),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-136" . ("a" x 65)),
  main::bearer("cr-136") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential with a signed xid holding "/" is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-137",
  "POST /callback\n" . main::cb(xid => "cr-137"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-137")),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-137/../x"),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-137/../x"),
  main::bearer("cr-137") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential with a signed xid holding %0d%0a is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-138",
  "POST /callback\n" . main::cb(xid => "cr-138"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-138")),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-138%0d%0aX-Evil:1"),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-138%0d%0aX-Evil:1"),
  main::bearer("cr-138") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a credential with a signed UTF-8 xid is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-139",
  "POST /callback\n" . main::cb(xid => "cr-139"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-139")),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-139\xc3\xa9"),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-139\xc3\xa9"),
  main::bearer("cr-139") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a signed credential for an xid never issued is 401 unknown_session at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-140",
  "POST /callback\n" . main::cb(xid => "cr-140"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-140")),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-140-never"),
  "Authorization: Bearer " . AppVerify::Test::credential("cr-140-never"),
  main::bearer("cr-140") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"unknown_session","message":"[^"]+"\}$',
  '^\{"error":"unknown_session","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a 4000-character cookie is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-141",
  "POST /callback\n" . main::cb(xid => "cr-141"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-141")),
  "Cookie: appverify=" . ("A" x 4000),
  "Cookie: appverify=" . ("A" x 4000),
  main::bearer("cr-141") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a quoted cookie value is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-142",
  "POST /callback\n" . main::cb(xid => "cr-142"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-142")),
  "Cookie: appverify=\"" . AppVerify::Test::credential("cr-142") . "\"",
  "Cookie: appverify=\"" . AppVerify::Test::credential("cr-142") . "\"",
  main::bearer("cr-142") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a bad Bearer beside a good cookie (Bearer wins) is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-143",
  "POST /callback\n" . main::cb(xid => "cr-143"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-143")),
  "Authorization: Bearer x.1.AAAAAAAAAAAAAAAAAAAAAA\nCookie: appverify=" . AppVerify::Test::credential("cr-143"),
  "Authorization: Bearer x.1.AAAAAAAAAAAAAAAAAAAAAA\nCookie: appverify=" . AppVerify::Test::credential("cr-143"),
  main::bearer("cr-143") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a bad first cookie before a good one (the first decides) is 401 bad_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-144",
  "POST /callback\n" . main::cb(xid => "cr-144"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-144")),
  "Cookie: appverify=x.1.AAAAAAAAAAAAAAAAAAAAAA; appverify=" . AppVerify::Test::credential("cr-144"),
  "Cookie: appverify=x.1.AAAAAAAAAAAAAAAAAAAAAA; appverify=" . AppVerify::Test::credential("cr-144"),
  main::bearer("cr-144") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  '^\{"error":"bad_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: the credential under another cookie name is 401 no_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-145",
  "POST /callback\n" . main::cb(xid => "cr-145"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-145")),
  "Cookie: appverifyx=" . AppVerify::Test::credential("cr-145"),
  "Cookie: appverifyx=" . AppVerify::Test::credential("cr-145"),
  main::bearer("cr-145") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"no_credential","message":"[^"]+"\}$',
  '^\{"error":"no_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



=== credential: a Basic Authorization is 401 no_credential at status and gate
--- request eval
[ "GET /token?phone=15555551234&xid=cr-146",
  "POST /callback\n" . main::cb(xid => "cr-146"),
  "GET /status",
  "GET /account/index.html",
  "GET /account/index.html" ]
--- more_headers eval
[ "",
  main::signed(main::cb(xid => "cr-146")),
  "Authorization: Basic " . main::b64("cr-146:x"),
  "Authorization: Basic " . main::b64("cr-146:x"),
  main::bearer("cr-146") ]
--- error_code eval
[200, 200, 401, 401, 200]
--- response_body_like eval
[ '^eyJ',
  '"state":"verified"',
  '^\{"error":"no_credential","message":"[^"]+"\}$',
  '^\{"error":"no_credential","message":"[^"]+"\}$',
  'It works' ]
--- response_headers eval
[ "", "", "Content-Type: application/json", "Content-Type: application/json", "" ]



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
