# The gate under "satisfy any": when another access module lets the
# request in, the gate's refusal changes nothing of what the location
# sends, neither an upstream's own 401 body nor its headers.  nginx 1.23+
# walks WWW-Authenticate headers as a list there, so each one we push
# ends the list (run under ASan by make test-asan).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb signed cookie bearer);

no_shuffle();
no_long_string();
log_level('info');

our $http_config = $AppVerify::Test::HTTP_CONFIG;

# the application behind the gate answers 401 of its own
our $app = <<'_EOC_';
    location = /app401 {
        add_header WWW-Authenticate 'Basic realm="app"' always;
        return 401 '{"app":"its own 401"}';
    }
    location = /app200 { return 200 'app page'; }
_EOC_

run_tests();

__DATA__

=== satisfy any with allow: an upstream's own 401 reaches the client as it is
--- http_config eval: $::http_config
--- config eval
$::app . q{
    location /account/ {
        satisfy any;
        allow 127.0.0.1;
        deny all;
        appverify_require zone=av;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/app401$is_args;
    }
}
--- request
GET /account/x
--- error_code: 401
--- response_body: {"app":"its own 401"}
--- response_headers
WWW-Authenticate: Basic realm="app"
--- no_error_log
[alert]
[crit]



=== satisfy any with allow: a passing request carries no WWW-Authenticate of the gate
--- http_config eval: $::http_config
--- config eval
$::app . q{
    location /account/ {
        satisfy any;
        allow 127.0.0.1;
        deny all;
        appverify_require zone=av;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/app200$is_args;
    }
}
--- request
GET /account/x
--- error_code: 200
--- response_body: app page
--- response_headers
WWW-Authenticate:



=== satisfy any with a valid auth_basic user (its header pushed after ours): the app's answer, no challenge
--- http_config eval: $::http_config
--- config eval
$::app . q{
    location /account/ {
        satisfy any;
        appverify_require zone=av;
        auth_basic "staff";
        auth_basic_user_file ../html/htpasswd;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/app200$is_args;
    }
}
--- user_files
>>> htpasswd
ops:{PLAIN}secret
--- request
GET /account/x
--- more_headers
Authorization: Basic b3BzOnNlY3JldA==
--- error_code: 200
--- response_body: app page
--- response_headers
WWW-Authenticate:
--- no_error_log
[alert]
[crit]



=== satisfy any with a valid auth_basic user and an app that answers 401: the app's body
--- http_config eval: $::http_config
--- config eval
$::app . q{
    location /account/ {
        satisfy any;
        appverify_require zone=av;
        auth_basic "staff";
        auth_basic_user_file ../html/htpasswd;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/app401$is_args;
    }
}
--- user_files
>>> htpasswd
ops:{PLAIN}secret
--- request
GET /account/x
--- more_headers
Authorization: Basic b3BzOnNlY3JldA==
--- error_code: 401
--- response_body: {"app":"its own 401"}
--- response_headers
WWW-Authenticate: Basic realm="app"



