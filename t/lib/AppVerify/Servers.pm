package AppVerify::Servers;

# Starting and stopping the servers the Apache suite runs against: httpd
# (Debian's /usr/sbin/apache2 with a complete config of our own, so no
# APACHE_* environment is needed), nginx, redis-server and the Telesign
# simulator.  Everything listens on 127.0.0.1 only; every wait is bounded;
# only processes we started (by pid) are ever signalled.

use strict;
use warnings;

use POSIX qw(WNOHANG);
use IO::Socket::INET ();
use Time::HiRes qw(sleep time);
use File::Path qw(make_path remove_tree);
use Exporter 'import';

our @EXPORT_OK = qw(render start_httpd stop_httpd start_nginx stop_nginx
                    start_redis stop_redis start_sim stop_sim wait_port
                    port_free root read_pid use_redis);

sub root {
    my $r = $ENV{TEST_NGINX_ROOT} // $ENV{AV_ROOT};
    return $r if $r;
    require Cwd;
    return Cwd::getcwd();
}

sub port_free {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 1);
    return 0 if $s;
    return 1;
}

sub wait_port {
    my ($port, $secs) = @_;
    my $deadline = time + ($secs // 15);
    while (time < $deadline) {
        return 1 unless port_free($port);
        sleep 0.05;
    }
    return 0;
}

# @NAME@ placeholders from %vars; an unknown one is a broken template
sub render {
    my ($template, $out, %vars) = @_;
    open my $in, '<', $template or die "$template: $!\n";
    my $text = do { local $/; <$in> };
    $text =~ s{\@([A-Z_]+)\@}{
        defined $vars{$1} ? $vars{$1} : die "$template: no value for \@$1\@\n"
    }ge;
    open my $fh, '>', $out or die "$out: $!\n";
    print $fh $text;
    close $fh;
}

sub read_pid {
    my ($file) = @_;
    open my $fh, '<', $file or return undef;
    my $pid = <$fh>;
    return $pid && $pid =~ /^\s*(\d+)/ ? $1 : undef;
}

sub alive {
    my ($pid) = @_;
    return 0 unless $pid && kill 0, $pid;
    open my $fh, '<', "/proc/$pid/stat" or return 1;
    return (<$fh> // '') !~ /^\d+ \(.*\) Z/s;
}

sub stop_pid {
    my ($pid, $sig) = @_;
    return unless $pid && alive($pid);
    kill $sig // 'TERM', $pid;
    my $deadline = time + 5;
    while (time < $deadline) {
        waitpid($pid, WNOHANG);
        return unless alive($pid);
        sleep 0.05;
    }
    kill 'KILL', $pid;
    waitpid($pid, WNOHANG);
}

sub run_bounded {
    my ($secs, @cmd) = @_;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        # what the server says at startup is in its error log as well
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        exec @cmd or POSIX::_exit(127);
    }
    my $deadline = time + $secs;
    while (time < $deadline) {
        return $? if waitpid($pid, WNOHANG) == $pid;
        sleep 0.02;
    }
    kill 'KILL', $pid;
    waitpid($pid, 0);
    return -1;
}

# --- httpd --------------------------------------------------------------------

# $dir is the ServerRoot the config names: logs/, run/, html/ below it.
sub start_httpd {
    my (%a) = @_;
    my ($conf, $dir, $port) = @a{qw(conf dir port)};
    die "port $port is busy\n" unless port_free($port);
    my $bin = $ENV{AV_APACHE2} // '/usr/sbin/apache2';
    my $rc = run_bounded(30, $bin, '-f', $conf, '-k', 'start');
    if ($rc != 0 || !wait_port($port, 15)) {
        system('tail', '-n', '20', "$dir/logs/error.log");
        die "httpd did not start on port $port ($conf)\n";
    }
    return read_pid("$dir/logs/httpd.pid");
}

sub stop_httpd {
    my (%a) = @_;
    my $pid = read_pid("$a{dir}/logs/httpd.pid");
    stop_pid($pid, 'TERM') if $pid;
}

# --- nginx --------------------------------------------------------------------

sub start_nginx {
    my (%a) = @_;
    my ($conf, $dir, $port) = @a{qw(conf dir port)};
    die "port $port is busy\n" unless port_free($port);
    my $bin = $ENV{TEST_NGINX_BINARY} // '/usr/sbin/nginx';
    my $rc = run_bounded(30, $bin, '-p', "$dir/", '-c', $conf);
    if ($rc != 0 || !wait_port($port, 15)) {
        system('tail', '-n', '20', "$dir/logs/error.log");
        die "nginx did not start on port $port ($conf)\n";
    }
    return read_pid("$dir/logs/nginx.pid");
}

sub stop_nginx {
    my (%a) = @_;
    my $pid = read_pid("$a{dir}/logs/nginx.pid");
    stop_pid($pid, 'QUIT') if $pid;
}

# --- the state in Redis ------------------------------------------------------

# Rewrites a config rendered from t/both-servers/conf/ so that its state
# lives in a Redis: httpd's AppVerifyCache line becomes AppVerifyRedis;
# nginx's zone gets appverify_redis and the internal location it passes
# to.  use_redis(kind => 'nginx'|'apache', conf => FILE, port => REDIS,
# [password_file => F], [db => N], [prefix => S])
sub use_redis {
    my (%a) = @_;
    my $opts = join '', map { defined $a{$_} ? " $_=$a{$_}" : '' }
                        qw(password_file db prefix);
    open my $in, '<', $a{conf} or die "$a{conf}: $!\n";
    my $conf = do { local $/; <$in> };
    close $in;
    if ($a{kind} eq 'apache') {
        $conf =~ s{^AppVerifyCache .*$}{AppVerifyRedis 127.0.0.1:$a{port}$opts timeout=1s}m
            or die "$a{conf}: no AppVerifyCache line\n";
    } else {
        $conf =~ s{^(\s*appverify_zone\s+zone=av:1m;)$}{$1
    upstream av_redis { server 127.0.0.1:$a{port}; keepalive 4; }
    appverify_redis zone=av pass=/_redis$opts;}m
            or die "$a{conf}: no appverify_zone line\n";
        $conf =~ s{^(\s*server_name localhost;)$}{$1
        location = /_redis {
            internal;
            appverify_redis_pass av_redis;
            appverify_redis_timeout 1s;
        }}m or die "$a{conf}: no server_name line\n";
        # what a request holds in Redis while Telesign is asked is ended by
        # its next step, so that step must run when the client leaves too
        $conf =~ s{^(\s*location /_telesign/ \{)$}{$1\n            proxy_ignore_client_abort on;}m
            or die "$a{conf}: no /_telesign/ location\n";
    }
    open my $out, '>', $a{conf} or die "$a{conf}: $!\n";
    print $out $conf;
    close $out;
}

# --- redis-server and the simulator (children of ours) -------------------------

sub spawn {
    my ($log, @cmd) = @_;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>>', $log;
        open STDERR, '>>', $log;
        exec @cmd or POSIX::_exit(127);
    }
    return $pid;
}

# appendonly => 1 keeps what it holds across a restart in $dir;
# args => [...] are more of redis-server's options (--requirepass ...)
sub start_redis {
    my (%a) = @_;
    my ($port, $dir) = @a{qw(port dir)};
    die "port $port is busy\n" unless port_free($port);
    make_path($dir);
    my $pid = spawn("$dir/redis.log", '/usr/bin/redis-server',
                    '--port', $port, '--bind', '127.0.0.1', '--save', '',
                    '--appendonly', $a{appendonly} ? 'yes' : 'no',
                    '--dir', $dir, '--daemonize', 'no', @{ $a{args} // [] });
    wait_port($port, 15) or die "redis-server did not start on port $port\n";
    return $pid;
}

sub stop_redis { stop_pid($_[0], 'TERM') }

sub start_sim {
    my (%a) = @_;
    my ($port, $callback, $log) = @a{qw(port callback log)};
    die "port $port is busy\n" unless port_free($port);
    my $root = root();
    my $pid = spawn($log, "$root/examples/telesign-sim/telesign-sim",
                    '--listen', "127.0.0.1:$port",
                    '--api-key-file', "$root/t/data/api.key",
                    '--callback-url', $callback,
                    '--time-scale', '0.01', '--log', $log);
    wait_port($port, 15) or die "the simulator did not start on port $port\n";
    return $pid;
}

sub stop_sim { stop_pid($_[0], 'TERM') }

1;
