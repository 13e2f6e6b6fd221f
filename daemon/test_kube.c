// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of couchestord's Kubernetes pieces that need no server:
 * base64, times, escaping and backoff; kubeconfig and in-cluster
 * loading; the informer's cache against a reference model under random
 * watch events (adds, updates, deletes, bookmarks, 410); the decoders;
 * and the reconciler's rules (which policy a PVC names, unresolved
 * volumes, a stable spec, status written only on change).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "informer.h"
#include "kobjects.h"
#include "kube.h"
#include "kubeconfig.h"
#include "reconcile.h"
#include "tap.h"

static char dir[64];

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_base64(void)
{
	size_t n = 0;
	char *s;

	s = cs_base64_decode("aGVsbG8=", &n);
	T(s && n == 5 && !strcmp(s, "hello"), "base64: hello");
	free(s);
	s = cs_base64_decode("aGVs\nbG8g\n d29y bGQ=", &n);
	T(s && n == 11 && !strcmp(s, "hello world"), "base64: whitespace and line breaks ignored");
	free(s);
	s = cs_base64_decode("", &n);
	T(s && n == 0, "base64: empty is empty");
	free(s);
	T(!cs_base64_decode("aGVsbG8", &n), "base64: a partial quartet is refused");
	T(!cs_base64_decode("aGV*bG8=", &n), "base64: a character outside the alphabet is refused");
	T(!cs_base64_decode("aG==bG8=", &n), "base64: data after padding is refused");
	T(!cs_base64_decode("a===", &n), "base64: three padding characters are refused");
}

static void test_time(void)
{
	struct timespec t;
	char buf[40];

	T(!cs_kube_parse_time("2006-01-02T15:04:05.123456Z", &t) && t.tv_sec == 1136214245 &&
	  t.tv_nsec == 123456000, "time: MicroTime");
	T(!cs_kube_parse_time("2006-01-02T15:04:05Z", &t) && t.tv_sec == 1136214245 && !t.tv_nsec,
	  "time: Time");
	T(!cs_kube_parse_time("2006-01-02T15:04:05.5Z", &t) && t.tv_nsec == 500000000,
	  "time: a short fraction");
	T(cs_kube_parse_time("2006-01-02T15:04:05+01:00", &t) == -1 &&
	  cs_kube_parse_time("yesterday", &t) == -1 && cs_kube_parse_time(NULL, &t) == -1,
	  "time: offsets and junk are refused");
	cs_kube_time(buf, sizeof(buf), true);
	T(strlen(buf) == 27 && buf[26] == 'Z' && buf[19] == '.' && !cs_kube_parse_time(buf, &t),
	  "time: now as MicroTime (%s) parses back", buf);
	cs_kube_time(buf, sizeof(buf), false);
	T(strlen(buf) == 20 && !cs_kube_parse_time(buf, &t), "time: now as Time (%s)", buf);
}

static void test_misc(void)
{
	char buf[64];
	long ms, lo = 1 << 30, hi = 0;
	int i;

	T(!strcmp(cs_kube_escape("metadata.name=node 1/a", buf, sizeof(buf)),
		  "metadata.name%3Dnode%201%2Fa"), "escape: %s", buf);
	for (i = 0; i < 2000; i++) {
		ms = cs_kube_backoff_ms(i % 12, 5000);
		if (i % 12 == 0) {
			lo = ms < lo ? ms : lo;
			hi = ms > hi ? ms : hi;
		}
		if (ms > 6000 || ms < 160)
			break;
	}
	T(i == 2000, "backoff: within 160 ms and 6 s, capped (%ld ms)", ms);
	T(lo >= 160 && hi <= 240 && lo < hi, "backoff: the first is 200 ms +-20%% (%ld..%ld)", lo, hi);
}

