#!/usr/bin/perl
# bench/table.pl RESULTS...: the Markdown tables of bench/run's results files
# (BENCH/RSS/ZONE/NOTE lines), with the issue's targets.  Every row NAME was
# measured right after its own baseline run, base-NAME (the static file, or
# Apache's for the Apache rows): "× baseline" is NAME / base-NAME, and rows
# are compared with each other through those ratios, so that a busy moment
# of the shared machine does not decide a comparison.

use strict;
use warnings;

# name => [label, whose baseline, target (ratio at least)]
my @ROWS = (
    [ 'static',          'static file, 128 bytes (baseline)',                    undef ],
    [ 'static-lua',      'static file, request made by a Lua function',         undef ],
    [ 'gate',            '`appverify_require`, verified session (hot path)',    'static', 0.97 ],
    [ 'token',           '`appverify_token`, a new phone each request',         'static', 0.85 ],
    [ 'token-429',       '`appverify_token`, one phone over its rate: 429',     'static', 0.9 ],
    [ 'callback-new',    '`appverify_callback`, a new xid each request',        'static', 0.85 ],
    [ 'callback-repeat', '`appverify_callback`, one callback repeated',         'static', 0.85 ],
    [ 'redis-gate',      'Redis store: the gate, this node keeps the verified record', 'static', 0.95 ],
    [ 'redis-token',     'Redis store: `appverify_token`, a new phone each request', 'static', 0.4 ],
    [ 'redis-callback-new', 'Redis store: `appverify_callback`, a new xid each request', 'static', 0.4 ],
    [ 'flask-token',     'Flask + PyJWT token service behind `proxy_pass`',     'static' ],
    [ 'flask-gate',      'static file behind `auth_request` to Flask',          'static' ],
    [ 'scale-1000',      'gate, 1k records, credentials over all of them',     'static' ],
    [ 'scale-100000',    'gate, 100k records, credentials over all of them',   'static' ],
    [ 'scale-1000000',   'gate, 1M records, credentials over all of them',     'static' ],
    [ 'apache-static',   'Apache: static file (its baseline)',                 undef ],
    [ 'apache-gate',     'Apache: `Require appverify-verified`, verified',     'apache-static', 0.97 ],
);

# the second method's rows (issue 16's targets)
my %PAIR_TARGETS = ('gate' => 0.97, 'gate-vars' => 0.95, 'apache-gate' => 0.97,
                    'redis-gate' => 0.95);
my %PAIR_LABELS = (
    'static'      => 'static file against itself (the method\'s own spread)',
    'gate'        => '`appverify_require`, verified (vs the static file, same Cookie)',
    'gate-vars'   => '... with `add_header` of `$appverify_phone` and `$appverify_verified`',
    'apache-gate' => 'Apache: `Require appverify-verified` (vs its static file)',
    'redis-gate'  => 'Redis store: the gate on this node\'s copy (vs the static file, same Cookie)',
    'scale-1000'    => 'gate, 1k records, credentials over all of them (vs the static file, same client)',
    'scale-100000'  => 'gate, 100k records, credentials over all of them',
    'scale-1000000' => 'gate, 1M records, credentials over all of them',
);

# module row / other row, at least
my @VERSUS = (
    [ 'token', 'flask-token', 10, 'token minting vs the Flask token service' ],
    [ 'gate',  'flask-gate',  10, 'gate vs `auth_request` to Flask' ],
    [ 'scale-1000000', 'scale-1000', 0.97, 'gate at 1M records vs at 1k' ],
);

sub met { my ($v, $t) = @_; return defined $t ? ($v >= $t ? 'met' : '**missed**') : '' }

