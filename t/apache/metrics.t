# SetHandler appverify-metrics: the counters of every child in one set
# (shared memory), in Prometheus's text format, parsed by prometheus_client's
# own parser (t/lib/promparse.py); they outlive a graceful restart with the
# cache.  Then Debian's Prometheus server scrapes the nginx and the httpd
# module on loopback and answers a query for a counter this test moved.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use LWP::UserAgent ();
use HTTP::Request ();
use IPC::Open2 ();
use JSON::PP ();
use File::Path qw(make_path remove_tree);
use Cwd qw(getcwd);
use AppVerify::Test;
use AppVerify::Servers qw(render start_httpd stop_httpd start_nginx stop_nginx);

my $root = $ENV{AV_ROOT} // getcwd();
my ($port, $nport, $pport) = split ' ', ($ENV{AV_METRICS_PORTS} // '19869 19871 19872');
my $base = "$root/t/servroot-apache/metrics";
my $dir = "$base/httpd";
my $ndir = "$base/nginx";
my (%up, $prom);

END {
    local $?;
    stop_httpd(dir => $dir) if $up{httpd};
    stop_nginx(dir => $ndir) if $up{nginx};
    if ($prom) { kill 'TERM', $prom; waitpid($prom, 0); }
}
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

remove_tree($base);
for my $d ($dir, $ndir) {
    make_path("$d/logs", "$d/run", "$d/html");
    chmod 0755, $d, "$d/html", "$d/run";
    open my $fh, '>', "$d/html/index.html" or die;
    print $fh "members only\n";
    close $fh;
}
render("t/both-servers/conf/httpd.conf.in", "$dir/httpd.conf",
       SERVROOT => $dir, PORT => $port, ROOT => $root,
       MODULE => "$root/build/mod_appverify.so",
       CACHE => "shmcb:$dir/run/av(1048576)", SIM_PORT => 19890,
       DEAD_PORT => 19899);
start_httpd(conf => "$dir/httpd.conf", dir => $dir, port => $port);
$up{httpd} = 1;

my $ua = LWP::UserAgent->new(timeout => 10, keep_alive => 0);

sub req {
    my ($p, $method, $uri, $body, @h) = @_;
    my $r = HTTP::Request->new($method, "http://127.0.0.1:$p$uri", \@h);
    $r->content($body) if defined $body;
    return $ua->request($r);
}

sub parsed {
    my ($text, @names) = @_;
    my $pid = IPC::Open2::open2(my $out, my $in, "$root/t/lib/promparse.py", @names);
    print $in $text;
    close $in;
    my $got = do { local $/; <$out> };
    waitpid($pid, 0);
    return $got;
}

sub verified {
    my ($p, $xid, $phone) = @_;
    req($p, 'GET', "/token?phone=$phone&xid=$xid");
    my $cb = AppVerify::Test::callback_body(xid => $xid, phone => $phone);
    my ($auth) = AppVerify::Test::tsa_header($cb) =~ /^Authorization: (.*)$/;
    req($p, 'POST', '/callback', $cb, Authorization => $auth,
        'Content-Type' => 'application/json');
    return 'appverify=' . AppVerify::Test::credential($xid);
}

my $cookie = verified($port, 'mt-1', '15558803001');
req($port, 'GET', '/token?phone=15558803001&xid=mt-2');   # again, after it verified
for (1 .. 5) {
    req($port, 'GET', '/account/index.html', undef, Cookie => $cookie);
}
req($port, 'GET', '/account/index.html');                             # 401

my $r = req($port, 'GET', '/metrics');
is($r->code, 200, 'the metrics');
is($r->header('Content-Type'), 'text/plain; version=0.0.4; charset=utf-8', '... in the text format');
is(parsed($r->content, qw(appverify_requests_total appverify_verifications)), <<'_EOT_',
families 9
appverify_requests_total{endpoint=callback,reason=ok,zone=appverify} 1
appverify_requests_total{endpoint=gate,reason=no_credential,zone=appverify} 1
appverify_requests_total{endpoint=gate,reason=ok,zone=appverify} 5
appverify_requests_total{endpoint=token,reason=ok,zone=appverify} 2
appverify_verifications_started_total{flow=sdk,zone=appverify} 2
appverify_verifications_total{flow=sdk,state=verified,zone=appverify} 1
_EOT_
   'every child counted into one set, each event once');

$r = req($port, 'POST', '/metrics', 'x=1');
is($r->code, 405, 'POST is 405');

# a graceful restart keeps them, with the cache
system("/usr/sbin/apache2 -f '$dir/httpd.conf' -k graceful 2>/dev/null") == 0 or die;
for (1 .. 50) {
    select(undef, undef, undef, 0.1);
    $r = req($port, 'GET', '/metrics');

    last if $r->code == 200;
}
like(parsed($r->content, 'appverify_verifications_started_total'),
     qr/started_total\{flow=sdk,zone=appverify\} 2$/m, 'kept across a graceful restart');

# --- Prometheus scrapes both modules ------------------------------------------

SKIP: {
    skip 'no /usr/bin/prometheus', 4 unless -x '/usr/bin/prometheus';

    render("t/both-servers/conf/nginx.conf.in", "$ndir/nginx.conf",
           SERVROOT => $ndir, PORT => $nport, ROOT => $root,
           NGX_MODULE => "$root/build/ngx_http_appverify_module.so",
           SIM_PORT => 19890, DEAD_PORT => 19899);
    start_nginx(conf => "$ndir/nginx.conf", dir => $ndir, port => $nport);
    $up{nginx} = 1;
    verified($nport, 'mt-ngx', '15558803002');

    open my $fh, '>', "$base/prometheus.yml" or die;
    print $fh <<"_EOY_";
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: appverify
    metrics_path: /metrics
    static_configs:
      - targets: ['127.0.0.1:$port', '127.0.0.1:$nport']
_EOY_
    close $fh;

    $prom = fork // die;
    if (!$prom) {
        open STDOUT, '>', "$base/prometheus.log";
        open STDERR, '>&', \*STDOUT;
        exec '/usr/bin/prometheus', "--config.file=$base/prometheus.yml",
             "--storage.tsdb.path=$base/tsdb", "--web.listen-address=127.0.0.1:$pport";
        exit 127;
    }

    my $q = 'http://127.0.0.1:' . $pport . '/api/v1/query?query='
          . 'appverify_verifications_started_total%7Bflow%3D%22sdk%22%7D';
    my %got;
    for (1 .. 60) {
        sleep 1;
        my $res = $ua->get($q);
        next unless $res->code == 200;
        my $data = eval { JSON::PP::decode_json($res->content) } or next;
        %got = map { $_->{metric}{zone} . '@' . $_->{metric}{instance} => $_->{value}[1] }
               @{ $data->{data}{result} };
        last if keys %got >= 2;
    }
    is($got{"appverify\@127.0.0.1:$port"}, 2, "Prometheus read httpd's counter (2 started)")
        or diag(join ' ', %got);
    is($got{"av\@127.0.0.1:$nport"}, 1, "... and nginx's (1 started)");
    my $res = $ua->get("http://127.0.0.1:$pport/api/v1/targets");
    unlike($res->content, qr/"health":"down"/, 'both targets up');

    # every query of the Grafana dashboard in examples/ is one Prometheus takes
    open my $dfh, '<', "$root/examples/grafana/appverify-dashboard.json" or die;
    my $dash = JSON::PP::decode_json(do { local $/; <$dfh> });
    my @exprs = map { $_->{expr} } map { @{ $_->{targets} } } @{ $dash->{panels} };
    my @bad;
    for my $e (@exprs) {
        (my $q = $e) =~ s/\$zone/.*/g;
        $q =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge;
        my $r2 = $ua->get("http://127.0.0.1:$pport/api/v1/query?query=$q");
        push @bad, $e unless $r2->code == 200 && $r2->content =~ /"status":"success"/;
    }
    is(scalar(@bad), 0, scalar(@exprs) . " dashboard queries evaluate") or diag(join "\n", @bad);
}

done_testing();
