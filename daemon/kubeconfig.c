// SPDX-License-Identifier: GPL-2.0
/*
 * couchestord: the Kubernetes API's address and credentials, as client-go
 * finds them (rest.InClusterConfig, clientcmd): the service account's
 * token, CA and namespace in a pod, or the current context of a
 * kubeconfig file.  Relative paths in a kubeconfig are relative to it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "base64.h"
#include "kubeconfig.h"

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* The first line of a small file, without its newline. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

int cs_kube_cfg_incluster(struct cs_kube_cfg *c, const char *sa_dir, char *err, size_t errlen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	char path[4096];

	memset(c, 0, sizeof(*c));
	if (!host || !*host || !port || !*port)
		return fail(err, errlen, "not in a cluster (KUBERNETES_SERVICE_HOST and "
			    "KUBERNETES_SERVICE_PORT unset) and no --kubeconfig or KUBECONFIG");
	/* An IPv6 service address goes in brackets. */
	snprintf(c->server, sizeof(c->server), strchr(host, ':') ? "https://[%s]:%s" :
		 "https://%s:%s", host, port);
	snprintf(c->token_file, sizeof(c->token_file), "%s/token", sa_dir);
	snprintf(c->ca_file, sizeof(c->ca_file), "%s/ca.crt", sa_dir);
	if (access(c->token_file, R_OK))
		return fail(err, errlen, "cannot read the service account token %s: %s",
			    c->token_file, strerror(errno));
	if (access(c->ca_file, R_OK))
		return fail(err, errlen, "cannot read the service account CA %s: %s", c->ca_file,
			    strerror(errno));
	snprintf(path, sizeof(path), "%s/namespace", sa_dir);
	if (read_line(path, c->namespace, sizeof(c->namespace)))
		c->namespace[0] = '\0';
	snprintf(c->source, sizeof(c->source), "in-cluster");
	return 0;
}

/* --- a YAML document, walked ------------------------------------------ */

