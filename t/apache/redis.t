# Two httpd instances share one real redis-server through
# "AppVerifyCache redis:127.0.0.1:19880": a token from A, Telesign's
# callback delivered to B, and A's gate lets the session through; the
# state also survives a restart of A (redis keeps it; shmcb would not).

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use LWP::UserAgent ();
use HTTP::Request ();
use File::Path qw(make_path remove_tree);
use Cwd qw(getcwd);
use AppVerify::Test;
use AppVerify::Servers qw(render start_httpd stop_httpd start_redis stop_redis);

my $root = $ENV{AV_ROOT} // getcwd();
my $base = "$root/t/servroot-apache/redis";
# AV_REDIS_PORTS="A B REDIS": other ports, for a second checkout
my %port = (a => 19861, b => 19862, redis => 19880);
@port{qw(a b redis)} = split ' ', $ENV{AV_REDIS_PORTS}
    if $ENV{AV_REDIS_PORTS};

remove_tree($base);
my ($redis, %up);

END {
    local $?;    # the stops below must not become the exit status
    stop_httpd(dir => "$base/$_") for grep { $up{$_} } keys %up;
    stop_redis($redis) if $redis;
}
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

$redis = start_redis(port => $port{redis}, dir => "$base/redis");

for my $node (qw(a b)) {
    my $dir = "$base/$node";
    make_path("$dir/logs", "$dir/run", "$dir/html");
    chmod 0755, $dir, "$dir/html", "$dir/run";
    open my $fh, '>', "$dir/html/index.html" or die;
    print $fh "members only\n";
    close $fh;
    render("t/both-servers/conf/httpd.conf.in", "$dir/httpd.conf",
           SERVROOT => $dir, PORT => $port{$node}, ROOT => $root,
           MODULE => "$root/build/mod_appverify.so",
           CACHE => "redis:127.0.0.1:$port{redis}",
           SIM_PORT => 19890, DEAD_PORT => 19899);
    start_httpd(conf => "$dir/httpd.conf", dir => $dir, port => $port{$node});
    $up{$node} = 1;
}

my $ua = LWP::UserAgent->new(timeout => 15, keep_alive => 0);

sub req {
    my ($node, $method, $uri, $body, @h) = @_;
    my $r = HTTP::Request->new($method, "http://127.0.0.1:$port{$node}$uri", \@h);
    $r->content($body) if defined $body;
    return $ua->request($r);
}

my $phone = '15558800001';
my $xid = 'redis-1';
my $cookie = 'appverify=' . AppVerify::Test::credential($xid);
my $cb = AppVerify::Test::callback_body(xid => $xid, phone => $phone);
my ($auth) = AppVerify::Test::tsa_header($cb) =~ /^Authorization: (.*)$/;

my $r = req('a', 'GET', "/token?phone=$phone&xid=$xid");
is($r->code, 200, 'A mints the token');
like($r->header('Set-Cookie') // '', qr/^appverify=\Q$xid\E\./, 'A sets the cookie');

$r = req('b', 'GET', '/status', undef, Cookie => $cookie);
is($r->code, 200, 'B sees the record A stored');
like($r->content, qr/"state":"pending"/, '... pending');

$r = req('b', 'GET', "/token?phone=$phone&xid=redis-2");
is($r->code, 409, 'B refuses a duplicate for the phone A is verifying');

$r = req('a', 'GET', '/account/index.html', undef, Cookie => $cookie);
is($r->code, 401, 'A refuses while pending');

$r = req('b', 'POST', '/callback', $cb, Authorization => $auth,
         'Content-Type' => 'application/json');
is($r->code, 200, 'B takes the callback');
is($r->content, qq({"ok":true,"xid":"$xid","state":"verified"}\n), '... verified');

$r = req('a', 'GET', '/account/index.html', undef, Cookie => $cookie);
is($r->code, 200, "A's gate lets the session through");
is($r->header('X-Phone') // '', $phone, '... with the phone in the env');
is($r->content, "members only\n", '... to the page');

stop_httpd(dir => "$base/a");
delete $up{a};
start_httpd(conf => "$base/a/httpd.conf", dir => "$base/a", port => $port{a});
$up{a} = 1;

$r = req('a', 'GET', '/account/index.html', undef, Cookie => $cookie);
is($r->code, 200, 'after a restart of A, redis still has the verification');

# Redis down: a cache that cannot be read is not an empty one.  Nobody is
# told their session is unknown (the app would start, and pay for, a new
# verification), nothing reads as full: 503 store_unavailable, one error
# line a second at most, and service comes back with Redis by itself.
stop_redis($redis);
undef $redis;

my $log = "$base/a/logs/error.log";
my $lines_before = () = do { open my $fh, '<', $log or die; <$fh> };
for my $i (1 .. 5) {
    $r = req('a', 'GET', '/status', undef, Cookie => $cookie);
    is($r->code, 503, "redis down: status $i is 503");
    like($r->content, qr/^\{"error":"store_unavailable"/, '... store_unavailable');
}
$r = req('a', 'GET', '/account/index.html', undef, Cookie => $cookie);
ok($r->code == 503 || $r->code == 200,
   'redis down: the gate is 503 (or 200 from the thread\'s one-second cache), never 401');
$r = req('a', 'GET', '/account/index.html', undef,
         Cookie => 'appverify=' . AppVerify::Test::credential('redis-never'));
is($r->code, 503, 'redis down: the gate for a session it cannot look up is 503');
like($r->content, qr/^\{"error":"store_unavailable"/, '... as JSON');
$r = req('b', 'GET', "/token?phone=15558800002&xid=redis-3");
is($r->code, 503, 'redis down: a token is 503');
like($r->content, qr/^\{"error":"store_unavailable"/, '... store_unavailable, not store_full');

my @new = do { open my $fh, '<', $log or die; my @l = <$fh>; @l[$lines_before .. $#l] };
my @errors = grep { /cannot retrieve from the redis cache/ } @new;
ok(@errors >= 1 && @errors <= 3, 'one error line a second at most (' . scalar(@errors) . ')');
ok(!grep({ /redis.*pass/i } @new), 'no password or secret in the lines');

$redis = start_redis(port => $port{redis}, dir => "$base/redis");
# apr_redis tries a server it marked dead again after 5 s
my $ok;
for (1 .. 150) {
    $r = req('b', 'GET', "/token?phone=15558800002&xid=redis-3");
    last if ($ok = $r->code == 200);
    select(undef, undef, undef, 0.1);
}
ok($ok, 'redis back: service returns by itself');

done_testing();
