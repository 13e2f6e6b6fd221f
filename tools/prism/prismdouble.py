#!/usr/bin/env python3
"""A Prism Central v3 test double: what couchestord's controller calls, as
the real one answers it (../shared/reference/external-apis.md, section 1).

- HTTPS only; HTTP Basic on every request; bad or missing credentials get
  401 with a non-JSON body, as Prism Central's gateway sends.
- POST /api/nutanix/v3/clusters/list: the Prism Element cluster(s) and Prism
  Central itself (service_list PRISM_CENTRAL), metadata.total_matches.
- Categories: GET/PUT /categories/{key}, GET/PUT /categories/{key}/{value}
  (PUT creates, 201, or updates, 200; the body's name/value must match the path,
  at most 64 characters; a value needs its key: 404), POST
  /categories/{key}/list, DELETE of a value, and of a key only once its
  values are gone (409).  Errors are the *_status shape with message_list.
- Faults: POST /_double/fault {"status": 503, "count": 2, "path": "clusters"}
  answers the next matching requests with that status (429 with
  Retry-After: 1); {"hang": 2, "count": 1} holds them that many seconds;
  {"down": true} closes every connection unanswered until {"down": false}.
  GET /_double/requests lists what was asked (method, path, user);
  POST /_double/reset forgets categories, faults and requests.
"""
import argparse
import base64
import json
import re
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

V3 = "/api/nutanix/v3"


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.users = {u: args.password for u in args.user}
        self.cluster = args.cluster_uuid
        self.reset()

    def reset(self):
        self.categories = {}    # key -> {"description", "values": {value: description}}
        self.faults = []        # [{"status"|"hang", "count", "path"}]
        self.requests = []
        self.down = False


