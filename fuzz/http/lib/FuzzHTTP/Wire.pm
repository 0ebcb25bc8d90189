package FuzzHTTP::Wire;

# The fuzzer's HTTP client: requests are raw bytes (built by serialize()
# or mutated byte by byte), sent over any number of connections at once by
# one IO::Select loop, each in pieces with pauses, optionally abandoned
# after N ms; answers are parsed strictly (parse_responses) so that a
# malformed answer is a finding.  127.0.0.1 only; every wait is bounded.

use strict;
use warnings;

use Errno qw(EAGAIN EWOULDBLOCK EINTR EPIPE ECONNRESET);
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time);

use Exporter 'import';
our @EXPORT_OK = qw(serialize chunk_encode run_conns parse_responses header
                    headers_all);

# --- building requests -----------------------------------------------------

# $r: {method, target, version, headers => [[name, value] | [undef, raw line]],
#      body, framing => cl|chunked|none, chunks => [sizes], chunk_ext,
#      trailers => [lines]}
sub serialize {
    my ($r) = @_;
    my $body = $r->{body} // '';
    my @h = @{ $r->{headers} // [] };
    my $framing = $r->{framing} // (length $body ? 'cl' : 'none');
    if ($framing eq 'cl') {
        push @h, [ 'Content-Length', length $body ];
    } elsif ($framing eq 'chunked') {
        push @h, [ 'Transfer-Encoding', 'chunked' ]
            unless grep { defined $_->[0] && lc $_->[0] eq 'transfer-encoding' } @h;
        $body = chunk_encode($body, $r->{chunks}, $r->{chunk_ext}, $r->{trailers},
                             $r->{chunk_last} // 1);
    }
    my $line = $r->{method} . ' ' . $r->{target};
    $line .= ' ' . $r->{version} if defined $r->{version} && length $r->{version};
    my $s = "$line\r\n";
    for my $h (@h) {
        $s .= defined $h->[0] ? "$h->[0]: $h->[1]\r\n" : "$h->[1]\r\n";
    }
    return $s . "\r\n" . $body;
}

sub chunk_encode {
    my ($body, $sizes, $ext, $trailers, $last) = @_;
    my @sizes = @{ $sizes // [] };
    my $out = '';
    my $pos = 0;
    while ($pos < length $body) {
        my $n = @sizes ? shift @sizes : length($body) - $pos;
        $n = 1 if $n < 1;
        $n = length($body) - $pos if $pos + $n > length $body;
        $out .= sprintf('%x', $n) . ($ext // '') . "\r\n" . substr($body, $pos, $n) . "\r\n";
        $pos += $n;
    }
    if ($last) {
        $out .= "0\r\n";
        $out .= "$_\r\n" for @{ $trailers // [] };
        $out .= "\r\n";
    }
    return $out;
}

# --- parsing answers -------------------------------------------------------

my $TOKEN = qr/[!#\$%&'*+\-.^_`|~0-9A-Za-z]+/;

# first value of a header, case-insensitively
sub header {
    my ($resp, $name) = @_;
    for my $h (@{ $resp->{headers} }) {
        return $h->[1] if lc $h->[0] eq lc $name;
    }
    return undef;
}

sub headers_all {
    my ($resp, $name) = @_;
    return map { $_->[1] } grep { lc $_->[0] eq lc $name } @{ $resp->{headers} };
}

# Parses as many answers as @$methods (one request method per answer
# expected) from $buf.  Returns (\@responses, $state, $why): state is
# "complete" (all expected answers, nothing after them), "incomplete"
# (more bytes may come), "short" (the peer closed after fewer answers),
# "none" (closed before any byte), "extra" (bytes after the last expected
# answer) or "malformed" ($why says what).
sub parse_responses {
    my ($buf, $methods, $eof) = @_;
    my @out;
    my $pos = 0;
    my $want = scalar @$methods;
    while (@out < $want) {
        if ($pos >= length $buf) {
            return (\@out, 'incomplete') unless $eof;
            return (\@out, @out ? 'short' : 'none');
        }
        my $hend = index($buf, "\r\n\r\n", $pos);
        if ($hend < 0) {
            my $partial = substr($buf, $pos, 200);
            return (\@out, 'malformed', 'the status line is not HTTP/1.x NNN: ' . esc($partial))
                if length($buf) - $pos >= 12 && $partial !~ m{^HTTP/1\.[01] \d\d\d};
            return (\@out, 'malformed', 'header section over 64 KB')
                if length($buf) - $pos > 65536;
            return (\@out, 'incomplete') unless $eof;
            return (\@out, 'malformed', 'the connection closed inside the header section: '
                                        . esc(substr($buf, $pos, 200)));
        }
        my $head = substr($buf, $pos, $hend - $pos);
        my @lines = split /\r\n/, $head, -1;
        my $sl = shift @lines;
        my ($ver, $status) = $sl =~ m{^(HTTP/1\.[01]) ([1-5]\d\d)(?: [^\r\n\x00]*)?\z}
            or return (\@out, 'malformed', 'bad status line: ' . esc($sl));
        my @headers;
        for my $l (@lines) {
            return (\@out, 'malformed', 'bare CR or LF in a header line: ' . esc($l))
                if $l =~ /[\r\n]/;
            my ($n, $v) = $l =~ /^($TOKEN):[ \t]*(.*?)[ \t]*\z/s
                or return (\@out, 'malformed', 'bad header line: ' . esc($l));
            return (\@out, 'malformed', "NUL or control byte in header $n")
                if $v =~ /[\x00-\x08\x0a-\x1f\x7f]/;
            push @headers, [ $n, $v ];
        }
        my $resp = { version => $ver, status => 0 + $status, headers => \@headers,
                     head => $head };
        $pos = $hend + 4;
        if ($status >= 100 && $status < 200) {
            next;    # 100 Continue and friends: the real answer follows
        }
        my $method = $methods->[ scalar @out ] // 'GET';
        my @te = headers_all($resp, 'Transfer-Encoding');
        my @cl = headers_all($resp, 'Content-Length');
        return (\@out, 'malformed', 'both Content-Length and Transfer-Encoding')
            if @te && @cl;
        if ($method eq 'HEAD' || $status == 204 || $status == 304) {
            $resp->{body} = '';
        } elsif (@te) {
            return (\@out, 'malformed', 'Transfer-Encoding ' . join(',', @te))
                unless @te == 1 && lc $te[0] eq 'chunked';
            my ($body, $np, $err) = dechunk($buf, $pos);
            return (\@out, 'malformed', $err) if $err;
            unless (defined $body) {
                return (\@out, 'incomplete') unless $eof;
                return (\@out, 'malformed', 'the connection closed inside a chunked body');
            }
            $resp->{body} = $body;
            $pos = $np;
        } elsif (@cl) {
            my %v = map { $_ => 1 } @cl;
            return (\@out, 'malformed', 'Content-Length ' . join(',', @cl))
                if keys %v != 1 || $cl[0] !~ /^\d{1,12}\z/;
            my $n = 0 + $cl[0];
            if (length($buf) - $pos < $n) {
                return (\@out, 'incomplete') unless $eof;
                return (\@out, 'malformed', sprintf('body of %d bytes, Content-Length %d',
                                                    length($buf) - $pos, $n));
            }
            $resp->{body} = substr($buf, $pos, $n);
            $pos += $n;
        } else {
            # delimited by the close: only the last answer may do that
            return (\@out, 'incomplete') unless $eof;
            $resp->{body} = substr($buf, $pos);
            $resp->{close_delimited} = 1;
            $pos = length $buf;
        }
        push @out, $resp;
    }
    return (\@out, 'extra', esc(substr($buf, $pos, 120))) if $pos < length $buf;
    return (\@out, 'complete');
}

sub dechunk {
    my ($buf, $pos) = @_;
    my $body = '';
    while (1) {
        my $e = index($buf, "\r\n", $pos);
        return (undef) if $e < 0;
        my $line = substr($buf, $pos, $e - $pos);
        my ($hex) = $line =~ /^([0-9a-fA-F]{1,8})(?:;.*)?\z/
            or return (undef, 0, 'bad chunk size line: ' . esc($line));
        my $n = hex $hex;
        $pos = $e + 2;
        if ($n == 0) {
            # trailers, then the empty line
            while (1) {
                my $t = index($buf, "\r\n", $pos);
                return (undef) if $t < 0;
                my $tl = substr($buf, $pos, $t - $pos);
                $pos = $t + 2;
                return ($body, $pos) if $tl eq '';
            }
        }
        return (undef) if length($buf) < $pos + $n + 2;
        $body .= substr($buf, $pos, $n);
        return (undef, 0, 'chunk not followed by CRLF')
            unless substr($buf, $pos + $n, 2) eq "\r\n";
        $pos += $n + 2;
    }
}

sub esc {
    my ($s) = @_;
    $s //= '';
    $s =~ s/([^\x20-\x7e])/sprintf('\\x%02x', ord $1)/ge;
    return $s;
}

# --- the client --------------------------------------------------------------

# run_conns($port, \@reqs, %opt): every request on its own connection, all
# at once.  A request: {raw, methods => [..] (one per answer expected),
# delay_ms (start later), pieces => [[len, pause_ms_before], ...],
# abort_ms (close this long after the start, answered or not),
# timeout (s, after the last piece), keep_open (do not stop at the last
# answer: wait for the peer to close)}.
# Returns one outcome per request: {responses, state, why, error, sent,
# sent_all, write_error, aborted, elapsed, start, end}.
sub run_conns {
    my ($port, $reqs, %opt) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $t0 = time;
    my $hard = $t0 + ($opt{max_seconds} // 30);
    my @c;
    for my $q (@$reqs) {
        my $start = $t0 + ($q->{delay_ms} // 0) / 1000;
        my @pieces;
        my $at = $start;
        my $left = length $q->{raw};
        for my $p (@{ $q->{pieces} // [] }) {
            last if $left <= 0;
            my ($len, $pause) = @$p;
            $len = $left if $len > $left || $len <= 0;
            $at += ($pause // 0) / 1000;
            push @pieces, { len => $len, at => $at };
            $left -= $len;
        }
        push @pieces, { len => $left, at => $at } if $left > 0;
        push @c, {
            q => $q, start => $start, pieces => \@pieces, off => 0,
            in => '', sent => 0, state => 'wait',
            abort_at => defined $q->{abort_ms} ? $start + $q->{abort_ms} / 1000 : undef,
            deadline => $at + ($q->{timeout} // 10),
            out => { responses => [], sent => 0, start => $start },
        };
    }

    while (1) {
        my $now = time;
        my @live = grep { $_->{state} ne 'done' } @c;
        last unless @live;
        if ($now > $hard) {
            finish($_, 'harness: run_conns over its bound') for @live;
            last;
        }
        my $r = IO::Select->new;
        my $w = IO::Select->new;
        my $wake = $hard;
        for my $k (@live) {
            if ($k->{state} eq 'wait') {
                if ($now >= $k->{start}) {
                    open_conn($k, $port) or next;
                } else {
                    $wake = $k->{start} if $k->{start} < $wake;
                    next;
                }
            }
            if (defined $k->{abort_at} && $now >= $k->{abort_at}) {
                $k->{out}{aborted} = 1;
                finish($k);
                next;
            }
            if ($now >= $k->{deadline}) {
                finish($k, $k->{sent} >= length $k->{q}{raw} ? 'timeout' : 'timeout while sending');
                next;
            }
            $wake = $k->{abort_at} if defined $k->{abort_at} && $k->{abort_at} < $wake;
            $wake = $k->{deadline} if $k->{deadline} < $wake;
            $r->add($k->{sock});
            if (!$k->{write_done}) {
                my $p = $k->{pieces}[0];
                if ($p && $now >= $p->{at}) {
                    $w->add($k->{sock});
                } elsif ($p) {
                    $wake = $p->{at} if $p->{at} < $wake;
                }
            }
        }
        my $t = $wake - time;
        $t = 0 if $t < 0;
        $t = 0.05 if $t > 0.05;
        my ($rr, $ww) = IO::Select->select($r, $w, undef, $t);
        my %by = map { fileno($_->{sock}) => $_ } grep { $_->{sock} } @live;
        for my $s (@{ $ww // [] }) {
            my $k = $by{ fileno $s } or next;
            write_some($k);
        }
        for my $s (@{ $rr // [] }) {
            my $k = $by{ fileno $s } or next;
            next if $k->{state} eq 'done';
            read_some($k);
        }
    }
    return map { $_->{out} } @c;
}

sub open_conn {
    my ($k, $port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 3);
    unless ($s) {
        $k->{out}{error} = "connect: $!";
        $k->{out}{connect_failed} = 1;
        $k->{state} = 'done';
        $k->{out}{end} = time;
        return 0;
    }
    $s->blocking(0);
    $k->{sock} = $s;
    $k->{state} = 'open';
    $k->{write_done} = !@{ $k->{pieces} };
    return 1;
}

sub write_some {
    my ($k) = @_;
    my $p = $k->{pieces}[0] or return;
    my $n = syswrite($k->{sock}, $k->{q}{raw}, $p->{len}, $k->{off});
    if (!defined $n) {
        return if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
        $k->{out}{write_error} = "$!";
        $k->{write_done} = 1;
        return;
    }
    $k->{off} += $n;
    $k->{sent} += $n;
    $k->{out}{sent} = $k->{sent};
    $p->{len} -= $n;
    shift @{ $k->{pieces} } if $p->{len} <= 0;
    unless (@{ $k->{pieces} }) {
        $k->{write_done} = 1;
        $k->{out}{sent_all} = 1;
        $k->{out}{sent_at} = time;
    }
}

sub read_some {
    my ($k) = @_;
    my $n = sysread($k->{sock}, my $chunk, 65536);
    if (!defined $n) {
        return if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
        $k->{out}{reset} = "$!";
        return settle($k, 1);
    }
    if ($n == 0) {
        return settle($k, 1);
    }
    $k->{in} .= $chunk;
    $k->{out}{first_byte} //= time;
    settle($k, 0);
}

# parse what came so far; close when the answers are complete
sub settle {
    my ($k, $eof) = @_;
    my $methods = $k->{q}{methods} // [ 'GET' ];
    my ($resps, $state, $why) = parse_responses($k->{in}, $methods, $eof);
    $k->{out}{responses} = $resps;
    $k->{out}{state} = $state;
    $k->{out}{why} = $why;
    if ($eof || $state eq 'malformed' || (($state eq 'complete' || $state eq 'extra')
                                          && !$k->{q}{keep_open})) {
        # a moment for extra bytes (a second answer to one request)
        if (!$eof && $state eq 'complete' && !$k->{q}{no_linger}) {
            my $s = IO::Select->new($k->{sock});
            if ($s->can_read(0.02)) {
                my $m = sysread($k->{sock}, my $more, 65536);
                if ($m) {
                    $k->{in} .= $more;
                    ($resps, $state, $why) = parse_responses($k->{in}, $methods, 0);
                    @{ $k->{out} }{qw(responses state why)} = ($resps, $state, $why);
                }
            }
        }
        finish($k);
    }
}

sub finish {
    my ($k, $err) = @_;
    $k->{out}{error} //= $err if $err;
    $k->{out}{raw_in} = $k->{in};
    $k->{out}{end} = time;
    $k->{out}{elapsed} = $k->{out}{end} - $k->{start};
    $k->{out}{state} //= length $k->{in} ? 'incomplete' : 'none';
    if ($k->{sock}) {
        close $k->{sock};
        delete $k->{sock};
    }
    $k->{state} = 'done';
}

1;