static void test_kubeconfig(void)
{
	struct cs_kube_cfg c;
	char err[1200], path[256];

	put("ca.crt", "-----BEGIN CERTIFICATE-----\n");
	put("good", "apiVersion: v1\nkind: Config\ncurrent-context: c2\n"
	    "clusters:\n- name: k1\n  cluster: {server: 'https://10.0.0.1:6443/'}\n"
	    "- name: k2\n  cluster:\n    server: https://api.example:443\n"
	    "    certificate-authority-data: aGVsbG8=\n"
	    "users:\n- name: u2\n  user:\n    tokenFile: tok\n"
	    "contexts:\n- name: c1\n  context: {cluster: k1, user: u2}\n"
	    "- name: c2\n  context: {cluster: k2, user: u2, namespace: ns2}\n");
	snprintf(path, sizeof(path), "%s/good", dir);
	T(!cs_kube_cfg_kubeconfig(&c, path, err, sizeof(err)), "kubeconfig: loads (%s)",
	  c.server);
	T(!strcmp(c.server, "https://api.example:443") && c.ca_pem && c.ca_len == 5 &&
	  !strcmp(c.namespace, "ns2"), "kubeconfig: the current context's cluster, CA data, namespace");
	snprintf(path, sizeof(path), "%s/tok", dir);
	T(!strcmp(c.token_file, path), "kubeconfig: tokenFile relative to the file (%s)", c.token_file);
	cs_kube_cfg_free(&c);

	put("insecure", "current-context: c\nclusters:\n- name: k\n  cluster: {server: "
	    "'https://x:1', insecure-skip-tls-verify: true}\nusers:\n- name: u\n  user: {token: t}\n"
	    "contexts:\n- name: c\n  context: {cluster: k, user: u}\n");
	snprintf(path, sizeof(path), "%s/insecure", dir);
	T(cs_kube_cfg_kubeconfig(&c, path, err, sizeof(err)) && strstr(err, "always verifies"),
	  "kubeconfig: insecure-skip-tls-verify refused: %s", err);
	put("plain", "current-context: c\nclusters:\n- name: k\n  cluster: {server: 'http://x:1'}\n"
	    "users:\n- name: u\n  user: {token: t}\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n");
	snprintf(path, sizeof(path), "%s/plain", dir);
	T(cs_kube_cfg_kubeconfig(&c, path, err, sizeof(err)) && strstr(err, "https://"),
	  "kubeconfig: a plain http server refused: %s", err);
	put("exec", "current-context: c\nclusters:\n- name: k\n  cluster: {server: 'https://x:1'}\n"
	    "users:\n- name: u\n  user: {exec: {command: aws}}\n"
	    "contexts:\n- name: c\n  context: {cluster: k, user: u}\n");
	snprintf(path, sizeof(path), "%s/exec", dir);
	T(cs_kube_cfg_kubeconfig(&c, path, err, sizeof(err)) && strstr(err, "exec"),
	  "kubeconfig: an exec plugin is refused with what to do: %s", err);
	put("nocontext", "current-context: nope\nclusters: []\ncontexts: []\n");
	snprintf(path, sizeof(path), "%s/nocontext", dir);
	T(cs_kube_cfg_kubeconfig(&c, path, err, sizeof(err)) && strstr(err, "\"nope\""),
	  "kubeconfig: a missing context is named: %s", err);
	put("badyaml", "current-context: [\n");
	snprintf(path, sizeof(path), "%s/badyaml", dir);
	T(cs_kube_cfg_kubeconfig(&c, path, err, sizeof(err)) && strstr(err, "badyaml:"),
	  "kubeconfig: a YAML error says where: %s", err);
	put("baddata", "current-context: c\nclusters:\n- name: k\n  cluster: {server: 'https://x:1', "
	    "certificate-authority-data: '@@@'}\nusers: []\ncontexts:\n- name: c\n  context: {cluster: k}\n");
	snprintf(path, sizeof(path), "%s/baddata", dir);
	T(cs_kube_cfg_kubeconfig(&c, path, err, sizeof(err)) && strstr(err, "base64"),
	  "kubeconfig: bad base64 data refused: %s", err);

	/* In cluster. */
	put("token", "abc\n");
	put("namespace", "couchestor-system");
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	T(!cs_kube_cfg_incluster(&c, dir, err, sizeof(err)) && !strcmp(c.server, "https://[fd00::1]:443") &&
	  !strcmp(c.namespace, "couchestor-system"), "in-cluster: IPv6 service address in brackets (%s)",
	  c.server);
	cs_kube_cfg_free(&c);
	unsetenv("KUBERNETES_SERVICE_HOST");
	T(cs_kube_cfg_incluster(&c, dir, err, sizeof(err)) && strstr(err, "not in a cluster"),
	  "in-cluster: outside a cluster, said plainly: %s", err);
}

