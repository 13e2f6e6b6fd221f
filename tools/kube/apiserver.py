#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A Kubernetes API server test double, for the parts couchestord uses.

No kube-apiserver can run here, so this follows the real one where it
matters to a client (../shared/reference/external-apis.md, the API
conventions): one resourceVersion counter over every object, lists with
limit/continue over a consistent snapshot, watches of newline-delimited
JSON from a resourceVersion (written in pieces at random byte
boundaries, with bookmarks, and a 410 Expired in the stream or as the
HTTP status once history is compacted), create/PUT/merge-patch/DELETE
with 409 Conflict on a stale resourceVersion and AlreadyExists, the
status subresource (writes to the resource ignore status, writes to
/status ignore the rest, generation moves with spec), Events validated
as the real server validates them, bearer tokens (401 on a stale one),
discovery for kubectl, and faults on request: 429/500/410 answers,
delays, dropped connections, a client cut off by its token.

    apiserver.py --port 0 --cert C --key K --token-file F --ready-file R

prints the port it took into R once it listens. Its control API,
under /_double/, needs no token:
    POST /_double/fault   {"match": "REGEX on 'METHOD /path?query'",
                           "status": 500, "times": 3, "delay_ms": 0,
                           "drop": false, "token": "only this token"}
    POST /_double/reset   clears faults
    POST /_double/tokens  {"tokens": ["t1", ...]}: the ones now valid
    POST /_double/compact forgets history: old resourceVersions get 410,
                          open watches get an ERROR 410 and end
    GET  /_double/stats   {"requests": {"METHOD /path": n}, "writes":
                          {"token": {"METHOD /path": n}}}
