# Verified sessions survive "apache2 -k graceful" (Debian's logrotate does
# one a day): the store outlives the configuration's generation.  A client
# asks for the gated page of a verified session and a static file while the server restarts gracefully three times: every request is let
# in, the session still passes after, and the parent never crashes,
# through the restarts or at its stop.  With no AppVerifyCache (the
# default: shmcb), a shmcb file, and mod_appverify loaded before the
# socache provider (Debian's mods-enabled order, where a restart would
# load the provider at another address if the module did not keep it
# where it is).  A changed AppVerifyCache is a new store: then, and only
# then, the sessions are gone.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use LWP::UserAgent ();
use HTTP::Request ();
use File::Path qw(make_path remove_tree);
use Time::HiRes qw(time sleep);
use Cwd qw(getcwd);
use POSIX ();
use AppVerify::Test;
use AppVerify::Servers qw(render start_httpd stop_httpd);

my $root = $ENV{AV_ROOT} // getcwd();
my $port = $ENV{AV_GRACEFUL_PORT} // 19864;
my $base = "$root/t/servroot-apache/graceful";
my $bin = $ENV{AV_APACHE2} // '/usr/sbin/apache2';
my $dir;
my $conf;
my $up;

END { local $?; stop_httpd(dir => $dir) if $up; }
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

my $ua = LWP::UserAgent->new(timeout => 10, keep_alive => 0);

sub req {
    my ($method, $uri, $body, @h) = @_;
    my $r = HTTP::Request->new($method, "http://127.0.0.1:$port$uri", \@h);
    $r->content($body) if defined $body;
    return $ua->request($r);
}