/* --- the informer's cache against a reference ---------------------------- */

static void *decode_name(struct json_object *o)
{
	const char *n = cs_k_str(o, "metadata.name");

	return n && strcmp(n, "ignored") ? strdup(n) : NULL;
}

struct ref {
	char name[16];
	bool present;
};

static int count;

static void counter(void *item, void *arg)
{
	struct ref *r = arg;
	int i = atoi((char *)item + 1);

	count++;
	if (!r[i].present || strcmp(r[i].name, item))
		r[i].name[0] = '!';	/* marks a mismatch */
}

static struct json_object *event(const char *type, int i, const char *name, long rv)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "{\"type\":\"%s\",\"object\":{\"metadata\":{\"uid\":\"u%d\","
		 "\"name\":\"%s\",\"resourceVersion\":\"%ld\"}}}", type, i, name, rv);
	return json_tokener_parse(buf);
}

static void test_informer(void)
{
	struct cs_informer in;
	static struct ref ref[600];
	struct json_object *ev;
	int i, n, bad = 0, present = 0;
	long rv = 1000;

	memset(&in, 0, sizeof(in));
	pthread_mutex_init(&in.lock, NULL);
	in.decode = decode_name;
	in.free_item = free;
	srandom(7);
	for (n = 0; n < 20000; n++) {
		const char *type;
		char name[16];

		i = random() % 600;
		switch (random() % 4) {
		case 0:
		case 1:
			type = random() % 2 ? "ADDED" : "MODIFIED";
			snprintf(name, sizeof(name), "n%d", i);
			ref[i].present = true;
			snprintf(ref[i].name, sizeof(ref[i].name), "%s", name);
			break;
		case 2:
			type = "DELETED";
			snprintf(name, sizeof(name), "n%d", i);
			ref[i].present = false;
			break;
		default:
			type = "BOOKMARK";
			snprintf(name, sizeof(name), "n%d", i);
			break;
		}
		ev = event(type, i, name, ++rv);
		if (cs_informer_apply_event(&in, ev))
			bad++;
		json_object_put(ev);
	}
	for (i = 0; i < 600; i++)
		present += ref[i].present;
	count = 0;
	cs_informer_foreach(&in, counter, ref);
	for (i = 0; i < 600; i++)
		if (ref[i].name[0] == '!')
			bad++;
	T(!bad && count == present && in.nr == (size_t)present,
	  "informer: 20,000 random adds, updates, deletes and bookmarks match a reference "
	  "(%d items, %zu cached)", present, in.nr);
	T(!strcmp(in.rv, "21000"), "informer: the watch goes on from the last resourceVersion (%s)",
	  in.rv);
	ev = event("MODIFIED", 5, "ignored", ++rv);
	cs_informer_apply_event(&in, ev);
	json_object_put(ev);
	count = 0;
	ref[5].present = false;
	cs_informer_foreach(&in, counter, ref);
	T(ref[5].name[0] != '!' && (size_t)count == in.nr,
	  "informer: an object no longer of interest leaves the cache");
	ev = json_tokener_parse("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,"
				"\"reason\":\"Expired\"}}");
	T(cs_informer_apply_event(&in, ev) == 1 && in.relist && in.expired == 1,
	  "informer: an ERROR 410 in the stream ends the watch for a new list");
	json_object_put(ev);
	ev = json_tokener_parse("{\"type\":\"ADDED\",\"object\":[1,2]}");
	T(!cs_informer_apply_event(&in, ev), "informer: a malformed event is ignored");
	json_object_put(ev);
	pthread_mutex_lock(&in.lock);
	for (i = 0; i < (int)in.cap; i++)
		if (in.slots[i].uid[0])
			free(in.slots[i].item);
	free(in.slots);
	pthread_mutex_unlock(&in.lock);
}

