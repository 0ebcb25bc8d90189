package AppVerify::Scenario;

# One scenario list, two servers.  The files in t/both-servers/ are in
# the data-block format of t/*.t (Test::Base, as Test::Nginx::Socket reads
# it), without --- config: the server is already running, started by
# t/both-servers/run from t/both-servers/conf/{httpd,nginx}.conf.in, which
# declare the same locations.  $ENV{AV_SERVER} says which one this run
# talks to (apache or nginx), $ENV{AV_PORT} where.
#
# Sections: request (a string or an eval array: "METHOD /uri\nbody"),
# more_headers, error_code, response_body, response_body_like,
# response_headers ("X-Foo: v" equal, "X-Foo:" empty or absent, "! X-Foo"
# absent), response_headers_like, grep_error_log (a regex) with
# grep_error_log_out (its matches, one a line, in what the server's error
# log got during the block, as Test::Nginx::Socket), and servers ("apache"
# runs the block on httpd only; the reason goes after it, e.g. "apache:
# nginx has no lookups yet").  A request or more_headers entry may be a sub, called when it is
# sent, that reads @AppVerify::Scenario::Responses.  "METHOD sim:/path"
# talks to the Telesign simulator.  Blocks share one running server, so every block uses phone
# numbers and xids of its own.
#
# NOTE on "sub name() {": "-Base" turns on Spiffy's source filter, which
# inserts "my $self = shift;" into every "sub name {" at column 0; the
# empty prototype opts out, so these are plain functions.

use Test::Base -Base;

use LWP::UserAgent ();
use HTTP::Request ();

our @EXPORT = qw(run_scenarios server_kind);

# the block's answers so far, for requests given as code refs that use an
# earlier answer (a session, a code the simulated phone received)
our @Responses;

our $Kind = $ENV{AV_SERVER} || 'apache';
our $Port = $ENV{AV_PORT} || 19860;

sub server_kind() { $Kind }

sub indexed() {
    my ($value, $idx) = @_;
    return ref $value eq 'ARRAY' ? $value->[$idx] : $value;
}

sub requests() {
    my ($block) = @_;
    my $r = $block->request;
    return ref $r eq 'ARRAY' ? $r : [$r];
}

sub send_one() {
    my ($ua, $text, $more) = @_;
    $text =~ s/^\s+//s;
    my ($first, $body) = split /\n/, $text, 2;
    $body //= '';
    $body =~ s/^\s+|\s+$//gs;
    my ($meth, $uri) = $first =~ /^(\S+)\s+(\S+)/
        or die "bad request line \"$first\"\n";
    # "sim:/path" goes to the Telesign simulator instead
    my $port = $uri =~ s{^sim:}{} ? $ENV{AV_SIM_PORT} || 19890 : $Port;
    my $req = HTTP::Request->new($meth, "http://127.0.0.1:$port$uri");
    for my $h (split /\n+/, $more // '') {
        next unless $h =~ /\S/;
        my ($k, $v) = split /:\s*/, $h, 2;
        $req->push_header($k, $v // '');
    }
    if (length $body) {
        $req->content($body);
        $req->header('Content-Length' => length $body);
    }
    return $ua->request($req);
}

sub check() {
    my ($block, $res, $idx) = @_;
    my $name = $block->name . " [$Kind, req $idx]";

    my $code = defined $block->error_code ? indexed($block->error_code, $idx) : 200;
    is($res->code, $code, "$name - status")
        or diag($res->as_string);

    my $like = !defined $block->response_headers && defined $block->response_headers_like;
    my $spec = $like ? $block->response_headers_like : $block->response_headers;
    if (defined $spec) {
        for my $line (split /\n/, indexed($spec, $idx) // '') {
            $line =~ s/^\s+|\s+$//g;
            next if $line eq '';
            if (!$like && $line =~ s/^!\s*//) {
                ok(!defined $res->header($line), "$name - no header $line");
                next;
            }
            my ($key, $val) = split /\s*:\s*/, $line, 2;
            $val //= '';
            my $actual = $res->header($key) // '';
            if ($like) {
                like($actual, qr/^$val$/, "$name - header $key");
            } else {
                is($actual, $val, "$name - header $key");
            }
        }
    }

    my $content = $res->decoded_content(charset => 'none') // '';
    if (ref(my $f = $block->response_body_filters) eq 'CODE') {
        $content = $f->($content);
    }
    if (defined $block->response_body) {
        my $exp = indexed($block->response_body, $idx);
        if (ref $exp eq 'Regexp') {
            like($content, $exp, "$name - body");
        } else {
            is($content, $exp, "$name - body");
        }
    } elsif (defined $block->response_body_like) {
        my $pat = indexed($block->response_body_like, $idx);
        like($content, qr/$pat/s, "$name - body like");
    }
}

# the server's error log (both write logs/error.log under AV_SERVROOT)
sub error_log() { ($ENV{AV_SERVROOT} // '.') . '/logs/error.log' }

sub log_size() { -s error_log() // 0 }

sub check_error_log() {
    my ($block, $from) = @_;
    my $re = $block->grep_error_log;
    return unless defined $re;
    $re = qr/$re/ unless ref $re eq 'Regexp';
    my $text = '';
    if (open my $fh, '<', error_log()) {
        seek $fh, $from, 0;
        local $/;
        $text = <$fh> // '';
    }
    my $out = join '', map { "$_\n" } $text =~ /$re/g;
    is($out, $block->grep_error_log_out // '',
       $block->name . " [$Kind] - grep_error_log");
}

sub run_scenarios() {
    my $ua = LWP::UserAgent->new(timeout => 15, keep_alive => 0,
                                 max_redirect => 0, agent => 'appverify-test');
    for my $block (Test::Base::blocks()) {
        my $servers = $block->servers;
        if (defined $servers && $servers !~ /^\s*\Q$Kind\E\b/) {
            my ($why) = $servers =~ /:\s*(.*)/;
            my $n = @{ requests($block) };
            SKIP: { skip($block->name . " - " . ($why // "not on $Kind"), $n) }
            next;
        }
        my $reqs = requests($block);
        my $log_from = log_size();
        @Responses = ();
        for my $i (0 .. $#$reqs) {
            my $more = $block->more_headers;
            $more = $more->[$i] if ref $more eq 'ARRAY';
            my $req = $reqs->[$i];
            $req = $req->() if ref $req eq 'CODE';
            $more = $more->() if ref $more eq 'CODE';
            my $res = send_one($ua, $req, $more);
            push @Responses, $res;
            check($block, $res, $i);
        }
        check_error_log($block, $log_from);
    }
}

1;
