/* SPDX-License-Identifier: GPL-2.0 */
/*
 * couchestord: where the Kubernetes API is and how to prove who we are:
 * in-cluster (the service account) or a kubeconfig file.
 */
#ifndef COUCHESTORD_KUBECONFIG_H
#define COUCHESTORD_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CS_KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

struct cs_kube_cfg {
	char server[512];	/* https://host:port, no trailing slash */
	char ca_file[4096];	/* a CA bundle file, or */
	char *ca_pem;		/* certificate-authority-data, decoded */
	size_t ca_len;
	char token_file[4096];	/* re-read as it rotates, or */
	char *token;		/* a token given in the file */
	char *cert_pem, *key_pem;	/* client-certificate(-data), client-key(-data) */
	size_t cert_len, key_len;
	char cert_file[4096], key_file[4096];
	char namespace[256];	/* the context's, or the service account's */
	/*
	 * Not from a kubeconfig: what the same client needs for Prism Central
	 * (daemon/prism.c). HTTP Basic on every request; TLS verification off
	 * only on the config's explicit nutanix.insecure_skip_verify.
	 */
	const char *basic_user, *basic_password;
	bool insecure;
	char source[4200];	/* "in-cluster" or the kubeconfig path, for logs */
};

/*
 * @kubeconfig (a flag), else $KUBECONFIG (its first file), else the
 * in-cluster service account.  TLS is always verified: a kubeconfig
 * asking for insecure-skip-tls-verify is refused.  0, or -1 with @err.
 */
int cs_kube_cfg_load(struct cs_kube_cfg *c, const char *kubeconfig, char *err, size_t errlen);
int cs_kube_cfg_incluster(struct cs_kube_cfg *c, const char *sa_dir, char *err, size_t errlen);
int cs_kube_cfg_kubeconfig(struct cs_kube_cfg *c, const char *path, char *err, size_t errlen);
void cs_kube_cfg_free(struct cs_kube_cfg *c);

#endif /* COUCHESTORD_KUBECONFIG_H */
