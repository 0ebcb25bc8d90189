#!/usr/bin/env bash
# make demo: both verification flows, end to end, on loopback, then the
# verification page for a person to try.
#
# Starts nginx with the appverify module and the Telesign simulator
# (examples/demo/stack), then walks both flows step by step, printing each
# request and answer.
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
# Then, when stdin is a terminal (and DEMO_SERVE is not 0), it prints the
# verification page's URL and keeps serving until Ctrl-C.  Otherwise (CI,
# scripts, DEMO_SERVE=0) it stops after the walk-through.
# Everything it started is stopped when it exits.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/build/demo
nginx_port=${DEMO_PORT:-18081}
sim_port=${DEMO_SIM_PORT:-18080}
base=http://127.0.0.1:$nginx_port
stack=$root/examples/demo/stack

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
show() { printf '  $ %s\n' "$*"; }

cleanup() { "$stack" stop "$dir"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

bold "Starting the Telesign simulator on 127.0.0.1:$sim_port and nginx with the appverify module on 127.0.0.1:$nginx_port"
"$stack" start "$dir" "$nginx_port" "$sim_port"

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

printf '%s' "$out" | head -n1 | grep -q ' 200 ' || {
    echo "the gate did not let the missed-call session through" >&2
    exit 1
}
bold "Done: both phones were verified and the gate let both sessions through."

if [ -t 0 ] && [ "${DEMO_SERVE:-1}" != 0 ]; then
    bold "Now try it yourself: open the verification page in a browser on this machine"
    echo
    printf '    \033[1;4m%s\033[0m\n' "$base/"
    echo
    echo "  It calls a simulated phone (shown beside the form); its last five digits are the code."
    echo "  After verifying, $base/account/ lets that browser in; a private window gets a 401."
    echo "  nginx and the simulator keep serving until you press Ctrl-C (logs: $dir)."
    trap 'echo; echo "  Stopping nginx and the simulator."; exit 0' INT TERM
    while :; do sleep 1; done
fi
echo "  (nginx and the simulator are stopped now; logs are in $dir)"
