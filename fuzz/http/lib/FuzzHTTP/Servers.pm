package FuzzHTTP::Servers;

# The processes one fuzz run drives: the Telesign simulator and nginx (the
# stock binary with libasan preloaded, the ASan+UBSan module, a master and
# two workers) or httpd (Debian's apache2 with build/mod_appverify.so),
# each from a servroot of its own under build/fuzz-http/.  The kind
# nginx-redis is that nginx with its zone's state in a redis-server of its
# own (Debian's /usr/bin/redis-server on redis_port, in memory, --save ''):
# the zone gets appverify_redis, an upstream with keepalive and the
# internal location /_redis (README "Cluster").  Everything on 127.0.0.1;
# only the pids we started are ever signalled; every wait is bounded.
#
# watch() reports what must never happen while the fuzzer runs: a new
# [alert]/[crit]/[emerg] line or a worker's death in the error log, a
# sanitizer report file, a change of the worker pid set, a redis-server
# that exited without being told to.
#
# redis(OP) is the Redis kind's misbehaviour: stop (SIGSTOP), cont
# (SIGCONT), kill (SIGKILL) and start (a fresh, empty one on the same
# port); redis_down() says whether Redis is stopped or killed now.

use strict;
use warnings;

use File::Path qw(make_path remove_tree);
use IO::Socket::INET ();
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

sub new {
    my ($class, %a) = @_;
    my $self = bless { %a }, $class;
    $self->{dir} = "$a{base}/$a{kind}";
    # the server program: nginx-redis is nginx
    $self->{engine} = $a{kind} =~ /^nginx/ ? 'nginx' : 'httpd';
    $self->{with_redis} = $a{kind} eq 'nginx-redis';
    die "$a{kind}: no redis_port\n" if $self->{with_redis} && !$a{redis_port};
    return $self;
}

sub log { my $self = shift; $self->{logger}->(@_) if $self->{logger} }

sub port_busy {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 1);
    return $s ? 1 : 0;
}

sub wait_port {
    my ($port, $secs) = @_;
    my $deadline = time + $secs;
    while (time < $deadline) {
        return 1 if port_busy($port);
        sleep 0.05;
    }
    return 0;
}

sub render {
    my ($template, $out, %vars) = @_;
    open my $in, '<', $template or die "$template: $!\n";
    my $text = do { local $/; <$in> };
    $text =~ s{\@([A-Z_]+)\@}{
        defined $vars{$1} ? $vars{$1} : die "$template: no value for \@$1\@\n"
    }ge;
    open my $fh, '>', $out or die "$out: $!\n";
    print $fh $text;
    close $fh or die "$out: $!\n";
}

sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!\n";
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
    open my $fh, '<', "/proc/$pid/stat" or return 0;
    return (<$fh> // '') !~ /^\d+ \(.*\) Z/s;
}

sub children_of {
    my ($ppid) = @_;
    return () unless $ppid;
    my @w;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my ($pid, $state, $pp) = (<$fh> // '') =~ /^(\d+) \(.*\) (\S) (\d+)/s or next;
        push @w, $pid if $pp == $ppid && $state ne 'Z';
    }
    return sort { $a <=> $b } @w;
}

# runs a command with a bound; its output goes to $log
sub run_bounded {
    my ($secs, $log, $env, @cmd) = @_;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log;
        open STDERR, '>>', $log;
        $ENV{$_} = $env->{$_} for keys %$env;
        exec @cmd or POSIX::_exit(127);
    }
    my $deadline = time + $secs;
    while (time < $deadline) {
        return $? >> 8 if waitpid($pid, WNOHANG) == $pid;
        sleep 0.02;
    }
    kill 'KILL', $pid;
    waitpid($pid, 0);
    return -1;
}

