# Request bodies as attackers send them: in pieces, while a call to
# Telesign is waiting, at and past appverify_max_body, with Content-Length
# and chunked.  A body is read or refused before any subrequest starts.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb signed cookie bearer);
use AppVerify::Sim;
use AppVerify::Attack qw(send_pieces worker_crashes);

no_shuffle();
no_long_string();
log_level('info');

AppVerify::Sim::start();

our $http_config = $AppVerify::Test::HTTP_CONFIG;

our $locations = <<'_EOC_';
    location = /token    { appverify_token zone=av; }
    location = /callback { appverify_callback zone=av; }
    location = /status   { appverify_status zone=av lookup=/_telesign; }
    location /account/   { appverify_require zone=av lookup=/_telesign; alias html/; }
_EOC_
$locations .= AppVerify::Test::telesign_locations('3s');

# a signed callback for $xid padded to exactly $size bytes
sub padded_cb {
    my ($xid, $size) = @_;
    my $body = main::cb(xid => $xid);
    my $pad = $size - length($body) - length(',"pad":""');
    die "too small" if $pad < 0;
    $body =~ s/\}$/,"pad":"${\('x' x $pad)}"}/;
    die "bad size" unless length($body) == $size;
    return $body;
}

# the same, sent as one raw request, with Content-Length or chunked
sub raw_cb {
    my ($xid, $size, $chunked) = @_;
    my $body = padded_cb($xid, $size);
    my $head = "POST /callback HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
             . AppVerify::Test::tsa_header($body) . "\r\nContent-Type: application/json\r\n";
    return $head . "Content-Length: " . length($body) . "\r\n\r\n" . $body unless $chunked;
    my $out = $head . "Transfer-Encoding: chunked\r\n\r\n";
    for (my $i = 0; $i < length $body; $i += 4000) {
        my $piece = substr($body, $i, 4000);
        $out .= sprintf("%x\r\n%s\r\n", length $piece, $piece);
    }
    return $out . "0\r\n\r\n";
}

run_tests();

# A GET /status with a body that is still arriving while the Get Status
# call waits on a slow Telesign: nginx must not discard the body from under
# the subrequest (the worker used to recv() into a stack buffer with
# length SIZE_MAX).  The body is read first, then Telesign is asked.
{
    my $cookie = AppVerify::Test::credential("bd-slow");
    my $log = -s "$ENV{TEST_NGINX_SERVROOT}/logs/error.log" // 0;

    send_pieces(["POST /_sim/mode HTTP/1.0\r\nContent-Length: 33\r\n\r\n"
                 . '{"mode":"slow","delay_ms":600}   '], port => AppVerify::Attack::sim_port());

    for my $len (4000, 200000) {
        my $head = "GET /status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                 . "Cookie: appverify=$cookie\r\nContent-Length: $len\r\n\r\n";
        my $first = 100;
        my @pieces = ($head . ('a' x $first), \0.3);
        for (my $sent = $first; $sent < $len; $sent += 8000) {
            my $n = $len - $sent < 8000 ? $len - $sent : 8000;
            push @pieces, ('b' x $n), \0.01;
        }
        my $r = send_pieces(\@pieces);
        my ($code) = $r =~ m{^HTTP/1\.1 (\d+)};
        $code //= 'none';
        if ($len <= 4096) {
            like($r, qr{^HTTP/1\.1 (401|503)}, "GET /status with a $len-byte body arriving during the lookup is answered ($code)");
        } else {
            like($r, qr{^HTTP/1\.1 413.*"error":"body_too_large"}s, "GET /status with a $len-byte body is 413 before any lookup ($code)");
        }
    }

    # and the small one that the lookup really waits for: its body arrives
    # in pieces over a whole second while Telesign is slow
    my $head = "GET /status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
             . "Cookie: appverify=$cookie\r\nContent-Length: 3000\r\n\r\n";
    my $r = send_pieces([$head, ('c' x 1000), \0.5, ('d' x 1000), \0.5, ('e' x 1000)]);
    like($r, qr{^HTTP/1\.1 (401|503)}, "a body trickling in over a second, then the lookup: answered");

    # the gate's lookup with the client's body still arriving: the body is
    # the application's, the gate leaves it alone, and nginx reads or
    # discards it only once the gate has answered
    for my $len (3000, 200000) {
        my $head = "POST /account/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                 . "Cookie: appverify=$cookie\r\nContent-Length: $len\r\n\r\n";
        my @pieces = ($head . ('a' x 100), \0.3);
        for (my $sent = 100; $sent < $len; $sent += 8000) {
            push @pieces, ('g' x ($len - $sent < 8000 ? $len - $sent : 8000)), \0.01;
        }
        my $g = send_pieces(\@pieces);
        like($g, qr{^HTTP/1\.1 (401|503)}, "the gate with a $len-byte body arriving during its lookup answers");
    }

    send_pieces(["POST /_sim/mode HTTP/1.0\r\nContent-Length: 17\r\n\r\n"
                 . '{"mode":"normal"}'], port => AppVerify::Attack::sim_port());

    my @dead = worker_crashes($log);
    is(scalar @dead, 0, "no worker died: @dead");
}

