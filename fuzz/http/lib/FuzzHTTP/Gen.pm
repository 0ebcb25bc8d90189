package FuzzHTTP::Gen;

# Scenarios: each is generated from its own PRNG stream (seed/index) as a
# list of concrete steps (raw request bytes, timing plans, simulator
# controls, invariants), before anything is sent, so a scenario can be
# replayed alone and shrunk by dropping steps.  No step depends on an
# answer's bytes but "sim_sdk" (it hands a token answer to the simulator):
# sessions are made with xids the fuzzer chooses and credentials it mints
# itself (t/lib/AppVerify/Test.pm), and missed-call codes are chosen with
# the simulator's /_sim/next-code.
#
# Step kinds:
#   req    {raw, method(s), ep, class, allow, incomplete, pieces, abort_ms,
#           timeout, expect, expect_not, json_is, json_not, why, label, desc}
#   par    {reqs => [req ...]}                  all at once
#   sim    {method, path, body}                 the simulator's /_sim/ API
#   sim_sdk {label, code}                       the SDK flow with a token answer
#   sleep  {ms}
#   assert_count {label, status, max, why}      answers with label and status
#   assert_sim   {path_re, max, why}            /v1/ requests the simulator saw
#   assert_state {xid, state, why}              GET /status for xid
#   redis  {op}                                 the nginx-redis kind's Redis:
#                                               stop, cont, kill, start
#   a par's redis_mid {op, ms}: Redis stopped or killed ms after the
#   requests start (rounds in flight); store_unavailable allowed in it
#
# A req's max_secs: it must be answered within that many seconds (a hang).

use strict;
use warnings;

use FuzzHTTP::Wire qw(serialize);
use AppVerify::Test ();

our $SESSION_OTHER = 'another-secret-of-at-least-32-bytes-for-fuzzing!!';

# scenario kind => weight
our @KINDS = (
    single        => 40,
    flow_sdk      => 6,
    flow_call     => 5,
    slow_body     => 6,
    short_body    => 4,
    abandon       => 6,
    status_body   => 5,
    sim_fault     => 6,
    par_finalize  => 3,
    par_token     => 3,
    par_callback  => 3,
    par_lookup    => 3,
    par_call      => 2,
    abandoned_call => 2,
    big_callback  => 3,
    satisfy_any   => 3,
    pipeline      => 4,
    par_mixed     => 3,
    rate_time     => 2,
    redis_fault   => 4,
);

# kinds only the nginx-redis server runs (the others draw from @KINDS
# without them, so their seeds give the scenarios they gave before)
our %NEEDS_REDIS = (redis_fault => 1);

sub kinds { my %k = @KINDS; return sort keys %k }

sub generate {
    my ($rng, $idx, %o) = @_;
    my $g = { rng => $rng, idx => $idx, server => $o{server}, k => 0, steps => [] };
    my $kind = $o{kind} // $rng->weighted(@KINDS);
    my $sub = __PACKAGE__->can("sc_$kind") or die "no scenario $kind\n";
    $sub->($g);
    return { kind => $kind, index => $idx, steps => $g->{steps} };
}

# --- identities of this scenario -------------------------------------------

sub phone {
    my ($g) = @_;
    return sprintf('4477%05d%03d', $g->{idx} % 100000, $g->{k}++ % 1000);
}