sub stop_pid {
    my ($pid, $sig, $secs) = @_;
    return unless $pid && alive($pid);
    kill $sig, $pid;
    my $deadline = time + ($secs // 5);
    while (time < $deadline) {
        waitpid($pid, WNOHANG);
        return unless alive($pid);
        sleep 0.05;
    }
    kill 'KILL', $pid;
    waitpid($pid, WNOHANG);
}

# --- the simulator ----------------------------------------------------------

sub start_sim {
    my ($self) = @_;
    my $port = $self->{sim_port};
    die "port $port (simulator) is busy\n" if port_busy($port);
    my $log = "$self->{dir}/logs/sim.log";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$self->{dir}/logs/sim.out";
        open STDERR, '>>', "$self->{dir}/logs/sim.out";
        exec "$self->{root}/examples/telesign-sim/telesign-sim",
            '--listen', "127.0.0.1:$port",
            '--api-key-file', "$self->{root}/t/data/api.key",
            '--callback-url', "http://127.0.0.1:$self->{port}/callback",
            '--time-scale', '0.01', '--hang-max', '3', '--callback-timeout', '1',
            '--log', $log
            or POSIX::_exit(127);
    }
    $self->{sim_pid} = $pid;
    wait_port($port, 15) or die "the simulator did not start on port $port\n";
}

sub stop_sim {
    my ($self) = @_;
    stop_pid(delete $self->{sim_pid}, 'TERM') if $self->{sim_pid};
}

# --- the server ---------------------------------------------------------------

sub prepare_dir {
    my ($self) = @_;
    my $d = $self->{dir};
    remove_tree($d);
    make_path("$d/logs", "$d/run", "$d/html", "$d/backend", "$d/san",
              map { "$d/tmp/$_" } qw(body proxy fastcgi scgi uwsgi));
    # workers run as nobody: they write request bodies to tmp/ and their
    # sanitizer reports to san/
    chmod 0777, map { "$d/tmp/$_" } qw(body proxy fastcgi scgi uwsgi);
    chmod 01777, "$d/san";
    chmod 0755, $d, "$d/html", "$d/run", "$d/backend", "$d/tmp";
    write_file("$d/html/index.html", "members only\n");
    write_file("$d/html/health", "ok\n");
    write_file("$d/backend/ok", "backend 200\n");
}

sub start {
    my ($self) = @_;
    $self->prepare_dir;
    $self->start_sim;
    $self->start_redis if $self->{with_redis};
    $self->{engine} eq 'nginx' ? $self->start_nginx : $self->start_httpd;
    $self->{workers} = [ $self->workers ];
    $self->{log_off} = -s "$self->{dir}/logs/error.log" // 0;
    $self->{seen_reports} = {};
    $self->{started} = 1;
}

sub stop {
    my ($self) = @_;
    if ($self->{started}) {
        my @w = $self->workers;
        # a stopped Redis would hold up nginx's graceful exit
        kill 'CONT', $self->{redis_pid} if $self->{redis_pid} && $self->{redis_stopped};
        if ($self->{engine} eq 'nginx') {
            stop_pid($self->master, 'QUIT', 8);
        } else {
            stop_pid($self->master, 'TERM', 8);
        }
        # a master killed by force leaves its workers: they are ours too
        stop_pid($_, 'KILL', 1) for grep { alive($_) } @w;
        $self->{started} = 0;
    }
    $self->stop_redis;
    $self->stop_sim;
}

sub master {
    my ($self) = @_;
    return read_pid($self->{engine} eq 'nginx' ? "$self->{dir}/logs/nginx.pid"
                                             : "$self->{dir}/logs/httpd.pid");
}

sub workers { my ($self) = @_; return children_of($self->master) }

sub asan_env {
    my ($self) = @_;
    my $d = $self->{dir};
    my $libasan = `gcc -print-file-name=libasan.so 2>/dev/null`;
    chomp $libasan;
    die "no libasan (gcc -print-file-name=libasan.so)\n" unless $libasan && -f $libasan;
    return {
        LD_PRELOAD => $libasan,
        ASAN_OPTIONS => "detect_leaks=0:abort_on_error=1:log_path=$d/san/sanitizer"
                        . ':strict_string_checks=1:detect_stack_use_after_return=1'
                        . ':check_initialization_order=1',
        UBSAN_OPTIONS => "halt_on_error=1:print_stacktrace=1:log_path=$d/san/sanitizer",
    };
}