/* --- decoders and the reconciler ------------------------------------------ */

static struct json_object *js(const char *s)
{
	return json_tokener_parse(s);
}

static void test_policy_check(void)
{
	static const struct {
		const char *spec, *why;
	} bad[] = {
		{ "{}", "spec.tiers: at least one tier" },
		{ "{\"tiers\":[{\"name\":\"lukewarm\"}]}", "spec.tiers[0].name: must be hot, warm or cold" },
		{ "{\"tiers\":[{\"name\":\"hot\"},{\"name\":\"hot\"}]}", "hot appears twice" },
		{ "{\"tiers\":[{\"name\":\"hot\",\"iopsThreshold\":-1}]}", "iopsThreshold: must be an integer" },
		{ "{\"tiers\":[{\"name\":\"hot\",\"iopsThreshold\":\"100\"}]}", "iopsThreshold: must be an integer" },
		{ "{\"tiers\":[{\"name\":\"hot\"}],\"migration\":{\"strategy\":\"x\"}}", "strategy: \"x\" is not one of" },
		{ "{\"tiers\":[{\"name\":\"hot\"}],\"migration\":{\"schedule\":\"61 * * * *\"}}", "spec.migration.schedule" },
		{ "{\"tiers\":[{\"name\":\"hot\"}],\"migration\":{\"cooldownPeriod\":\"soon\"}}", "cooldownPeriod" },
		{ "{\"tiers\":[{\"name\":\"hot\"}],\"migration\":{\"maxConcurrent\":0}}", "maxConcurrent" },
	};
	struct json_object *o;
	char why[256];
	size_t i, n = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = js(bad[i].spec);
		if (cs_k_policy_check(o, why, sizeof(why)) && strstr(why, bad[i].why))
			n++;
		else
			printf("# %s: got \"%s\"\n", bad[i].spec, why);
		json_object_put(o);
	}
	T(n == sizeof(bad) / sizeof(bad[0]), "policy: %zu bad specs refused, each saying which field",
	  n);
	o = js("{\"tiers\":[{\"name\":\"hot\",\"iopsThreshold\":100},{\"name\":\"warm\","
	       "\"iopsThreshold\":10},{\"name\":\"cold\",\"iopsThreshold\":0}],\"migration\":"
	       "{\"strategy\":\"storage-vmotion\",\"schedule\":\"0 2 * * *\",\"cooldownPeriod\":"
	       "\"24h\",\"maxConcurrent\":3}}");
	T(!cs_k_policy_check(o, why, sizeof(why)), "policy: the guide's spec is good");
	json_object_put(o);
}