"""
import argparse
import base64
import copy
import json
import os
import random
import re
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

# (group, version, plural) -> kind, namespaced, status subresource, short names
RESOURCES = {
    ("", "v1", "namespaces"): ("Namespace", False, True, ["ns"]),
    ("", "v1", "nodes"): ("Node", False, True, ["no"]),
    ("", "v1", "persistentvolumeclaims"): ("PersistentVolumeClaim", True, True, ["pvc"]),
    ("", "v1", "persistentvolumes"): ("PersistentVolume", False, True, ["pv"]),
    ("", "v1", "events"): ("Event", True, False, ["ev"]),
    ("", "v1", "configmaps"): ("ConfigMap", True, False, ["cm"]),
    ("", "v1", "secrets"): ("Secret", True, False, []),
    ("", "v1", "serviceaccounts"): ("ServiceAccount", True, False, ["sa"]),
    ("", "v1", "services"): ("Service", True, True, ["svc"]),
    ("", "v1", "pods"): ("Pod", True, True, ["po"]),
    ("coordination.k8s.io", "v1", "leases"): ("Lease", True, False, []),
    ("storage.k8s.io", "v1", "storageclasses"): ("StorageClass", False, False, ["sc"]),
    ("storage.k8s.io", "v1", "volumeattachments"): ("VolumeAttachment", False, True, []),
    ("apiextensions.k8s.io", "v1", "customresourcedefinitions"):
        ("CustomResourceDefinition", False, True, ["crd"]),
    # What deploy/ holds, so that kubectl can apply and read it all back.
    ("", "v1", "limitranges"): ("LimitRange", True, False, ["limits"]),
    ("apps", "v1", "deployments"): ("Deployment", True, True, ["deploy"]),
    ("apps", "v1", "daemonsets"): ("DaemonSet", True, True, ["ds"]),
    ("policy", "v1", "poddisruptionbudgets"): ("PodDisruptionBudget", True, True, ["pdb"]),
    ("networking.k8s.io", "v1", "networkpolicies"): ("NetworkPolicy", True, False, ["netpol"]),
    ("rbac.authorization.k8s.io", "v1", "clusterroles"): ("ClusterRole", False, False, []),
    ("rbac.authorization.k8s.io", "v1", "clusterrolebindings"): ("ClusterRoleBinding", False, False, []),
    ("rbac.authorization.k8s.io", "v1", "roles"): ("Role", True, False, []),
    ("rbac.authorization.k8s.io", "v1", "rolebindings"): ("RoleBinding", True, False, []),
    ("monitoring.coreos.com", "v1", "servicemonitors"): ("ServiceMonitor", True, False, ["smon"]),
    ("monitoring.coreos.com", "v1", "prometheusrules"): ("PrometheusRule", True, False, ["promrule"]),
    ("couchestor.io", "v1alpha1", "storagepolicies"): ("StoragePolicy", True, True, ["sp"]),
    ("couchestor.io", "v1alpha1", "couchestornodes"): ("CoucheStorNode", False, True, ["csn"]),
}
HISTORY = 10000		# watch events kept, as etcd keeps about 5 minutes


def now_rfc3339(micro=False):
    t = time.time()
    s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
    return s + (".%06dZ" % int((t % 1) * 1e6) if micro else "Z")


def status(code, reason, message, details=None):
    s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
         "message": message, "reason": reason, "code": code}
    if details:
        s["details"] = details
    return s


def merge_patch(target, patch):
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def field(obj, path):
    for p in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(p)
    return obj


def selector_match(obj, fsel, lsel):
    for term in filter(None, (fsel or "").split(",")):
        m = re.match(r"^([^!=]+)(==|=|!=)(.*)$", term)
        if not m:
            raise ValueError("invalid field selector %r" % term)
        v = field(obj, m.group(1))
        v = "" if v is None else str(v)
        if (m.group(2) == "!=") == (v == m.group(3)):
            return False
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for term in filter(None, (lsel or "").split(",")):
        m = re.match(r"^([^!=]+)(==|=|!=)(.*)$", term)
        if m:
            has = labels.get(m.group(1)) == m.group(3)
            if (m.group(2) == "!=") == has:
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


class Store:
    def __init__(self):
        self.lock = threading.Condition()
        self.objs = {}		# (gvr, ns, name) -> obj
        self.rv = 100
        self.history = []	# (rv, gvr, ns, type, obj)
        self.oldest = 0		# history starts after this rv
        self.compactions = 0
        self.snapshots = {}	# continue token -> (rv, [obj...])

    def bump(self):
        self.rv += 1
        return self.rv

    def record(self, gvr, ns, typ, obj):
        self.history.append((self.rv, gvr, ns, typ, copy.deepcopy(obj)))
        if len(self.history) > HISTORY:
            drop = len(self.history) - HISTORY
            self.oldest = self.history[drop - 1][0]
            del self.history[:drop]
        self.lock.notify_all()

    def compact(self):
        with self.lock:
            self.history = []
            self.oldest = self.rv
            self.compactions += 1
            self.snapshots = {}
            self.lock.notify_all()


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []

    def add(self, rule):
        with self.lock:
            rule["re"] = re.compile(rule.get("match", "."))
            self.rules.append(rule)

    def reset(self):
        with self.lock:
            self.rules = []

    def take(self, what, token):
        with self.lock:
            for r in self.rules:
                if r.get("token") and r["token"] != token:
                    continue
                if not r["re"].search(what):
                    continue
                if "times" in r:
                    if r["times"] <= 0:
                        continue
                    r["times"] -= 1
                return dict(r)
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-double/1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("kube-double: " + fmt % args + "\n")

    # --- plumbing -------------------------------------------------------
    def send_json(self, code, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def fail(self, code, reason, message, details=None):
        self.send_json(code, status(code, reason, message, details))

    def read_body(self):
        # Read before any answer: what is left unread would be taken for
        # the next request on this keep-alive connection.
        n = int(self.headers.get("Content-Length") or 0)
        self.raw_body = self.rfile.read(n) if n else b""

    def body(self):
        if not self.raw_body:
            return None
        return json.loads(self.raw_body)

    def token(self):
        a = self.headers.get("Authorization") or ""
        return a[7:] if a.startswith("Bearer ") else None

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    # --- dispatch -------------------------------------------------------
    def handle_any(self, method):
        u = urlparse(self.path)
        q = {k: v[-1] for k, v in parse_qs(u.query).items()}
        what = "%s %s" % (method, self.path)
        self.read_body()
        if u.path.startswith("/_double/"):
            return self.control(method, u.path)
        st = self.server
        tok = self.token()
        with st.stats_lock:
            key = "%s %s" % (method, u.path)
            st.stats["requests"][key] = st.stats["requests"].get(key, 0) + 1
        f = st.faults.take(what, tok)
        if f:
            if f.get("delay_ms"):
                time.sleep(f["delay_ms"] / 1000.0)
            if f.get("drop"):
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if f.get("status"):
                code = f["status"]
                reason = {429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
                          410: "Expired", 401: "Unauthorized", 409: "Conflict"}.get(code, "Unknown")
                hdr = {"Retry-After": "1"} if code == 429 else None
                return self.send_json(code, status(code, reason, "injected fault"), hdr)
        if tok is None or tok not in st.tokens:
            return self.fail(401, "Unauthorized", "Unauthorized")
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            with st.stats_lock:
                w = st.stats["writes"].setdefault(tok, {})
                w[key] = w.get(key, 0) + 1
        try:
            self.route(method, u.path, q)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except ValueError as e:
            self.fail(400, "BadRequest", str(e))

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def control(self, method, path):
        st = self.server
        if path == "/_double/fault" and method == "POST":
            st.faults.add(self.body())
        elif path == "/_double/reset" and method == "POST":
            st.faults.reset()
        elif path == "/_double/tokens" and method == "POST":
            st.tokens = set(self.body()["tokens"])
        elif path == "/_double/compact" and method == "POST":
            st.store.compact()
        elif path == "/_double/stats" and method == "GET":
            with st.stats_lock:
                return self.send_json(200, st.stats)
        else:
            return self.fail(404, "NotFound", "no such control")
        self.send_json(200, {"ok": True})

    # --- discovery ------------------------------------------------------
    def discovery(self, path):
        groups = {}
        for (g, v, plural), (kind, nsd, sub, short) in RESOURCES.items():
            groups.setdefault((g, v), []).append((plural, kind, nsd, sub, short))
        if path == "/version":
            return {"major": "1", "minor": "28", "gitVersion": "v1.28.0-double",
                    "platform": "linux/amd64"}
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                    "serverAddress": "127.0.0.1"}]}
        if path == "/apis":
            out = []
            for (g, v) in sorted(groups):
                if g:
                    gv = {"groupVersion": "%s/%s" % (g, v), "version": v}
                    out.append({"name": g, "versions": [gv], "preferredVersion": gv})
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": out}
        m = re.match(r"^/api/(v1)$|^/apis/([^/]+)/([^/]+)$", path)
        if not m:
            return None
        g, v = ("", "v1") if m.group(1) else (m.group(2), m.group(3))
        if (g, v) not in groups:
            return None
        res = []
        verbs = ["create", "delete", "get", "list", "patch", "update", "watch"]
        for plural, kind, nsd, sub, short in groups[(g, v)]:
            r = {"name": plural, "singularName": kind.lower(), "namespaced": nsd,
                 "kind": kind, "verbs": verbs}
            if short:
                r["shortNames"] = short
            res.append(r)
            if sub:
                res.append({"name": plural + "/status", "singularName": "", "namespaced": nsd,
                            "kind": kind, "verbs": ["get", "patch", "update"]})
        return {"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": "%s/%s" % (g, v) if g else "v1", "resources": res}

    # --- resources ------------------------------------------------------
    def route(self, method, path, q):
        if method == "GET":
            d = self.discovery(path)
            if d is not None:
                return self.send_json(200, d)
        m = re.match(r"^/(?:api/(v1)|apis/([^/]+)/([^/]+))"
                     r"(?:/namespaces/([^/]+))?/([^/]+)(?:/([^/]+))?(?:/(status))?$", path)
        if not m:
            return self.fail(404, "NotFound", "the server could not find the requested resource")
        g, v = ("", "v1") if m.group(1) else (m.group(2), m.group(3))
        ns, plural, name, sub = m.group(4), m.group(5), m.group(6), m.group(7)
        gvr = (g, v, plural)
        if gvr not in RESOURCES:
            return self.fail(404, "NotFound", "the server could not find the requested resource")
        kind, nsd, has_status, _ = RESOURCES[gvr]
        if nsd and not ns and method != "GET":
            return self.fail(404, "NotFound", "the server could not find the requested resource")
        if not nsd and ns:
            return self.fail(404, "NotFound", "the server could not find the requested resource")
        if sub and not has_status:
            return self.fail(404, "NotFound", "the server could not find the requested resource")
        if method == "GET" and name is None:
            if q.get("watch") in ("1", "true"):
                return self.watch(gvr, ns, q)
            return self.list(gvr, ns, q)
        if method == "GET":
            return self.get(gvr, ns, name)
        if method == "POST" and name is None:
            return self.create(gvr, ns, self.body())
        if method == "PUT" and name:
            return self.update(gvr, ns, name, self.body(), sub)
        if method == "PATCH" and name:
            ct = (self.headers.get("Content-Type") or "").split(";")[0]
            if ct not in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                return self.fail(415, "UnsupportedMediaType",
                                 "the body of the request was in an unknown format")
            return self.patch(gvr, ns, name, self.body(), sub)
        if method == "DELETE" and name:
            return self.delete(gvr, ns, name)
        return self.fail(405, "MethodNotAllowed", "the server does not allow this method")

    def api_version(self, gvr):
        return "%s/%s" % (gvr[0], gvr[1]) if gvr[0] else gvr[1]

    def not_found(self, gvr, name):
        g = gvr[0]
        return self.fail(404, "NotFound", '%s%s "%s" not found' % (gvr[2], "." + g if g else "", name),
                         {"name": name, "group": g, "kind": gvr[2]})

    def get(self, gvr, ns, name):
        st = self.server.store
        with st.lock:
            o = st.objs.get((gvr, ns, name))
            o = copy.deepcopy(o) if o else None
        if not o:
            return self.not_found(gvr, name)
        self.send_json(200, o)

    def list(self, gvr, ns, q):
        st = self.server.store
        limit = int(q.get("limit") or 0)
        cont = q.get("continue")
        with st.lock:
            if cont:
                snap = st.snapshots.get(cont)
                if snap is None:
                    return self.fail(410, "Expired", "The provided continue parameter is too old "
                                     "to display a consistent list result. You can start a new "
                                     "list without the continue parameter.")
                rv, items = snap
                del st.snapshots[cont]
            else:
                rv = st.rv
                items = [copy.deepcopy(o) for (r, n, _), o in sorted(st.objs.items(),
                                                                     key=lambda kv: (kv[0][1] or "", kv[0][2]))
                         if r == gvr and (ns is None or n == ns)
                         and selector_match(o, q.get("fieldSelector"), q.get("labelSelector"))]
            meta = {"resourceVersion": str(rv)}
            if limit and len(items) > limit:
                tok = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
                st.snapshots[tok] = (rv, items[limit:])
                items = items[:limit]
                meta["continue"] = tok
                meta["remainingItemCount"] = len(st.snapshots[tok][1])
        kind = RESOURCES[gvr][0]
        self.send_json(200, {"kind": kind + "List", "apiVersion": self.api_version(gvr),
                             "metadata": meta, "items": items})

    def watch(self, gvr, ns, q):
        st = self.server.store
        rv = q.get("resourceVersion")
        fsel, lsel = q.get("fieldSelector"), q.get("labelSelector")
        bookmarks = q.get("allowWatchBookmarks") in ("true", "1")
        timeout = min(int(q.get("timeoutSeconds") or 1800), 1800)
        end = time.time() + timeout
        with st.lock:
            if rv not in (None, "", "0") and int(rv) < st.oldest:
                if self.server.watch_410_status:
                    return self.fail(410, "Expired", "too old resource version: %s (%d)" %
                                     (rv, st.oldest))
            compactions = st.compactions
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send_line(obj):
            line = (json.dumps(obj) + "\n").encode()
            # Pieces at random byte boundaries: a client must buffer to the newline.
            while line:
                n = random.randint(1, max(1, min(len(line), 64)))
                self.chunk(line[:n])
                line = line[n:]

        def expired(rv_):
            send_line({"type": "ERROR", "object": status(410, "Expired",
                       "too old resource version: %s (%d)" % (rv_, st.oldest))})

        try:
            with st.lock:
                if rv in (None, "", "0"):
                    pos = st.rv
                    initial = [copy.deepcopy(o) for (r, n, _), o in sorted(st.objs.items(),
                                                                           key=lambda kv: (kv[0][1] or "", kv[0][2]))
                               if r == gvr and (ns is None or n == ns) and selector_match(o, fsel, lsel)]
                else:
                    pos = int(rv)
                    initial = []
                    if pos < st.oldest:
                        expired(rv)
                        self.chunk(b"")
                        return
            for o in initial:
                send_line({"type": "ADDED", "object": o})
            last_bm = time.time()
            while time.time() < end:
                with st.lock:
                    if st.compactions != compactions:
                        expired(pos)
                        break
                    evs = [(r, t, o) for (r, g_, n, t, o) in st.history
                           if r > pos and g_ == gvr and (ns is None or n == ns)]
                    if not evs:
                        st.lock.wait(0.5)
                        evs = [(r, t, o) for (r, g_, n, t, o) in st.history
                               if r > pos and g_ == gvr and (ns is None or n == ns)]
                    newest = st.rv
                for r, t, o in evs:
                    pos = r
                    if selector_match(o, fsel, lsel):
                        send_line({"type": t, "object": o})
                if not evs and newest > pos:
                    pos = newest
                if bookmarks and time.time() - last_bm > self.server.bookmark_s:
                    kind = RESOURCES[gvr][0]
                    send_line({"type": "BOOKMARK", "object": {
                        "kind": kind, "apiVersion": self.api_version(gvr),
                        "metadata": {"resourceVersion": str(pos)}}})
                    last_bm = time.time()
            self.chunk(b"")
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    def validate(self, gvr, ns, o):
        kind = RESOURCES[gvr][0]
        if gvr == ("", "v1", "events"):
            io = o.get("involvedObject") or {}
            if io.get("namespace", ns) != ns:
                return "involvedObject.namespace: Invalid value: %r: does not match " \
                       "event.namespace" % io.get("namespace")
            if o.get("eventTime"):
                for k in ("reportingComponent", "reportingInstance", "action"):
                    if not o.get(k):
                        return "%s: Required value" % k
                for k in ("firstTimestamp", "lastTimestamp", "count", "source"):
                    if o.get(k):
                        return "%s: Invalid value: needs to be unset" % k
            if o.get("type") not in (None, "Normal", "Warning"):
                return "type: Unsupported value: %r" % o.get("type")
            if len(o.get("reason") or "") > 128 or len(o.get("message") or "") > 1024 * 1024:
                return "reason: Too long"
        if gvr == ("coordination.k8s.io", "v1", "leases"):
            spec = o.get("spec") or {}
            for k in ("acquireTime", "renewTime"):
                if spec.get(k) and not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", spec[k]):
                    return "spec.%s: Invalid value: %r: not a MicroTime" % (k, spec[k])
        if gvr == ("couchestor.io", "v1alpha1", "storagepolicies"):
            spec = o.get("spec")
            if not isinstance(spec, dict) or not isinstance(spec.get("tiers"), list):
                return "spec.tiers: Required value"
        del kind
        return None

    def store_new(self, gvr, ns, o):
        st = self.server.store
        md = o.setdefault("metadata", {})
        md["namespace"] = ns
        if not RESOURCES[gvr][1]:
            md.pop("namespace", None)
        md["uid"] = str(uuid.uuid4())
        md["creationTimestamp"] = now_rfc3339()
        md["resourceVersion"] = str(st.bump())
        if RESOURCES[gvr][2]:
            md["generation"] = 1
        o["kind"] = RESOURCES[gvr][0]
        o["apiVersion"] = self.api_version(gvr)
        st.objs[(gvr, ns, md["name"])] = o
        st.record(gvr, ns, "ADDED", o)

    def create(self, gvr, ns, o):
        if not isinstance(o, dict):
            return self.fail(400, "BadRequest", "the body is not an object")
        md = o.setdefault("metadata", {})
        if not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + uuid.uuid4().hex[:5]
        if not md.get("name"):
            return self.fail(422, "Invalid", "metadata.name: Required value")
        if md.get("namespace") and ns and md["namespace"] != ns:
            return self.fail(400, "BadRequest", "the namespace of the provided object does not "
                             "match the namespace sent on the request")
        err = self.validate(gvr, ns, o)
        if err:
            return self.fail(422, "Invalid", '%s "%s" is invalid: %s' %
                             (RESOURCES[gvr][0], md["name"], err))
        st = self.server.store
        with st.lock:
            if (gvr, ns, md["name"]) in st.objs:
                return self.fail(409, "AlreadyExists", '%s "%s" already exists' %
                                 (gvr[2], md["name"]),
                                 {"name": md["name"], "group": gvr[0], "kind": gvr[2]})
            if RESOURCES[gvr][2]:
                o.pop("status", None)
            self.store_new(gvr, ns, o)
            out = copy.deepcopy(o)
        self.send_json(201, out)

    def replace(self, gvr, ns, name, old, new, sub):
        """new is the whole object the client wants; returns the error or None."""
        st = self.server.store
        want = (new.get("metadata") or {}).get("resourceVersion")
        if want and want != old["metadata"]["resourceVersion"]:
            return (409, "Conflict", 'Operation cannot be fulfilled on %s%s "%s": the object '
                    "has been modified; please apply your changes to the latest version and "
                    "try again" % (gvr[2], "." + gvr[0] if gvr[0] else "", name))
        if (new.get("metadata") or {}).get("name", name) != name:
            return (400, "BadRequest", "the name of the object does not match the URL")
        if RESOURCES[gvr][2]:
            if sub:
                keep = copy.deepcopy(old)
                if "status" in new:
                    keep["status"] = new["status"]
                else:
                    keep.pop("status", None)
                new = keep
            else:
                if "status" in old:
                    new["status"] = old["status"]
                else:
                    new.pop("status", None)
        err = self.validate(gvr, ns, new)
        if err:
            return (422, "Invalid", '%s "%s" is invalid: %s' % (RESOURCES[gvr][0], name, err))
        md = new.setdefault("metadata", {})
        for k in ("uid", "creationTimestamp", "namespace", "generation", "deletionTimestamp"):
            if k in old["metadata"]:
                md[k] = old["metadata"][k]
            else:
                md.pop(k, None)
        md["name"] = name
        if RESOURCES[gvr][2] and not sub and new.get("spec") != old.get("spec"):
            md["generation"] = old["metadata"].get("generation", 1) + 1
        new["kind"] = RESOURCES[gvr][0]
        new["apiVersion"] = self.api_version(gvr)
        if new == old or (json.dumps(new, sort_keys=True) == json.dumps(old, sort_keys=True)):
            return None		# a no-op write keeps its resourceVersion, as the real one
        md["resourceVersion"] = str(st.bump())
        if md.get("deletionTimestamp") and not md.get("finalizers"):
            del st.objs[(gvr, ns, name)]
            st.record(gvr, ns, "DELETED", new)
        else:
            st.objs[(gvr, ns, name)] = new
            st.record(gvr, ns, "MODIFIED", new)
        return None

    def update(self, gvr, ns, name, new, sub):
        if not isinstance(new, dict):
            return self.fail(400, "BadRequest", "the body is not an object")
        st = self.server.store
        with st.lock:
            old = st.objs.get((gvr, ns, name))
            if not old:
                return self.not_found(gvr, name)
            err = self.replace(gvr, ns, name, old, copy.deepcopy(new), sub)
            out = copy.deepcopy(st.objs.get((gvr, ns, name)) or old)
        if err:
            return self.fail(*err)
        self.send_json(200, out)

    def patch(self, gvr, ns, name, p, sub):
        if not isinstance(p, dict):
            return self.fail(400, "BadRequest", "the patch is not an object")
        st = self.server.store
        with st.lock:
            old = st.objs.get((gvr, ns, name))
            if not old:
                return self.not_found(gvr, name)
            new = merge_patch(copy.deepcopy(old), p)
            # A patch without a resourceVersion applies to whatever is there.
            if not (p.get("metadata") or {}).get("resourceVersion"):
                new.setdefault("metadata", {})["resourceVersion"] = old["metadata"]["resourceVersion"]
            err = self.replace(gvr, ns, name, old, new, sub)
            out = copy.deepcopy(st.objs.get((gvr, ns, name)) or old)
        if err:
            return self.fail(*err)
        self.send_json(200, out)

    def delete(self, gvr, ns, name):
        st = self.server.store
        with st.lock:
            old = st.objs.get((gvr, ns, name))
            if not old:
                return self.not_found(gvr, name)
            if old["metadata"].get("finalizers"):
                if not old["metadata"].get("deletionTimestamp"):
                    old = copy.deepcopy(old)
                    old["metadata"]["deletionTimestamp"] = now_rfc3339()
                    old["metadata"]["resourceVersion"] = str(st.bump())
                    st.objs[(gvr, ns, name)] = old
                    st.record(gvr, ns, "MODIFIED", old)
                return self.send_json(202, old)
            del st.objs[(gvr, ns, name)]
            old = copy.deepcopy(old)
            old["metadata"]["resourceVersion"] = str(st.bump())
            st.record(gvr, ns, "DELETED", old)
        self.send_json(200, old)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--address", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--token", action="append", default=[])
    ap.add_argument("--ready-file")
    ap.add_argument("--bookmark-seconds", type=float, default=1.0)
    ap.add_argument("--watch-410-status", action="store_true",
                    help="a stale watch gets HTTP 410 instead of a 200 and an ERROR event")
    ap.add_argument("--preload", help="a JSON list of objects to start with (for the scale benchmark)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    srv = Server((a.address, a.port), Handler)
    srv.store = Store()
    srv.faults = Faults()
    srv.tokens = set(a.token)
    srv.stats = {"requests": {}, "writes": {}}
    srv.stats_lock = threading.Lock()
    srv.verbose = a.verbose
    srv.bookmark_s = a.bookmark_seconds
    srv.watch_410_status = a.watch_410_status
    if a.preload:
        by_kind = {(("%s/%s" % (g, v)) if g else v, k[0]): (g, v, p)
                   for (g, v, p), k in RESOURCES.items()}
        h = Handler.__new__(Handler)
        h.server = srv
        with open(a.preload) as f, srv.store.lock:
            for o in json.load(f):
                gvr = by_kind[(o["apiVersion"], o["kind"])]
                ns = o["metadata"].get("namespace") if RESOURCES[gvr][1] else None
                h.store_new(gvr, ns, o)
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        # The handshake in the handler's thread: a slow client holds only its own.
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    if a.ready_file:
        with open(a.ready_file + ".tmp", "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(a.ready_file + ".tmp", a.ready_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
