package FuzzHTTP::Check;

# What an answer must look like.  Every answer: a well-formed HTTP/1.x
# message; no 5xx but the README's documented 503s (JSON whose "error" is
# a 503 reason of the README's table); a JSON body parses; an error body
# is {"error","message"} with the status the README gives its reason; the
# module's own refusals are JSON (nginx's and httpd's HTML pages only for
# what the server core refuses before the module runs); each endpoint's
# 200 has its documented shape.  A complete request gets an answer.
#
# $STORE_UNAVAILABLE_OK false (fuzz-http sets it per step): a 503
# store_unavailable is a 5xx failure like any other (nginx's own zone,
# and its Redis while Redis is up).
#
# check_outcome() returns a list of [category, message]; categories:
# malformed, 5xx, noanswer, contract.  Warnings (an undocumented reason)
# go to $WARN.

use strict;
use warnings;

use JSON::PP ();
use FuzzHTTP::Wire qw(header headers_all);

our %REASON_STATUS;    # from README.md's reason table
our %WARN;             # message => count
our $STORE_UNAVAILABLE_OK = 1;

# what the server core (not the module) may answer with its own HTML page
my %CORE_HTML = map { $_ => 1 } 400, 408, 411, 413, 414, 431, 494;

my $JSON = JSON::PP->new->allow_nonref;

sub load_readme {
    my ($path) = @_;
    open my $fh, '<', $path or die "$path: $!\n";
    my $in = 0;
    while (my $l = <$fh>) {
        $in = 1 if $l =~ /^### Reason codes/;
        next unless $in;
        last if $in && $l =~ /^##[^#]/;
        if ($l =~ /^\| `([a-z_]+)` \| (\d{3}) \|/) {
            $REASON_STATUS{$1} = 0 + $2;
        }
    }
    die "$path: no reason-code table found\n" unless keys %REASON_STATUS >= 10;
    return \%REASON_STATUS;
}

sub documented_503 {
    return grep { $REASON_STATUS{$_} == 503 } sort keys %REASON_STATUS;
}

sub decode_json {
    my ($body) = @_;
    my $v = eval { $JSON->decode($body) };
    return $@ ? (undef, ($@ =~ /^(.*?)(?: at \S+ line \d+.*)?$/s)[0]) : ($v, undef);
}

sub is_json_ct {
    my ($resp) = @_;
    my $ct = header($resp, 'Content-Type') // '';
    return $ct =~ m{^application/json\b}i;
}

