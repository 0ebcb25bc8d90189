#!/usr/bin/env bash
# make demo-apache: the SDK verification flow, end to end, on Apache httpd.
#
# Starts Debian's apache2 with mod_appverify (a config of its own, no
# /etc/apache2) and the Telesign simulator on loopback, then walks the flow
# step by step, printing each request and answer:
#   1. the app asks the edge for a JWT (appverify-token)
#   2. the protected page refuses the session while it is pending
#   3. Telesign (the simulator) POSTs its signed callback to the edge
#   4. the status endpoint shows the verified record
#   5. the protected page lets the verified session through, with the phone
#      in the request's env (shown here as a response header)
# Everything it started is stopped when it exits.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/build/demo-apache
port=${DEMO_APACHE_PORT:-19868}
sim_port=${DEMO_APACHE_SIM_PORT:-19869}
customer_id=FFFFFFFF-EEEE-DDDD-1234-AB1234567890
base=http://127.0.0.1:$port

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
show() { printf '  $ %s\n' "$*"; }

cleanup() {
    [ -f "$dir/logs/httpd.pid" ] && kill "$(cat "$dir/logs/httpd.pid")" 2>/dev/null || true
    [ -f "$dir/sim.pid" ] && kill "$(cat "$dir/sim.pid")" 2>/dev/null || true
}
trap cleanup EXIT

rm -rf "$dir" && mkdir -p "$dir/html" "$dir/logs" "$dir/run"
chmod 755 "$dir" "$dir/html" "$dir/run"

# A fresh random API key for this run: the demo never uses a real one.
head -c 64 /dev/urandom | base64 -w0 > "$dir/telesign.key"
chmod 600 "$dir/telesign.key"
echo "Welcome, verified user." > "$dir/html/index.html"

cat > "$dir/httpd.conf" <<EOF
ServerRoot "$dir"
DefaultRuntimeDir "$dir/run"
PidFile "$dir/logs/httpd.pid"
Listen 127.0.0.1:$port
ServerName localhost
DocumentRoot "$dir/html"
User nobody
Group nogroup
ErrorLog "$dir/logs/error.log"
LogLevel info
LoadModule mpm_event_module      /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authn_core_module     /usr/lib/apache2/modules/mod_authn_core.so
LoadModule authz_core_module     /usr/lib/apache2/modules/mod_authz_core.so
LoadModule socache_shmcb_module  /usr/lib/apache2/modules/mod_socache_shmcb.so
LoadModule alias_module          /usr/lib/apache2/modules/mod_alias.so
LoadModule mime_module           /usr/lib/apache2/modules/mod_mime.so
LoadModule dir_module            /usr/lib/apache2/modules/mod_dir.so
LoadModule headers_module        /usr/lib/apache2/modules/mod_headers.so
LoadModule appverify_module      $root/build/mod_appverify.so
StartServers 1
MinSpareThreads 4
MaxSpareThreads 16
ThreadsPerChild 8
MaxRequestWorkers 16
TypesConfig /etc/mime.types
DirectoryIndex index.html

AppVerifyCustomerId   $customer_id
AppVerifyApiKeyFile   $dir/telesign.key
AppVerifyCache        shmcb:$dir/run/appverify(1048576)
AppVerifyTelesignURL  http://127.0.0.1:$sim_port
AppVerifyCookieSecure Off

<Directory "$dir/html">
    Require all granted
</Directory>
<Location /appverify/token>
    SetHandler appverify-token
</Location>
<Location /appverify/callback>
    SetHandler appverify-callback
</Location>
<Location /appverify/status>
    SetHandler appverify-status
</Location>
Alias /account/ "$dir/html/"
<Location /account/>
    Require appverify-verified
    Header always set X-Verified-Phone "%{APPVERIFY_PHONE}e" env=APPVERIFY_PHONE
</Location>
EOF

bold "Starting the Telesign simulator on 127.0.0.1:$sim_port"
"$root/examples/telesign-sim/telesign-sim" --listen "127.0.0.1:$sim_port" \
    --customer-id "$customer_id" --api-key-file "$dir/telesign.key" \
    --callback-url "$base/appverify/callback" --time-scale 0.01 \
    --pidfile "$dir/sim.pid" --log "$dir/sim.log" >/dev/null &

for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$sim_port/_sim/health" >/dev/null && break
    sleep 0.1
done

bold "Starting Apache httpd with mod_appverify on 127.0.0.1:$port"
/usr/sbin/apache2 -t -f "$dir/httpd.conf"
/usr/sbin/apache2 -f "$dir/httpd.conf" -k start
for _ in $(seq 50); do
    curl -s -o /dev/null "$base/" && break
    sleep 0.1
done

jwt_claims() {
    perl -MMIME::Base64 -e '
        for (split /\./, $ARGV[0], 3) { last if $i++ == 2; tr{-_}{+/};
            $_ .= "=" x ((4 - length() % 4) % 4); print "    ", decode_base64($_), "\n" }' "$1"
}

bold "1. The app asks the edge for a JWT for +1 (555) 555-1234"
show "curl -i -X POST $base/appverify/token -d country_code=1 -d phone_number=5555551234"
resp=$(curl -si -X POST "$base/appverify/token" -d country_code=1 -d phone_number=5555551234 | tr -d '\r')
printf '%s\n' "$resp" | sed 's/^/    /'
jwt=$(printf '%s' "$resp" | tail -n1)
cookie=$(printf '%s' "$resp" | sed -n 's/^Set-Cookie: \(appverify=[^;]*\).*/\1/p')
echo "  The SDK gets the bare JWT; its header and claims are:"
jwt_claims "$jwt"

bold "2. While Telesign has not answered, the protected page says 'pending'"
show "curl -i --cookie '$cookie' $base/account/"
curl -si --cookie "$cookie" "$base/account/" | sed 's/^/    /'

bold "3. The SDK hands the JWT to Telesign, which checks it, calls the phone and POSTs a signed callback"
show "curl -X POST http://127.0.0.1:$sim_port/_sim/sdk/verify -d '{\"token\":\"<the JWT>\",\"wait\":true}'"
answer=$(curl -s -X POST "http://127.0.0.1:$sim_port/_sim/sdk/verify" \
    -H 'Content-Type: application/json' -d "{\"token\":\"$jwt\",\"wait\":true}")
printf '    %s\n' "$answer"
case $answer in
    *'"status":"delivered"'*) ;;
    *) echo "the callback was not delivered; see $dir/sim.log" >&2; exit 1 ;;
esac
echo "  httpd's log of it:"
grep 'appverify: callback' "$dir/logs/error.log" | sed 's/^/    /' | tail -n 1

bold "4. The app asks for its status"
show "curl -s --cookie '$cookie' $base/appverify/status"
curl -s --cookie "$cookie" "$base/appverify/status" | sed 's/^/    /'

bold "5. The protected page now lets the verified session through"
show "curl -i --cookie '$cookie' $base/account/"
out=$(curl -si --cookie "$cookie" "$base/account/")
printf '%s\n' "$out" | sed 's/^/    /'

if printf '%s' "$out" | head -n1 | grep -q ' 200 '; then
    bold "Done: the phone was verified and httpd's gate let the session through."
    echo "  (httpd and the simulator are stopped now; logs are in $dir)"
else
    echo "the gate did not let the verified session through" >&2
    exit 1
fi
