#!/usr/bin/env bash
# make demo: the SDK verification flow, end to end, on loopback.
#
# Starts nginx with the appverify module and the Telesign simulator, then
# walks both flows step by step, printing each request and answer.
# The SDK flow:
#   1. the app asks the edge for a JWT (token endpoint)
#   2. the protected page refuses the session while it is pending
#   3. the SDK hands the JWT to Telesign (the simulator), which checks it
#      and POSTs its signed callback to the edge
#   4. the status endpoint shows the verified record
#   5. the protected page lets the verified session through
# The missed-call flow:
#   6. the app asks the edge to call the phone; the edge signs the
#      initiate call to Telesign and answers the caller-ID prefix
#   7. the simulated phone shows the missed call; its last five digits
#   8. are sent to the finalize endpoint, which asks Telesign
#   9. the protected page lets that session through too
# Everything it started is stopped when it exits.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/build/demo
nginx_port=${DEMO_PORT:-18081}
sim_port=${DEMO_SIM_PORT:-18080}
customer_id=FFFFFFFF-EEEE-DDDD-1234-AB1234567890
base=http://127.0.0.1:$nginx_port

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
show() { printf '  $ %s\n' "$*"; }

cleanup() {
    [ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
    [ -f "$dir/sim.pid" ] && kill "$(cat "$dir/sim.pid")" 2>/dev/null || true
}
trap cleanup EXIT

rm -rf "$dir" && mkdir -p "$dir/html" "$dir/body" "$dir/proxy"

# A fresh random API key for this run: the demo never uses a real one.
head -c 64 /dev/urandom | base64 -w0 > "$dir/telesign.key"
chmod 600 "$dir/telesign.key"
echo "Welcome, verified user." > "$dir/html/index.html"

sed -e "s|@MODULE@|$root/build/ngx_http_appverify_module.so|" \
    -e "s|@DIR@|$dir|g" -e "s|@PORT@|$nginx_port|" \
    -e "s|@CUSTOMER_ID@|$customer_id|" -e "s|@SIM_PORT@|$sim_port|" \
    "$root/examples/demo/nginx.conf.in" > "$dir/nginx.conf"

bold "Starting the Telesign simulator on 127.0.0.1:$sim_port"
"$root/examples/telesign-sim/telesign-sim" --listen "127.0.0.1:$sim_port" \
    --customer-id "$customer_id" --api-key-file "$dir/telesign.key" \
    --callback-url "$base/appverify/callback" --time-scale 0.01 \
    --pidfile "$dir/sim.pid" --log "$dir/sim.log" >/dev/null &

for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$sim_port/_sim/health" >/dev/null && break
    sleep 0.1
done

bold "Starting nginx with the appverify module on 127.0.0.1:$nginx_port"
/usr/sbin/nginx -t -q -p "$dir" -c "$dir/nginx.conf"
/usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf"
for _ in $(seq 50); do
    curl -s -o /dev/null "$base/" && break
    sleep 0.1
done

# pretty-print a JWT's header and claims (base64url-decoded, not verified)
jwt_claims() {
    perl -MMIME::Base64 -e '
        for (split /\./, $ARGV[0], 3) { last if $i++ == 2; tr{-_}{+/};
            $_ .= "=" x ((4 - length() % 4) % 4); print "    ", decode_base64($_), "\n" }' "$1"
}

bold "1. The app asks the edge for a JWT for +1 (555) 555-1234"
show "curl -i -X POST $base/appverify/token -d country_code=1 -d phone_number=5555551234"
resp=$(curl -si -X POST "$base/appverify/token" -d country_code=1 -d phone_number=5555551234)
printf '%s\n' "$resp" | sed 's/^/    /'
jwt=$(printf '%s' "$resp" | tail -n1)
cookie=$(printf '%s' "$resp" | sed -n 's/^Set-Cookie: \(appverify=[^;]*\).*/\1/p')
xid=$(printf '%s' "$cookie" | sed 's/^appverify=\(.*\)\.[0-9]*\.[^.]*$/\1/')
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
echo "  The simulator's log of the delivery:"
sed 's/^/    /' "$dir/sim.log" | grep -i callback | tail -n 3
echo "  nginx's log of it:"
grep 'appverify: callback' "$dir/error.log" | sed 's/^/    /' | tail -n 1

bold "4. The app asks for its status"
show "curl -s --cookie '$cookie' $base/appverify/status"
curl -s --cookie "$cookie" "$base/appverify/status" | sed 's/^/    /'

bold "5. The protected page now lets the verified session through"
show "curl -i --cookie '$cookie' $base/account/"
out=$(curl -si --cookie "$cookie" "$base/account/")
printf '%s\n' "$out" | sed 's/^/    /'

printf '%s' "$out" | head -n1 | grep -q ' 200 ' || {
    echo "the gate did not let the verified session through" >&2
    exit 1
}

bold "6. Missed-call verification: the app asks the edge to call +44 7981 897555"
show "curl -si -X POST $base/appverify/call -d country_code=44 -d phone_number=07981897555"
resp=$(curl -si -X POST "$base/appverify/call" -d country_code=44 -d phone_number=07981897555)
printf '%s\n' "$resp" | sed 's/^/    /'
cookie2=$(printf '%s' "$resp" | sed -n 's/^Set-Cookie: \(appverify=[^;]*\).*/\1/p')
prefix=$(printf '%s' "$resp" | tail -n1 | sed 's/.*"prefix":"\([0-9]*\)".*/\1/')
echo "  The app shows: \"We are calling you from +$prefix?????. Don't answer:"
echo "  the last five digits of the number are your code.\""
echo "  What the edge sent Telesign (the simulator checked its signature):"
curl -s "http://127.0.0.1:$sim_port/_sim/requests" | perl -MJSON::PP -e '
    my $r = decode_json(join "", <STDIN>);
    for (@$r) { printf "    %s %s  signature_ok=%s\n", $_->{method}, $_->{path},
                       $_->{signature_ok} ? "true" : "false" }'

bold "7. The simulated phone's call log shows the missed call"
show "curl -s http://127.0.0.1:$sim_port/_sim/calls?phone=447981897555"
calls=$(curl -s "http://127.0.0.1:$sim_port/_sim/calls?phone=447981897555")
printf '    %s\n' "$calls"
from=$(printf '%s' "$calls" | sed 's/.*"from":"\([0-9]*\)".*/\1/')
code=${from: -5}
echo "  Missed call from +$from: the user types the last five digits, $code"

bold "8. The app sends the five digits to the edge, which finalizes with Telesign"
show "curl -s -X POST --cookie '$cookie2' $base/appverify/finalize -d code=$code"
curl -s -X POST --cookie "$cookie2" "$base/appverify/finalize" -d "code=$code" | sed 's/^/    /'

bold "9. The protected page lets the missed-call session through too"
show "curl -si --cookie '$cookie2' $base/account/"
out=$(curl -si --cookie "$cookie2" "$base/account/")
printf '%s\n' "$out" | sed 's/^/    /'

if printf '%s' "$out" | head -n1 | grep -q ' 200 '; then
    bold "Done: both phones were verified and the gate let both sessions through."
    echo "  (nginx and the simulator are stopped now; logs are in $dir)"
else
    echo "the gate did not let the missed-call session through" >&2
    exit 1
fi