static void test_decode(void)
{
	struct json_object *o = js("{\"metadata\":{\"name\":\"pv1\",\"uid\":\"u\"},\"spec\":"
				   "{\"nodeAffinity\":{\"required\":{\"nodeSelectorTerms\":[{"
				   "\"matchExpressions\":[{\"key\":\"kubernetes.io/hostname\","
				   "\"operator\":\"In\",\"values\":[\"w3\"]}]}]}}}}");
	struct cs_k_pv *pv = cs_k_pv_decode(o), *d;
	struct cs_k_pvc *c, *cd;

	T(pv && !strcmp(pv->node, "w3") && !strcmp(pv->dm_name, "pv1"),
	  "pv: the node from a hostname affinity, the dm name from the PV's name");
	free(pv);
	json_object_put(o);
	o = js("{\"metadata\":{\"name\":\"pv1\",\"annotations\":{\"couchestor.io/node\":\"n9\","
	       "\"couchestor.io/dm-name\":\"vol7\"}}}");
	pv = cs_k_pv_decode(o);
	T(pv && !strcmp(pv->node, "n9") && !strcmp(pv->dm_name, "vol7"),
	  "pv: the annotations win");
	d = cs_k_pv_dup(pv);
	T(d && !strcmp(d->node, "n9") && d->node != pv->node && !d->uid[0],
	  "pv: a copy has strings of its own; an absent uid is empty");
	free(d);
	free(pv);
	json_object_put(o);
	o = js("{\"metadata\":{\"name\":\"c\",\"namespace\":\"ns\",\"uid\":\"u\",\"annotations\":"
	       "{\"couchestor.io/policy\":\"p\",\"couchestor.io/force-tier\":\"warm\"}},"
	       "\"spec\":{\"volumeName\":\"pv1\"}}");
	c = cs_k_pvc_decode(o);
	T(c && !strcmp(c->policy, "p") && !strcmp(c->force_tier, "warm") && !strcmp(c->volume, "pv1"),
	  "pvc: annotations and the bound volume");
	cd = cs_k_pvc_dup(c);
	free(c);
	T(cd && !strcmp(cd->ns, "ns") && !strcmp(cd->force_tier, "warm"), "pvc: a copy outlives it");
	free(cd);
	json_object_put(o);
}

