# Key rotation under load (issue 15): while clients keep asking the gate
# with a session issued before the rotation, "nginx -s reload" (HUP)
# brings in a configuration where the new session secret is current and
# the old one previous=: not one of those requests may get a 401.  Then
# a second reload drops previous= and the old session is refused.
#
# A plain Test::More file (Test::Nginx reloads between blocks, never
# during one): it starts its own nginx in t/servroot-rotation on
# $TEST_NGINX_PORT (1984 when unset), as the rest of the suite does.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use IO::Socket::INET ();
use File::Path qw(make_path remove_tree);
use POSIX qw(_exit);
use Time::HiRes qw(sleep time);
use AppVerify::Test;
use AppVerify::Servers qw(start_nginx stop_nginx);

my $root = $ENV{TEST_NGINX_ROOT} // do { require Cwd; Cwd::getcwd() };
my $dir = "$root/t/servroot-rotation";
my $port = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
my $module = $ENV{TEST_NGINX_LOAD_MODULES}
             // "$root/build/ngx_http_appverify_module.so";
my $d = "$root/t/data";

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or die "$f: $!";
    local $/;
    return scalar <$fh>;
}

(my $new_session = slurp("$d/session-new.key")) =~ s/\s+$//;
my $old_session = $AppVerify::Test::SESSION_KEY;

remove_tree($dir);
make_path("$dir/logs", "$dir/html", "$dir/conf");
open my $ix, '>', "$dir/html/index.html" or die;
print $ix "members only\n";
close $ix;

my $up;
END { my $rc = $?; stop_nginx(dir => $dir) if $up; $? = $rc }
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

sub configure {
    my ($session_keys) = @_;
    my $user = $> == 0 ? "user root;\n" : '';
    open my $fh, '>', "$dir/conf/nginx.conf" or die;
    print $fh <<"_EOC_";
load_module $module;
${user}worker_processes 2;
pid $dir/logs/nginx.pid;
error_log $dir/logs/error.log info;
events { worker_connections 256; }
http {
    access_log off;
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $d/api.key;
    appverify_session_key_file $session_keys;
    server {
        listen 127.0.0.1:$port;
        location = /token    { appverify_token zone=av; }
        location = /callback { appverify_callback zone=av; }
        location /acct/      { appverify_require zone=av; alias $dir/html/; }
    }
}
_EOC_
    close $fh;
}

# one request on its own connection: the status code, 0 when none came
sub get {
    my ($uri, @h) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 5)
        or return 0;
    my $head = join '', map { "$_\r\n" } @h;
    my $body = '';
    if (ref $uri) {
        ($uri, $body) = @$uri;
        $head .= "Content-Length: " . length($body) . "\r\n";
    }
    my $method = length $body ? 'POST' : 'GET';
    print $s "$method $uri HTTP/1.0\r\nHost: localhost\r\n$head\r\n$body";
    my $line = <$s> // '';
    close $s;
    return $line =~ m{^HTTP/1\.[01] (\d{3})} ? $1 : 0;
}

sub bearer {
    my ($xid, $secret) = @_;
    return "Authorization: Bearer "
         . AppVerify::Test::credential($xid, int(time()) + 3600, $secret);
}

sub gate { return get('/acct/index.html', bearer(@_)) }

sub nginx_pid {
    open my $fh, '<', "$dir/logs/nginx.pid" or return undef;
    my $pid = <$fh>;
    return $pid && $pid =~ /^(\d+)/ ? $1 : undef;
}

# --- before: a verified phone, its session signed with the old secret ----

configure("$d/session.key");
start_nginx(conf => "$dir/conf/nginx.conf", dir => $dir, port => $port);
$up = 1;

my $xid = 'rot-load-1';
my $cb = AppVerify::Test::callback_body(xid => $xid, phone => '15558820001');
is(get("/token?phone=15558820001&xid=$xid"), 200, 'before: a token');
is(get(['/callback', $cb], AppVerify::Test::tsa_header($cb),
       'Content-Type: application/json'), 200, 'before: the callback verifies it');
is(gate($xid, $old_session), 200, 'before: the old session passes');
is(gate($xid, $new_session), 401, 'before: the new secret is unknown');

# --- the reload into the rotation, under load ------------------------------

pipe(my $rd, my $wr) or die "pipe: $!";
my @kids;

for my $k (1 .. 4) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        close $rd;
        my %n;
        my $quit = 0;
        local $SIG{TERM} = sub { $quit = 1 };
        my $stop = time + 20;
        while (!$quit && time < $stop) {
            $n{ gate($xid, $old_session) }++;
        }
        print $wr join(' ', map { "$_=$n{$_}" } sort keys %n), "\n";
        close $wr;
        _exit(0);
    }
    push @kids, $pid;
}
close $wr;

sleep 0.5;
configure("$d/session-new.key previous=$d/session.key");
kill 'HUP', nginx_pid() or die "no nginx to reload\n";

my $deadline = time + 15;
my $live = 0;
while (time < $deadline) {
    if (gate($xid, $new_session) == 200) { $live = 1; last }
    sleep 0.05;
}
ok($live, 'after the reload the new session secret is known');
sleep 0.5;

kill 'TERM', @kids;
my %codes;
while (my $line = <$rd>) {
    for (split ' ', $line) {
        my ($c, $n) = split /=/;
        $codes{$c} += $n;
    }
}
waitpid($_, 0) for @kids;
my $total = 0;
$total += $_ for values %codes;
ok($total >= 20, "the load sent $total requests across the reload");
is($codes{401} // 0, 0, 'not one 401 for the session issued before the rotation')
    or diag(join ' ', map { "$_: $codes{$_}" } sort keys %codes);
is(join(',', sort keys %codes), '200', '... every one of them passed');

is(gate($xid, $old_session), 200, 'rotating: the old session passes');
is(gate($xid, $new_session), 200, 'rotating: the new one too');

# --- after: previous= dropped ---------------------------------------------

configure("$d/session-new.key");
kill 'HUP', nginx_pid() or die "no nginx to reload\n";

$deadline = time + 15;
$live = 0;
while (time < $deadline) {
    if (gate($xid, $old_session) == 401) { $live = 1; last }
    sleep 0.05;
}
ok($live, 'after: the old session is refused once previous= is dropped');
is(gate($xid, $new_session), 200, 'after: the new session passes');

done_testing();
