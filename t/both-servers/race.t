# Parallel finalize codes for one missed-call session, on httpd and nginx
# alike.  An attempt is reserved in the store before Telesign is asked
# (httpd: a locked read-modify-write of the record in the socache; nginx:
# in the zone), so however many codes arrive at once, no more of them are
# checked by Telesign than the session has attempts left; the others are
# 409 attempt_in_progress and use nothing.  An attempt Telesign gave no
# answer for is given back.  The simulator is slow (500 ms) while the codes
# are in flight, so every request arrives while the first ones are being
# checked.

use lib 't/lib';
use AppVerify::Scenario 'no_plan';
use AppVerify::Attack qw(send_pieces parallel);

my $port = $ENV{AV_PORT} || 19860;
my $sim_port = $ENV{AV_SIM_PORT} || 19890;
my $kind = $ENV{AV_SERVER} || 'apache';

sub sim {
    my ($method, $path, $json) = @_;
    $json //= '';
    return send_pieces(["$method /_sim/$path HTTP/1.0\r\nHost: sim\r\n"
                        . "Content-Type: application/json\r\n"
                        . "Content-Length: " . length($json) . "\r\n\r\n$json"],
                       port => $sim_port);
}

# the simulator answers at once again, whatever happens below
END { sim('POST', 'mode', '{"mode":"ok"}') }

sub post {
    my ($uri, $body, $cred) = @_;
    return "POST $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
         . ($cred ? "Authorization: Bearer $cred\r\n" : "")
         . "Content-Type: application/x-www-form-urlencoded\r\n"
         . "Content-Length: " . length($body) . "\r\n\r\n$body";
}

sub code_of { $_[0] =~ m{^HTTP/1\.1 (\d{3})} ? $1 : 'none' }

sub tally {
    my %codes;
    $codes{code_of($_)}++ for @_;
    return join ", ", map { "$_ x$codes{$_}" } sort keys %codes;
}

sub send_to { send_pieces([$_[0]], port => $port) }

# a missed call placed for $phone whose code is $code: its session
sub start_call {
    my ($phone, $code) = @_;
    sim('POST', 'next-code', qq({"code":"$code"}));
    my $r = send_to(post('/lk/call', "phone=$phone"));
    my ($cred) = $r =~ m{"session":"([^"]+)"};
    return $cred;
}

sub status_of {
    my ($cred) = @_;
    return send_to("GET /status HTTP/1.0\r\nAuthorization: Bearer $cred\r\n\r\n");
}

sub finalize_calls {
    my $all = sim('GET', 'requests');
    return scalar(() = $all =~ m{"path":"/v1/verify/auto/voice/finalize"}g);
}

run_scenarios();