static void test_reconcile(void)
{
	struct cs_k_pvc pvc[5] = {
		{ "u1", "apps", "a", "pv-a", "gold", "" },
		{ "u2", "apps", "b", "pv-b", "couchestor-system/gold", "warm" },
		{ "u3", "apps", "c", "", "gold", "" },		/* not bound */
		{ "u4", "apps", "d", "pv-d", "", "" },		/* no intent */
		{ "u5", "apps", "e", "pv-e", "", "cold" },	/* a CSI volume: no node on its PV */
	};
	struct cs_k_pv pv[4] = {
		{ "v1", "pv-b", "n1", "pv-b" }, { "v2", "pv-a", "n1", "pv-a" },
		{ "v3", "pv-d", "n2", "pv-d" }, { "v4", "pv-e", "", "pv-e" },
	};
	struct cs_k_pvc *pvcs[5] = { &pvc[0], &pvc[1], &pvc[2], &pvc[3], &pvc[4] };
	struct cs_k_pv *pvs[4] = { &pv[0], &pv[1], &pv[2], &pv[3] };
	struct cs_k_node node = { "n9u", "n9", "1", NULL, NULL, NULL };
	struct cs_k_policy pols[2] = {
		{ "p1", "apps", "gold", 1, "", NULL, NULL },
		{ "p2", "couchestor-system", "gold", 4, "", NULL, NULL },
	};
	struct cs_world w = { pvcs, 4, pvs, 4, pols, 2, NULL, 0, "couchestor-system", NULL, NULL };
	struct cs_plan_out out;
	struct json_object *vols, *st, *st2;
	const char *spec;

	pols[0].spec = js("{\"tiers\":[{\"name\":\"hot\",\"iopsThreshold\":50}]}");
	pols[1].spec = js("{\"tiers\":[{\"name\":\"cold\",\"iopsThreshold\":0}]}");
	T(!cs_world_index(&w), "reconcile: the world indexed");
	T(cs_world_policy(&w, pvcs[0]) == &pols[0] && cs_world_policy(&w, pvcs[1]) == &pols[1],
	  "reconcile: NAME is the PVC's namespace first; NS/NAME is that one");
	T(!cs_reconcile_nodes(&w, &out) && out.nr_nodes == 1 && out.volumes == 2 &&
	  out.unresolved == 1, "reconcile: two volumes on n1, one PVC not bound, one without intents");
	json_object_object_get_ex(out.nodes[0].spec, "volumes", &vols);
	spec = json_object_to_json_string_ext(out.nodes[0].spec, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	T(json_object_array_length(vols) == 2 &&
	  !strcmp(cs_k_str(json_object_array_get_idx(vols, 0), "name"), "pv-a") &&
	  !strcmp(cs_k_str(json_object_array_get_idx(vols, 1), "forceTier"), "warm") &&
	  strstr(spec, "\"apps/gold\":{\"tiers\"") && strstr(spec, "\"couchestor-system/gold\""),
	  "reconcile: sorted by volume, force-tier and both policies carried: %s", spec);
	cs_plan_out_free(&out);

	/* pv-e names no node: it is where an agent reports a volume of its name. */
	w.nr_pvcs = 5;
	w.nodes = &node;
	w.nr_nodes = 1;
	node.status = js("{\"volumes\":[{\"name\":\"pv-e\",\"tier\":\"hot\"}]}");
	free(w.pvc_policy);
	free(w.tallies);
	cs_world_index(&w);
	T(!cs_reconcile_nodes(&w, &out) && out.nr_nodes == 2 && out.volumes == 3 &&
	  !strcmp(out.nodes[0].node, "n9") &&
	  cs_k_item(out.nodes[0].spec, "volumes", "name", "pv-e"),
	  "reconcile: a PV without a node goes where its agent reports the volume (n9)");
	cs_plan_out_free(&out);
	json_object_put(node.status);
	w.nodes = NULL;
	w.nr_nodes = 0;
	w.nr_pvcs = 4;
	free(w.pvc_policy);
	free(w.tallies);
	cs_world_index(&w);

	st = cs_reconcile_policy_status(&w, &pols[0], "2026-01-01T00:00:00Z");
	T(st && !strcmp(cs_k_str(st, "phase"), "Active") &&
	  json_object_get_int(json_object_object_get(st, "volumes")) == 2,
	  "status: Active, two PVCs name apps/gold (one not bound yet)");
	pols[0].status = st;
	st2 = cs_reconcile_policy_status(&w, &pols[0], "2026-01-01T00:05:00Z");
	T(!st2, "status: the same five minutes later: nothing to write");
	snprintf(pols[0].invalid, sizeof(pols[0].invalid), "spec.tiers: broken");
	st2 = cs_reconcile_policy_status(&w, &pols[0], "2026-01-01T00:06:00Z");
	T(st2 && !strcmp(cs_k_str(st2, "phase"), "Invalid") &&
	  strstr(json_object_to_json_string_ext(st2, JSON_C_TO_STRING_PLAIN),
		 "\"lastTransitionTime\":\"2026-01-01T00:06:00Z\""),
	  "status: an invalid spec is a transition: Invalid, the time moves");
	json_object_put(pols[0].status);
	pols[0].status = st2;
	pols[0].invalid[0] = '\0';
	pols[0].generation = 2;
	st = cs_reconcile_policy_status(&w, &pols[0], "2026-01-01T00:07:00Z");
	T(st && json_object_get_int(json_object_object_get(st, "observedGeneration")) == 2,
	  "status: fixed, at generation 2");
	json_object_put(st);
	json_object_put(pols[0].status);
	json_object_put(pols[0].spec);
	json_object_put(pols[1].spec);
	free(w.pvc_policy);
	free(w.tallies);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_kube.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	test_base64();
	test_time();
	test_misc();
	test_kubeconfig();
	test_informer();
	test_policy_check();
	test_decode();
	test_reconcile();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			(void)0;
	}
	return tap_done();
}