def error(code, reason, message, kind="category"):
    return code, {"api_version": "3.1", "code": code, "kind": kind, "state": "ERROR",
                  "message_list": [{"message": message, "reason": reason}]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PrismDouble/1"

    def log_message(self, fmt, *a):
        pass

    def reply(self, code, body, headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        if code == 204:
            data = b""
        self.send_response(code)
        self.send_header("Content-Type", "application/json" if not isinstance(body, bytes)
                         else "text/html")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return "bad"

    def user(self):
        h = self.headers.get("Authorization") or ""
        if not h.startswith("Basic "):
            return None
        try:
            u, _, p = base64.b64decode(h[6:]).decode().partition(":")
        except Exception:
            return None
        st = self.server.state
        return u if st.users.get(u) == p else None

    def handle_one(self, method):
        st = self.server.state
        path = self.path.split("?")[0]
        if path.startswith("/_double/"):
            return self.control(method, path)
        with st.lock:
            down = st.down
        if down:
            self.close_connection = True
            self.connection.close()
            return
        body = self.body()
        u = self.user()
        with st.lock:
            st.requests.append({"method": method, "path": path, "user": u})
            fault = None
            for f in st.faults:
                if f["count"] > 0 and f.get("path", "") in path:
                    f["count"] -= 1
                    fault = f
                    break
        if u is None:
            return self.reply(401, b"<html><body>401 Unauthorized</body></html>")
        if fault and "hang" in fault:
            time.sleep(fault["hang"])
        elif fault:
            hdrs = [("Retry-After", "1")] if fault["status"] == 429 else []
            code, b = error(fault["status"], "SERVICE_UNAVAILABLE", "injected fault")
            return self.reply(code, b, hdrs)
        if not path.startswith(V3 + "/"):
            return self.reply(*error(404, "ENTITY_NOT_FOUND", "no such endpoint"))
        if body == "bad":
            return self.reply(*error(400, "INVALID_REQUEST", "Request could not be processed."))
        code, out = self.route(method, path[len(V3):], body)
        self.reply(code, out)

    def route(self, method, p, body):
        st = self.server.state
        if p == "/clusters/list" and method == "POST":
            ents = [{"metadata": {"kind": "cluster", "uuid": st.cluster, "spec_version": 3,
                                  "categories": {}},
                     "spec": {"name": "pe-cluster"},
                     "status": {"resources": {"config": {"service_list": ["AOS"]}}}},
                    {"metadata": {"kind": "cluster", "uuid": "00000000-0000-0000-0000-00000000pc00",
                                  "spec_version": 1, "categories": {}},
                     "spec": {"name": "prism-central"},
                     "status": {"resources": {"config": {"service_list": ["PRISM_CENTRAL"]}}}}]
            return 200, {"api_version": "3.1", "metadata": {"kind": "cluster",
                                                           "total_matches": len(ents)},
                         "entities": ents}
        m = re.match(r"^/categories/([^/]+)(?:/([^/]+))?$", p)
        if m:
            from urllib.parse import unquote
            key = unquote(m.group(1))
            value = unquote(m.group(2)) if m.group(2) else None
            with st.lock:
                return self.category(method, key, value, body)
        return error(404, "ENTITY_NOT_FOUND", "no such endpoint")

    def category(self, method, key, value, body):
        st = self.server.state
        c = st.categories.get(key)
        if value == "list" and method == "POST":
            if c is None:
                return error(404, "ENTITY_NOT_FOUND", "Category %s not found" % key)
            ents = [{"name": key, "value": v, "system_defined": False, "description": d}
                    for v, d in sorted(c["values"].items())]
            return 200, {"api_version": "3.1", "metadata": {"kind": "category",
                                                           "total_matches": len(ents)},
                         "entities": ents}
        if method == "GET":
            if c is None or (value is not None and value not in c["values"]):
                return error(404, "ENTITY_NOT_FOUND", "Category %s not found" %
                             (key if value is None else key + ":" + value))
            if value is None:
                return 200, {"name": key, "description": c["description"],
                             "system_defined": False, "capabilities": {"cardinality": None},
                             "api_version": "3.1"}
            return 200, {"name": key, "value": value, "description": c["values"][value],
                         "system_defined": False, "api_version": "3.1"}
        if method == "PUT":
            field = "name" if value is None else "value"
            want = key if value is None else value
            if not isinstance(body, dict) or body.get(field) != want or not body.get("api_version"):
                return error(422, "INVALID_REQUEST", "%s must be %s, with api_version" %
                             (field, want))
            if len(want) > 64 or len(body.get("description") or "") > 1000:
                return error(422, "INVALID_REQUEST", "too long")
            if value is None:
                code = 200 if key in st.categories else 201
                st.categories.setdefault(key, {"values": {}})["description"] = \
                    body.get("description", "")
                return code, {"name": key, "description": body.get("description", ""),
                             "system_defined": False, "api_version": "3.1"}
            if c is None:
                return error(404, "ENTITY_NOT_FOUND", "Category %s not found" % key)
            code = 200 if value in c["values"] else 201
            c["values"][value] = body.get("description", "")
            return code, {"name": key, "value": value, "description": c["values"][value],
                         "system_defined": False, "api_version": "3.1"}
        if method == "DELETE":
            if c is None or (value is not None and value not in c["values"]):
                return error(404, "ENTITY_NOT_FOUND", "Category not found")
            if value is None:
                if c["values"]:
                    return error(409, "CONFLICT", "Category %s has values" % key)
                del st.categories[key]
            else:
                del c["values"][value]
            return 204, {}
        return error(405, "INVALID_REQUEST", "method not allowed")

    def control(self, method, path):
        st = self.server.state
        body = self.body() or {}
        with st.lock:
            if path == "/_double/requests":
                return self.reply(200, st.requests)
            if path == "/_double/categories":
                return self.reply(200, {k: sorted(v["values"]) for k, v in st.categories.items()})
            if path == "/_double/reset":
                st.reset()
            elif path == "/_double/fault":
                if "down" in body:
                    st.down = bool(body["down"])
                else:
                    st.faults.append({"status": body.get("status", 503),
                                      "count": body.get("count", 1),
                                      "path": body.get("path", ""),
                                      **({"hang": body["hang"]} if "hang" in body else {})})
            else:
                return self.reply(404, {"error": "no such control"})
        self.reply(200, {"ok": True})

    def do_GET(self):
        self.handle_one("GET")

    def do_POST(self):
        self.handle_one("POST")

    def do_PUT(self):
        self.handle_one("PUT")

    def do_DELETE(self):
        self.handle_one("DELETE")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--user", action="append", default=[],
                    help="a user (repeatable; default admin), all with --password")
    ap.add_argument("--password", required=True)
    ap.add_argument("--cluster-uuid", default="0005a1b2-c3d4-e5f6-0000-000000000001")
    ap.add_argument("--ready-file", required=True)
    args = ap.parse_args()
    args.user = args.user or ["admin"]
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.state = State(args)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(args.ready_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(args.ready_file + ".tmp", args.ready_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