{
    # 30 wrong codes at once with 3 attempts: three reach Telesign
    sim('POST', 'reset', '{}');
    my $cred = start_call('15559000001', '11111');
    ok($cred, "a missed call was placed [$kind]");
    sim('POST', 'mode', '{"mode":"slow","delay_ms":500}');
    my @r = parallel([ map { post('/lk/finalize3', sprintf("code=2%04d", $_), $cred) } 1 .. 30 ],
                     port => $port);
    sim('POST', 'mode', '{"mode":"ok"}');
    my $busy = grep { m{^HTTP/1\.1 409 .*"error":"attempt_in_progress"}s } @r;
    my $checked = grep { m{^HTTP/1\.1 (?:200|403) .*"attempts_left":}s } @r;
    is(finalize_calls(), 3,
       "30 parallel wrong codes with 3 attempts: 3 reach Telesign [$kind]");
    is($checked, 3, "... three answered from Telesign's answer: " . tally(@r) . " [$kind]");
    is($busy, 27, "... the other 27 are 409 attempt_in_progress [$kind]");
    like(status_of($cred), qr{"state":"failed"},
         "... the session is failed after its three attempts [$kind]");
    my $f = send_to(post('/lk/finalize3', 'code=11111', $cred));
    like($f, qr{^HTTP/1\.1 403 .*"verified":false}s,
         "... the right code afterwards does not verify [$kind]");
    is(finalize_calls(), 3, "... and is not asked about [$kind]");

    # 1 attempt: two wrong codes and the right one at once
    sim('POST', 'reset', '{}');
    $cred = start_call('15559000002', '12345');
    sim('POST', 'mode', '{"mode":"slow","delay_ms":500}');
    @r = parallel([ post('/lk/finalize1', 'code=99999', $cred),
                    post('/lk/finalize1', 'code=88888', $cred),
                    post('/lk/finalize1', 'code=12345', $cred) ], port => $port);
    sim('POST', 'mode', '{"mode":"ok"}');
    is(finalize_calls(), 1,
       "1 attempt and three codes at once: one reaches Telesign [$kind]");
    is(scalar(grep { m{^HTTP/1\.1 409 .*"error":"attempt_in_progress"}s } @r), 2,
       "... the other two are 409 attempt_in_progress: " . tally(@r) . " [$kind]");
    my $s = status_of($cred);
    if (join('', grep { !/attempt_in_progress/ } @r) =~ /"verified":true/) {
        like($s, qr{"state":"verified"}, "... the one code checked was the right one: verified [$kind]");
    } else {
        like($s, qr{"state":"failed"},
             "... the one code checked was wrong: failed, the right one never counted [$kind]");
    }

    # Telesign fails a finalize: the attempt is given back
    sim('POST', 'reset', '{}');
    $cred = start_call('15559000003', '22222');
    sim('POST', 'mode', '{"mode":"error500"}');
    my $e = send_to(post('/lk/finalize1', 'code=22222', $cred));
    sim('POST', 'mode', '{"mode":"ok"}');
    like($e, qr{^HTTP/1\.1 503 .*"error":"upstream_unavailable"}s,
         "Telesign failing a finalize is 503 [$kind]");
    $f = send_to(post('/lk/finalize1', 'code=22222', $cred));
    like($f, qr{^HTTP/1\.1 200 .*"verified":true}s,
         "... its attempt was given back: the right code then verifies [$kind]");

    # the answer is lost after Telesign checked the right code: the next
    # finalize learns the outcome ("decided already"), with 1 attempt
    sim('POST', 'reset', '{}');
    $cred = start_call('15559000004', '33333');
    sim('POST', 'mode', '{"mode":"drop","count":1}');
    $e = send_to(post('/lk/finalize1', 'code=33333', $cred));
    sim('POST', 'mode', '{"mode":"ok"}');
    like($e, qr{^HTTP/1\.1 503 }, "a finalize whose answer was lost is 503 [$kind]");
    $f = send_to(post('/lk/finalize1', 'code=33333', $cred));
    like($f, qr{^HTTP/1\.1 200 .*"verified":true.*"attempts_left":0}s,
         "... the next one is not 409: the outcome is asked for, verified [$kind]");
    like(status_of($cred), qr{"state":"verified"}, "... and stored [$kind]");

    # a client that leaves while its wrong code is checked buys no attempt
    # (httpd's call runs to its end and counts it; nginx counts it lost)
    sim('POST', 'reset', '{}');
    $cred = start_call('15559000005', '44444');
    sim('POST', 'mode', '{"mode":"slow","delay_ms":800}');
    send_pieces([post('/lk/finalize1', 'code=55555', $cred), \0.3], port => $port, leave => 1);
    select(undef, undef, undef, 1.2);
    sim('POST', 'mode', '{"mode":"ok"}');
    $f = send_to(post('/lk/finalize1', 'code=44444', $cred));
    like($f, qr{^HTTP/1\.1 403 .*"verified":false}s,
         "leaving mid-finalize did not buy another attempt [$kind]");
    is(finalize_calls(), 1, "... the right code afterwards is not asked about [$kind]");
}

__DATA__

=== the simulator is up (the races follow the blocks)
--- request
GET sim:/_sim/mode
--- response_body_like: "mode"
