package Test::Nginx::Socket;

# A small fallback for openresty's Test::Nginx::Socket, used only when the
# real module is not installed (Debian does not package it).  It runs the
# same data-block test files: Test::Base gives us the parser, the filters
# (eval, chomp, ...), ONLY/SKIP/LAST and blocks(); this file adds the nginx
# process management, the raw-socket HTTP client and the response/log checks.
# See t/compat/README.md for the supported subset.
#
# NOTE on the "sub name() {" style used below: "-Base" turns on Spiffy's
# source filter, which inserts "my $self = shift;" into every "sub name {"
# at column 0.  Writing "sub name() {" opts out (the filter also drops the
# empty prototype), so these are plain functions taking @_.

use Test::Base -Base;

use POSIX qw(WNOHANG SIGQUIT SIGTERM SIGKILL SIGHUP EAGAIN EINTR EWOULDBLOCK);
use Time::HiRes qw(sleep time);
use IO::Socket::INET ();
use IO::Select ();
use File::Path qw(make_path remove_tree);
use File::Spec ();
use Cwd qw(cwd);
use List::Util qw(shuffle min);
use Scalar::Util qw(looks_like_number blessed);
use HTTP::Response ();
use Test::LongString ();
use Test::More ();

our $VERSION = '0.33-compat';

our @EXPORT = qw(
    run_tests repeat_each no_shuffle no_long_string no_root_location
    log_level workers master_on master_off worker_connections env_to_nginx
    server_name server_port server_port_for_client server_root html_dir
    timeout use_hup check_accum_error_log add_block_preprocessor
    config_preamble bail_out done_testing
);

# --- Settings (environment first, then the exported setters) -----------------

our $ServerPort          = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
our $ServerAddr          = '127.0.0.1';
our $ServerName          = 'localhost';
our $ServRoot   = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT}
                                      || File::Spec->catfile(cwd(), 't', 'servroot'));
$ServRoot =~ s{/+$}{};
our $LogDir     = "$ServRoot/logs";
our $ErrLogFile = "$LogDir/error.log";
our $AccLogFile = "$LogDir/access.log";
our $PidFile    = "$LogDir/nginx.pid";
our $HtmlDir    = "$ServRoot/html";
our $ConfDir    = "$ServRoot/conf";
our $ConfFile   = "$ConfDir/nginx.conf";

our $RepeatEach        = 1;
our $NoShuffle         = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $NoLongString      = 0;
our $NoRootLocation    = 0;
our $LogLevel          = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $Workers           = 1;
our $MasterOn          = ($ENV{TEST_NGINX_MASTER_PROCESS} // 'off') =~ /^(?:on|1)$/i;
our $WorkerConnections = 64;
our @EnvToNginx;
our $ConfigPreamble    = '';
our $CheckAccumErrLog  = 0;
our @BlockPreprocessors;
our $Timeout           = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $Sleep             = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $UseHup            = $ENV{TEST_NGINX_USE_HUP} || 0;
our $UseValgrind       = $ENV{TEST_NGINX_USE_VALGRIND} || 0;

# Run-time state
our $NginxVersion;          # canonical "1.022001", for skip_nginx
our $PrevConfig;            # config of the server currently running (undef = none)
our $ChildPid;              # nginx child when run in the foreground (valgrind)
our $ErrLogPos = 0;         # log window start for the current block
our $ConfigVersion = '';    # HUP mode: what /ver must answer
our $FirstBlock = 1;
my  $MainPid = $$;

sub repeat_each(@) { $RepeatEach = shift if @_; $RepeatEach }
sub no_shuffle()   { $NoShuffle = 1 }
sub no_long_string() { $NoLongString = 1 }
sub no_root_location() { $NoRootLocation = 1 }
sub log_level(@)   { $LogLevel = shift if @_; $LogLevel }
sub workers(@)     { $Workers = shift if @_; $Workers }
sub master_on()    { $MasterOn = 1 }
sub master_off()   { $MasterOn = 0 }
sub worker_connections(@) { $WorkerConnections = shift if @_; $WorkerConnections }
sub env_to_nginx(@) { push @EnvToNginx, @_ }
sub server_name(@) { $ServerName = shift if @_; $ServerName }
sub server_port(@) {
    if (@_) { $ServerPort = $ServerPortForClient = shift }
    $ServerPort;
}
sub server_port_for_client(@) { $ServerPortForClient = shift if @_; $ServerPortForClient }
sub server_root()  { $ServRoot }
sub html_dir()     { $HtmlDir }
sub timeout(@)     { $Timeout = shift if @_; $Timeout }
sub use_hup()      { $UseHup = 1 }
sub check_accum_error_log() { $CheckAccumErrLog = 1 }
sub add_block_preprocessor(&) { unshift @BlockPreprocessors, shift }
sub config_preamble($) { $ConfigPreamble = shift }
sub done_testing(@) { Test::More::done_testing(@_) }

sub bail_out(@) {
    stop_nginx() if $$ == $MainPid;
    Test::More::BAIL_OUT(join '', @_);
}

# --- Small helpers -----------------------------------------------------------

# $TEST_NGINX_FOO -> $ENV{TEST_NGINX_FOO}; an unset one is a broken test setup.
sub expand_env() {
    my $text = shift;
    return $text if !defined $text || ref $text;
    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        defined $ENV{$1} ? $ENV{$1} : bail_out("No environment $1 defined.\n")
    }eg;
    return $text;
}

