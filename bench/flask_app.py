"""bench/flask_app.py: what operators run today instead of the module.

Two endpoints, written the way an app-server team would, with Flask and
PyJWT from Debian, served by gunicorn behind nginx:

  GET /token?phone=...  mints the same JWT claims as appverify_token
                        (iss, iat, exp, xid, phn; HS256 under the decoded
                        API key) and the same session credential cookie.
  GET /auth             for nginx's auth_request: checks the appverify
                        cookie's credential (HMAC-SHA256 under the session
                        secret, as the README describes) and that its xid
                        is verified; 204, or 401.

Deliberately lighter than the module, so the comparison flatters Flask:
the token service keeps no state (no duplicate or rate rule, no record),
and /auth looks the xid up in an in-process set loaded at start
(BENCH_VERIFIED_FILE, one xid a line) instead of a shared store.
"""

import base64
import hashlib
import hmac
import os
import re
import time
import uuid

import jwt
from flask import Flask, Response, request

CUSTOMER_ID = os.environ.get("BENCH_CUSTOMER_ID",
                             "FFFFFFFF-EEEE-DDDD-1234-AB1234567890")


def _decode_key(text):
    # lenient, as Telesign's SDKs: drop what is not base64, pad, decode
    k = re.sub(r"[^A-Za-z0-9+/]", "", text)
    k += "=" * ((4 - len(k) % 4) % 4)
    return base64.b64decode(k)


with open(os.environ["BENCH_API_KEY_FILE"]) as f:
    API_KEY = _decode_key(f.read())
with open(os.environ["BENCH_SESSION_KEY_FILE"], "rb") as f:
    SESSION_KEY = f.read().rstrip(b"\n")

VERIFIED = set()
if os.environ.get("BENCH_VERIFIED_FILE"):
    with open(os.environ["BENCH_VERIFIED_FILE"]) as f:
        VERIFIED = {line.strip() for line in f if line.strip()}

TOKEN_LIFETIME = 30
SESSION_LIFETIME = 12 * 3600

app = Flask(__name__)


def _b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _mac(xid, exp):
    msg = b"av1\0" + xid.encode() + b"\0" + exp.encode()
    return _b64url(hmac.new(SESSION_KEY, msg, hashlib.sha256).digest()[:16])


@app.route("/token")
def token():
    phone = re.sub(r"[\s\-.()/]", "", request.args.get("phone", ""))
    if phone.startswith("+"):
        phone = phone[1:]
    elif phone.startswith("00"):
        phone = phone[2:]
    if not phone.isdigit() or not 8 <= len(phone) <= 15:
        return {"error": "invalid_phone", "message": "Invalid phone."}, 400
    now = int(time.time())
    xid = str(uuid.uuid4())
    tok = jwt.encode({"iss": CUSTOMER_ID, "iat": now,
                      "exp": now + TOKEN_LIFETIME, "xid": xid, "phn": phone},
                     API_KEY, algorithm="HS256")
    exp = str(now + SESSION_LIFETIME)
    resp = Response(tok, mimetype="text/plain")
    resp.set_cookie("appverify", xid + "." + exp + "." + _mac(xid, exp),
                    max_age=SESSION_LIFETIME, httponly=True, samesite="Lax")
    return resp


@app.route("/auth")
def auth():
    cred = request.cookies.get("appverify", "")
    parts = cred.rsplit(".", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return Response(status=401)
    xid, exp, mac = parts
    if not hmac.compare_digest(mac, _mac(xid, exp)):
        return Response(status=401)
    if int(exp) <= time.time() or xid not in VERIFIED:
        return Response(status=401)
    return Response(status=204)
