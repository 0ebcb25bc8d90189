# appverify_redis and its location: what nginx -t must refuse.  (What the
# store does is t/cluster/cluster.t's, against a real redis-server.)

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';

no_shuffle();
no_long_string();
log_level('info');

our $http_config = <<"_EOC_";
    appverify_zone          zone=av:1m;
    appverify_customer_id   FFFFFFFF-EEEE-DDDD-1234-AB1234567890;
    appverify_api_key_file  $ENV{TEST_NGINX_ROOT}/t/data/api.key;
    upstream av_redis { server 127.0.0.1:6379; }
_EOC_

run_tests();

__DATA__

=== a zone, a location and a Redis: nginx starts
--- http_config eval
$::http_config . "appverify_redis zone=av pass=/_redis db=1 prefix=t1:;"
--- config
    location = /token { appverify_token zone=av; }
    location = /_redis { internal; appverify_redis_pass av_redis; appverify_redis_timeout 300ms; }
--- request
GET /_redis
--- error_code: 404
--- no_error_log
[emerg]

=== appverify_redis without pass= fails
--- http_config eval
$::http_config . "appverify_redis zone=av;"
--- config
    location = /token { appverify_token zone=av; }
--- must_die
--- error_log eval
qr/\[emerg\].*"appverify_redis" must have "zone" and "pass" parameters/

=== a zone appverify_zone did not declare fails
--- http_config eval
$::http_config . "appverify_redis zone=other pass=/_redis;"
--- config
    location = /token { appverify_token zone=av; }
--- must_die
--- error_log eval
qr/\[emerg\].*appverify_redis: zone "other" is not declared by appverify_zone/

=== a database that is not a number fails
--- http_config eval
$::http_config . "appverify_redis zone=av pass=/_redis db=x;"
--- config
    location = /token { appverify_token zone=av; }
--- must_die
--- error_log eval
qr/\[emerg\].*appverify_redis: invalid db "x": expected a number from 0 to 65535/

=== a prefix with a brace fails (it would move the hash tag)
--- http_config eval
$::http_config . "appverify_redis zone=av pass=/_redis 'prefix=a{b';"
--- config
    location = /token { appverify_token zone=av; }
--- must_die
--- error_log eval
qr/\[emerg\].*appverify_redis: invalid prefix "a\{b": printable bytes, no blank or brace/

=== a Redis timeout of 0 fails, in the core's words (httpd's timeout= too)
--- http_config eval
$::http_config . "appverify_redis zone=av pass=/_redis;"
--- config
    location = /token { appverify_token zone=av; }
    location = /_redis { internal; appverify_redis_pass av_redis; appverify_redis_timeout 0; }
--- must_die
--- error_log eval
qr/\[emerg\].*invalid timeout "0": expected a time from 1ms to 1m/

=== a Redis timeout over a minute fails
--- http_config eval
$::http_config . "appverify_redis zone=av pass=/_redis;"
--- config
    location = /token { appverify_token zone=av; }
    location = /_redis { internal; appverify_redis_pass av_redis; appverify_redis_timeout 61s; }
--- must_die
--- error_log eval
qr/\[emerg\].*invalid timeout "61s": expected a time from 1ms to 1m/

=== two Redis stores for one zone fail
--- http_config eval
$::http_config . "appverify_redis zone=av pass=/_redis; appverify_redis zone=av pass=/_r2;"
--- config
    location = /token { appverify_token zone=av; }
--- must_die
--- error_log eval
qr/\[emerg\].*zone "av" has a redis already/

=== an unknown parameter fails
--- http_config eval
$::http_config . "appverify_redis zone=av pass=/_redis passwd=x;"
--- config
    location = /token { appverify_token zone=av; }
--- must_die
--- error_log eval
qr/\[emerg\].*invalid parameter "passwd=x"/

=== a password file that is missing fails, naming the file
--- http_config eval
$::http_config . "appverify_redis zone=av pass=/_redis password_file=$ENV{TEST_NGINX_ROOT}/t/data/no-such.pass;"
--- config
    location = /token { appverify_token zone=av; }
--- must_die
--- error_log eval
qr/\[emerg\].*cannot read redis password file ".*no-such\.pass"/

=== an empty password file fails
--- http_config eval
$::http_config . "appverify_redis zone=av pass=/_redis password_file=$ENV{TEST_NGINX_ROOT}/t/data/empty.pass;"
--- config
    location = /token { appverify_token zone=av; }
--- must_die
--- error_log eval
qr/\[emerg\].*appverify_redis: password file ".*empty\.pass" must hold one line of 1 to 512 bytes/

=== appverify_redis_pass twice in a location fails
--- http_config eval
$::http_config
--- config
    location = /token { appverify_token zone=av; }
    location = /_redis { internal; appverify_redis_pass av_redis; appverify_redis_pass av_redis; }
--- must_die
--- error_log eval
qr/\[emerg\].*"appverify_redis_pass" directive is duplicate/

=== the Redis location serves only appverify's own rounds
--- http_config eval
$::http_config
--- config
    location = /_redis { appverify_redis_pass av_redis; }
--- request
POST /_redis
*1\r\n$8\r\nFLUSHALL\r\n
--- error_code: 404
--- no_error_log
[error]