# "50ms" -> 0.05, "2s" / "2" -> 2
sub parse_time() {
    my $t = shift;
    return undef if !defined $t;
    return $1 / 1000 if $t =~ /^\s*([\d.]+)\s*ms\s*$/;
    return $1 if $t =~ /^\s*([\d.]+)\s*s?\s*$/;
    return $t;
}

sub fmt_str() {
    my $s = shift;
    chomp $s;
    $s =~ s/"/\\"/g; $s =~ s/\r/\\r/g; $s =~ s/\n/\\n/g;
    return $s;
}

sub trim_summary() {
    my $s = shift // '';
    $s =~ s/^\s+|\s+$//g; $s =~ s/\s+/ /g;
    return $s;
}

# Array-valued expectations are indexed by request; scalars apply to all.
sub indexed() {
    my ($name, $value, $idx, $need_array) = @_;
    if (ref $value eq 'ARRAY') {
        return $value->[$need_array ? $idx : 0];
    }
    bail_out("$name - You asked for many requests, the expected results "
             . "should be arrays as well.") if $need_array;
    return $value;
}

sub nginx_binary() {
    my @cmd = split ' ', ($ENV{TEST_NGINX_BINARY} || 'nginx');
    if ($cmd[0] !~ m{/}) {
        for my $dir (split /:/, $ENV{PATH} // '') {
            if (-x "$dir/$cmd[0]" && !-d _) { $cmd[0] = "$dir/$cmd[0]"; last }
        }
    }
    bail_out("Cannot find the nginx executable \"$cmd[0]\"") unless -x $cmd[0];
    return @cmd;
}

sub canon_version() { sprintf "%d.%03d%03d", @_ }

sub get_nginx_version() {
    my @bin = nginx_binary();
    my $out = `$bin[0] -V 2>&1`;
    return canon_version($1, $2, $3) if $out =~ m{(?:nginx|openresty)/(\d+)\.(\d+)\.(\d+)};
    warn "Failed to parse the output of \"nginx -V\": $out\n";
    return undef;
}

# --- nginx process management ------------------------------------------------