sub nginx_conf {
    my ($self, $with_params) = @_;
    my $d = $self->{dir};
    my $params = "$self->{root}/conf/appverify_params";
    my $rp = $self->{redis_port};
    render("$self->{root}/fuzz/http/conf/nginx.conf.in", "$d/nginx.conf",
           MODULE => $self->{module}, DIR => $d, PORT => $self->{port},
           SIM_PORT => $self->{sim_port}, ROOT => $self->{root},
           PARAMS => $with_params ? "            include $params;" : '',
           # the Redis kind (README "Cluster"): the zone in Redis, the
           # internal location of its rounds, and the Telesign location
           # that finishes a question whose client left
           REDIS_ZONE => !$self->{with_redis} ? '' : <<"EOT" =~ s/\n\z//r,
    upstream av_redis { server 127.0.0.1:$rp; keepalive 8; }
    appverify_redis zone=av pass=/_redis;
EOT
           REDIS_LOCATION => !$self->{with_redis} ? '' : <<"EOT" =~ s/\n\z//r,
        location = /_redis {
            internal;
            appverify_redis_pass av_redis;
            appverify_redis_timeout 1s;
        }
EOT
           TELESIGN_REDIS => $self->{with_redis} ? '            proxy_ignore_client_abort on;' : '',
           PLANT_STATUS => ($self->{plant} // '') eq '500' ? 'return 500;' : '');
}

sub start_nginx {
    my ($self) = @_;
    my $d = $self->{dir};
    my $port = $self->{port};
    die "port $port (nginx) is busy\n" if port_busy($port);
    die "$self->{module} is missing (make module-asan)\n" unless -f $self->{module};
    my $env = $self->asan_env;
    my @cmd = ($self->{nginx} // '/usr/sbin/nginx', '-p', "$d/", '-c', "$d/nginx.conf",
               '-e', "$d/logs/error.log");

    # The internal location to Telesign: conf/appverify_params when the
    # file exists and the module knows its variables (the module that
    # rewrites the headers itself needs no include and knows none of them).
    my $params = -f "$self->{root}/conf/appverify_params";
    $self->nginx_conf($params);
    my $t = "$d/logs/nginx-t.log";
    unlink $t;
    my $rc = run_bounded(30, $t, $env, @cmd, '-t');
    if ($rc != 0 && $params) {
        my $why = do { local (@ARGV, $/) = $t; <> } // '';
        if ($why =~ /unknown "appverify_telesign_\w+" variable/) {
            $self->log("nginx: conf/appverify_params names variables this module does not "
                       . "have yet: the internal location goes without the include");
            $params = 0;
            $self->nginx_conf(0);
            unlink $t;
            $rc = run_bounded(30, $t, $env, @cmd, '-t');
        }
    }
    if ($rc != 0) {
        system('cat', $t);
        die "nginx -t failed ($d/nginx.conf)\n";
    }
    $self->{params} = $params;
    $rc = run_bounded(30, "$d/logs/nginx-start.log", $env, @cmd);
    if ($rc != 0 || !wait_port($port, 15)) {
        system('tail', '-n', '20', "$d/logs/error.log");
        die "nginx did not start on port $port\n";
    }
    # both workers up before the pid set is taken
    my $deadline = time + 10;
    while (time < $deadline) {
        my @w = $self->workers;
        last if @w >= 2;
        sleep 0.05;
    }
}

sub start_httpd {
    my ($self) = @_;
    my $d = $self->{dir};
    my $port = $self->{port};
    die "port $port (httpd) is busy\n" if port_busy($port);
    die "$self->{module} is missing (make build/mod_appverify.so)\n" unless -f $self->{module};
    render("$self->{root}/fuzz/http/conf/httpd.conf.in", "$d/httpd.conf",
           MODULE => $self->{module}, DIR => $d, PORT => $port,
           SIM_PORT => $self->{sim_port}, ROOT => $self->{root},
           PLANT_STATUS => ($self->{plant} // '') eq '500'
               ? "    RewriteEngine On\n    RewriteRule ^ - [R=500]" : '');
    # an ASan build of the module needs the runtime first, as nginx does
    my $env = $self->{asan} ? $self->asan_env : {};
    my $rc = run_bounded(30, "$d/logs/httpd-start.log", $env,
                         $self->{apache2} // '/usr/sbin/apache2', '-f', "$d/httpd.conf",
                         '-k', 'start');
    if ($rc != 0 || !wait_port($port, 15)) {
        system('cat', "$d/logs/httpd-start.log");
        system('tail', '-n', '20', "$d/logs/error.log");
        die "httpd did not start on port $port\n";
    }
    my $deadline = time + 10;
    while (time < $deadline) {
        my @w = $self->workers;
        last if @w >= 2;
        sleep 0.05;
    }
}

# --- what must never happen ---------------------------------------------------

my $NGX_BAD = qr/\[(?:alert|crit|emerg)\]|exited on signal|worker process \d+ exited|AddressSanitizer|runtime error:|LeakSanitizer|Can't open file: .*sanitizer/;
my $HTTPD_BAD = qr/\[[\w.-]*:(?:alert|crit|emerg)\]|exit signal|seg fault|AddressSanitizer|runtime error:|child process \d+ still did not exit|AH00060/;

# new bad things since the last call: ([category, message], ...)
sub watch {
    my ($self) = @_;
    my @v;
    my $d = $self->{dir};
    if (open my $fh, '<', "$d/logs/error.log") {
        seek $fh, $self->{log_off}, 0;
        local $/;
        my $new = <$fh> // '';
        # only whole lines; the rest next time
        my $cut = rindex($new, "\n");
        $new = $cut >= 0 ? substr($new, 0, $cut + 1) : '';
        $self->{log_off} += length $new;
        my $bad = $self->{engine} eq 'nginx' ? $NGX_BAD : $HTTPD_BAD;
        for my $l (split /\n/, $new) {
            next unless $l =~ $bad;
            my $cat = $l =~ /signal|exited|seg fault|AH00060/ ? 'crash'
                    : $l =~ /Sanitizer|runtime error/ ? 'sanitizer' : 'log';
            push @v, [ $cat, "error.log: $l" ];
        }
    }
    for my $f (sort glob "$d/san/sanitizer*") {
        next if $self->{seen_reports}{$f}++;
        my $text = do { local (@ARGV, $/) = $f; <> } // '';
        my @lines = split /\n/, $text;
        my ($first) = grep { /ERROR|runtime error|SUMMARY/ } @lines;
        push @v, [ 'sanitizer', "report $f: " . ($first // $lines[0] // '(empty)'), undef,
                   join("\n", @lines[ 0 .. ($#lines < 60 ? $#lines : 60) ]) ];
    }
    my @now = $self->workers;
    my @was = @{ $self->{workers} // [] };
    if ("@now" ne "@was") {
        my %n = map { $_ => 1 } @now;
        my @gone = grep { !$n{$_} } @was;
        if (@gone || !@now) {
            push @v, [ 'crash', sprintf('worker pid set changed: was [%s], now [%s]', "@was", "@now") ];
        }
        $self->{workers} = \@now;
    }
    if (!alive($self->master)) {
        push @v, [ 'crash', 'the master process is gone' ];
    }
    if ($self->{sim_pid} && waitpid($self->{sim_pid}, WNOHANG) == $self->{sim_pid}) {
        push @v, [ 'harness', 'the simulator exited' ];
        delete $self->{sim_pid};
    }
    if ($self->{redis_pid} && waitpid($self->{redis_pid}, WNOHANG) == $self->{redis_pid}) {
        push @v, [ 'redis', sprintf('redis-server exited by itself (%s); %s/logs/redis.log',
                                    ($? & 127) ? 'signal ' . ($? & 127) : 'status ' . ($? >> 8), $d) ];
        delete $self->{redis_pid};
    }
    return @v;
}

# --- Redis (the nginx-redis kind) ------------------------------------------------

sub start_redis {
    my ($self) = @_;
    my $port = $self->{redis_port};
    die "port $port (redis-server) is busy\n" if port_busy($port);
    my $bin = $self->{redis_server} // '/usr/bin/redis-server';
    die "$bin is missing (apt-get install redis-server)\n" unless -x $bin;
    make_path("$self->{dir}/redis");
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$self->{dir}/logs/redis.log";
        open STDERR, '>>', "$self->{dir}/logs/redis.log";
        exec $bin, '--port', $port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
            '--dir', "$self->{dir}/redis", '--daemonize', 'no'
            or POSIX::_exit(127);
    }
    $self->{redis_pid} = $pid;
    $self->{redis_stopped} = 0;
    wait_port($port, 15) or die "redis-server did not start on port $port\n";
}

sub stop_redis {
    my ($self) = @_;
    my $pid = delete $self->{redis_pid} or return;
    kill 'CONT', $pid if $self->{redis_stopped};
    $self->{redis_stopped} = 0;
    stop_pid($pid, 'TERM');
}

# (a Redis stopped by --plant redis is not down: the fuzzer is not told)
sub redis_down {
    my ($self) = @_;
    return $self->{with_redis} && !$self->{redis_planted} && ($self->{redis_stopped} || !$self->{redis_pid});
}

# stop or kill ms from now, while the fuzzer sends requests (rounds in
# flight): a child of ours sends the signal; redis_later_done() when the
# requests are over.  Returns the child's pid, or undef.
sub redis_later {
    my ($self, $op, $ms) = @_;
    my $pid = $self->{redis_pid};
    return undef unless $self->{with_redis} && $pid && alive($pid) && $op =~ /^(?:stop|kill)\z/;
    my $h = fork // return undef;
    if ($h == 0) {
        # not the fuzzer's cleanup on Ctrl-C: only the parent stops servers
        $SIG{INT} = $SIG{TERM} = 'DEFAULT';
        sleep $ms / 1000;
        kill $op eq 'stop' ? 'STOP' : 'KILL', $pid;
        POSIX::_exit(0);
    }
    return $h;
}

sub redis_later_done {
    my ($self, $h, $op) = @_;
    waitpid($h, 0);
    my $pid = $self->{redis_pid};
    if ($op eq 'stop') { $self->{redis_stopped} = 1 }
    else { delete $self->{redis_pid}; waitpid($pid, 0) if $pid; $self->{redis_stopped} = 0 }
}

# stop, cont, kill, start: undef when done, else what went wrong
sub redis {
    my ($self, $op) = @_;
    return "no Redis on $self->{kind}" unless $self->{with_redis};
    my $pid = $self->{redis_pid};
    if ($op eq 'stop' || $op eq 'cont') {
        return "redis $op: redis-server is not running" unless $pid && alive($pid);
        kill $op eq 'stop' ? 'STOP' : 'CONT', $pid;
        $self->{redis_stopped} = $op eq 'stop';
        return undef;
    }
    if ($op eq 'kill') {
        return "redis kill: redis-server is not running" unless $pid && alive($pid);
        delete $self->{redis_pid};
        kill 'KILL', $pid;
        waitpid($pid, 0);
        $self->{redis_stopped} = 0;
        return undef;
    }
    if ($op eq 'start') {
        return undef if $pid && alive($pid);
        return eval { $self->start_redis; 1 } ? undef : "redis start: $@";
    }
    return "redis: unknown op $op";
}

1;