# the shared scenarios' httpd.conf; $cache undef: no AppVerifyCache line;
# $first: mod_appverify loaded before the socache provider (Debian's
# mods-enabled order), so the provider's module may come back elsewhere
sub configure {
    my ($cache, $first) = @_;
    render("t/both-servers/conf/httpd.conf.in", $conf,
           SERVROOT => $dir, PORT => $port, ROOT => $root,
           MODULE => "$root/build/mod_appverify.so",
           CACHE => $cache // 'none', SIM_PORT => 19890, DEAD_PORT => 19899);
    return if defined $cache && !$first;
    open my $in, '<', $conf or die "$conf: $!\n";
    my $text = do { local $/; <$in> };
    close $in;
    if (!defined $cache) {
        $text =~ s/^AppVerifyCache\s.*\n//m or die "no AppVerifyCache line\n";
    }
    if ($first) {
        $text =~ s/^(LoadModule appverify_module .*\n)//m or die "no LoadModule appverify\n";
        my $line = $1;
        $text =~ s/^(LoadModule mpm_event_module .*\n)/$1$line/m or die "no mpm line\n";
    }
    open my $out, '>', $conf or die "$conf: $!\n";
    print $out $text;
    close $out;
}

sub fresh_dir {
    my ($tag) = @_;
    $dir = "$base/$tag";
    $conf = "$dir/httpd.conf";
    remove_tree($dir);
    make_path("$dir/logs", "$dir/run", "$dir/html");
    chmod 0755, $dir, "$dir/html", "$dir/run";
    open my $fh, '>', "$dir/html/index.html" or die;
    print $fh "members only\n";
    close $fh;
}

sub graceful {
    # its stderr: the configuration's warnings again, not the test's
    system("'$bin' -f '$conf' -k graceful 2>/dev/null") == 0
        or die "apache2 -k graceful failed\n";
}

my $n = 0;

# a verified session: token, signed callback; returns its cookie
sub verified {
    my ($tag) = @_;
    $n++;
    my $xid = "graceful-$tag-$n";
    my $phone = sprintf('1555880%04d', $n);
    my $r = req('GET', "/token?phone=$phone&xid=$xid");
    is($r->code, 200, "$tag: token for $xid");
    my $cb = AppVerify::Test::callback_body(xid => $xid, phone => $phone);
    my ($auth) = AppVerify::Test::tsa_header($cb) =~ /^Authorization: (.*)$/;
    $r = req('POST', '/callback', $cb, Authorization => $auth,
             'Content-Type' => 'application/json');
    is($r->code, 200, "$tag: callback verifies $xid");
    return 'appverify=' . AppVerify::Test::credential($xid);
}

# the gate and static files in a child for $secs seconds
sub hammer_start {
    my ($cookie, $secs, $file) = @_;
    my $pid = fork // die "fork: $!\n";
    return $pid if $pid;
    my %seen;
    my $end = time + $secs;
    # a new connection each time: one kept alive is closed by a graceful
    # restart, as it may be at any time (no refusal, and no test of ours)
    my $c = LWP::UserAgent->new(timeout => 10, keep_alive => 0);
    my $i = 0;
    while (time < $end) {
        $i++;
        # no tokens: thousands of them would fill shmcb, which then drops
        # its oldest entries, verified ones too (the README says so)
        my $r = $i % 2 ? $c->get("http://127.0.0.1:$port/index.html")
              : $c->get("http://127.0.0.1:$port/account/index.html", Cookie => $cookie);
        $seen{$r->code}++;
    }
    open my $fh, '>', $file or die;
    print $fh join(' ', map { "$_=$seen{$_}" } sort keys %seen), "\n";
    close $fh;
    POSIX::_exit(0);    # not exit: the END block would stop the server
}

sub hammer_result {
    my ($pid, $file) = @_;
    waitpid($pid, 0);
    open my $fh, '<', $file or return {};
    my %seen = map { split /=/ } split ' ', scalar <$fh>;
    return \%seen;
}

for my $tag ('default', 'shmcb-file', 'module-first') {
    fresh_dir($tag);
    configure($tag eq 'default' ? undef : "shmcb:$dir/run/av(1048576)",
              $tag eq 'module-first');
    start_httpd(conf => $conf, dir => $dir, port => $port);
    $up = 1;

    my $cookie = verified($tag);
    my $r = req('GET', '/account/index.html', undef, Cookie => $cookie);
    is($r->code, 200, "$tag: the gate lets the session in");

    my $file = "$dir/hammer.out";
    my $pid = hammer_start($cookie, 4, $file);
    for (1 .. 3) {
        sleep 0.8;
        graceful();
    }
    my $seen = hammer_result($pid, $file);
    my $total = 0;
    $total += $_ for values %$seen;
    my $bad = join(' ', map { "$_=$seen->{$_}" } grep { $_ != 200 } sort keys %$seen);
    ok($total > 20, "$tag: $total requests across three graceful restarts");
    is($bad, '', "$tag: every one of them answered 200 (the gate: no 401)");

    # the server took the restarts: the session still passes, and one
    # verified now does too
    $r = req('GET', '/account/index.html', undef, Cookie => $cookie);
    is($r->code, 200, "$tag: the session passes after the restarts");
    my $fresh = verified("$tag-after");
    $r = req('GET', '/account/index.html', undef, Cookie => $fresh);
    is($r->code, 200, "$tag: a session verified after them passes");

    stop_httpd(dir => $dir);
    $up = 0;

    # the parent's exit ran every cleanup the kept cache has: none of them
    # may point into a module that a restart unloaded
    select(undef, undef, undef, 0.5);
    open my $log, '<', "$dir/logs/error.log" or die;
    my @crash = grep { /seg fault|AH00060|AH00052/ } <$log>;
    is(scalar(@crash), 0, "$tag: no crash through the restarts and the stop");
}

# another AppVerifyCache is another store: a graceful restart to it starts
# empty (and the server keeps running)
fresh_dir('changed');
configure("shmcb:$dir/run/one(1048576)");
start_httpd(conf => $conf, dir => $dir, port => $port);
$up = 1;
my $cookie = verified('changed');
configure("shmcb:$dir/run/two(1048576)");
graceful();
my $r;
for (1 .. 50) {
    sleep 0.1;
    $r = req('GET', '/status', undef, Cookie => $cookie);
    last if $r->code == 401;
}
is($r->code, 401, 'changed cache: the new store does not know the session');
like($r->content, qr/"error":"unknown_session"/, '... unknown_session');

done_testing();