static yaml_node_t *get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);

		if (k && k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* The entry of a named list (clusters, users, contexts) called @name, its @inner map. */
static yaml_node_t *named(yaml_document_t *d, yaml_node_t *root, const char *list,
			  const char *name, const char *inner)
{
	yaml_node_t *seq = get(d, root, list);
	yaml_node_item_t *i;

	if (!seq || seq->type != YAML_SEQUENCE_NODE || !name)
		return NULL;
	for (i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++) {
		yaml_node_t *e = yaml_document_get_node(d, *i);
		const char *n = scalar(get(d, e, "name"));

		if (n && !strcmp(n, name))
			return get(d, e, inner);
	}
	return NULL;
}

static void resolve(char *dst, size_t len, const char *dir, const char *path)
{
	if (path[0] == '/' || !dir[0])
		snprintf(dst, len, "%s", path);
	else
		snprintf(dst, len, "%s/%s", dir, path);
}

static int decode(const char *b64, char **out, size_t *len, const char *what, char *err,
		  size_t errlen)
{
	*out = cs_base64_decode(b64, len);
	if (!*out)
		return fail(err, errlen, "%s is not valid base64", what);
	return 0;
}

static int from_doc(struct cs_kube_cfg *c, yaml_document_t *d, const char *path,
		    char *err, size_t errlen)
{
	yaml_node_t *root = yaml_document_get_root_node(d), *ctx, *cl, *user;
	const char *cur, *v, *s;
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		dir[0] = '\0';
	cur = scalar(get(d, root, "current-context"));
	if (!cur || !*cur)
		return fail(err, errlen, "%s: no current-context", path);
	ctx = named(d, root, "contexts", cur, "context");
	if (!ctx)
		return fail(err, errlen, "%s: context \"%s\" is not in contexts", path, cur);
	cl = named(d, root, "clusters", scalar(get(d, ctx, "cluster")), "cluster");
	if (!cl)
		return fail(err, errlen, "%s: the cluster of context \"%s\" is not in clusters",
			    path, cur);
	user = named(d, root, "users", scalar(get(d, ctx, "user")), "user");
	s = scalar(get(d, cl, "server"));
	if (!s || strncmp(s, "https://", 8))
		return fail(err, errlen, "%s: cluster server %s%s%s is not an https:// URL "
			    "(couchestord talks to the API server over verified TLS only)", path,
			    s ? "\"" : "", s ?: "missing", s ? "\"" : "");
	snprintf(c->server, sizeof(c->server), "%s", s);
	while (strlen(c->server) > 8 && c->server[strlen(c->server) - 1] == '/')
		c->server[strlen(c->server) - 1] = '\0';
	v = scalar(get(d, cl, "insecure-skip-tls-verify"));
	if (v && !strcmp(v, "true"))
		return fail(err, errlen, "%s: insecure-skip-tls-verify is set for cluster \"%s\": "
			    "couchestord always verifies the API server's certificate; give it "
			    "certificate-authority instead", path, scalar(get(d, ctx, "cluster")));
	if ((v = scalar(get(d, cl, "certificate-authority-data"))) &&
	    decode(v, &c->ca_pem, &c->ca_len, "certificate-authority-data", err, errlen))
		return -1;
	if ((v = scalar(get(d, cl, "certificate-authority"))))
		resolve(c->ca_file, sizeof(c->ca_file), dir, v);
	if ((v = scalar(get(d, user, "token"))) && !(c->token = strdup(v)))
		return fail(err, errlen, "out of memory");
	if ((v = scalar(get(d, user, "tokenFile"))))
		resolve(c->token_file, sizeof(c->token_file), dir, v);
	if ((v = scalar(get(d, user, "client-certificate-data"))) &&
	    decode(v, &c->cert_pem, &c->cert_len, "client-certificate-data", err, errlen))
		return -1;
	if ((v = scalar(get(d, user, "client-key-data"))) &&
	    decode(v, &c->key_pem, &c->key_len, "client-key-data", err, errlen))
		return -1;
	if ((v = scalar(get(d, user, "client-certificate"))))
		resolve(c->cert_file, sizeof(c->cert_file), dir, v);
	if ((v = scalar(get(d, user, "client-key"))))
		resolve(c->key_file, sizeof(c->key_file), dir, v);
	if (get(d, user, "exec") || get(d, user, "auth-provider"))
		return fail(err, errlen, "%s: user \"%s\" authenticates with an exec or "
			    "auth-provider plugin, which couchestord does not run: give it a token, "
			    "tokenFile or client certificate", path, scalar(get(d, ctx, "user")));
	if ((v = scalar(get(d, ctx, "namespace"))))
		snprintf(c->namespace, sizeof(c->namespace), "%s", v);
	snprintf(c->source, sizeof(c->source), "%s", path);
	return 0;
}

int cs_kube_cfg_kubeconfig(struct cs_kube_cfg *c, const char *path, char *err, size_t errlen)
{
	yaml_parser_t p;
	yaml_document_t d;
	FILE *f;
	int r;

	memset(c, 0, sizeof(*c));
	f = fopen(path, "r");
	if (!f)
		return fail(err, errlen, "cannot open kubeconfig %s: %s", path, strerror(errno));
	if (!yaml_parser_initialize(&p)) {
		fclose(f);
		return fail(err, errlen, "out of memory");
	}
	yaml_parser_set_input_file(&p, f);
	if (!yaml_parser_load(&p, &d)) {
		r = fail(err, errlen, "%s:%zu: %s", path, p.problem_mark.line + 1,
			 p.problem ?: "YAML error");
		yaml_parser_delete(&p);
		fclose(f);
		return r;
	}
	r = yaml_document_get_root_node(&d) ? from_doc(c, &d, path, err, errlen) :
		fail(err, errlen, "%s: empty", path);
	yaml_document_delete(&d);
	yaml_parser_delete(&p);
	fclose(f);
	if (r)
		cs_kube_cfg_free(c);
	return r;
}

int cs_kube_cfg_load(struct cs_kube_cfg *c, const char *kubeconfig, char *err, size_t errlen)
{
	const char *env = getenv("KUBECONFIG");
	char first[4096];

	if (kubeconfig && *kubeconfig)
		return cs_kube_cfg_kubeconfig(c, kubeconfig, err, errlen);
	if (env && *env) {
		snprintf(first, sizeof(first), "%s", env);
		first[strcspn(first, ":")] = '\0';
		return cs_kube_cfg_kubeconfig(c, first, err, errlen);
	}
	return cs_kube_cfg_incluster(c, CS_KUBE_SA_DIR, err, errlen);
}

void cs_kube_cfg_free(struct cs_kube_cfg *c)
{
	free(c->ca_pem);
	free(c->token);
	free(c->cert_pem);
	free(c->key_pem);
	c->ca_pem = c->token = c->cert_pem = c->key_pem = NULL;
}
