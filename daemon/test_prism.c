// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of where couchestord finds Prism Central and who it says it
 * is (the PRISM_* environment over config.yaml's nutanix.*), and the
 * category values it derives from the tiers.  The calls themselves are
 * tested against the Prism double (tools/kube/tests/50-prism.sh).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "prism.h"
#include "tap.h"

static const char guide[] =
	"cloud_provider: nutanix\n"
	"nutanix:\n"
	"  prism_central_url: \"https://prism-central.example.com:9440\"\n"
	"  cluster_uuid: \"<cluster-uuid>\"\n"
	"  use_categories: true\n"
	"  category_key: \"CoucheStor\"\n"
	"tiers:\n"
	"  hot: {category_value: \"Hot\", iops_threshold: 100}\n"
	"  warm: {iops_threshold: 10}\n"
	"  cold: {category_value: \"Frozen\", iops_threshold: 0}\n";

static void load(struct cs_config *c, const char *text)
{
	char err[512];

	cs_config_defaults(c);
	T(!cs_config_load_text("t.yaml", text, strlen(text), c, err, sizeof(err)),
	  "the config loads (%s)", err);
}

static void clear_env(void)
{
	unsetenv("PRISM_CENTRAL_URL");
	unsetenv("PRISM_USERNAME");
	unsetenv("PRISM_PASSWORD");
	unsetenv("PRISM_CLUSTER_UUID");
}

int main(void)
{
	struct cs_config c;
	struct cs_prism_cfg p;
	char err[512];
	int r;

	load(&c, guide);
	clear_env();
	r = cs_prism_cfg_load(&p, &c, err, sizeof(err));
	T(r == 1 && strstr(err, "PRISM_USERNAME and PRISM_PASSWORD"),
	  "no credentials: not configured, and says which variables (%d, %s)", r, err);

	setenv("PRISM_USERNAME", "admin", 1);
	setenv("PRISM_PASSWORD", "pw", 1);
	r = cs_prism_cfg_load(&p, &c, err, sizeof(err));
	T(r == 0, "credentials from the environment, URL from the config (%d %s)", r, err);
	T(!strcmp(p.http.server, "https://prism-central.example.com:9440/api/nutanix/v3"),
	  "v3 under the config's URL: %s", p.http.server);
	T(!p.cluster_uuid[0], "the guide's \"<cluster-uuid>\" is a placeholder, not a UUID");
	T(p.http.basic_user == p.user && !strcmp(p.user, "admin") && !strcmp(p.password, "pw"),
	  "HTTP Basic with PRISM_USERNAME and PRISM_PASSWORD");
	T(!p.http.insecure, "TLS verified by default");
	T(p.categories && !strcmp(p.key, "CoucheStor"), "use_categories, key CoucheStor");
	T(p.nr_values == 3 && !strcmp(p.values[0], "Hot") && !strcmp(p.values[1], "Warm") &&
	  !strcmp(p.values[2], "Frozen"),
	  "one value per tier: category_value, or the tier's name capitalised (%s %s %s)",
	  p.values[0], p.values[1], p.values[2]);
	T(!getenv("PRISM_PASSWORD"), "PRISM_PASSWORD is out of the environment once read");
	cs_prism_cfg_free(&p);
	T(!p.password[0] && !p.user[0], "freed: the password is scrubbed");

	setenv("PRISM_CENTRAL_URL", "https://pc.internal:9440///", 1);
	setenv("PRISM_CLUSTER_UUID", "0005-abc", 1);
	setenv("PRISM_PASSWORD", "pw", 1);
	r = cs_prism_cfg_load(&p, &c, err, sizeof(err));
	T(r == 0 && !strcmp(p.url, "https://pc.internal:9440") &&
	  !strcmp(p.cluster_uuid, "0005-abc"),
	  "the environment over the config, trailing slashes dropped (%s, %s)", p.url,
	  p.cluster_uuid);
	cs_prism_cfg_free(&p);

	setenv("PRISM_CENTRAL_URL", "https://pc.internal:9440/api/nutanix/v3", 1);
	setenv("PRISM_PASSWORD", "pw", 1);
	r = cs_prism_cfg_load(&p, &c, err, sizeof(err));
	T(r == -1 && strstr(err, "without a path"), "a URL with a path refused (%s)", err);
	setenv("PRISM_CENTRAL_URL", "http://pc.internal:9440", 1);
	r = cs_prism_cfg_load(&p, &c, err, sizeof(err));
	T(r == -1 && strstr(err, "only https://"), "plain http refused (%s)", err);
	setenv("PRISM_CENTRAL_URL", "https://admin:pw@pc.internal:9440", 1);
	r = cs_prism_cfg_load(&p, &c, err, sizeof(err));
	T(r == -1 && strstr(err, "credentials in it") && !strstr(err, "pw@"),
	  "credentials in the URL refused, without repeating them (%s)", err);

	clear_env();
	load(&c, "cloud_provider: nutanix\ntiers:\n  hot: {iops_threshold: 0}\n");
	setenv("PRISM_USERNAME", "admin", 1);
	setenv("PRISM_PASSWORD", "pw", 1);
	r = cs_prism_cfg_load(&p, &c, err, sizeof(err));
	T(r == 1 && strstr(err, "PRISM_CENTRAL_URL"), "no URL anywhere: not configured (%s)", err);

	load(&c, "nutanix:\n  prism_central_url: \"https://pc:9440\"\n"
	     "  ca_file: /nonexistent/pc.pem\n");
	setenv("PRISM_PASSWORD", "pw", 1);
	r = cs_prism_cfg_load(&p, &c, err, sizeof(err));
	T(r == -1 && strstr(err, "nutanix.ca_file /nonexistent/pc.pem"),
	  "an unreadable ca_file refused at start (%s)", err);
	load(&c, "nutanix:\n  prism_central_url: \"https://pc:9440\"\n  insecure_skip_verify: true\n"
	     "  ca_file: /dev/null\n");
	setenv("PRISM_PASSWORD", "pw", 1);
	r = cs_prism_cfg_load(&p, &c, err, sizeof(err));
	T(r == 0 && p.http.insecure && !strcmp(p.http.ca_file, "/dev/null") &&
	  !strcmp(p.key, "CoucheStor"),
	  "insecure_skip_verify and ca_file reach the client; the key defaults to CoucheStor");
	cs_prism_cfg_free(&p);
	clear_env();
	return tap_done();
}