for my $file (@ARGV) {
    my (%r, %pairs, %pair_median, @rss, @zone, @notes, @fills, $head);
    open my $fh, '<', $file or die "$file: $!\n";
    while (<$fh>) {
        chomp;
        my @f = split ' ';
        if ($f[0] eq 'RUN') {
            $head = $_;
        } elsif ($f[0] eq 'BENCH' && $f[1] =~ /^pairs-(base-)?(.+)-(\d+)$/) {
            # the second method's runs: one rate per run, kept by pair
            my $x = $pairs{$2}[$3 - 1]{$1 ? 'base' : 'row'} //= {};
            $x->{rps} = $f[2] / ($f[3] / 1e6);
            $x->{n} = $f[2];
            $x->{secs} = $f[3] / 1e6;
        } elsif ($f[0] eq 'BENCH') {
            my ($name, $n, $us, $p50, $p99, $err, @sock) = @f[1 .. $#f];
            if ($name =~ /^fill-(\d+)$/) {
                push @fills, [ $1, { n => $n, us => $us, err => $err, runs => 1,
                                     p50 => $p50, p99 => $p99, sock => [@sock] } ];
                next;
            }
            # the measured runs of a row add up; latencies are their means
            my $x = $r{$name} //= { n => 0, us => 0, err => 0, runs => 0, p50 => 0,
                                    p99 => 0, sock => [0, 0, 0, 0] };
            $x->{n} += $n; $x->{us} += $us; $x->{err} += $err; $x->{runs}++;
            $x->{p50} += $p50; $x->{p99} += $p99;
            $x->{sock}[$_] += $sock[$_] for 0 .. 3;
        } elsif ($f[0] eq 'CPU' && $f[1] =~ /^pairs-(base-)?(.+)-(\d+)$/) {
            # the servers' CPU seconds of the pair's run
            $pairs{$2}[$3 - 1]{$1 ? 'base' : 'row'}{cpu} = $f[2] / $f[3];
        } elsif ($f[0] eq 'CPU') {
            my ($name, $ticks, $hz) = @f[1 .. 3];
            if ($name =~ /^fill-/) { $_->[1]{cpu} += $ticks / $hz for grep { "fill-$_->[0]" eq $name } @fills }
            else { $r{$name}{cpu} += $ticks / $hz }
        } elsif ($f[0] eq 'RSS') {
            @rss = @f[1 .. $#f];
        } elsif ($f[0] eq 'ZONE') {
            @zone = @f[1 .. $#f];
        } elsif ($f[0] eq 'NOTE') {
            push @notes, substr($_, 5);
        } elsif ($f[0] eq 'REDIS') {
            # Redis's own count of the round trips of the Redis rows
            my %c = /cmdstat_(\w+):calls=(\d+)/g;
            push @notes, sprintf('Redis round trips over the Redis rows (its INFO '
                . 'commandstats): %d MGET, %d EVALSHA, %d EVAL.',
                $c{mget} // 0, $c{evalsha} // 0, $c{eval} // 0);
        }
    }
    close $fh;

    for my $x (values(%r), map { $_->[1] } @fills) {
        $x->{rps} = $x->{n} / ($x->{us} / 1e6);
        $x->{secs} = $x->{us} / 1e6;
        $x->{p50} = $x->{p50} / $x->{runs} / 1000;
        $x->{p99} = $x->{p99} / $x->{runs} / 1000;
        $x->{sock} = (grep { $_ } @{ $x->{sock} }) ? join('/', @{ $x->{sock} }) : '';
        $x->{cpu_us} = defined $x->{cpu} ? $x->{cpu} * 1e6 / $x->{n} : undef;
    }

    print "\n### $head\n\n" if $head;
    my $ratio_of = sub {
        my ($name) = @_;
        return $r{$name} && $r{"base-$name"} ? $r{$name}{rps} / $r{"base-$name"}{rps} : undef;
    };
    # the servers' CPU per request, and the baseline's over the row's
    my $cost_of = sub {
        my ($name) = @_;
        my ($x, $b) = ($r{$name}, $r{"base-$name"});
        return $x && $b && $x->{cpu_us} && $b->{cpu_us} ? $b->{cpu_us} / $x->{cpu_us} : undef;
    };
    print "| row | req/s | p50 ms | p99 ms | status > 399 | its baseline, req/s | × baseline | target | | server CPU µs/req (baseline's) | × by CPU | server busy (baseline's) |\n";
    print "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|\n";
    for my $row (@ROWS) {
        my ($name, $label, $vs, $target) = @$row;
        my $x = $r{$name} or next;
        my $ratio = $ratio_of->($name);
        my $b = $r{"base-$name"};
        my $err = $x->{err} . ($x->{sock} ? " (socket errors c/r/w/t $x->{sock})" : '');
        $err .= ' (429s, expected)' if $name eq 'token-429';
        my $cost = $cost_of->($name);
        printf "| %s | %.0f | %.2f | %.2f | %s | %s | %s | %s | %s | %s | %s | %s |\n", $label, $x->{rps},
            $x->{p50}, $x->{p99}, $err, $b ? sprintf('%.0f%s', $b->{rps}, $vs && $vs ne 'static' ? " ($vs)" : '') : '—',
            defined $ratio ? sprintf('%.2f', $ratio) : '—',
            defined $target ? "≥ $target" : '', defined $ratio ? met($ratio, $target) : '',
            defined $x->{cpu_us} ? sprintf('%.1f', $x->{cpu_us}) . ($b && $b->{cpu_us} ? sprintf(' (%.1f)', $b->{cpu_us}) : '') : '—',
            defined $cost ? sprintf('%.2f', $cost) : '—',
            defined $x->{cpu} ? sprintf('%.0f%%', 100 * $x->{cpu} / $x->{secs})
                . ($b && defined $b->{cpu} ? sprintf(' (%.0f%%)', 100 * $b->{cpu} / $b->{secs}) : '') : '—';
    }

    if (%pairs) {
        my $median = sub {
            my @v = sort { $a <=> $b } @_;
            return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
        };
        # "server busy": the servers' CPU over the run's time, row and
        # baseline.  Pinned to one CPU (BENCH_PIN), near 100% says the
        # server, not wrk, set the rate; the CPU ratio is the baseline's CPU
        # a request over the row's
        print "\n| row, second method: short runs in pairs, order alternating | pairs | median of the pairs' ratios | lowest | highest | target | | × by CPU, median | server busy, row / baseline |\n";
        print "|---|---:|---:|---:|---:|---:|---|---:|---:|\n";
        for my $name (sort keys %pairs) {
            my @p = grep { $_ && $_->{row} && $_->{base} } @{ $pairs{$name} };
            my @r = sort { $a <=> $b } map { $_->{row}{rps} / $_->{base}{rps} } @p;
            next unless @r;
            my $m = $median->(@r);
            $pair_median{$name} = $m;
            my @cpu = map { $_->{base}{cpu} / $_->{base}{n} / ($_->{row}{cpu} / $_->{row}{n}) }
                      grep { $_->{row}{cpu} && $_->{base}{cpu} } @p;
            my @busy_r = map { $_->{row}{cpu} / $_->{row}{secs} } grep { defined $_->{row}{cpu} } @p;
            my @busy_b = map { $_->{base}{cpu} / $_->{base}{secs} } grep { defined $_->{base}{cpu} } @p;
            my $target = $PAIR_TARGETS{$name};
            printf "| %s | %d | %.3f | %.3f | %.3f | %s | %s | %s | %s |\n", $PAIR_LABELS{$name} // $name,
                scalar(@r), $m, $r[0], $r[-1], defined $target ? "≥ $target" : '',
                defined $target ? met($m, $target) : '',
                @cpu ? sprintf('%.3f', $median->(@cpu)) : '—',
                @busy_r && @busy_b ? sprintf('%.0f%% / %.0f%%', 100 * $median->(@busy_r), 100 * $median->(@busy_b)) : '—';
        }
    }

    my @vs = grep { defined $ratio_of->($_->[0]) && defined $ratio_of->($_->[1]) } @VERSUS;
    # the same comparisons of the second method's medians, where both rows have pairs
    my @pvs = grep { defined $pair_median{$_->[0]} && defined $pair_median{$_->[1]} } @VERSUS;
    if (@vs || @pvs) {
        print "\n| comparison (of the rows' × baseline) | ratio | target | |\n|---|---:|---:|---|\n";
        for (@vs) {
            my ($a, $b, $t, $label) = @$_;
            my $v = $ratio_of->($a) / $ratio_of->($b);
            printf "| %s | %.2f× | ≥ %s× | %s |\n", $label, $v, $t, met($v, $t);
        }
        for (@pvs) {
            my ($a, $b, $t, $label) = @$_;
            my $v = $pair_median{$a} / $pair_median{$b};
            printf "| %s, pairs' medians | %.3f× | ≥ %s× | %s |\n", $label, $v, $t, met($v, $t);
        }
    }

    if (@fills) {
        my ($total, $refused) = (0, 0);
        print "\n| zone fill (signed callbacks, distinct xids, one wrk thread) | callbacks | seconds | callbacks/s | 503 store_full |\n";
        print "|---|---:|---:|---:|---:|\n";
        my $prev = 0;
        for (@fills) {
            my ($to, $x) = @$_;
            printf "| records %d → %d | %d | %.1f | %.0f | %d |\n", $prev, $to, $x->{n}, $x->{secs},
                $x->{rps}, $x->{err};
            $total += $x->{n};
            $refused += $x->{err};
            $prev = $to;
        }
        if (@zone) {
            my ($size) = @zone;
            my $bytes = $size =~ /^(\d+)([km]?)$/i
                ? $1 * ({ '' => 1, k => 1024, m => 1048576 }->{ lc $2 }) : 0;
            # every xid offered once (the last fill's end), less those refused
            my $stored = $prev - $refused;
            printf "\nZone `%s`: %d verified records stored before the first 503 store_full "
                 . "(%s); %.1f bytes of zone per record, so 1M records need about %.0f MB "
                 . "(target: 1M fit in 256 MB: %s).\n",
                $size, $stored, $refused ? "$refused refused after that" : 'none refused',
                $bytes / $stored, 1e6 * $bytes / $stored / 1048576,
                $refused && $stored >= 1e6 ? 'met' : ($refused ? '**missed**' : 'not determined: the zone never filled');
        }
    }

    if (@rss) {
        my ($n, $vb, $ab, $sb, $va, $aa, $sa) = @rss;
        printf "\nWorker memory over %d gated requests: VmRSS %d → %d kB (%+d), of it private "
             . "(RssAnon) %d → %d kB (%+d), shared zone pages (RssShmem) %d → %d kB. "
             . "Target: growth < 1 MB: %s.\n",
            $n, $vb, $va, $va - $vb, $ab, $aa, $aa - $ab, $sb, $sa,
            $va - $vb < 1024 ? 'met' : '**missed**';
    }

    print "\n$_\n" for @notes;
}
