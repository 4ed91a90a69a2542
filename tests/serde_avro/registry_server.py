#!/usr/bin/env python3
"""A small schema registry for the tests: the REST paths, status codes and
error bodies of Confluent's Schema Registry for the endpoints kstream uses.

    POST /subjects/{subject}/versions     {"schema": ...} -> {"id": N}
    POST /subjects/{subject}              {"schema": ...} -> {"subject", "id",
                                          "version", "schema"} (lookup)
    GET  /schemas/ids/{id}                -> {"schema": ...}
    GET  /subjects/{subject}/versions/latest -> {"subject", "id", "version",
                                          "schema"}

Errors: {"error_code": N, "message": "..."} with 40401 (subject not found),
40403 (schema not found), 42201 (invalid schema), 401 (unauthorized),
50301-like 503 answers during a simulated outage.

Switches:
    --user USER:PASSWORD   require basic auth (401 without or with others)
    --outage N             the first N requests fail (see --outage-mode)
    --outage-mode MODE     "503" (default): HTTP 503; "close": the connection
                           is closed without an answer
    --tls-cert F --tls-key F   serve HTTPS with this certificate and key
    --tls-client-ca F      require a client certificate signed by this CA
Test hooks (no auth): GET /__stats -> {"requests": N, "paths": {...}} counts
the API requests answered; POST /__outage {"count": N, "mode": "503"}.

Binds 127.0.0.1 on a free port (port 0) and prints "PORT <n>" on stdout.
Stdlib only; any python3.
"""
import argparse
import base64
import json
import re
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

CT = "application/vnd.schemaregistry.v1+json"


class State:
    def __init__(self, user, outage, mode):
        self.lock = threading.Lock()
        self.user = user
        self.outage = outage
        self.mode = mode
        self.schemas = []  # [(text, type)], id = index + 1
        self.by_norm = {}  # (normalized text, type) -> id
        self.subjects = {}  # subject -> [id, ...] (version = index + 1)
        self.requests = 0
        self.paths = {}


def normalize(text):
    try:
        return json.dumps(json.loads(text), sort_keys=True,
                          separators=(",", ":"))
    except ValueError:
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def send_json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", CT)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, code, message):
        self.send_json(status, {"error_code": code, "message": message})

    def body_json(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw or b"null")
        except ValueError:
            return None

    def authorized(self):
        st = self.server.state
        if not st.user:
            return True
        want = "Basic " + base64.b64encode(st.user.encode()).decode()
        return self.headers.get("Authorization") == want

    def handle_hooks(self, method):
        st = self.server.state
        if self.path == "/__stats" and method == "GET":
            with st.lock:
                self.send_json(200, {"requests": st.requests,
                                     "paths": dict(st.paths)})
            return True
        if self.path == "/__outage" and method == "POST":
            req = self.body_json() or {}
            with st.lock:
                st.outage = int(req.get("count", 0))
                st.mode = req.get("mode", "503")
            self.send_json(200, {})
            return True
        return False

    def dispatch(self, method):
        st = self.server.state
        if self.handle_hooks(method):
            return
        with st.lock:
            if st.outage > 0:
                st.outage -= 1
                mode = st.mode
            else:
                mode = None
        if mode == "close":
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        if mode:
            # drain the body so the connection stays usable
            self.body_json()
            self.error(503, 50301, "Service Unavailable (simulated outage)")
            return
        if not self.authorized():
            self.body_json()
            self.error(401, 401, "Unauthorized")
            return
        with st.lock:
            st.requests += 1
            key = method + " " + re.sub(r"/ids/\d+", "/ids/N", self.path)
            st.paths[key] = st.paths.get(key, 0) + 1
        self.api(method)

    def api(self, method):
        st = self.server.state
        m = re.fullmatch(r"/schemas/ids/(\d+)", self.path)
        if m and method == "GET":
            sid = int(m.group(1))
            with st.lock:
                if sid < 1 or sid > len(st.schemas):
                    return self.error(404, 40403,
                                      "Schema %d not found" % sid)
                text, stype = st.schemas[sid - 1]
            out = {"schema": text}
            if stype != "AVRO":
                out["schemaType"] = stype
            return self.send_json(200, out)
        m = re.fullmatch(r"/subjects/([^/]+)(/versions(/latest)?)?",
                         self.path)
        if not m:
            return self.error(404, 404, "HTTP 404 Not Found")
        subject = unquote(m.group(1))
        if method == "GET" and m.group(3):
            with st.lock:
                ids = st.subjects.get(subject)
                if not ids:
                    return self.error(404, 40401,
                                      "Subject '%s' not found." % subject)
                sid = ids[-1]
                return self.send_json(200, {
                    "subject": subject, "id": sid, "version": len(ids),
                    "schema": st.schemas[sid - 1][0]})
        if method != "POST" or m.group(3):
            return self.error(405, 405, "HTTP 405 Method Not Allowed")
        req = self.body_json()
        text = req.get("schema") if isinstance(req, dict) else None
        stype = (req.get("schemaType") if isinstance(req, dict) else None) \
            or "AVRO"
        norm = normalize(text) if isinstance(text, str) else None
        if norm is None:
            return self.error(422, 42201, "Invalid schema")
        with st.lock:
            if m.group(2):  # register
                sid = st.by_norm.get((norm, stype))
                if sid is None:
                    st.schemas.append((text, stype))
                    sid = len(st.schemas)
                    st.by_norm[(norm, stype)] = sid
                ids = st.subjects.setdefault(subject, [])
                if sid not in ids:
                    ids.append(sid)
                return self.send_json(200, {"id": sid})
            ids = st.subjects.get(subject)  # lookup
            if not ids:
                return self.error(404, 40401,
                                  "Subject '%s' not found." % subject)
            sid = st.by_norm.get((norm, stype))
            if sid not in ids:
                return self.error(404, 40403, "Schema not found")
            return self.send_json(200, {
                "subject": subject, "id": sid,
                "version": ids.index(sid) + 1, "schema": text})

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--user")
    ap.add_argument("--outage", type=int, default=0)
    ap.add_argument("--outage-mode", default="503")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--tls-client-ca")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.tls_client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(args.tls_client_ca)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.daemon_threads = True
    srv.state = State(args.user, args.outage, args.outage_mode)
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