=== satisfy any with a wrong auth_basic password: refused, with the gate's JSON
--- http_config eval: $::http_config
--- config eval
$::app . q{
    location /account/ {
        satisfy any;
        appverify_require zone=av;
        auth_basic "staff";
        auth_basic_user_file ../html/htpasswd;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/app200$is_args;
    }
}
--- user_files
>>> htpasswd
ops:{PLAIN}secret
--- request
GET /account/x
--- more_headers
Authorization: Basic b3BzOndyb25n
--- error_code: 401
--- response_body_like: ^\{"error":"(no_credential|bad_credential)"
--- no_error_log
[alert]
[crit]



=== satisfy any, the gate and auth_basic both refuse, auth_basic's WWW-Authenticate pushed after ours: 401, the gate's JSON, both challenges once, ours first
--- http_config eval: $::http_config
--- config eval
$::app . q{
    location /account/ {
        satisfy any;
        appverify_require zone=av;
        auth_basic "staff";
        auth_basic_user_file ../html/htpasswd;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/app200$is_args;
    }
}
--- user_files
>>> htpasswd
ops:{PLAIN}secret
--- request
GET /account/x
--- more_headers
Authorization: Basic b3BzOndyb25n
--- error_code: 401
--- response_body_like: ^\{"error":"no_credential"
--- raw_response_headers_like eval
qr{\A(?:(?!WWW-Authenticate).)*
   WWW-Authenticate:\ Bearer\ realm="appverify"\r\n
   (?:(?!WWW-Authenticate).)*
   WWW-Authenticate:\ Basic\ realm="staff"\r\n
   (?:(?!WWW-Authenticate).)*\z}sx
--- no_error_log
[alert]
[crit]



=== satisfy any, the gate and auth_basic refuse (its WWW-Authenticate pushed after ours), auth_request lets the request in: the app's answer, no challenge of either
--- http_config eval: $::http_config
--- config eval
$::app . q{
    location /account/ {
        satisfy any;
        appverify_require zone=av;
        auth_basic "staff";
        auth_basic_user_file ../html/htpasswd;
        auth_request /sso-ok;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/app200$is_args;
    }
    location = /sso-ok { internal; return 204; }
}
--- user_files
>>> htpasswd
ops:{PLAIN}secret
--- request
GET /account/x
--- more_headers
Authorization: Basic b3BzOndyb25n
--- error_code: 200
--- response_body: app page
--- raw_response_headers_unlike: WWW-Authenticate
--- no_error_log
[alert]
[crit]



=== satisfy any, the gate and auth_basic refuse, auth_request lets in, the app answers 401: only the app's own challenge
--- http_config eval: $::http_config
--- config eval
$::app . q{
    location /account/ {
        satisfy any;
        appverify_require zone=av;
        auth_basic "staff";
        auth_basic_user_file ../html/htpasswd;
        auth_request /sso-ok;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/app401$is_args;
    }
    location = /sso-ok { internal; return 204; }
}
--- user_files
>>> htpasswd
ops:{PLAIN}secret
--- request
GET /account/x
--- more_headers
Authorization: Basic b3BzOndyb25n
--- error_code: 401
--- response_body: {"app":"its own 401"}
--- raw_response_headers_like eval
qr{\A(?:(?!WWW-Authenticate).)*
   WWW-Authenticate:\ Basic\ realm="app"\r\n
   (?:(?!WWW-Authenticate).)*\z}sx
--- no_error_log
[alert]
[crit]



=== satisfy any, the gate, auth_basic and auth_request all refuse (auth_request's challenge from its upstream, pushed last): 401, the gate's JSON, the three challenges once each in order
--- http_config eval: $::http_config
--- config eval
$::app . q{
    location /account/ {
        satisfy any;
        appverify_require zone=av;
        auth_basic "staff";
        auth_basic_user_file ../html/htpasswd;
        auth_request /sso-no;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/app200$is_args;
    }
    location = /sso-no {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/app401;
        proxy_pass_request_body off;
    }
}
--- user_files
>>> htpasswd
ops:{PLAIN}secret
--- request
GET /account/x
--- more_headers
Authorization: Basic b3BzOndyb25n
--- error_code: 401
--- response_body_like: ^\{"error":"no_credential"
--- raw_response_headers_like eval
qr{\A(?:(?!WWW-Authenticate).)*
   WWW-Authenticate:\ Bearer\ realm="appverify"\r\n
   (?:(?!WWW-Authenticate).)*
   WWW-Authenticate:\ Basic\ realm="staff"\r\n
   (?:(?!WWW-Authenticate).)*
   WWW-Authenticate:\ Basic\ realm="app"\r\n
   (?:(?!WWW-Authenticate).)*\z}sx
--- no_error_log
[alert]
[crit]



=== satisfy all: the gate's refusal is JSON with its challenge, as before
--- http_config eval: $::http_config
--- config eval
$::app . q{
    location /account/ {
        appverify_require zone=av;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/app200$is_args;
    }
}
--- request
GET /account/x
--- error_code: 401
--- response_body_like: ^\{"error":"no_credential"
--- response_headers
WWW-Authenticate: Bearer realm="appverify"