sub xid {
    my ($g, $tag) = @_;
    return "fz$g->{idx}-" . ($tag // 'x') . '-' . $g->{rng}->string(6);
}

sub cred { my ($xid, $exp, $secret) = @_; return AppVerify::Test::credential($xid, $exp, $secret) }

sub cookie_h { my ($c) = @_; return [ 'Cookie', "appverify=$c" ] }

sub urlenc {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

sub form { my (@kv) = @_; my @p; while (@kv) { my ($k, $v) = splice @kv, 0, 2; push @p, urlenc($k) . '=' . urlenc($v) } return join '&', @p }

sub json_str {
    my ($s) = @_;
    $s =~ s/(["\\])/\\$1/g;
    $s =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord $1)/ge;
    return qq("$s");
}

sub json_obj { my (@kv) = @_; my @p; while (@kv) { my ($k, $v) = splice @kv, 0, 2; push @p, json_str($k) . ':' . json_str($v) } return '{' . join(',', @p) . '}' }

# --- requests ------------------------------------------------------------------

sub spec {
    my (%a) = @_;
    my @h = ([ 'Host', 'localhost' ]);
    push @h, @{ $a{headers} // [] };
    push @h, [ 'Connection', 'close' ] unless $a{keep};
    return {
        method => $a{method} // 'GET', target => $a{path}, version => 'HTTP/1.1',
        headers => \@h, body => $a{body} // '',
        framing => $a{framing} // (length($a{body} // '') ? 'cl' : 'none'),
        meta => { ep => $a{ep} // 'other', class => $a{class} // 'module', allow => {},
                  desc => [] },
    };
}

# the spec as a step
sub to_step {
    my ($s, %x) = @_;
    my $m = $s->{meta};
    my $raw = defined $m->{raw} ? $m->{raw} : serialize($s);
    if ((my $cb = $m->{chunk_bytes}) && ($s->{framing} // '') eq 'chunked' && !defined $m->{raw}) {
        my ($t, $big) = @$cb;
        my ($head, $b) = split /\r\n\r\n/, $raw, 2;
        $b //= '';
        if ($t eq 'bigsize') { $b = "$big\r\n" . $b }
        elsif ($t eq 'negsize') { $b = "-1\r\n" . $b }
        elsif ($t eq 'zeros') { $b =~ s/^([0-9a-f]+)\r\n/sprintf('%020s', $1) . "\r\n"/e }
        elsif ($t eq 'upper') { $b =~ s/^([0-9a-f]+)\r\n/uc($1) . "\r\n"/e }
        elsif ($t eq 'badcrlf') { $b =~ s/\r\n/\n/ }
        elsif ($t eq 'nolast') { $b =~ s/0\r\n\r\n\z// }
        $raw = "$head\r\n\r\n$b";
    }
    my %st = (t => 'req', raw => $raw, method => $m->{method_for_parse} // $s->{method},
              ep => $m->{ep}, class => $m->{class}, allow => $m->{allow},
              desc => join('; ', @{ $m->{desc} }), %x);
    for my $k (qw(incomplete pieces abort_ms timeout noshape methods)) {
        $st{$k} //= $m->{$k} if defined $m->{$k};
    }
    $st{methods} //= [ $st{method} ];
    if ($m->{head_pause} && !$st{pieces}) {
        # the header section first, the body after a pause (Expect)
        my $hlen = index($raw, "\r\n\r\n");
        $st{pieces} = [ [ $hlen + 4, 0 ], [ 0, $m->{head_pause} ] ] if $hlen >= 0;
    }
    return \%st;
}

sub push_step { my ($g, $st) = @_; push @{ $g->{steps} }, $st; return $st }
sub req_step  { my ($g, $s, %x) = @_; return push_step($g, to_step($s, %x)) }

sub set_header {
    my ($s, $n, $v) = @_;
    @{ $s->{headers} } = grep { !defined $_->[0] || lc $_->[0] ne lc $n } @{ $s->{headers} };
    push @{ $s->{headers} }, [ $n, $v ] if defined $v;
}

sub has_header { my ($s, $n) = @_; return grep { defined $_->[0] && lc $_->[0] eq lc $n } @{ $s->{headers} } }

sub desc { my ($s, $d) = @_; push @{ $s->{meta}{desc} }, $d }

# valid requests of each endpoint ----------------------------------------------

sub phone_params {
    my ($g, $phone) = @_;
    my $r = $g->{rng};
    my $w = $r->below(6);
    return (phone => $phone) if $w < 3;
    return (phone => '+' . $phone) if $w == 3;
    return (phone => '+' . substr($phone, 0, 2) . ' ' . substr($phone, 2, 4) . ' ' . substr($phone, 6))
        if $w == 4 && length $phone > 6;
    return (phone => $phone) if length $phone < 3;
    return (country_code => substr($phone, 0, 2), phone_number => '0' . substr($phone, 2));
}

sub token_spec {
    my ($g, %o) = @_;
    my $r = $g->{rng};
    my $path = $o{path} // '/token-fast';
    my @p = phone_params($g, $o{phone} // phone($g));
    push @p, (xid => $o{xid}) if defined $o{xid};
    my $how = $o{how} // $r->pick(qw(query form json));
    my @h;
    push @h, [ 'Accept', 'application/json' ] if $o{json_answer} // $r->chance(0.4);
    push @h, @{ $o{headers} // [] };
    my $s;
    if ($how eq 'query') {
        $s = spec(method => 'GET', path => "$path?" . form(@p), headers => \@h, ep => 'token');
    } elsif ($how eq 'form') {
        $s = spec(method => 'POST', path => $path, body => form(@p), ep => 'token',
                  headers => [ @h, [ 'Content-Type', 'application/x-www-form-urlencoded' ] ]);
    } else {
        $s = spec(method => 'POST', path => $path, body => json_obj(@p), ep => 'token',
                  headers => [ @h, [ 'Content-Type', 'application/json' ] ]);
    }
    return $s;
}

# a callback body in Telesign's shape; every value is a JSON literal so a
# mutation can put anything there
sub cb_fields {
    my ($g, %o) = @_;
    return {
        code => $o{code} // 1800,
        description => json_str($o{description} // 'Success'),
        updated_on => json_str($o{updated_on} // '2026-11-21T10:00:00.000000Z'),
        submit => json_str('2026-11-21T09:59:59.000000Z'),
        sub_resource => json_str('sdk'),
        phone => json_str($o{phone} // '15555551234'),
        xid => json_str($o{xid} // 'x'),
        reference_id => json_str('B149634764BC0144C833G7280C4403B8'),
        errors => '[]',
        extra => '',
    };
}

sub cb_json {
    my ($f) = @_;
    my @top;
    push @top, qq("status":{"code":$f->{code},"description":$f->{description},"updated_on":$f->{updated_on}})
        unless $f->{no_status};
    push @top, qq("submit_timestamp":$f->{submit}), qq("errors":$f->{errors}),
               qq("sub_resource":$f->{sub_resource});
    push @top, qq("mobile_verification":{"phone_number":$f->{phone},"xid":$f->{xid}})
        unless $f->{no_mv};
    push @top, qq("reference_id":$f->{reference_id});
    push @top, $f->{extra} if length $f->{extra};
    return '{' . join(',', @top) . '}';
}

sub callback_spec {
    my ($g, $body, %o) = @_;
    my $s = spec(method => 'POST', path => '/callback', body => $body, ep => 'callback',
                 headers => [ [ 'Content-Type', 'application/json' ] ]);
    sign($g, $s, $o{sign} // 'tsa', $body);
    return $s;
}

sub sign {
    my ($g, $s, $mode, $body) = @_;
    my $r = $g->{rng};
    my $sig = AppVerify::Test::signature($body);
    my $cid = $AppVerify::Test::CUSTOMER_ID;
    my $bad = AppVerify::Test::b64($r->bytes(32));
    my %h = (
        tsa      => [ [ 'Authorization', "TSA $cid:$sig" ] ],
        xts      => [ [ 'X-TS-Authorization', $sig ] ],
        both     => [ [ 'Authorization', "TSA $cid:$sig" ], [ 'X-TS-Authorization', $sig ] ],
        none     => [],
        bad      => [ [ 'Authorization', "TSA $cid:$bad" ] ],
        bad_xts  => [ [ 'Authorization', "TSA $cid:$sig" ], [ 'X-TS-Authorization', $bad ] ],
        wrongcid => [ [ 'Authorization', "TSA 00000000-0000-0000-0000-000000000000:$sig" ] ],
        lower    => [ [ 'Authorization', "tsa $cid:$sig" ] ],
        nocolon  => [ [ 'Authorization', "TSA $cid" ] ],
        nocid    => [ [ 'Authorization', "TSA :$sig" ] ],
        basic    => [ [ 'Authorization', 'Basic ' . AppVerify::Test::b64("$cid:key") ] ],
        dup      => [ [ 'Authorization', "TSA $cid:$bad" ], [ 'Authorization', "TSA $cid:$sig" ] ],
        empty    => [ [ 'Authorization', '' ], [ 'X-TS-Authorization', '' ] ],
        trunc    => [ [ 'Authorization', "TSA $cid:" . substr($sig, 0, $r->below(length $sig)) ] ],
        junk     => [ [ 'Authorization', "TSA $cid:" . $r->string($r->range(1, 300), join('', map chr, 33 .. 126)) ] ],
        long     => [ [ 'Authorization', "TSA $cid:" . ('A' x $r->pick(100, 1000, 7000)) ] ],
        space    => [ [ 'Authorization', "TSA  $cid : $sig " ] ],
    );
    push @{ $s->{headers} }, @{ $h{$mode} // $h{tsa} };
    desc($s, "signed:$mode") unless $mode eq 'tsa';
}

sub status_spec {
    my ($g, %o) = @_;
    my $r = $g->{rng};
    my $path = $o{path} // $r->pick('/status', '/lstatus');
    my @h = $o{bearer} // $r->chance(0.3) ? ([ 'Authorization', "Bearer $o{cred}" ]) : (cookie_h($o{cred}));
    return spec(method => $o{method} // 'GET', path => $path, headers => \@h, ep => 'status');
}

sub gate_spec {
    my ($g, %o) = @_;
    my $r = $g->{rng};
    my $path = $o{path} // $r->pick('/account/index.html', '/laccount/index.html');
    my @h;
    if (defined $o{cred}) {
        @h = ($o{bearer} // $r->chance(0.3)) ? ([ 'Authorization', "Bearer $o{cred}" ]) : (cookie_h($o{cred}));
    }
    return spec(method => $o{method} // 'GET', path => $path, headers => \@h, ep => 'gate',
                class => 'gate');
}

sub call_spec {
    my ($g, %o) = @_;
    my $r = $g->{rng};
    my @p = phone_params($g, $o{phone} // phone($g));
    push @p, (xid => $o{xid}) if defined $o{xid};
    my $json = $o{json} // $r->chance(0.3);
    return spec(method => 'POST', path => '/call', ep => 'call',
                body => $json ? json_obj(@p) : form(@p),
                headers => [ [ 'Content-Type', $json ? 'application/json' : 'application/x-www-form-urlencoded' ] ]);
}

sub finalize_spec {
    my ($g, %o) = @_;
    my $r = $g->{rng};
    my @p = exists $o{caller_id} ? (caller_id => $o{caller_id})
          : exists $o{timeout} ? (timeout => '1')
          : (code => $o{code} // $r->digits(5));
    my $json = $o{json} // $r->chance(0.3);
    my @h = defined $o{cred}
          ? (($o{bearer} // $r->chance(0.3)) ? ([ 'Authorization', "Bearer $o{cred}" ]) : (cookie_h($o{cred})))
          : ();
    return spec(method => 'POST', path => '/finalize', ep => 'finalize',
                body => $json ? json_obj(@p) : form(@p),
                headers => [ @h, [ 'Content-Type', $json ? 'application/json' : 'application/x-www-form-urlencoded' ] ]);
}

sub health_spec { return spec(method => 'GET', path => '/health', ep => 'health', class => 'health') }

sub sim_step {
    my ($g, $path, $body, $method) = @_;
    return push_step($g, { t => 'sim', method => $method // 'POST', path => $path, body => $body // '' });
}

sub sim_mode {
    my ($g, $mode, %o) = @_;
    my $j = qq({"mode":"$mode");
    $j .= qq(,"delay_ms":$o{delay}) if defined $o{delay};
    $j .= qq(,"count":$o{count}) if defined $o{count};
    return sim_step($g, '/_sim/mode', "$j}");
}

sub sim_status {
    my ($g, $xid, $code, $phone) = @_;
    return sim_step($g, '/_sim/status', qq({"xid":"$xid","code":$code,"phone":"$phone"}));
}

sub sleep_step { my ($g, $ms) = @_; return push_step($g, { t => 'sleep', ms => $ms }) }

# a session: a token with our own xid (pending), optionally verified by a
# signed callback; returns (xid, phone, credential)
sub session {
    my ($g, %o) = @_;
    my $xid = xid($g, $o{tag} // 's');
    my $phone = phone($g);
    req_step($g, token_spec($g, xid => $xid, phone => $phone, path => '/token-fast'),
             expect => [200], why => 'a valid token request on a location without limits');
    if ($o{verify}) {
        my $body = cb_json(cb_fields($g, xid => $xid, phone => $phone, code => $o{code} // 1800));
        req_step($g, callback_spec($g, $body), expect => [200], why => 'a valid signed callback');
    }
    return ($xid, $phone, cred($xid));
}

# a started missed call with a known code
sub started_call {
    my ($g, %o) = @_;
    my $xid = xid($g, 'c');
    my $phone = phone($g);
    my $code = $g->{rng}->digits(5);
    sim_step($g, '/_sim/next-code', qq({"code":"$code"}));
    req_step($g, call_spec($g, phone => $phone, xid => $xid),
             expect => [200], why => 'a valid call start, Telesign answering');
    return ($xid, $phone, cred($xid), $code);
}

# --- mutations -------------------------------------------------------------

sub mutant_phone {
    my ($g) = @_;
    my $r = $g->{rng};
    my $p = phone($g);
    return $r->pick(
        '', '+', '+44', '0044' . substr($p, 2), "+44 (0) 77-" . substr($p, 4),
        $p . $r->digits($r->range(1, 6)), substr($p, 0, $r->range(1, 7)),
        'abc', $p . 'x', "\x{d9}\x{a0}" x 12, "\xef\xbc\x91" x 12, "44\x00" . substr($p, 2),
        '9' x 15, '1' x 16, '999' . $r->digits(9), '0' x 12, '+' x 20, ' ' x 10,
        $r->digits($r->range(1, 40)), '1' x $r->pick(100, 1000, 3000),
        '%2B' . $p, '++' . $p, "+1-(555)-555.1234/5", '+39 06 1234 5678', '+1 242 555 0123',
        $r->string($r->range(1, 30), join('', map chr, 32 .. 126)),
    );
}

sub mutant_xid {
    my ($g) = @_;
    my $r = $g->{rng};
    return $r->pick('', 'a' x 64, 'a' x 65, 'x' x 1000, 'bad/xid', 'b d', "\xc3\xbc", '.', ':-_.',
                    "a\x00b", '%41', xid($g), $r->string($r->range(1, 80), join('', map chr, 33 .. 126)));
}

sub mutant_code {
    my ($g) = @_;
    my $r = $g->{rng};
    return $r->pick('12345', '1234', '123456', ' 1234', '12 34', "\xef\xbc\x91" x 5,
                    "\xd9\xa0\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4", '12a45', '', '-1234', '00000',
                    '99999', '1' x 1000, '+1234', '0x123', $r->digits(5));
}

sub mutant_cred {
    my ($g) = @_;
    my $r = $g->{rng};
    my $x = xid($g);
    my $c = cred($x);
    my $w = $r->below(20);
    return $c if $w == 0;
    return substr($c, 0, $r->below(length $c)) if $w == 1;
    if ($w == 2) { my $i = $r->below(length $c); substr($c, $i, 1) = $r->pick('A', '-', '.', '_', '~', "\xff"); return $c }
    return cred($x, time() - $r->range(1, 100000)) if $w == 3;
    return cred($x, 0) if $w == 4;
    return "$x.99999999999999999999." . (split /\./, $c)[2] if $w == 5;
    return "$c.extra" if $w == 6;
    return cred($x, undef, $SESSION_OTHER) if $w == 7;
    return cred('a' x 65) if $w == 8;
    return cred("bad/xid") if $w == 9;
    return qq("$c") if $w == 10;
    return "$c; appverify=" . mutant_cred($g) if $w == 11;
    return ' ' . $c . ' ' if $w == 12;
    return 'x' x $r->pick(100, 4000, 7000) if $w == 13;
    return '' if $w == 14;
    return '...' if $w == 15;
    return urlenc($c) if $w == 16;
    return "$x..$c" if $w == 17;
    return cred($x, time() + 10 * 365 * 86400) if $w == 18;
    return AppVerify::Test::b64($r->bytes($r->range(1, 120)));
}

sub deep_json {
    my ($g, $n) = @_;
    my $r = $g->{rng};
    return $r->chance(0.5) ? ('[' x $n) . ']' x $n
                           : ('{"a":' x $n) . '1' . ('}' x $n);
}

# a body meant for the endpoint, mutated
sub mutant_body {
    my ($g, $s) = @_;
    my $r = $g->{rng};
    my $ep = $s->{meta}{ep};
    my @keys = $ep eq 'finalize' ? qw(code caller_id timeout)
             : $ep eq 'callback' ? qw(status mobile_verification xid)
             : qw(phone country_code phone_number xid);
    my $w = $r->below(13);
    if ($w == 0) {    # form with broken escapes, repeats, junk keys
        my @p;
        for (1 .. $r->range(1, 8)) {
            my $k = $r->pick(@keys, '', 'x', '%zz', '%', '%4', '&', '=', "k\x00");
            my $v = $r->pick(mutant_phone($g), mutant_code($g), mutant_xid($g), '%', '%g1', '%00', '+', '%2');
            push @p, $r->chance(0.7) ? "$k=$v" : $k;
        }
        desc($s, 'body:form-junk');
        return (join('&', @p), 'application/x-www-form-urlencoded');
    }
    if ($w == 1) {    # JSON with the wrong types
        my $k = $r->pick(@keys);
        my $v = $r->pick('1', '-1', '1e999', '0.5', 'true', 'null', '[]', '{}', '["447700900123"]',
                         '{"a":"b"}', '"\u0000"', '"\ud800"', '"' . ('9' x 5000) . '"', '447700900123');
        desc($s, "body:json-type $k=$v" =~ s/(.{60}).*/$1.../r);
        return ("{\"$k\":$v}", 'application/json');
    }
    if ($w == 2) {    # deep nesting
        my $n = $r->pick(64, 100, 1000, 1900, 5000, 8000);
        desc($s, "body:deep-$n");
        return (deep_json($g, $n), 'application/json');
    }
    if ($w == 3) {    # long strings
        my $n = $r->pick(255, 256, 1024, 4000, 8192, 12000, 16000);
        desc($s, "body:long-string-$n");
        return (json_obj($r->pick(@keys), 'x' x $n), 'application/json');
    }
    if ($w == 4) {    # truncated JSON
        my $full = json_obj(map { ($_ => $r->digits(12)) } @keys);
        desc($s, 'body:truncated-json');
        return (substr($full, 0, $r->below(length $full)), 'application/json');
    }
    if ($w == 5) {    # random bytes
        my $n = $r->pick(1, 2, 10, 100, 1000, 4095, 4096, 4097, 8192, 16384, 16385);
        desc($s, "body:random-$n");
        return ($r->bytes($n), $r->pick('application/json', 'application/x-www-form-urlencoded',
                                        'application/octet-stream', undef));
    }
    if ($w == 6) {    # near the limits: a valid body padded
        my $n = $r->pick(4095, 4096, 4097, 8191, 8192, 8193, 12288, 16383, 16384, 16385);
        my $base = length $s->{body} ? $s->{body} : 'a=b';
        my $ct = (grep { defined $_->[0] && lc $_->[0] eq 'content-type' } @{ $s->{headers} })[0];
        my $json = $ct && $ct->[1] =~ /json/;
        my $b = $base;
        if ($json && $b =~ /\}\z/) {
            my $pad = $n - length($b) - 10;
            $pad = 0 if $pad < 0;
            $b =~ s/\}\z/,"pad":"${\('p' x $pad)}"}/;
        } else {
            my $pad = $n - length($b) - 5;
            $pad = 0 if $pad < 0;
            $b .= '&pad=' . ('p' x $pad);
        }
        $b .= ' ' x ($n - length $b) if length $b < $n;
        $b = substr($b, 0, $n) if length $b > $n;
        desc($s, "body:padded-to-$n");
        return ($b, undef);
    }
    if ($w == 7) {    # many parameters
        my $n = $r->pick(100, 500, 1000);
        desc($s, "body:$n-params");
        return (join('&', map { "k$_=v" } 1 .. $n) . '&' . ($s->{body} // ''), 'application/x-www-form-urlencoded');
    }
    if ($w == 8) {    # duplicate keys
        my $k = $r->pick(@keys);
        desc($s, "body:dup-key-$k");
        return ($r->chance(0.5) ? "{\"$k\":\"1\",\"$k\":\"2\"}" : "$k=1&$k=2", undef);
    }
    if ($w == 9) {    # top-level non-objects, BOM, trailing junk
        desc($s, 'body:json-odd');
        return ($r->pick('[]', '"x"', '1', 'null', "\xef\xbb\xbf{}", '{} x', '{}{}', '{', '}',
                         "{\"a\":\"\\u", '{"a":"\\x41"}', "{\"a\":\"\xff\xfe\"}", ''), 'application/json');
    }
    if ($w == 10) {   # empty
        desc($s, 'body:empty');
        return ('', undef);
    }
    if ($w == 11) {   # the content type lies
        desc($s, 'body:ctype-lies');
        return ($s->{body}, $r->pick('application/json', 'application/x-www-form-urlencoded', 'text/plain',
                                     'multipart/form-data; boundary=x', 'application/json; charset=utf-16',
                                     'application/x-www-form-urlencoded; charset=latin1', ''));
    }
    # unicode and escapes in the right key
    desc($s, 'body:unicode');
    my $k = $r->pick(@keys);
    return ($r->pick("{\"$k\":\"\\u0034\\u0034\\u0037\\u0037\\u0030\\u0030\\u0039\\u0030\\u0030\\u0031\\u0032\\u0033\"}",
                     "{\"$k\":\"\\ud83d\\ude00\"}", "{\"$k\":\"\xf0\x9f\x98\x80\"}",
                     "$k=%F0%9F%98%80", "$k=%C0%80", "{\"$k\":\"\\/\\b\\f\\n\\r\\t\"}"), undef);
}

my @METHODS = qw(GET POST HEAD PUT DELETE OPTIONS PATCH);
my @ODD_METHODS = ('get', 'Post', 'FOO', 'PROPFIND', 'M-SEARCH', 'X' x 40, 'CONNECT', 'TRACE');

sub mutate {
    my ($g, $s) = @_;
    my $r = $g->{rng};
    my $m = $s->{meta};
    my $w = $r->weighted(method => 6, version => 2, target => 5, dup => 5, cl => 7, te => 7,
                         cookie => 6, authz => 5, huge => 4, ctype => 3, accept => 2, expect => 2,
                         host => 2, junk => 3, xff => 2, body => 14, pieces => 5);
    if ($w eq 'method') {
        my $odd = $r->chance(0.3);
        my $meth = $odd ? $r->pick(@ODD_METHODS) : $r->pick(@METHODS);
        $s->{method} = $meth;
        $m->{allow}{501} = 1;    # httpd answers methods it does not know with 501
        $m->{allow}{405} = 1;
        $m->{noshape} = 1 if $meth =~ /^(?:TRACE|OPTIONS)\z/;
        $m->{class} = 'other' if $odd;
        desc($s, "method:$meth");
    } elsif ($w eq 'version') {
        my $v = $r->pick('HTTP/1.0', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/3.0', 'http/1.1', 'HTTP/1.1 x', 'HTTP/01.1', 'HTTP/1');
        $s->{version} = $v;
        $m->{allow}{505} = 1;
        $m->{class} = 'other' unless $v =~ m{^HTTP/1\.[012]\z};
        desc($s, "version:$v");
    } elsif ($w eq 'target') {
        my $t = $r->below(8);
        if ($t < 4) {
            my @q = map { $r->pick(qw(phone xid code country_code phone_number a), '', '%zz') . '='
                          . urlenc($r->pick(mutant_phone($g), mutant_xid($g), mutant_code($g))) } 1 .. $r->range(1, 4);
            $s->{target} .= ($s->{target} =~ /\?/ ? '&' : '?') . join('&', @q);
            desc($s, 'target:query');
        } elsif ($t == 4) {
            $s->{target} .= ($s->{target} =~ /\?/ ? '&' : '?') . 'a=' . ('q' x $r->pick(2000, 7000, 9000));
            desc($s, 'target:long-query');
        } else {
            my ($path, $q) = $s->{target} =~ /^([^?]*)(.*)\z/s;
            my $np = $r->pick("$path/", "/$path", "$path%00", "$path;x", uc $path, "/./$path",
                              "/x/..$path", "http://localhost$path", "$path%2f", "$path\x00", "$path#f",
                              "$path%", "$path/../health");
            $s->{target} = $np . $q;
            $m->{class} = 'other';
            desc($s, 'target:path');
        }
    } elsif ($w eq 'dup') {
        my @cand = grep { defined $_->[0] } @{ $s->{headers} };
        my $h = $r->pick(@cand);
        my $v = $r->chance(0.5) ? $h->[1] : $r->pick(mutant_cred($g), 'x', '', 'application/json');
        my $name = $r->chance(0.7) ? $h->[0] : $r->pick('Cookie', 'Authorization', 'Content-Type', 'Host', 'Content-Length');
        $v = 'appverify=' . $v if $name eq 'Cookie' && $v !~ /=/;
        push @{ $s->{headers} }, [ $name, $v ];
        desc($s, "dup:$name");
        $m->{class} = 'other' if lc $name eq 'host' || lc $name eq 'content-length';
    } elsif ($w eq 'cl') {
        my $len = length $s->{body};
        my $t = $r->pick(qw(bigger bigger smaller dup_same dup_diff neg huge plus space hex empty alpha zeros));
        $s->{framing} = 'none';
        set_header($s, 'Transfer-Encoding', undef);
        my @v = (
            bigger => $len + $r->pick(1, 10, 1000, 5000), smaller => $len > 1 ? $r->below($len) : 0,
            neg => -1, huge => '99999999999999999999', plus => "+$len", space => " $len ",
            hex => sprintf('0x%x', $len), empty => '', alpha => 'abc', zeros => sprintf('%012d', $len),
        );
        my %v = @v;
        if ($t eq 'dup_same') {
            push @{ $s->{headers} }, [ 'Content-Length', $len ], [ 'Content-Length', $len ];
        } elsif ($t eq 'dup_diff') {
            push @{ $s->{headers} }, [ 'Content-Length', $len ], [ 'Content-Length', $len + 1 ];
            $m->{incomplete} = 1;
        } else {
            push @{ $s->{headers} }, [ 'Content-Length', $v{$t} ];
        }
        if ($t eq 'bigger' || $t eq 'huge') {
            $m->{incomplete} = 1;
            $m->{abort_ms} = $r->pick(50, 300, 700, 2500) if $r->chance(0.85);
        }
        $m->{allow}{extra} = 1 if $t eq 'smaller';
        $m->{allow}{noresp} = 1 if $t ne 'bigger';
        $m->{class} = 'other' if $t =~ /^(?:dup_diff|neg|huge|plus|space|hex|empty|alpha)\z/;
        desc($s, "content-length:$t");
    } elsif ($w eq 'te') {
        my $t = $r->pick('chunked', 'chunked', 'chunked+cl', 'gzip', 'chunked,gzip', 'gzip,chunked',
                         qw(Chunked dup bigsize negsize nolast badcrlf ext trailer zeros upper identity));
        my $body = length $s->{body} ? $s->{body} : 'a=b';
        $s->{body} = $body;
        my @sizes = map { $r->range(1, 64) } 1 .. 8;
        $s->{chunks} = \@sizes;
        $s->{framing} = 'chunked';
        $m->{allow}{501} = 1;
        if ($t eq 'chunked+cl') {
            push @{ $s->{headers} }, [ 'Content-Length', length $body ];
            $m->{class} = 'other';
        } elsif ($t =~ /gzip|identity/) {
            set_header($s, 'Transfer-Encoding', $t eq 'chunked,gzip' ? 'chunked, gzip'
                                              : $t eq 'gzip,chunked' ? 'gzip, chunked' : $t);
            $m->{class} = 'other';
            $m->{allow}{noresp} = 1;
        } elsif ($t eq 'Chunked') {
            set_header($s, 'Transfer-Encoding', 'Chunked');
        } elsif ($t eq 'dup') {
            push @{ $s->{headers} }, [ 'Transfer-Encoding', 'chunked' ], [ 'Transfer-Encoding', 'chunked' ];
            $m->{class} = 'other';
        } elsif ($t eq 'ext') {
            $s->{chunk_ext} = $r->pick(';a=b', ';' . ('x' x 5000), '; foo="bar"', ';');
        } elsif ($t eq 'trailer') {
            $s->{trailers} = [ 'X-T: 1', 'Content-Length: 5', 'Cookie: appverify=' . mutant_cred($g) ];
        }
        if ($t =~ /^(?:bigsize|negsize|zeros|upper|badcrlf|nolast)\z/) {
            # applied to the bytes in to_step, after every other mutation
            $m->{chunk_bytes} = [ $t, $r->pick('fffffffffffffffff', '7fffffffffffffff', '100000000') ];
            if ($t eq 'nolast') { $m->{incomplete} = 1; $m->{abort_ms} = $r->pick(100, 800) }
            $m->{allow}{noresp} = 1;
            $m->{class} = 'other' unless $t =~ /^(?:upper|zeros|nolast)\z/;
        }
        desc($s, "transfer-encoding:$t");
    } elsif ($w eq 'cookie') {
        my $c = mutant_cred($g);
        my $t = $r->below(6);
        my $v = $t == 0 ? "appverify=$c"
              : $t == 1 ? "other=1; appverify=$c; x=y"
              : $t == 2 ? "appverify=$c; appverify=" . mutant_cred($g)
              : $t == 3 ? 'appverify'
              : $t == 4 ? "appverify=$c" . ('; k=v' x $r->pick(10, 500))
              : "APPVERIFY=$c";
        if ($r->chance(0.3)) { push @{ $s->{headers} }, [ 'Cookie', $v ] } else { set_header($s, 'Cookie', $v) }
        desc($s, 'cookie:' . substr($v, 0, 40));
    } elsif ($w eq 'authz') {
        my $v = $r->pick('Bearer', 'Bearer ', 'Bearer ' . mutant_cred($g), 'bearer ' . mutant_cred($g),
                         'Bearer  ' . mutant_cred($g), 'Basic Zm9vOmJhcg==', 'Basic', 'TSA x:y', 'TSA',
                         'Bearer ' . mutant_cred($g) . ' extra', "Bearer \xff\xfe", 'Bearer ' . ('A' x 7000),
                         'Digest username="x"', '');
        if ($r->chance(0.3)) { push @{ $s->{headers} }, [ 'Authorization', $v ] } else { set_header($s, 'Authorization', $v) }
        desc($s, 'authorization:' . substr($v, 0, 30));
    } elsif ($w eq 'huge') {
        if ($r->chance(0.5)) {
            my $n = $r->pick(1000, 4000, 8000, 8180, 8192, 16384, 33000);
            push @{ $s->{headers} }, [ $r->pick('X-Fuzz', 'Cookie', 'Authorization', 'User-Agent'), 'h' x $n ];
            desc($s, "huge-header:$n");
        } else {
            my $n = $r->pick(50, 100, 200, 400);
            push @{ $s->{headers} }, map { [ "X-H$_", 'v' x $r->range(1, 60) ] } 1 .. $n;
            desc($s, "many-headers:$n");
        }
    } elsif ($w eq 'ctype') {
        set_header($s, 'Content-Type', $r->pick('application/json', 'application/x-www-form-urlencoded',
                                                'text/plain', 'application/json; charset=utf-8', 'APPLICATION/JSON',
                                                'multipart/form-data', '', 'x' x 3000, 'application/json, text/plain',
                                                "application/json\x00"));
        desc($s, 'content-type');
    } elsif ($w eq 'accept') {
        set_header($s, 'Accept', $r->pick('application/json', '*/*', 'text/plain', 'application/json;q=0',
                                          'text/html, application/json', '', 'a' x 5000));
        desc($s, 'accept');
    } elsif ($w eq 'expect') {
        push @{ $s->{headers} }, [ 'Expect', $r->pick('100-continue', '100-Continue', 'nonsense') ];
        $m->{allow}{417} = 1;
        $m->{head_pause} = $r->pick(10, 200, 600);
        desc($s, 'expect');
    } elsif ($w eq 'host') {
        my $t = $r->below(5);
        if ($t == 0) { set_header($s, 'Host', undef) }
        elsif ($t == 1) { push @{ $s->{headers} }, [ 'Host', 'other.example' ] }
        elsif ($t == 2) { set_header($s, 'Host', 'h' x 5000) }
        elsif ($t == 3) { set_header($s, 'Host', "localhost\xff") }
        else { set_header($s, 'Host', '') }
        $m->{class} = 'other';
        desc($s, "host:$t");
    } elsif ($w eq 'junk') {
        my $l = $r->pick('Content-Length : 5', 'Na me: v', 'NoColon', ' folded: continuation',
                         "X-Nul: a\x00b", "X-Bin: \xff\xfe\x80", ':empty-name', 'X-' . ('n' x 300) . ': v',
                         "X-Ctl: \x01\x02", 'Cookie:appverify=' . mutant_cred($g), "X-Tab:\tv\t");
        push @{ $s->{headers} }, [ undef, $l ];
        $m->{class} = 'other' if $l =~ /^(?:Content-Length :|Na me| folded|NoColon|:empty)/;
        desc($s, 'header-junk:' . substr($l, 0, 20));
    } elsif ($w eq 'xff') {
        push @{ $s->{headers} }, [ 'X-Forwarded-For', $r->pick('10.0.0.' . $r->below(256), '::1', 'garbage',
                                                               '1.2.3.4, 5.6.7.8', '', '999.1.1.1',
                                                               '2001:db8::' . $r->below(65536)) ];
        $m->{class} = 'other' if $m->{ep} eq 'anylocal';
        desc($s, 'x-forwarded-for');
    } elsif ($w eq 'body') {
        my ($b, $ct) = mutant_body($g, $s);
        $s->{body} = $b;
        set_header($s, 'Content-Type', $ct) if defined $ct;
        $s->{framing} = 'cl' unless $s->{framing} eq 'chunked' && $r->chance(0.5);
        if (length $b > 16384 && !$r->chance(0.5)) {
            $s->{framing} = 'chunked';
            $s->{chunks} = [ map { $r->pick(1000, 4096, 8000) } 1 .. 10 ];
        }
    } elsif ($w eq 'pieces') {
        $m->{pieces_wanted} = 1;
    }
}

sub Storable_clone {
    my ($s) = @_;
    return { %$s, headers => [ map { [ @$_ ] } @{ $s->{headers} } ] };
}

# split the request into pieces with pauses (at most ~1.5 s in all)
sub timing {
    my ($g, $step, %o) = @_;
    my $r = $g->{rng};
    my $len = length $step->{raw};
    my $n = $o{n} // $r->range(2, 6);
    my $pause_max = $o{pause_max} // 400;
    my @cuts = sort { $a <=> $b } map { $r->range(1, $len > 1 ? $len - 1 : 1) } 1 .. $n - 1;
    my @p;
    my $prev = 0;
    my $total = 0;
    for my $c (@cuts, $len) {
        next if $c <= $prev;
        my $pause = @p ? $r->range(0, $pause_max) : 0;
        $pause = 0 if $total + $pause > ($o{total_max} // 1500);
        $total += $pause;
        push @p, [ $c - $prev, $pause ];
        $prev = $c;
    }
    $step->{pieces} = \@p;
    $step->{desc} .= ($step->{desc} ? '; ' : '') . sprintf('pieces:%d/%dms', scalar @p, $total);
    return $step;
}

# a random valid request of one endpoint, with its setup steps
sub base_request {
    my ($g, $ep) = @_;
    my $r = $g->{rng};
    if ($ep eq 'token') {
        return token_spec($g, path => $r->pick('/token', '/token-fast', '/token-rate', '/token-client'),
                          ($r->chance(0.3) ? (xid => $r->chance(0.8) ? xid($g) : mutant_xid($g)) : ()),
                          ($r->chance(0.3) ? (phone => mutant_phone($g)) : ()));
    }
    if ($ep eq 'callback') {
        my $verified_before = $r->chance(0.3);
        my ($xid, $phone) = $r->chance(0.6) ? session($g, verify => $verified_before) : (xid($g), phone($g));
        my $f = cb_fields($g, xid => $xid, phone => $phone, code => $r->pick(1800, 1890, 1803, 1829));
        mutate_cb($g, $f) for 1 .. $r->range(0, 3);
        my $body = cb_json($f);
        my $mode = $r->chance(0.6) ? 'tsa' : $r->pick(qw(xts both none bad bad_xts wrongcid lower nocolon nocid
                                                          basic dup empty trunc junk long space));
        my $s = callback_spec($g, $body, sign => $mode);
        desc($s, 'cb:' . join(',', @{ $f->{muts} // [] })) if $f->{muts};
        return $s;
    }
    if ($ep eq 'status') {
        my ($xid, $phone, $c) = $r->chance(0.6) ? session($g, verify => $r->chance(0.4)) : ();
        return status_spec($g, cred => $c // mutant_cred($g));
    }
    if ($ep eq 'gate') {
        my ($xid, $phone, $c) = $r->chance(0.6) ? session($g, verify => $r->chance(0.5)) : ();
        return gate_spec($g, cred => $c // ($r->chance(0.7) ? mutant_cred($g) : undef),
                         method => $r->chance(0.2) ? 'HEAD' : 'GET');
    }
    if ($ep eq 'call') {
        return call_spec($g, ($r->chance(0.3) ? (phone => mutant_phone($g)) : ()),
                         ($r->chance(0.3) ? (xid => $r->chance(0.7) ? xid($g) : mutant_xid($g)) : ()));
    }
    if ($ep eq 'finalize') {
        my ($xid, $phone, $c, $code) = $r->chance(0.6) ? started_call($g) : ();
        my $w = $r->below(6);
        return finalize_spec($g, cred => $c // mutant_cred($g),
                             $w == 0 ? (caller_id => mutant_phone($g)) : $w == 1 ? (timeout => 1)
                           : (code => $r->chance(0.3) && $code ? $code : mutant_code($g)));
    }
    if ($ep eq 'anylocal') {
        my $s = spec(method => 'GET', path => '/any-local/' . $r->pick(qw(ok 401 403 nope)),
                     ep => 'anylocal', class => 'other');
        return $s;
    }
    return health_spec();
}

# callback fields, mutated (still signed afterwards, so the parser runs)
sub mutate_cb {
    my ($g, $f) = @_;
    my $r = $g->{rng};
    my $w = $r->below(14);
    my @m;
    if ($w == 0) { $f->{code} = $r->pick('"1800"', '-1', '0', '99999999999', '1.5', 'null', 'true', '{}', '[]', '1e3', '18000', '2401', '1800.0', '01800'); push @m, "code=$f->{code}" }
    elsif ($w == 1) { $f->{description} = $r->pick('""', 'null', '123', json_str('d' x $r->pick(100, 4000, 12000)), '"\u0000"', '"\ud800"', json_str("\xff\xfe")); push @m, 'description' }
    elsif ($w == 2) { $f->{updated_on} = $r->pick('"garbage"', '""', 'null', '"9999-12-31T23:59:59.999999Z"', '"2026-02-30T25:61:61Z"', '"2026-11-21T10:00:00Z"', '"2026-11-21T10:00:00.000000+01:00"', '"1970-01-01T00:00:00Z"', '12345', '"2026-11-21T10:00:00.' . ('9' x 40) . 'Z"'); push @m, "updated_on=$f->{updated_on}" }
    elsif ($w == 3) { $f->{xid} = $r->pick(json_str(mutant_xid($g)), 'null', '123', '[]'); push @m, 'xid' }
    elsif ($w == 4) { $f->{phone} = $r->pick(json_str(mutant_phone($g)), json_str(phone($g)), 'null', '15555551234', '""'); push @m, 'phone' }
    elsif ($w == 5) { $f->{no_status} = 1; push @m, 'no-status' }
    elsif ($w == 6) { $f->{no_mv} = 1; push @m, 'no-mobile_verification' }
    elsif ($w == 7) { $f->{extra} = $r->pick('"status":{"code":1803}', '"mobile_verification":{"xid":"other"}', '"x":' . deep_json($g, $r->pick(100, 2000, 6000)), '"pad":"' . ('p' x $r->pick(1000, 7000, 14000)) . '"', '"n":' . ('9' x 400)); push @m, 'extra' }
    elsif ($w == 8) { $f->{errors} = $r->pick('[{"code":-1,"description":"x"}]', 'null', '{}', '"x"', '[' . join(',', ('{}') x 500) . ']'); push @m, 'errors' }
    elsif ($w == 9) { $f->{sub_resource} = $r->pick('"other"', 'null', '""', '1'); push @m, 'sub_resource' }
    elsif ($w == 10) { $f->{reference_id} = $r->pick('null', '""', json_str('R' x 300), '{}'); push @m, 'reference_id' }
    elsif ($w == 11) { $f->{description} .= ',"code":1803'; push @m, 'dup-code' }
    elsif ($w == 12) { $f->{xid} = json_str('a') . ',"xid":' . $f->{xid}; push @m, 'dup-xid' }
    else { $f->{code} = $r->pick(1800, 1890, 1803, 1805, 1806, 1807, 1808, 1829, 1830, 1899, 1801); push @m, "code=$f->{code}" }
    push @{ $f->{muts} }, @m;
}

sub pick_ep {
    my ($g) = @_;
    return $g->{rng}->weighted(token => 6, callback => 6, status => 5, gate => 5, call => 3,
                               finalize => 4, anylocal => 1, health => 1);
}

sub mutated_request {
    my ($g, %o) = @_;
    my $r = $g->{rng};
    my $ep = $o{ep} // pick_ep($g);
    my $s = base_request($g, $ep);
    my $n = $o{mutations} // $r->pick(0, 1, 1, 1, 2, 2, 3, 4);
    mutate($g, $s) for 1 .. $n;
    my $st = to_step($s);
    if ($s->{meta}{pieces_wanted} && !$st->{pieces}) {
        timing($g, $st, pause_max => 300, total_max => 600);
    }
    # a few byte-level mutations of the whole request
    if ($r->chance(0.05)) {
        my $raw = $st->{raw};
        my $t = $r->below(4);
        if ($t == 0) { $raw =~ s/\r\n/\n/g; $st->{desc} .= '; bytes:bare-LF' }
        elsif ($t == 1) { substr($raw, $r->below(length $raw), 1) = chr($r->below(256)) for 1 .. $r->range(1, 4); $st->{desc} .= '; bytes:flipped' }
        elsif ($t == 2) { $raw = substr($raw, 0, $r->below(length $raw)); $st->{incomplete} = 1; $st->{abort_ms} //= 300; $st->{desc} .= '; bytes:truncated' }
        else { $raw = $r->bytes($r->range(1, 200)) . $raw; $st->{desc} .= '; bytes:prefix' }
        $st->{raw} = $raw;
        $st->{allow}{noresp} = 1;
        $st->{allow}{extra} = 1;
        $st->{allow}{501} = $st->{allow}{505} = 1;
        $st->{class} = 'other';
    }
    $st->{label} = $o{label} if $o{label};
    return $st;
}

# --- scenarios -------------------------------------------------------------

sub sc_single {
    my ($g) = @_;
    my $r = $g->{rng};
    my $n = $r->pick(1, 2, 3, 4, 6, 8, 12, 16);
    my @reqs = map { mutated_request($g) } 1 .. $n;    # their setup steps go first
    if ($n > 1 && $r->chance(0.75)) {
        $_->{delay_ms} = $r->below(40) for @reqs;
        push_step($g, { t => 'par', reqs => \@reqs });
    } else {
        push_step($g, $_) for @reqs;
    }
}

sub sc_flow_sdk {
    my ($g) = @_;
    my $r = $g->{rng};
    my $xid = xid($g, 'sdk');
    my $phone = phone($g);
    my $c = cred($xid);
    my $via_sim = $r->chance(0.4);
    req_step($g, token_spec($g, xid => $xid, phone => $phone, path => '/token-fast',
                            json_answer => $via_sim ? 0 : undef),
             expect => [200], why => 'a valid token request', label => 'token');
    req_step($g, gate_spec($g, cred => $c, path => '/account/index.html'), expect => [401],
             why => 'a pending session at the gate') if $r->chance(0.5);
    if ($via_sim) {
        push_step($g, { t => 'sim_sdk', label => 'token', code => 1800 });
        push_step($g, { t => 'poll_state', xid => $xid, state => 'verified', ms => 3000,
                        why => "the simulator's callback verifies the session" });
    } else {
        my $t = 10 + $r->below(40);
        my $body = cb_json(cb_fields($g, xid => $xid, phone => $phone, code => 1800,
                                     updated_on => "2026-11-21T10:00:$t.000000Z"));
        my $st = req_step($g, callback_spec($g, $body), expect => [200], why => 'a valid signed callback');
        timing($g, $st) if $r->chance(0.3);
        if ($r->chance(0.5)) {
            my $old = cb_json(cb_fields($g, xid => $xid, phone => $phone, code => $r->pick(1890, 1803),
                                        updated_on => '2026-11-21T09:00:00.000000Z'));
            req_step($g, callback_spec($g, $old), expect => [200], why => 'a stale callback is answered 200');
        }
        req_step($g, callback_spec($g, $body), expect => [200], why => 'a repeated callback')
            if $r->chance(0.4);
    }
    req_step($g, status_spec($g, cred => $c, path => '/status'), expect => [200],
             json_is => { state => 'verified' }, why => 'the session is verified after the callback');
    req_step($g, gate_spec($g, cred => $c), expect => [200], why => 'a verified session passes the gate');
    req_step($g, gate_spec($g, cred => $c, method => 'HEAD'), expect => [200], why => 'HEAD at the gate')
        if $r->chance(0.3);
}

sub sc_flow_call {
    my ($g) = @_;
    my $r = $g->{rng};
    my ($xid, $phone, $c, $code) = started_call($g);
    my $wrong = $r->pick(0, 0, 1, 2, 3);
    for my $i (1 .. $wrong) {
        my $bad = sprintf('%05d', ($code + $i) % 100000);
        my $left = 3 - $i;
        req_step($g, finalize_spec($g, cred => $c, code => $bad),
                 expect => [ $left > 0 ? 200 : 403 ], json_is => { attempts_left => $left },
                 why => "wrong code $i of 3");
    }
    my $ok = $wrong < 3;
    req_step($g, finalize_spec($g, cred => $c, code => $code),
             expect => [ $ok ? 200 : 403 ], json_is => { verified => $ok ? 'true' : 'false' },
             why => $ok ? 'the right code verifies' : 'no attempts left: failed for good');
    req_step($g, gate_spec($g, cred => $c), expect => [ $ok ? 200 : 403 ],
             why => $ok ? 'verified by the missed call' : 'failed by the missed call');
    req_step($g, status_spec($g, cred => $c, path => '/lstatus'), expect => [200],
             json_is => { state => $ok ? 'verified' : 'failed' }, why => 'status after finalize');
}

sub sc_slow_body {
    my ($g) = @_;
    my $r = $g->{rng};
    my $w = $r->below(5);
    my $st;
    if ($w == 0) {
        my $s = token_spec($g, how => $r->pick(qw(form json)));
        $s->{framing} = 'chunked' if $r->chance(0.4);
        $s->{chunks} = [ map { $r->range(1, 10) } 1 .. 10 ];
        $st = req_step($g, $s, expect => [200], why => 'a valid token request sent slowly');
    } elsif ($w == 1) {
        my ($xid, $phone) = session($g);
        my $body = cb_json(cb_fields($g, xid => $xid, phone => $phone));
        my $s = callback_spec($g, $body);
        if ($r->chance(0.4)) { $s->{framing} = 'chunked'; $s->{chunks} = [ map { $r->range(1, 80) } 1 .. 10 ] }
        $st = req_step($g, $s, expect => [200], why => 'a valid callback sent slowly');
    } elsif ($w == 2) {
        my ($xid, $phone, $c, $code) = started_call($g);
        my $s = finalize_spec($g, cred => $c, code => $code);
        if ($r->chance(0.4)) { $s->{framing} = 'chunked'; $s->{chunks} = [ 1, 2, 3 ] }
        $st = req_step($g, $s, expect => [200], why => 'the right code sent slowly');
    } elsif ($w == 3) {
        $st = req_step($g, call_spec($g), expect => [200], why => 'a valid call start sent slowly');
    } else {
        $st = push_step($g, mutated_request($g, mutations => $r->range(1, 3)));
    }
    timing($g, $st, n => $r->range(2, 8), pause_max => $r->pick(100, 400, 900));
}

sub sc_short_body {
    my ($g) = @_;
    my $r = $g->{rng};
    my $ep = $r->pick(qw(token callback call finalize status));
    my $s = base_request($g, $ep);
    $s->{body} = 'phone=' . phone($g) if !length $s->{body};
    my $len = length $s->{body};
    $s->{framing} = 'none';
    push @{ $s->{headers} }, [ 'Content-Length', $len + $r->pick(1, 100, 4000) ];
    my $st = to_step($s, incomplete => 1, desc => "Content-Length over the body ($ep)");
    $st->{abort_ms} = $r->pick(30, 200, 800, 1500) if $r->chance(0.6);
    $st->{timeout} = 5;
    timing($g, $st, n => 2, pause_max => 300) if $r->chance(0.4);
    push_step($g, $st);
}

sub sc_abandon {
    my ($g) = @_;
    my $r = $g->{rng};
    my $what = $r->pick(qw(lstatus laccount call finalize));
    my ($xid, $phone, $c, $code);
    if ($what eq 'finalize') { ($xid, $phone, $c, $code) = started_call($g) }
    elsif ($what ne 'call') {
        ($xid, $phone, $c) = $r->chance(0.8) ? session($g) : (xid($g), phone($g), undef);
        $c //= cred($xid);
        sim_status($g, $xid, $r->pick(1800, 1890, 1803), $phone) if $r->chance(0.7);
    }
    if ($r->chance(0.7)) { sim_mode($g, 'slow', delay => $r->pick(200, 500, 900, 1500), count => $r->range(1, 3)) }
    else { sim_mode($g, $r->pick(qw(hang drop garbage)), count => 1) }
    my $s = $what eq 'lstatus' ? status_spec($g, cred => $c, path => '/lstatus')
          : $what eq 'laccount' ? gate_spec($g, cred => $c, path => '/laccount/index.html')
          : $what eq 'call' ? call_spec($g, phone => ($phone = phone($g)))
          : finalize_spec($g, cred => $c, code => $r->chance(0.5) ? $code : $r->digits(5));
    my $n = $r->pick(1, 1, 3, 8);
    my @reqs = map { my $st = to_step($s, desc => "client leaves during the $what subrequest");
                     $st->{abort_ms} = $r->pick(5, 50, 150, 400, 700); $st->{delay_ms} = $r->below(30); $st } 1 .. $n;
    push_step($g, $n == 1 ? $reqs[0] : { t => 'par', reqs => \@reqs });
    sleep_step($g, $r->pick(0, 300, 1200));
    # and the same again, waited for this time
    push_step($g, to_step($s, desc => "after an abandoned $what"));
}

sub sc_status_body {
    my ($g) = @_;
    my $r = $g->{rng};
    my ($xid, $phone, $c) = session($g);
    sim_status($g, $xid, $r->pick(1800, 1890), $phone) if $r->chance(0.7);
    sim_mode($g, 'slow', delay => $r->pick(100, 300, 700, 1200), count => $r->range(1, 4));
    my $n = $r->pick(1, 1, 2, 5);
    my @reqs;
    for (1 .. $n) {
        my $path = $r->pick('/lstatus', '/lstatus', '/laccount/index.html', '/status');
        my $s = $path =~ /account/ ? gate_spec($g, cred => $c, path => $path)
                                   : status_spec($g, cred => $c, path => $path);
        my $blen = $r->pick(1, 10, 100, 1000, 4000, 4097);
        $s->{body} = $r->chance(0.5) ? 'x' x $blen : $r->bytes($blen);
        if ($r->chance(0.3)) { $s->{framing} = 'chunked'; $s->{chunks} = [ map { $r->range(1, 500) } 1 .. 6 ] }
        else { $s->{framing} = 'cl' }
        my $st = to_step($s, desc => 'GET with a body sent while the lookup waits');
        # the headers at once, the body later, in pieces
        my $hlen = index($st->{raw}, "\r\n\r\n") + 4;
        my @p = ([ $hlen + $r->below(3), 0 ]);
        my $rest = length($st->{raw}) - $p[0][0];
        my $pieces = $r->range(1, 3);
        for my $i (1 .. $pieces) {
            my $len = $i == $pieces ? $rest : $r->range(0, $rest);
            push @p, [ $len, $r->pick(20, 100, 300, 600, 900) ];
            $rest -= $len;
        }
        $st->{pieces} = \@p;
        if ($r->chance(0.3)) { $st->{abort_ms} = $r->pick(50, 250, 700); $st->{desc} .= '; client leaves' }
        elsif ($r->chance(0.2)) { pop @{ $st->{pieces} }; $st->{incomplete} = 1; $st->{abort_ms} = 1500;
                                   $st->{desc} .= '; body never finished' }
        $st->{delay_ms} = $r->below(50);
        push @reqs, $st;
    }
    push_step($g, @reqs == 1 ? $reqs[0] : { t => 'par', reqs => \@reqs });
    sleep_step($g, $r->pick(0, 500, 1300));
}

my @FAIL_MODES = qw(error500 error503 ratelimit garbage drop hang);

sub sc_sim_fault {
    my ($g) = @_;
    my $r = $g->{rng};
    my $mode = $r->pick(@FAIL_MODES, 'slow');
    my $delay = $mode eq 'slow' ? $r->pick(1300, 1600) : undef;    # over the 1 s timeouts
    my ($xid, $phone, $c) = session($g);
    sim_status($g, $xid, 1800, $phone);
    my ($cxid, $cphone, $cc, $code);
    ($cxid, $cphone, $cc, $code) = started_call($g) if $r->chance(0.6);
    sim_mode($g, $mode, count => 1000, (defined $delay ? (delay => $delay) : ()));
    my $gp = $r->pick('/laccount/index.html', '/lstatus');
    if ($gp eq '/lstatus') {
        req_step($g, status_spec($g, cred => $c, path => '/lstatus'), expect => [503],
                 why => "Telesign failing ($mode) while the session is pending: 503 upstream_unavailable");
    } else {
        req_step($g, gate_spec($g, cred => $c, path => $gp), expect => [503],
                 why => "Telesign failing ($mode): the gate fails closed with 503 although Telesign's record says verified");
    }
    req_step($g, gate_spec($g, cred => $c, path => '/laccount/index.html'), expect_not => [200],
             why => "Telesign failing ($mode): the gate must never pass") if $r->chance(0.5);
    my $nphone = phone($g);
    req_step($g, call_spec($g, phone => $nphone), expect => [503],
             why => "Telesign failing ($mode): a call start is 503") if $r->chance(0.6);
    if ($cc) {
        req_step($g, finalize_spec($g, cred => $cc, code => $code), expect => [503],
                 why => "Telesign failing ($mode): finalize is 503 and uses no attempt");
    }
    sim_mode($g, 'ok');
    if ($mode eq 'hang' || $mode eq 'slow') { sleep_step($g, 200) }
    req_step($g, call_spec($g, phone => $nphone), expect_not => [409],
             why => 'README: a call that could not be started leaves no record, so a retry is not a duplicate');
    if ($cc) {
        req_step($g, finalize_spec($g, cred => $cc, code => $code), expect => [200],
                 json_is => { verified => 'true' },
                 why => 'after Telesign recovers, the right code still verifies (the failures used no attempt)')
            unless $mode =~ /^(?:garbage|drop|hang|slow)\z/;   # those modes did the work at Telesign
    }
}

sub sc_par_finalize {
    my ($g) = @_;
    my $r = $g->{rng};
    my ($xid, $phone, $c, $code) = started_call($g);
    my $n = $r->pick(10, 20, 30, 30);
    my $right = $r->chance(0.4);
    my @reqs;
    for my $i (1 .. $n) {
        my $cd = ($right && $i == 1 + $r->below($n)) ? $code : sprintf('%05d', ($code + $i) % 100000);
        my $st = to_step(finalize_spec($g, cred => $c, code => $cd), label => 'pf',
                         desc => "one of $n parallel finalize codes");
        $st->{delay_ms} = $r->below(5);
        push @reqs, $st;
    }
    push_step($g, { t => 'par', reqs => \@reqs });
    push_step($g, { t => 'assert_sim', path_re => '^/v1/verify/auto/voice/finalize', max => 3,
                    why => "attempts=3: $n parallel codes for one session may reach Telesign at most 3 times" });
    unless ($right) {
        push_step($g, { t => 'assert_json_count', label => 'pf', field => 'verified', value => 'true', max => 0,
                        why => "$n wrong codes: no answer may say verified" });
        push_step($g, { t => 'assert_state', xid => $xid, state => 'failed',
                        why => "$n wrong codes: the verification is failed for good" });
    }
}

sub sc_par_token {
    my ($g) = @_;
    my $r = $g->{rng};
    my $w = $r->below(4);
    my $n = $r->pick(10, 20, 30);
    my @reqs;
    if ($w == 3) {
        my $client = '10.' . $r->below(256) . '.' . $r->below(256) . '.' . (1 + $r->below(250));
        for (1 .. $n) {
            my $st = to_step(token_spec($g, path => '/token-client', headers => [ [ 'X-Forwarded-For', $client ] ]),
                             label => 'pt', desc => "one of $n parallel tokens from one client");
            push @reqs, $st;
        }
        push_step($g, { t => 'par', reqs => \@reqs });
        push_step($g, { t => 'assert_count', label => 'pt', status => 200, max => 2,
                        why => "client_limit rate=1r/m burst=1: at most 2 of $n parallel new verifications from one client" });
        return;
    }
    my $phone = phone($g);
    my $path = ('/token', '/token-rate', '/token-rate0')[$w];
    for (1 .. $n) {
        push @reqs, to_step(token_spec($g, path => $path, phone => $phone), label => 'pt',
                            desc => "one of $n parallel tokens for one phone");
    }
    push_step($g, { t => 'par', reqs => \@reqs });
    push_step($g, { t => 'assert_count', label => 'pt', status => 200, max => $w == 1 ? 2 : 1,
                    why => ("pending_timeout: one of $n parallel tokens for one phone, the others 409",
                            "rate=1r/m burst=1: at most 2 of $n parallel tokens for one phone",
                            "rate=1r/m burst=0: one of $n parallel tokens for one phone")[$w] });
}

# a phone over time: bursts of tokens at 5r/s burst=1, with pauses in
# which its bucket drains and expires; each burst of 10 (20 ms apart, so
# 0.2 s long) may get 1 + burst + 5r/s x 0.2 s = 3 at most
sub sc_rate_time {
    my ($g) = @_;
    my $r = $g->{rng};
    my $phone = phone($g);
    # a long-lived bucket of another number range in the zone first
    req_step($g, token_spec($g, path => '/token-rate', phone => '1555' . $r->digits(7)));
    my $bursts = $r->pick(2, 3);
    for my $b (1 .. $bursts) {
        sleep_step($g, $r->pick(700, 1000)) if $b > 1;
        my @reqs = map { my $st = to_step(token_spec($g, path => '/token-rs', phone => $phone), label => "rt$b",
                                          desc => "token $_ of 10, burst $b of $bursts, for one phone at 5r/s burst=1");
                         $st->{delay_ms} = 20 * ($_ - 1); $st } 1 .. 10;
        push_step($g, { t => 'par', reqs => \@reqs });
    }
    push_step($g, { t => 'assert_rate', labels => [ map { "rt$_" } 1 .. $bursts ], rate => 5, burst => 1,
                    why => "rate=5r/s burst=1: at most 1 + burst + rate x (the burst's span) tokens "
                           . "in each burst of 10 for one phone, $bursts bursts" });
}

sub sc_par_callback {
    my ($g) = @_;
    my $r = $g->{rng};
    my ($xid, $phone, $c) = session($g);
    my $n = $r->pick(5, 10, 20, 25);
    my @reqs;
    my ($best_t, $best_state) = (-1, 'pending');
    my %state = (1800 => 'verified', 1803 => 'failed', 1829 => 'blocked', 1890 => 'pending');
    my @secs = $r->shuffle(0 .. 59);
    for my $i (1 .. $n) {
        my $code = $r->pick(1800, 1803, 1829, 1890, 1890);
        my $t = $secs[ $i % 60 ];
        my $body = cb_json(cb_fields($g, xid => $xid, phone => $phone, code => $code,
                                     updated_on => sprintf('2026-11-21T10:00:%02d.000000Z', $t)));
        if ($state{$code} ne 'pending' && $t > $best_t) { ($best_t, $best_state) = ($t, $state{$code}) }
        my $st = to_step(callback_spec($g, $body, sign => $r->pick(qw(tsa tsa xts both))),
                         expect => [200], why => 'a valid signed callback (in a parallel storm for one xid)',
                         desc => "callback $code at :$t");
        $st->{delay_ms} = $r->below(10);
        push @reqs, $st;
        push @reqs, { %$st, delay_ms => $r->below(10) } if $r->chance(0.2);    # an exact repeat
    }
    push_step($g, { t => 'par', reqs => \@reqs });
    push_step($g, { t => 'assert_state', xid => $xid, state => $best_state,
                    why => 'the terminal status with the newest updated_on wins, whatever the order' });
}

sub sc_par_lookup {
    my ($g) = @_;
    my $r = $g->{rng};
    my ($xid, $phone, $c) = session($g);
    sim_status($g, $xid, $r->pick(1890, 1800), $phone);
    sim_mode($g, 'slow', delay => $r->pick(300, 500, 700), count => 1000);
    my $n = $r->pick(10, 20, 30);
    my @reqs = map {
        my $s = $r->chance(0.5) ? status_spec($g, cred => $c, path => '/lstatus')
                                : gate_spec($g, cred => $c, path => '/laccount/index.html');
        my $st = to_step($s, label => 'pl', desc => "one of $n parallel lookups of one pending xid");
        $st->{delay_ms} = $r->below(20);
        $st
    } 1 .. $n;
    push_step($g, { t => 'par', reqs => \@reqs });
    push_step($g, { t => 'assert_sim', path_re => "^/v1/mobile/verification/status/\Q$xid\E\$", max => 1,
                    why => "README: $n concurrent requests for one pending xid cause one Get Status call" });
}

sub sc_par_call {
    my ($g) = @_;
    my $r = $g->{rng};
    my $phone = phone($g);
    my $n = $r->pick(5, 10, 20);
    sim_mode($g, 'slow', delay => $r->pick(50, 200, 400), count => 1000) if $r->chance(0.5);
    my @reqs = map { to_step(call_spec($g, phone => $phone), label => 'pc',
                             desc => "one of $n parallel call starts for one phone") } 1 .. $n;
    push_step($g, { t => 'par', reqs => \@reqs });
    push_step($g, { t => 'assert_count', label => 'pc', status => 200, max => 1,
                    why => "one phone, one pending verification: at most one of $n parallel call starts" });
    push_step($g, { t => 'assert_sim', path_re => '^/v1/verify/auto/voice/initiate', max => 1,
                    why => "$n parallel call starts for one phone place at most one paid call" });
}

sub sc_abandoned_call {
    my ($g) = @_;
    my $r = $g->{rng};
    my $phone = phone($g);
    my $mode = $r->pick('hang', 'slow');
    sim_mode($g, $mode, count => 1, ($mode eq 'slow' ? (delay => 1600) : ()));
    my $st = to_step(call_spec($g, phone => $phone), desc => "call start abandoned while Telesign $mode" . 's');
    $st->{abort_ms} = $r->pick(50, 200, 500);
    push_step($g, $st);
    sleep_step($g, $r->pick(1400, 1800));    # past the 1 s timeout: the start failed
    req_step($g, call_spec($g, phone => $phone), expect_not => [409],
             why => 'a call start the client abandoned and Telesign never answered (timed out) '
                    . 'must not block the phone (README: a call that could not be started leaves no record)');
}

sub sc_big_callback {
    my ($g) = @_;
    my $r = $g->{rng};
    my ($xid, $phone, $c) = session($g);
    my $size = $r->pick(8191, 8192, 8193, 10000, 12288, 16000, 16383, 16384, 16385, 20000);
    my $f = cb_fields($g, xid => $xid, phone => $phone, code => 1800);
    my $base = length cb_json($f);
    my $pad = $size - $base - length(',"pad":""');
    $f->{extra} = '"pad":"' . ('p' x ($pad > 0 ? $pad : 0)) . '"';
    my $body = cb_json($f);
    my $s = callback_spec($g, $body);
    if ($r->chance(0.3)) { $s->{framing} = 'chunked'; $s->{chunks} = [ map { $r->pick(100, 4096, 8192) } 1 .. 8 ] }
    my $ok = length($body) <= 16384;
    my $st = req_step($g, $s, expect => [ $ok ? 200 : 413 ],
                      why => sprintf('a valid signed callback of %d bytes (appverify_max_body default 16k)', length $body),
                      desc => sprintf('callback of %d bytes', length $body));
    timing($g, $st, pause_max => 200) if $r->chance(0.3);
    if ($ok) {
        req_step($g, status_spec($g, cred => $c, path => '/status'), expect => [200],
                 json_is => { state => 'verified' }, why => 'the big callback verified the session');
    }
}

sub sc_satisfy_any {
    my ($g) = @_;
    my $r = $g->{rng};
    my ($xid, $phone, $c);
    ($xid, $phone, $c) = session($g, verify => $r->chance(0.3), code => $r->pick(1800, 1803))
        if $r->chance(0.5);
    for (1 .. $r->range(1, 4)) {
        my $what = $r->pick(qw(ok 401 403 nope));
        my @h;
        my $cw = $r->below(4);
        push @h, cookie_h($c) if $cw == 0 && $c;
        push @h, cookie_h(mutant_cred($g)) if $cw == 1;
        push @h, [ 'Authorization', 'Bearer ' . ($c // mutant_cred($g)) ] if $cw == 2;
        my $s = spec(method => $r->chance(0.8) ? 'GET' : 'HEAD', path => "/any-local/$what",
                     headers => \@h, ep => 'anylocal', class => 'backend');
        my %code = (ok => 200, 401 => 401, 403 => 403, nope => 404);
        my $st = to_step($s, expect => [ $code{$what} ], expect_status => $code{$what},
                         why => "satisfy any / RequireAny from an allowed address: the application's own $code{$what}",
                         desc => "satisfy any: /any-local/$what");
        $st->{expect_body} = "backend $code{$what}\n" if $g->{server} =~ /^nginx/ || $what eq 'ok';
        push_step($g, $st);
    }
}

sub sc_pipeline {
    my ($g) = @_;
    my $r = $g->{rng};
    my ($xid, $phone, $c) = session($g, verify => $r->chance(0.5));
    my @specs;
    for my $i (1 .. $r->range(2, 4)) {
        my $w = $r->below(5);
        my $s = $w == 0 ? token_spec($g, how => 'query')
              : $w == 1 ? status_spec($g, cred => $c, path => $r->pick('/status', '/lstatus'))
              : $w == 2 ? gate_spec($g, cred => $c)
              : $w == 3 ? callback_spec($g, cb_json(cb_fields($g, xid => $xid, phone => $phone)))
              : health_spec();
        set_header($s, 'Connection', undef);
        push @specs, $s;
    }
    set_header($specs[-1], 'Connection', 'close');
    my $raw = join '', map { serialize($_) } @specs;
    my @methods = map { $_->{method} } @specs;
    my $st = { t => 'req', raw => $raw, method => $methods[0], methods => \@methods,
               ep => 'pipeline', class => 'other', allow => {}, noshape => 1,
               desc => 'pipelined: ' . join(', ', map { "$_->{method} $_->{target}" =~ s/\?.*//r } @specs) };
    timing($g, $st, pause_max => 200) if $r->chance(0.4);
    push_step($g, $st);
}

sub sc_par_mixed {
    my ($g) = @_;
    my $r = $g->{rng};
    my $n = $r->pick(5, 10, 20);
    my @reqs = map { my $st = mutated_request($g); $st->{delay_ms} = $r->below(100); $st } 1 .. $n;
    # the setup steps of each (sessions) ran before; the mutated ones at once
    my @setup = grep { $_->{t} ne 'par' } @{ $g->{steps} };
    @{ $g->{steps} } = @setup;
    push_step($g, { t => 'par', reqs => \@reqs });
}

# Redis stopped (SIGSTOP, then SIGCONT) or killed (and a fresh, empty one
# started): README "Cluster", Redis down or slow.  While it is down,
# whatever needs Redis is 503 store_unavailable (JSON) within about
# appverify_redis_timeout (1 s) and a session the node keeps verified goes
# on passing; the fuzzer allows store_unavailable only then (fuzz-http,
# run_step).  Mutated requests of every endpoint meet the stopped Redis
# too (their own expectations dropped: anything may be 503 then).  When it
# is back, the next request uses it.  After a SIGSTOP, Redis still runs
# the rounds nginx gave up on (a commit may land after its 503), so what
# follows asks nothing of the sessions touched while it was down.
sub sc_redis_fault {
    my ($g) = @_;
    my $r = $g->{rng};
    my $op = $r->pick(qw(stop stop kill));
    my $hang = 3;    # s: the 1 s timeout, and slack for ASan under load
    my ($vx, $vp, $vc) = session($g, verify => 1, tag => 'v');
    # read once: this node keeps its copy of the terminal record
    req_step($g, status_spec($g, cred => $vc, path => '/status'), expect => [200],
             json_is => { state => 'verified' }, why => 'a verified session, read once with Redis up');
    my ($px, $pp, $pc) = session($g, tag => 'p');
    my @mut = $r->chance(0.6) ? map { mutated_request($g) } 1 .. $r->range(1, 4) : ();   # their setup first
    for my $m (@mut) {
        delete @$m{qw(expect expect_not json_is json_not)};
        $m->{desc} .= '; while Redis is down';
    }
    # between two steps, or while requests are out (rounds in flight)
    my $mid = $r->chance(0.4) ? { op => $op, ms => $r->pick(0, 5, 20, 50, 150) } : undef;
    push_step($g, { t => 'redis', op => $op }) unless $mid;
    my $down = ($op eq 'stop' ? 'stopped (SIGSTOP)' : 'killed') . ($mid ? " $mid->{ms} ms into the requests" : '');
    my @fixed = (
        sub { to_step(status_spec($g, cred => $vc, path => '/status'), expect => [200],
                      json_is => { state => 'verified' }, max_secs => $hang,
                      why => "Redis $down: README, the sessions a node keeps verified go on passing") },
        sub { to_step(gate_spec($g, cred => $vc, path => '/account/index.html', method => 'GET'), expect => [200],
                      max_secs => $hang,
                      why => "Redis $down: README, the sessions a node keeps verified go on passing") },
        sub { to_step(status_spec($g, cred => $pc, path => $r->pick('/status', '/lstatus')), expect => [503],
                      json_is => { error => 'store_unavailable' }, max_secs => $hang,
                      why => "Redis $down: a pending session's status is 503 store_unavailable within the timeout") },
        sub { to_step(gate_spec($g, cred => $pc, method => 'GET'), expect => [503],
                      json_is => { error => 'store_unavailable' }, max_secs => $hang,
                      why => "Redis $down: the gate of a pending session is 503 store_unavailable within the timeout") },
        sub { to_step(token_spec($g, path => '/token-fast'), expect => [503],
                      json_is => { error => 'store_unavailable' }, max_secs => $hang,
                      why => "Redis $down: a token is 503 store_unavailable within the timeout") },
        sub { to_step(callback_spec($g, cb_json(cb_fields($g, xid => $px, phone => $pp, code => 1800))),
                      expect => [503], json_is => { error => 'store_unavailable' }, max_secs => $hang,
                      why => "Redis $down: a valid callback is 503 store_unavailable within the timeout") },
        sub { to_step(call_spec($g), expect => [503], json_is => { error => 'store_unavailable' }, max_secs => $hang,
                      why => "Redis $down: a call start is 503 store_unavailable within the timeout") },
        sub { to_step(finalize_spec($g, cred => $pc), expect => [503], json_is => { error => 'store_unavailable' },
                      max_secs => $hang,
                      why => "Redis $down: finalize is 503 store_unavailable within the timeout") },
        sub { to_step(health_spec(), expect => [200], max_secs => $hang,
                      why => "Redis $down: a location without the module answers at once") },
    );
    my @reqs = map { $r->pick(@fixed)->() } 1 .. $r->range(2, 8);
    if ($mid) {
        # answered before or after the signal: 200 or 503, but never slow
        for my $q (@reqs) {
            next if ($q->{why} // '') =~ /keeps verified|at once/;
            delete @$q{qw(expect json_is)};
            $q->{expect_not} = [ 500, 502, 504 ];
        }
    }
    push @reqs, @mut;
    if ($mid) {
        $_->{delay_ms} = $r->below(200) for @reqs;
        push_step($g, { t => 'par', reqs => [ $r->shuffle(@reqs) ], redis_mid => $mid });
    } elsif ($r->chance(0.5)) {
        $_->{delay_ms} = $r->below(30) for @reqs;
        push_step($g, { t => 'par', reqs => [ $r->shuffle(@reqs) ] });
    } else {
        push_step($g, $_) for $r->shuffle(@reqs);
    }
    sleep_step($g, $r->pick(0, 300, 1200));
    push_step($g, { t => 'redis', op => $op eq 'stop' ? 'cont' : 'start' });
    sleep_step($g, 100);
    # back: the next request uses it (and store_unavailable fails the run again)
    req_step($g, status_spec($g, cred => $vc, path => '/status'), expect => [200],
             json_is => { state => 'verified' }, why => 'Redis back: the verified session');
    req_step($g, token_spec($g, path => '/token-fast'), expect => [200],
             why => 'Redis back: a new verification is minted again');
    my ($nx, $np, $nc) = session($g, verify => $r->chance(0.5), tag => 'n');
    req_step($g, gate_spec($g, cred => $pc, method => 'GET'), why => 'Redis back: the pending session of before')
        if $r->chance(0.5);
}

1;
