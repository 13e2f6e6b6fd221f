// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: what couchestord decodes from the Kubernetes API.  The
 * bytes are a watch stream, fed in pieces whose sizes the first bytes
 * choose (as libcurl would hand them over); each line goes to an
 * informer's cache with one of the decoders (PVC, PV, StoragePolicy,
 * CoucheStorNode), and as a policy spec to its checker; the stream is
 * also read as base64.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "informer.h"
#include "kobjects.h"
#include "kube.h"

static struct cs_informer in[4];

static int line(struct json_object *ev, void *arg)
{
	struct cs_informer *i = arg;
	struct json_object *o;
	char why[256];

	cs_informer_apply_event(i, ev);
	if (json_object_object_get_ex(ev, "object", &o))
		cs_k_policy_check(o, why, sizeof(why));
	return 0;
}

static void drop(struct cs_informer *i)
{
	size_t k;

	for (k = 0; k < i->cap; k++)
		if (i->slots[k].uid[0])
			i->free_item(i->slots[k].item);
	free(i->slots);
	i->slots = NULL;
	i->nr = i->cap = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const cs_informer_decode_fn dec[4] = { cs_k_pvc_decode, cs_k_pv_decode,
		cs_k_policy_decode, cs_k_node_decode };
	static void (*const fr[4])(void *) = { cs_k_free, cs_k_free, cs_k_policy_free,
		cs_k_node_free };
	struct cs_kube_lines l = { .max = 4096 };
	size_t off = 2, n, b64len;
	struct cs_informer *i;
	char *s;

	if (size < 2)
		return 0;
	i = &in[data[0] % 4];
	if (!i->decode) {
		pthread_mutex_init(&i->lock, NULL);
		i->decode = dec[data[0] % 4];
		i->free_item = fr[data[0] % 4];
	}
	while (off < size) {
		n = 1 + (data[1] + off) % 97;
		if (n > size - off)
			n = size - off;
		if (cs_kube_lines_feed(&l, (const char *)data + off, n, line, i) < 0)
			break;
		off += n;
	}
	cs_kube_lines_free(&l);
	drop(i);
	s = malloc(size + 1);
	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
		free(cs_base64_decode(s, &b64len));
		free(s);
	}
	return 0;
}