# $step: {class, ep, method, allow => {...}, incomplete, expect => [..],
#         expect_not => [..], why, expect_body}
sub check_outcome {
    my ($step, $o) = @_;
    my @v;
    my $allow = $step->{allow} // {};

    if ($o->{connect_failed}) {
        return ([ 'noanswer', "could not connect: $o->{error}" ]);
    }
    my $state = $o->{state} // 'none';
    if ($state eq 'malformed') {
        push @v, [ 'malformed', "malformed answer: $o->{why}" ];
        return @v;
    }
    if ($o->{error} && $o->{error} =~ /^harness/) {
        return ([ 'harness', $o->{error} ]);
    }
    my @resps = @{ $o->{responses} // [] };
    my $want = scalar @{ $step->{methods} // [ $step->{method} // 'GET' ] };

    if (@resps < $want && !$o->{aborted}) {
        my $complete = !$step->{incomplete} && !$allow->{noresp};
        my $refused_early = $o->{write_error} && !$o->{sent_all};
        # pipelined requests after an answer that said it closes the connection
        my $closed = @resps && (header($resps[-1], 'Connection') // '') =~ /\bclose\b/i;
        if ($complete && !$refused_early && !$closed) {
            push @v, [ 'noanswer', sprintf('%d of %d answers (%s%s) after %.2f s, %d of %d bytes sent',
                                            scalar @resps, $want, $state,
                                            $o->{error} ? ", $o->{error}" : '',
                                            $o->{elapsed} // 0, $o->{sent} // 0,
                                            length($step->{raw} // '')) ];
        }
    }
    if ($state eq 'extra' && @resps) {
        # a request line refused before its method was read (414, 400):
        # the answer to HEAD carries its body after all
        my $last = $resps[-1];
        my $m = ($step->{methods} // [])->[-1] // $step->{method} // '';
        my $cl = header($last, 'Content-Length');
        my $at = rindex($o->{raw_in} // '', $last->{head});
        if ($m eq 'HEAD' && $last->{status} >= 400 && defined $cl && $cl =~ /^\d+\z/ && $at >= 0
            && length($o->{raw_in}) - ($at + length($last->{head}) + 4) == $cl) {
            $state = 'complete';
        }
    }
    if ($state eq 'extra' && !$allow->{extra}) {
        push @v, [ 'malformed', "bytes after the answer: $o->{why}" ];
    }

    my $i = 0;
    for my $r (@resps) {
        push @v, check_response($step, $r, $i++);
    }
    return @v;
}

sub check_response {
    my ($step, $r, $i) = @_;
    my @v;
    my $allow = $step->{allow} // {};
    my $st = $r->{status};
    my $class = $step->{class} // 'other';
    my $ep = $step->{ep} // 'other';
    my $method = ($step->{methods} // [])->[$i] // $step->{method} // 'GET';
    my $json_ct = is_json_ct($r);
    my $body = $r->{body} // '';
    my ($doc, $jerr);
    if ($json_ct && length $body) {
        ($doc, $jerr) = decode_json($body);
        push @v, [ 'malformed', "$st with a JSON content type whose body does not parse ($jerr): "
                               . FuzzHTTP::Wire::esc(substr($body, 0, 160)) ] if $jerr;
    }
    my $err = ref $doc eq 'HASH' ? $doc->{error} : undef;

    if ($st >= 500) {
        if ($st == 503 && $json_ct && $method eq 'HEAD') {
            # no body to show the reason: the content type is all there is
        } elsif ($st == 503 && $json_ct) {
            my @ok = documented_503();
            if (!defined $err || !grep { $_ eq $err } @ok) {
                push @v, [ '5xx', "503 whose error is " . (defined $err ? "\"$err\"" : 'missing')
                                 . ' (documented: ' . join(', ', @ok) . ')' ];
            } elsif ($err eq 'store_unavailable' && !$STORE_UNAVAILABLE_OK) {
                push @v, [ '5xx', '503 "store_unavailable" while the store was up: '
                                 . FuzzHTTP::Wire::esc(substr($body, 0, 120)) ];
            }
        } elsif ($st == 503 && $method eq 'HEAD' && ($class eq 'gate' || $class eq 'module')) {
            # HEAD carries no body: the content type says whose it is
            push @v, [ '5xx', "503 to HEAD without the JSON content type" ] unless $json_ct;
        } elsif (!($allow->{$st} && !$json_ct)) {
            push @v, [ '5xx', "$st" . (defined $err ? " \"$err\"" : '')
                             . ': ' . FuzzHTTP::Wire::esc(substr($body, 0, 120)) ];
        }
    }

    if ($st >= 400 && $st < 500 || $st == 503) {
        if (defined $doc && $ep eq 'finalize' && $st == 403 && ref $doc eq 'HASH'
            && !defined $doc->{error}) {
            # README: finalize answers 403 with its own body once failed
            my $bad = shape_200('finalize', $r, $body, $json_ct, $doc);
            push @v, [ 'malformed', "403 on finalize: $bad" ] if $bad;
        } elsif (defined $doc) {
            if (ref $doc ne 'HASH' || !defined $doc->{error} || ref $doc->{error}
                || !defined $doc->{message} || ref $doc->{message}) {
                push @v, [ 'malformed', "$st JSON error body without string error/message: "
                                       . FuzzHTTP::Wire::esc(substr($body, 0, 160)) ];
            } elsif (!exists $REASON_STATUS{$err}) {
                $WARN{"reason \"$err\" ($st) is not in README's reason table"}++;
            } elsif ($REASON_STATUS{$err} != $st) {
                push @v, [ 'malformed', "reason \"$err\" answered with $st, README says $REASON_STATUS{$err}" ];
            }
        } elsif (($class eq 'module' || $class eq 'gate') && $st < 500) {
            my $core = $CORE_HTML{$st} || $allow->{$st}
                       || ($class eq 'gate' && ($st == 404 || $st == 405));
            if (!$core && !$json_ct) {
                push @v, [ 'malformed', "$st on the $ep endpoint is not the module's JSON: "
                                       . (header($r, 'Content-Type') // 'no content type') . ' '
                                       . FuzzHTTP::Wire::esc(substr($body, 0, 100)) ];
            }
        }
        if (($st == 401) && ($class eq 'gate') && $json_ct
            && !defined header($r, 'WWW-Authenticate')) {
            push @v, [ 'malformed', '401 from the gate without WWW-Authenticate' ];
        }
    }

    if ($class eq 'backend') {
        if (defined $err) {
            push @v, [ 'contract', "the application's own $st under a gate that passed (satisfy any/RequireAny) "
                                   . "was replaced by the module's \"$err\"" ];
        } elsif (defined $step->{expect_body} && $method ne 'HEAD'
                 && $st == $step->{expect_status} && $body ne $step->{expect_body}) {
            push @v, [ 'contract', "the application's answer was rewritten: "
                                   . FuzzHTTP::Wire::esc(substr($body, 0, 100)) ];
        }
    }

    if ($st == 200 && $method ne 'HEAD' && !$step->{noshape} && $class ne 'other') {
        my $bad = shape_200($ep, $r, $body, $json_ct, $doc);
        push @v, [ 'malformed', "200 on $ep: $bad" ] if $bad;
    }

    if ($i == 0 && $step->{expect} && !grep { $_ == $st } @{ $step->{expect} }) {
        push @v, [ 'contract', "answered $st" . (defined $err ? " \"$err\"" : '')
                               . ', expected ' . join('/', @{ $step->{expect} })
                               . ($step->{why} ? ": $step->{why}" : '') ];
    }
    if ($i == 0 && $step->{expect_not} && grep { $_ == $st } @{ $step->{expect_not} }) {
        push @v, [ 'contract', "answered $st" . (defined $err ? " \"$err\"" : '')
                               . ($step->{why} ? ": $step->{why}" : '') ];
    }
    return @v;
}

sub shape_200 {
    my ($ep, $r, $body, $json_ct, $doc) = @_;
    my $h = ref $doc eq 'HASH' ? $doc : undef;
    if ($ep eq 'token') {
        return 'no Set-Cookie' unless headers_all($r, 'Set-Cookie');
        if ($json_ct) {
            return 'JSON without token/xid/expires_in/session'
                unless $h && defined $h->{token} && defined $h->{xid}
                       && defined $h->{expires_in} && defined $h->{session};
            return 'token is not a JWT' unless $h->{token} =~ /^[\w-]+\.[\w-]+\.[\w-]+\z/;
        } else {
            return 'body is not a bare JWT: ' . FuzzHTTP::Wire::esc(substr($body, 0, 80))
                unless $body =~ /^[\w-]+\.[\w-]+\.[\w-]+\s*\z/;
        }
    } elsif ($ep eq 'callback') {
        return 'not {"ok":true,...}' unless $h && JSON::PP::is_bool($h->{ok}) && $h->{ok};
    } elsif ($ep eq 'status') {
        return 'not {"xid","phone","verified":bool,"state",...}'
            unless $h && defined $h->{xid} && exists $h->{phone} && JSON::PP::is_bool($h->{verified})
                   && defined $h->{state};
    } elsif ($ep eq 'call') {
        return 'not {"prefix","xid","session","expires_in"}'
            unless $h && defined $h->{prefix} && defined $h->{xid} && defined $h->{session}
                   && defined $h->{expires_in};
        return 'the answer carries verify_code' if $body =~ /verify_code/;
        return 'no Set-Cookie' unless headers_all($r, 'Set-Cookie');
    } elsif ($ep eq 'finalize') {
        return 'not {"verified","state","status","attempts_left"}'
            unless $h && JSON::PP::is_bool($h->{verified}) && defined $h->{state}
                   && ref $h->{status} eq 'HASH' && exists $h->{attempts_left};
    } elsif ($ep eq 'gate') {
        return 'not the protected file: ' . FuzzHTTP::Wire::esc(substr($body, 0, 80))
            unless $body eq "members only\n";
    } elsif ($ep eq 'health') {
        return 'not "ok"' unless $body eq "ok\n";
    }
    return undef;
}

1;