__DATA__

=== a status request with a small body is read, then answered as without one
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "POST /sim/reset\n", "GET /token?phone=15555551234&xid=bd-1", "GET /status\nsome bytes" ]
--- more_headers eval
[ "", "", main::cookie("bd-1") ]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[ '"reset":true', '^eyJ', '"xid":"bd-1"' ]
--- no_error_log
[alert]
[crit]



=== a status request whose Content-Length is over 4k is 413, and Telesign is not asked
--- http_config eval: $::http_config
--- config eval: $::locations
--- raw_request eval
"GET /status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" . main::cookie("bd-2") . "\r\nContent-Length: 5000\r\n\r\n" . ('z' x 5000)
--- error_code: 413
--- response_body_like: "error":"body_too_large"



=== a status request with a chunked body over 4k is 413
--- http_config eval: $::http_config
--- config eval: $::locations
--- raw_request eval
"GET /status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" . main::cookie("bd-3") . "\r\nTransfer-Encoding: chunked\r\n\r\n" . sprintf("%x\r\n%s\r\n", 6000, 'q' x 6000) . "0\r\n\r\n"
--- error_code: 413
--- response_body_like: "error":"body_too_large"



=== callbacks of 8k, 12k and 16k (appverify_max_body) are stored
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
[ "POST /callback\n" . main::padded_cb("bd-8k", 8192),
  "POST /callback\n" . main::padded_cb("bd-12k", 12288),
  "POST /callback\n" . main::padded_cb("bd-16k", 16384) ]
--- more_headers eval
[ main::signed(main::padded_cb("bd-8k", 8192)),
  main::signed(main::padded_cb("bd-12k", 12288)),
  main::signed(main::padded_cb("bd-16k", 16384)) ]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[ '"xid":"bd-8k","state":"verified"', '"xid":"bd-12k","state":"verified"',
  '"xid":"bd-16k","state":"verified"' ]
--- no_error_log
a client request body is buffered to a temporary file



=== a callback of 16k + 1 byte is 413
--- http_config eval: $::http_config
--- config eval: $::locations
--- request eval
"POST /callback\n" . main::padded_cb("bd-big", 16385)
--- more_headers eval
main::signed(main::padded_cb("bd-big", 16385))
--- error_code: 413
--- response_body_like: "error":"body_too_large"



=== chunked callbacks of 8k, 12k and 16k are stored
--- http_config eval: $::http_config
--- config eval: $::locations
--- raw_request eval
[ main::raw_cb("bd-c8k", 8192, 1), main::raw_cb("bd-c12k", 12288, 1), main::raw_cb("bd-c16k", 16384, 1) ]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[ '"xid":"bd-c8k","state":"verified"', '"xid":"bd-c12k","state":"verified"',
  '"xid":"bd-c16k","state":"verified"' ]



=== a chunked callback of 16k + 1 byte is 413
--- http_config eval: $::http_config
--- config eval: $::locations
--- raw_request eval
main::raw_cb("bd-cbig", 16385, 1)
--- error_code: 413
--- response_body_like: "error":"body_too_large"



=== a callback with a smaller client_body_buffer_size still takes 16k in memory
--- http_config eval: $::http_config
--- config eval: "    client_body_buffer_size 1k;\n" . $::locations
--- raw_request eval
main::raw_cb("bd-small-buf", 16384, 0)
--- error_code: 200
--- response_body_like: "xid":"bd-small-buf","state":"verified"



=== the last block: the config the timing attacks after run_tests() run against
--- http_config eval: $::http_config
--- config eval: $::locations
--- request
GET /sim/health
--- error_code: 200