# A live process (an unreaped zombie does not count).
sub alive() {
    my $pid = shift;
    return 0 unless kill 0, $pid;
    open my $fh, '<', "/proc/$pid/stat" or return 1;     # no /proc: trust kill
    return (<$fh> // '') !~ /^\d+ \(.*\) Z/s;
}

# Only ever signal our own nginx: its command line (also the rewritten master
# title) names our servroot, so a stale pid file cannot get an unrelated
# process killed.
sub is_running() {
    my $pid = shift;
    return 0 unless $pid && $pid =~ /^\d+$/;
    if (defined $ChildPid && $pid == $ChildPid) {
        my $r = waitpid($pid, WNOHANG);
        if ($r == $pid || $r == -1) { undef $ChildPid; return 0 }
        return 1;
    }
    return 0 unless alive($pid);
    open my $cl, '<', "/proc/$pid/cmdline" or return -d '/proc' ? 0 : 1;
    return index(do { local $/; <$cl> } // '', "$ServRoot/") >= 0;
}

# The master's current worker processes (HUP mode).
sub worker_pids() {
    my $master = shift;
    my @pids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my ($pid, $ppid) = (<$fh> // '') =~ /^(\d+) \(.*\) \S+ (\d+)/s or next;
        next unless $ppid == $master;
        open my $cl, '<', "/proc/$pid/cmdline" or next;
        push @pids, $pid if (do { local $/; <$cl> } // '') =~ /worker process/;
    }
    return @pids;
}

sub read_pid_file() {
    open my $fh, '<', $PidFile or return undef;
    my $pid = <$fh>;
    return undef unless defined $pid && $pid =~ /^\s*(\d+)/;
    return $1;
}

sub wait_gone() {
    my ($pid, $secs) = @_;
    my $deadline = time + $secs;
    while (time < $deadline) {
        return 1 unless is_running($pid);
        sleep 0.02;
    }
    return !is_running($pid);
}

# QUIT (graceful), then TERM, then KILL; every wait bounded.
sub stop_nginx() {
    my $pid = $ChildPid // read_pid_file();
    return unless defined $pid && is_running($pid);
    my $grace = $UseValgrind ? 30 : 3;
    kill SIGQUIT, $pid;
    return if wait_gone($pid, $grace);
    warn "WARNING: nginx $pid did not quit; sending TERM\n";
    kill SIGTERM, $pid;
    return if wait_gone($pid, 2);
    warn "WARNING: killing nginx $pid with force\n";
    kill SIGKILL, $pid;
    wait_gone($pid, 2);
}

# fork + exec with stdout discarded (stderr too if $quiet); returns the pid.
sub spawn() {
    my ($cmd, $quiet) = @_;
    my $pid = fork;
    bail_out("fork() failed: $!") unless defined $pid;
    return $pid if $pid;
    open STDOUT, '>', '/dev/null';
    open STDERR, '>', '/dev/null' if $quiet;
    exec { $cmd->[0] } @$cmd or POSIX::_exit(127);
}

# Run a command with a hard time limit; returns the wait status ($?), or -1
# if it had to be killed.
sub run_cmd() {
    my ($cmd, $secs, $quiet) = @_;
    my $pid = spawn($cmd, $quiet);
    my $deadline = time + $secs;
    while (time < $deadline) {
        return $? if waitpid($pid, WNOHANG) == $pid;
        sleep 0.01;
    }
    kill SIGKILL, $pid;
    waitpid($pid, 0);
    return -1;
}

sub nginx_cmd() {
    my $valgrind = shift;
    my @cmd = (nginx_binary(), '-e', $ErrLogFile, '-p', "$ServRoot/", '-c', $ConfFile);
    return @cmd unless $valgrind;
    my @vg;
    if ($UseValgrind =~ /^\d+$/) {
        @vg = qw(valgrind -q --tool=memcheck --leak-check=full
                 --show-possibly-lost=no --num-callers=100 --gen-suppressions=all);
        for my $f ('t/valgrind.suppress', 'valgrind.suppress') {
            if (-f $f) { push @vg, "--suppressions=$f"; last }
        }
    } else {
        @vg = ('valgrind', '-q', split ' ', $UseValgrind);
    }
    return (@vg, @cmd);
}

# Fresh servroot: conf/, logs/, html/ and temp dirs are recreated.  In HUP
# reload mode logs/ (pid file, open log files) and the temp dirs stay.
sub setup_server_root() {
    my $keep_logs = shift;
    make_path($ServRoot);
    opendir my $dh, $ServRoot or bail_out("Cannot open $ServRoot: $!");
    for my $e (readdir $dh) {
        next unless $e =~ /^(?:conf|html|logs|cache|\w+_temp|\w+_cache)$/;
        next if $keep_logs && $e !~ /^(?:conf|html)$/;
        remove_tree("$ServRoot/$e");
    }
    closedir $dh;
    make_path($ConfDir, $HtmlDir, $LogDir);
    open my $out, '>', "$HtmlDir/index.html" or bail_out("Cannot write index.html: $!");
    print $out '<html><head><title>It works!</title></head><body>It works!</body></html>';
    close $out;
}

# --- user_files: ">>> name [touch-time]" headers, or an eval'd array of
# [name, body, time]; relative names go to html/.
sub write_user_files() {
    my $block = shift;
    my $files = $block->user_files;
    return unless defined $files;
    if (!ref $files) {
        my @list;
        for my $line (split /^/, $files) {
            if ($line =~ /^>>> (\S+)(?:\s+(.+))?/) { push @list, [$1, '', $2]; next }
            $list[-1][1] .= $line if @list;
        }
        $files = \@list;
    }
    for my $f (@$files) {
        my ($fname, $body, $date) = @$f;
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";
        (my $dir = $path) =~ s{/[^/]*$}{};
        make_path($dir) unless -d $dir;
        open my $out, '>', $path or bail_out($block->name . " - Cannot write $path: $!");
        binmode $out;
        print $out expand_env($body // '');
        close $out;
        if ($date) {
            local $ENV{TZ} = 'GMT';
            system('touch', '-t', $date, $path) == 0
                or warn "WARNING: touch -t $date $path failed\n";
        }
    }
}

sub write_config() {
    my ($block, $config, $foreground) = @_;
    my $level    = $block->log_level || $LogLevel;
    my $daemon   = $foreground ? 'off' : 'on';
    my $master   = ($MasterOn || $UseHup) && !$foreground ? 'on' : 'off';
    my $sname    = $block->server_name // $ServerName;
    $sname =~ s/\\/\\\\/g; $sname =~ s/'/\\'/g;
    my $http_config = expand_env($block->http_config // '');
    my $post_main_config = expand_env($block->post_main_config // '');
    # TEST_NGINX_LOAD_MODULES is whitespace-separated; load_module must come
    # before anything else that uses the module, so it leads main_config.
    my $main_config = join(' ', map { "load_module $_;" }
                                split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '');
    $main_config .= ' ' . ($block->main_config // '');
    $main_config = expand_env($main_config);
    my $env_lines = join '', map { "env $_;\n" } @EnvToNginx;
    my $root_loc = $NoRootLocation ? '' : <<"_EOC_";
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_
    # The HUP mode's extra server tells us which config generation is live.
    my $ver_server = !$UseHup ? '' : <<"_EOC_";
    server {
        listen          $ServerPort;
        server_name     'Test-Nginx';
        location = /ver {
            return 200 '$ConfigVersion';
        }
    }
_EOC_
    my $event_type = $ENV{TEST_NGINX_EVENT_TYPE} ? "    use $ENV{TEST_NGINX_EVENT_TYPE};\n" : '';
    my $user = $ENV{TEST_NGINX_WORKER_USER} ? "user $ENV{TEST_NGINX_WORKER_USER};\n"
             : $> == 0 ? "user root;\n" : '';

    open my $out, '>', $ConfFile or bail_out("Can't open $ConfFile for writing: $!");
    print $out <<"_EOC_";
worker_processes  $Workers;
daemon $daemon;
master_process $master;
error_log $ErrLogFile $level;
pid       $PidFile;
env MOCKEAGAIN_VERBOSE;
env MOCKEAGAIN;
env MOCKEAGAIN_WRITE_TIMEOUT_PATTERN;
env LD_PRELOAD;
env LD_LIBRARY_PATH;
env DYLD_INSERT_LIBRARIES;
env DYLD_FORCE_FLAT_NAMESPACE;
$env_lines
$main_config

http {
    access_log $AccLogFile;
    client_body_temp_path $ServRoot/client_body_temp;
    proxy_temp_path $ServRoot/proxy_temp;
    fastcgi_temp_path $ServRoot/fastcgi_temp;
    scgi_temp_path $ServRoot/scgi_temp;
    uwsgi_temp_path $ServRoot/uwsgi_temp;

    default_type text/plain;
    keepalive_timeout  68000ms;

$http_config

    server {
        listen          $ServerPort;
        server_name     '$sname';

        client_max_body_size 30M;

        # Begin preamble config...
$ConfigPreamble
        # End preamble config...

        # Begin test case config...
$config
        # End test case config.

$root_loc    }
$ver_server}

$post_main_config

events {
    accept_mutex off;
    worker_connections  $WorkerConnections;
$event_type}

env ASAN_OPTIONS;
env MOCKNOEAGAIN_VERBOSE;
env MOCKNOEAGAIN;
$user
_EOC_
    close $out;
}

# Start nginx for a block; returns the wait status (0 = ok).  In daemon mode
# the launcher exits once the config is loaded and the port is bound, so 0
# means "up".  Under valgrind nginx stays in the foreground as our child and
# readiness is left to the client's connect retries.
sub start_nginx() {
    my ($block, $foreground) = @_;
    my @cmd = nginx_cmd($foreground && $UseValgrind);
    return run_cmd(\@cmd, 30, defined $block->suppress_stderr) unless $foreground;
    warn $block->name, "\n";          # so valgrind reports can be attributed
    $ChildPid = spawn(\@cmd, 0);
    sleep $Sleep;
    return 0;
}

sub tail_error_log() {
    open my $fh, '<', $ErrLogFile or return '';
    my @l = <$fh>;
    return join '', @l[ ($#l > 9 ? $#l - 9 : 0) .. $#l ];
}

# Bring up a server for a block that has its own --- config.
sub prepare_server() {
    my ($block, $config) = @_;
    my $name = $block->name;

    # HUP mode: keep the master, swap its config and wait until it is live.
    if ($UseHup && !$FirstBlock && !$UseValgrind) {
        my $pid = read_pid_file();
        if ($pid && is_running($pid)) {
            $ConfigVersion = sprintf "%08x%04x", int(rand(2**32)), $$ & 0xffff;
            setup_server_root(1);
            write_user_files($block);
            write_config($block, $config, 0);
            $ErrLogPos = (-s $ErrLogFile) || 0;   # window = this reload onwards
            my @old_workers = worker_pids($pid);
            kill SIGHUP, $pid;
            sleep $Sleep * 3;
            $PrevConfig = $config;
            wait_config_version($name, @old_workers);
            return;
        }
    }

    stop_nginx();
    $ConfigVersion = sprintf "%08x%04x", int(rand(2**32)), $$ & 0xffff;
    setup_server_root(0);
    write_user_files($block);
    my $fg = $UseValgrind ? 1 : 0;
    write_config($block, $config, $fg);
    $ErrLogPos = 0;

    # Retry only while the port is still held by someone else; any other
    # start failure is a broken config and aborts the run like the original.
    my $deadline = time + 10;
    while (1) {
        my $rc = start_nginx($block, $fg);
        last if $rc == 0;
        if (time < $deadline && tail_error_log() =~ /Address already in use/) {
            sleep 0.5;
            next;
        }
        Test::More::diag(tail_error_log());
        bail_out("$name - Cannot start nginx using command \"" . join(' ', nginx_cmd($fg)) . "\".");
    }
    sleep $Sleep;
    $PrevConfig = $config;
}

# The reload is done when the old workers have exited (they share the
# listening socket and would otherwise still answer with the old config) and
# the extra "Test-Nginx" server answers /ver with the new version.
sub wait_config_version() {
    my ($name, @old_workers) = @_;
    my $deadline = time + 8;
    my $ok = 0;
    while (time < $deadline) {
        if (grep { alive($_) } @old_workers) { sleep 0.02; next }
        my $raw = send_request([{ value => "GET /ver HTTP/1.0\r\nHost: Test-Nginx\r\n\r\n" }],
                               1, $name, 1);
        my ($body) = defined $raw ? $raw =~ /\r\n\r\n(.*)\z/s : ();
        if (defined $body && $body eq $ConfigVersion) {
            return if ++$ok >= 3;
            next;
        }
        $ok = 0;
        sleep 0.05;
    }
    Test::More::fail("$name - failed to reload configuration");
}

# --- Building requests -------------------------------------------------------

sub parse_more_headers() {
    my $in = shift // '';
    my ($out, $chunked) = ('', 0);
    for my $h (split /\n+/, $in) {
        next if $h =~ /^\s*#/ || $h !~ /\S/;
        my ($k, $v) = split /:\s*/, $h, 2;
        $v //= '';
        $chunked = 1 if lc($k) eq 'transfer-encoding' && $v eq 'chunked';
        $out .= "$k: $v\r\n";
    }
    return ($out, $chunked);
}

# One "--- request" text -> (head, body).  Leading blanks and "# comment"
# lines are dropped; the first line is "METHOD [URI [VERSION]]", the rest is
# the body, trimmed when we compute Content-Length for it.
sub build_request() {
    my ($name, $text, $more, $conn) = @_;
    my ($hdr, $chunked) = parse_more_headers($more);
    $text //= '';
    1 while $text =~ s/^\s*#[^\n]*\n//s || $text =~ s/^\s+//s;
    my ($first, $body) = split /\n/, $text, 2;
    $body //= '';
    $first //= '';
    my ($meth, $url, $ver) = $first =~ /^(\S+)(?:[ \t]+(\S+))?(?:[ \t]+(\S+))?\s*$/
        or bail_out("$name - Request line should be 'meth [url [version]]', got \"$first\"");
    $url //= '/';
    $ver //= 'HTTP/1.1';
    my $len = '';
    if (!$chunked && $body ne '' && $hdr !~ /(?:^|\n)Content-Length:/i) {
        $body =~ s/^\s+|\s+$//gs;
        $len = "Content-Length: " . length($body) . "\r\n";
    }
    my $head = "$meth $url $ver\r\n";
    $head .= "Host: $ServerName\r\n" if $hdr !~ /(?:^|\n)Host:/i;
    $head .= "Connection: $conn\r\n" if $hdr !~ /(?:^|\n)Connection/i;
    $head .= "$hdr$len\r\n";
    return ($head, $body);
}

sub more_headers_for() {
    my ($block, $i) = @_;
    my $more = $block->more_headers;
    return $more unless ref $more eq 'ARRAY';
    bail_out($block->name . " - --- more_headers lacks data for request $i")
        unless defined $more->[$i];
    return $more->[$i];
}

# A request given as packets ([str, {value=>, delay_before=>}, ...]): build
# the full request from their concatenation, then cut it again at the same
# places relative to the request line / body, so a split inside the body
# stays a split inside the body.
sub split_packets() {
    my ($name, $pkts, $more) = @_;
    my @pk = map { ref $_ eq 'HASH' ? {%$_} : { value => $_ } } @$pkts;
    my $orig = join '', map { $_->{value} // '' } @pk;
    my ($head, $body) = build_request($name, $orig, $more, 'close');
    my $full = $head . $body;
    (my $stripped = $orig) =~ s/^(?:\s*#[^\n]*\n|\s+)+//s;
    my $skip = length($orig) - length($stripped);
    my $line_len = index($stripped, "\n") + 1 || length $stripped;
    my ($orig_body) = $stripped =~ /^[^\n]*\n(.*)\z/s;
    $orig_body //= '';
    my ($lead) = $orig_body =~ /^(\s*)/;
    my ($pos, $prev) = (0, 0);
    for my $p (@pk[0 .. $#pk - 1]) {
        $pos += length($p->{value} // '');
        my $q = $pos - $skip;
        my $at = $q < $line_len
               ? ($q < 0 ? 0 : $q)
               : length($head) + min(length $body,
                                     (($q - $line_len - length $lead) > 0
                                      ? $q - $line_len - length $lead : 0));
        $at = $prev if $at < $prev;
        $p->{value} = substr $full, $prev, $at - $prev;
        $prev = $at;
    }
    $pk[-1]{value} = substr $full, $prev;
    return \@pk;
}

# Returns a list of requests; each request is a list of packets written on
# one connection.
sub get_requests() {
    my $block = shift;
    my $name = $block->name;
    if (defined(my $raw = $block->raw_request)) {
        return [[ map { { value => $_ } } (ref $raw eq 'ARRAY' ? @$raw : $raw) ]];
    }
    if (defined(my $reqs = $block->pipelined_requests)) {
        bail_out("$name - invalid entries in --- pipelined_requests") unless ref $reqs eq 'ARRAY';
        my $all = '';
        for my $i (0 .. $#$reqs) {
            my ($h, $b) = build_request($name, expand_env($reqs->[$i]),
                                        more_headers_for($block, $i),
                                        $i == $#$reqs ? 'close' : 'keep-alive');
            $all .= $h . $b;
        }
        return [[{ value => $all }]];
    }
    my $req = $block->request;
    bail_out("$name - request empty") unless defined $req;
    my @reqs = ref $req eq 'ARRAY' ? @$req : ($req);
    my @out;
    for my $i (0 .. $#reqs) {
        my $more = more_headers_for($block, $i);
        if (ref $reqs[$i] eq 'ARRAY') {
            push @out, split_packets($name, $reqs[$i], $more);
        } elsif (!ref $reqs[$i]) {
            my ($h, $b) = build_request($name, $reqs[$i], $more, 'close');
            push @out, [{ value => $h . $b }];
        } else {
            bail_out("$name - a request must be a string or an array of packets");
        }
    }
    return \@out;
}

# --- The client: one connection, write the packets, read until the server
# closes.  Every select() is bounded by $timeout. ------------------------------

sub connect_server() {
    my ($name, $timeout, $quiet) = @_;
    my $budget = $UseValgrind ? 60 : ($quiet ? 1 : 10);
    my $start = time;
    for (my $tries = 1; ; $tries++) {
        my $sock = IO::Socket::INET->new(PeerAddr => $ServerAddr, PeerPort => $ServerPortForClient,
                                         Proto => 'tcp', Timeout => $timeout);
        return $sock if $sock;
        my $err = "$!";
        # give up early if our foreground (valgrind) nginx has exited
        if ($tries >= 50 || time - $start > $budget
            || (defined $ChildPid && !is_running($ChildPid))) {
            Test::More::fail("$name - Can't connect to $ServerAddr:$ServerPortForClient: "
                             . "$err (aborted)") unless $quiet;
            return undef;
        }
        my $wait = ($Sleep + $Sleep * $tries) * $tries / 2;
        sleep($wait > 1 ? 1 : $wait);
    }
}

# Returns the raw response (possibly partial), or undef if no connection.
sub send_request() {
    my ($packets, $timeout, $name, $quiet, $block) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $sock = connect_server($name, $timeout, $quiet) or return undef;
    $sock->blocking(0);
    my $sel = IO::Select->new($sock);
    my $deadline = time + 60 + 10 * $timeout;    # overall cap against trickling servers
    my ($resp, $timed_out) = ('', 0);
    my $middle = $block ? parse_time(scalar $block->raw_request_middle_delay) : undef;

  WRITE:
    for my $i (0 .. $#$packets) {
        my $p = $packets->[$i];
        sleep $p->{delay_before} if $p->{delay_before};
        sleep $middle if $middle && $i > 0;
        my $buf = $p->{value} // '';
        while (length $buf) {
            if (!$sel->can_write($timeout) || time > $deadline) { $timed_out = 1; last WRITE }
            my $n = syswrite $sock, $buf;
            if (!defined $n) {
                next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
                last WRITE;                   # server closed early: read what it said
            }
            substr($buf, 0, $n, '');
        }
    }
    shutdown($sock, 1) if $block && defined $block->shutdown && !$timed_out;

    if (!$timed_out) {
        while (1) {
            if (!$sel->can_read($timeout) || time > $deadline) { $timed_out = 1; last }
            my $n = sysread $sock, $resp, 16384, length $resp;
            if (!defined $n) {
                next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
                last;                         # ECONNRESET etc.: keep what we have
            }
            last if $n == 0;
        }
    }
    close $sock;
    if ($timed_out && !$quiet && !($block && defined $block->abort)) {
        Test::More::fail("ERROR: client socket timed out - $name");
    }
    return $resp;
}

# HTTP::Response does the status line and headers; the body framing is ours:
# strict chunked decoding, and Content-Length (bytes beyond it belong to the
# next pipelined response and are returned as $left).
sub parse_response() {
    my ($name, $raw, $head_req) = @_;
    my $raw_headers = $raw =~ /^(.*?\r\n)\r\n/s ? $1 : '';
    my $res = HTTP::Response->parse($raw);
    my $code = $res->code;
    if (defined $code && $code !~ /^\d+$/) { $res->code(undef); undef $code }
    return ($res, $raw_headers, undef) if $code && ($code == 304 || $code == 101);
    my $left;
    my $te  = $res->header('Transfer-Encoding');
    my $len = $res->header('Content-Length');
    if ($head_req) {
        $left = $res->content if length($res->content // '');
        $res->content('');
    } elsif (defined $te && $te eq 'chunked') {
        my ($in, $out, $err) = ($res->content // '', '');
        while (1) {
            if ($in =~ /\G0[ \t]*\r\n\r\n/gc) {
                $left = $1 if $in =~ /\G(.+)/gcs;
                last;
            }
            if ($in =~ /\G[ \t]*([A-Fa-f0-9]+)[ \t]*\r\n/gc) {
                my ($size, $p) = (hex $1, pos $in);
                if (length($in) - $p < $size) {
                    $err = "invalid chunked data received (not enough octets for the data section)";
                    last;
                }
                $out .= substr $in, $p, $size;
                pos($in) = $p + $size;
                if ($in !~ /\G\r\n/gc) { $err = "invalid chunked data received (expected CRLF)."; last }
            } else {
                $err = $in =~ /\G(.+)/gcs ? "invalid chunked body received: $1"
                                         : "no last chunk found - $in";
                last;
            }
        }
        if (defined $err) { Test::More::fail("$name - $err"); return }
        $res->content($out);
    } elsif (defined $len && $len =~ /^\d+$/) {
        my $body = $res->content // '';
        if (length $body > $len) {
            $left = substr $body, $len;
            $res->content(substr $body, 0, $len);
        } elsif (length $body < $len) {
            warn "WARNING: $name - response body truncated: $len expected, but got ",
                 length $body, "\n";
        }
    }
    return ($res, $raw_headers, $left);
}

# --- Response checks (one TAP test each) -------------------------------------

sub check_response() {
    my ($block, $res, $raw_headers, $idx, $rep, $need_array) = @_;
    my $name = $block->name;
    my $code = ($res && $res->code) || '';

    if (defined $block->error_code_like) {
        my $pat = indexed($name, $block->error_code_like, $idx, $need_array);
        like($code, qr/$pat/sm, "$name - status code ok");
    } else {
        my $exp = defined $block->error_code
                ? indexed($name, $block->error_code, $idx, $need_array) : 200;
        is($code, $exp, "$name - status code ok");
    }

    for my $which (qw(like unlike)) {
        my $v = $block->${\"raw_response_headers_$which"};
        next unless defined $v;
        my $pat = indexed($name, $v, $idx, $need_array);
        my $f = $which eq 'like' ? \&Test::More::like : \&Test::More::unlike;
        $f->($raw_headers, qr/$pat/s, "$name - raw resp headers $which");
    }

    my $hdr_like = !defined $block->response_headers && defined $block->response_headers_like;
    my $spec = $hdr_like ? $block->response_headers_like : $block->response_headers;
    if (defined $spec) {
        for my $line (split /\n/, indexed($name, $spec, $idx, $need_array) // '') {
            $line =~ s/^\s+|\s+$//g;
            next if $line eq '';
            if (!$hdr_like && $line =~ s/^!\s*//) {
                unlike($raw_headers, qr/^\s*\Q$line\E\s*:/ms,
                       "$name - header $line not present in the raw headers");
                next;
            }
            my ($key, $val) = split /\s*:\s*/, $line, 2;
            $val //= '';
            my $actual = $res ? $res->header($key) : undef;
            $actual //= '';        # "X-Foo:" (empty) therefore also accepts "absent"
            if ($hdr_like) {
                like($actual, qr/^$val$/, "$name - header $key like ok");
            } else {
                $val =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
                $val =~ s/\$ServerPort\b/$ServerPort/g;
                is($actual, $val, "$name - header $key ok");
            }
        }
    }

    my $content = $res ? $res->content : undef;

    # response_body_filters: a code ref (eval) or names of filters applied
    # to the body before it is compared, as in the real Test::Nginx.
    if (defined $content && defined $block->response_body_filters) {
        my $filters = $block->response_body_filters;
        my @filters = ref $filters eq 'CODE'  ? ($filters)
                    : ref $filters eq 'ARRAY' ? @$filters
                    :                           split /\s+/, $filters;
        my %named = (uc => sub { uc $_[0] }, lc => sub { lc $_[0] },
                     md5_hex => sub { require Digest::MD5; Digest::MD5::md5_hex($_[0]) },
                     sha1_hex => sub { require Digest::SHA; Digest::SHA::sha1_hex($_[0]) });
        for my $f (@filters) {
            next if !ref $f && $f eq '';
            my $code = ref $f eq 'CODE' ? $f : $named{$f}
                or bail_out("$name - unknown response_body_filters entry \"$f\"");
            $content = $code->($content);
        }
    }

    if (defined $block->response_body) {
        my $exp = indexed($name, $block->response_body, $idx, $need_array);
        if (defined $exp && !ref $exp) {
            $exp =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            $exp =~ s/\$ServerPort\b/$ServerPort/g;
            $exp = expand_env($exp);
        }
        my $tname = "$name - response_body - response is expected (repeated req $rep, req $idx)";
        if (ref $exp eq 'Regexp') {
            like($content, $exp, "$name - response_body - like (repeated req $rep, req $idx)");
        } elsif ($NoLongString) {
            is($content, $exp, $tname);
        } else {
            Test::LongString::is_string($content, $exp, $tname);
        }
    } elsif (defined $block->response_body_like || defined $block->response_body_unlike) {
        my $type = defined $block->response_body_like ? 'like' : 'unlike';
        my $pat = indexed($name, $block->${\"response_body_$type"}, $idx, $need_array);
        $pat =~ s/\$ServerPortForClient\b/$ServerPortForClient/g unless ref $pat;
        $pat =~ s/\$ServerPort\b/$ServerPort/g unless ref $pat;
        my $f = $type eq 'like' ? \&Test::More::like : \&Test::More::unlike;
        $f->($content, qr/$pat/s, "$name - response_body_$type - response is expected ("
                                  . trim_summary($content) . ")");
    }
}

# --- error.log checks --------------------------------------------------------

# Lines written since the last read for this block (or all of them with
# check_accum_error_log).  The short sleep lets log-phase output land.
sub error_log_data() {
    sleep $Sleep * 3;
    open my $in, '<', $ErrLogFile or return [];
    my $size = -s $in;
    my $pos = $CheckAccumErrLog || $ErrLogPos > $size ? 0 : $ErrLogPos;
    seek $in, $pos, 0;
    my @lines = <$in>;
    $ErrLogPos = tell $in unless $CheckAccumErrLog;
    close $in;
    return \@lines;
}

sub pattern_list() {
    my $pats = shift;
    return [ref $pats eq 'Regexp' ? $pats : @$pats] if ref $pats;
    return [grep { length } split /\n+/, $pats];
}

sub line_matches() {
    my ($line, $pat) = @_;
    return ref $pat ? $line =~ $pat : index($line, $pat) >= 0;
}

sub mentions() {
    my ($pats, $what) = @_;
    return 0 unless defined $pats;
    return scalar grep { !ref $_ && index($_, $what) >= 0 } @{ pattern_list($pats) };
}

sub check_error_log() {
    my ($block, $rep) = @_;
    my $name = $block->name;
    my $lines = error_log_data();

    if (defined(my $gpat = $block->grep_error_log)) {
        $gpat = $gpat->[$rep] if ref $gpat eq 'ARRAY';
        my $exp = $block->grep_error_log_out;
        bail_out("$name - No --- grep_error_log_out defined but --- grep_error_log is defined")
            unless defined $exp;
        $exp = $exp->[$rep] if ref $exp eq 'ARRAY';
        $exp = expand_env($exp);
        my $got = '';
        for my $l (@$lines) {
            if (ref $gpat ? $l =~ $gpat : $l =~ /\Q$gpat\E/) {
                $got .= "$&\n" if $& !~ /\n/;
            }
        }
        if (ref $exp eq 'Regexp') {
            like($got, $exp, "$name - grep_error_log_out (req $rep)");
        } else {
            is($got, $exp, "$name - grep_error_log_out (req $rep)");
        }
    }

    if (defined $block->error_log) {
        for my $pat (@{ pattern_list($block->error_log) }) {
            my $found = grep { line_matches($_, $pat) } @$lines;
            ok($found, "$name - pattern \"" . fmt_str("$pat") . "\" "
                       . ($found ? "matches" : "should match") . " a line in error.log (req $rep)");
        }
    }

    if (defined $block->no_error_log) {
        for my $pat (@{ pattern_list($block->no_error_log) }) {
            my ($hit) = grep { line_matches($_, $pat) } @$lines;
            my $p = fmt_str("$pat");
            if (defined $hit) {
                fail("$name - pattern \"$p\" should not match any line in error.log but "
                     . "matches line \"" . fmt_str($hit) . "\" (req $rep)");
            } else {
                pass("$name - pattern \"$p\" does not match a line in error.log (req $rep)");
            }
        }
    }

    # Like the original: serious log lines only warn unless a test expects them.
    for my $lvl (qw(alert crit emerg)) {
        next if mentions(scalar $block->error_log, "[$lvl")
            || mentions(scalar $block->no_error_log, "[$lvl");
        warn "WARNING: $name - ", fmt_str($_), "\n" for grep { /\[$lvl\]/ } @$lines;
    }
    for my $l (@$lines) {
        fail("$name - " . fmt_str($l)) if $l =~ /\bAssertion .*?failed\b/;
    }
}

# --- Running the blocks ------------------------------------------------------

# Returns (count, reason) when the block is to be skipped.
sub skip_info() {
    my $block = shift;
    my $name = $block->name;
    if (defined(my $s = $block->skip_eval)) {
        my ($n, $code) = $s =~ /^\s*(\d+)\s*:\s*(.*)$/s
            or bail_out("$name - Invalid --- skip_eval spec: $s");
        my $r = eval "package main; $code";
        bail_out("$name - skip_eval - failed to eval the Perl code \"$code\": $@") if $@;
        return ($n, 'skip_eval') if $r;
    }
    if (defined(my $s = $block->skip_nginx)) {
        my ($n, $op, @v) = $s =~ /^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)(?:\s*:\s*(.*?))?\s*$/
            or bail_out("$name - Invalid --- skip_nginx spec: $s");
        my $reason = $v[3] || "nginx version $op $v[0].$v[1].$v[2]";
        my $ver = canon_version(@v[0 .. 2]);
        return ($n, $reason) if !defined $NginxVersion ? $op =~ /^</
                                                       : eval "$NginxVersion $op $ver";
    }
    return;
}

sub run_requests() {
    my ($block, $rep) = @_;
    my $name = $block->name;
    my $reqs = get_requests($block);
    my $timeout = parse_time(scalar $block->timeout) // $Timeout;
    my $npipe = $block->pipelined_requests ? scalar @{ $block->pipelined_requests } : 0;
    my $need_array = $npipe || @$reqs > 1;
    my $idx = 0;
    for my $r (0 .. $#$reqs) {
        my $packets = $reqs->[$r];
        my $head_req = (join '', map { $_->{value} } @$packets) =~ /^\s*HEAD\s/;
        my $raw = send_request($packets, $timeout, $name, 0, $block) // '';
        my $n = $npipe || 1;                 # responses expected on this connection
        while ($n-- > 0) {
            if (!defined $block->ignore_response) {
                my ($res, $raw_headers, $left) = parse_response($name, $raw, $head_req);
                if (!$npipe && defined $left && length $left) {
                    warn "WARNING: $name - unexpected extra bytes after the response: \"",
                         fmt_str($left), "\"\n";
                }
                $raw = $left // '';
                check_response($block, $res, $raw_headers // '', $idx, $rep, $need_array);
            }
            $idx++;
            last if $n == 0 && $r == $#$reqs;
            sleep parse_time(scalar $block->wait) if $block->wait;
            check_error_log($block, $rep);   # per request, like the original
        }
    }
    sleep parse_time(scalar $block->wait) if $block->wait;
    check_error_log($block, $rep);
}

sub run_must_die() {
    my ($block, $config) = @_;
    my $name = $block->name;
    my $want = $block->must_die;
    stop_nginx();
    setup_server_root(0);
    write_user_files($block);
    write_config($block, $config // '', 0);     # never under valgrind
    undef $PrevConfig;                          # nothing valid is running after this
    $ErrLogPos = 0;
    for my $rep (0 .. $RepeatEach - 1) {
        my $st = run_cmd([nginx_cmd(0)], 30, defined $block->suppress_stderr);
        my $exit = $st >> 8;
        if ($st == -1 || $exit == 127) {
            fail("$name - failed to execute the nginx command line");
        } elsif ($st & 128) {
            fail("$name - nginx core dumped");
        } elsif (looks_like_number($want)) {
            is($exit, $want, "$name - die with the expected exit code");
        } else {
            isnt($st, 0, "$name - die as expected");
        }
        stop_nginx() if $st == 0;    # it came up after all: don't leave it behind
        check_error_log($block, $rep);
    }
}

sub run_block() {
    my $block = shift;
    my $name = $block->name;

    if (my ($n, $reason) = skip_info($block)) {
        for (1 .. $RepeatEach) { SKIP: { skip("$name - $reason", $n) } }
        return;
    }

    my $config = expand_env(scalar $block->config);
    if (defined $block->must_die) {
        run_must_die($block, $config);
        $FirstBlock = 0;
        return;
    }
    if (defined $config) {
        prepare_server($block, $config);
        $FirstBlock = 0;
    } elsif (!defined $PrevConfig) {
        bail_out("$name - No '--- config' section specified and no previous server to reuse");
    } else {
        $ErrLogPos = 0 unless $UseHup;    # window: from the start of this server's log
    }

    if (defined(my $init = $block->init)) {
        eval "package main; $init";
        bail_out("$name - init failed: $@") if $@;
    }
    for my $rep (0 .. $RepeatEach - 1) {
        run_requests($block, $rep);
    }
}

sub run_tests() {
    # Calling plan() without arguments plans nothing, but marks the plan as
    # handled for Test::Base, whose END block would otherwise try to
    # run_compare() the first two sections of every block.
    Test::Builder->new->plan();
    # Interrupted (Ctrl-C, CI timeout)?  exit, so END still stops nginx.
    local $SIG{INT} = local $SIG{TERM} = sub { exit 1 };
    $NginxVersion = get_nginx_version();
    $ENV{TEST_NGINX_SERVER_PORT} //= $ServerPort;
    $ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;
    my @blocks = Test::Base::blocks();
    @blocks = shuffle @blocks unless $NoShuffle;
    for my $block (@blocks) {
        for my $pp (@BlockPreprocessors) {
            my $r = $pp->($block);
            $block = $r if blessed $r && $r->isa('Test::Base::Block');
        }
        run_block($block);
    }
}

END {
    # Keep the test's exit status: stop_nginx() waits on processes.
    local $?;
    if ($$ == $MainPid && !$ENV{TEST_NGINX_NO_CLEAN}) {
        stop_nginx();
    }
}

1;
