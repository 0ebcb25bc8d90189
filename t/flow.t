# The whole SDK flow against the Telesign simulator, which signs its
# callbacks with its own implementation (not common/).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use AppVerify::Test qw(cb signed cookie bearer);
use AppVerify::Sim;

no_shuffle();
no_long_string();
log_level('info');

AppVerify::Sim::start();

our $http_config = $AppVerify::Test::HTTP_CONFIG;

our $locations = <<'_EOC_';
    location = /token    { appverify_token zone=av; }
    location = /callback { appverify_callback zone=av; }
    location = /status   { appverify_status zone=av; }
    location /account/   { appverify_require zone=av; alias html/; }
    location /sim/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SIM_PORT/_sim/;
        proxy_read_timeout 10s;
    }
_EOC_

sub sim {
    my ($xid, %a) = @_;
    my $code = $a{code} // 1800;
    my $sign = defined $a{sign} ? qq(,"sign":$a{sign}) : '';
    return qq(POST /sim/callback\n{"xid":"$xid","code":$code,"phone":"15555551234","wait":true$sign});
}


run_tests();

__DATA__

=== token, Telesign's signed callback, status, then the gate lets the session through
--- http_config eval: $::http_config
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "GET /token?phone=%2B1%20555%20555%201234&xid=flow-1",
  "GET /account/index.html",
  main::sim("flow-1"),
  "GET /status",
  "GET /account/index.html" ]
--- more_headers eval
[ "", main::cookie("flow-1"), "Content-Type: application/json", main::cookie("flow-1"), main::cookie("flow-1") ]
--- timeout: 10
--- error_code eval
[200, 401, 200, 200, 200]
--- response_body_like eval
[ "^eyJ", '"error":"pending"', '(?=.*"status":"delivered")(?=.*"http_status":200)',
  '"verified":true,"state":"verified","status":\{"code":1800', "^members only\$" ]



=== a callback signed with another key is refused every time Telesign retries, and changes nothing
--- http_config eval: $::http_config
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "GET /token?phone=15555551234&xid=flow-2",
  main::sim("flow-2", sign => '"bad"'),
  "GET /account/index.html" ]
--- more_headers eval
[ "", "Content-Type: application/json", main::cookie("flow-2") ]
--- timeout: 15
--- error_code eval
[200, 200, 401]
--- response_body_like eval
[ "^eyJ", '(?=.*"status":"given_up")(?=.*"http_status":401)', '"error":"pending"' ]



=== an unsigned callback is refused; failed (1803) from Telesign turns the gate to 403
--- http_config eval: $::http_config
--- config eval: $::locations
--- user_files
>>> index.html
members only
--- request eval
[ "GET /token?phone=15555551234&xid=flow-3",
  main::sim("flow-3", sign => 'false'),
  main::sim("flow-3", code => 1803),
  "GET /account/index.html" ]
--- more_headers eval
[ "", "Content-Type: application/json", "Content-Type: application/json", main::cookie("flow-3") ]
--- timeout: 15
--- error_code eval
[200, 200, 200, 403]
--- response_body_like eval
[ "^eyJ", '(?=.*"status":"given_up")(?=.*"http_status":401)', '(?=.*"status":"delivered")(?=.*"http_status":200)', '"error":"failed"' ]
