// check.mjs FILE...: every object in the YAML files against the OpenAPI
// schema of its apiVersion/kind (Kubernetes' from kubernetes-models, the
// Prometheus Operator's, our CRDs' own), the CRDs structural, and what no
// schema says: references between the objects resolve. TAP on stdout.
//   check.mjs --refuse FILE...: each object must be refused (broken CRs).
import fs from "node:fs";
import { parseAllDocuments } from "yaml";
import Ajv from "ajv";
import addFormats from "ajv-formats";

let n = 0, failed = 0;
const ok = (pass, what, why) => {
	n++;
	console.log(`${pass ? "ok" : "not ok"} ${n} - ${what}`);
	if (!pass) {
		failed++;
		for (const l of String(why ?? "").split("\n")) console.log(`#   ${l}`);
	}
};

const args = process.argv.slice(2);
const refuse = args[0] === "--refuse";
const files = refuse ? args.slice(1) : args;

function load(file) {
	const out = [];
	for (const d of parseAllDocuments(fs.readFileSync(file, "utf8"))) {
		if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
		const o = d.toJS();
		if (o) out.push({ file, o });
	}
	return out;
}

// The CRDs this repository ships, for their custom resources.
const ajv = new Ajv({ strict: false, allErrors: true, useDefaults: true });
addFormats(ajv);
const crds = new Map();
for (const f of fs.readdirSync(new URL("../../deploy/crds/", import.meta.url)))
	for (const { o } of load(new URL(`../../deploy/crds/${f}`, import.meta.url)))
		for (const v of o.spec.versions)
			crds.set(`${o.spec.group}/${v.name}/${o.spec.names.kind}`,
				 { crd: o, schema: v.schema.openAPIV3Schema });

// OpenAPI v3 as Kubernetes reads it, for ajv: nullable, int-or-string.
function toJsonSchema(s) {
	if (Array.isArray(s)) return s.map(toJsonSchema);
	if (!s || typeof s !== "object") return s;
	const o = {};
	for (const [k, v] of Object.entries(s)) {
		if (k.startsWith("x-kubernetes-") || k === "nullable") continue;
		o[k] = ["properties", "patternProperties"].includes(k)
			? Object.fromEntries(Object.entries(v).map(([p, x]) => [p, toJsonSchema(x)]))
			: toJsonSchema(v);
	}
	if (s["x-kubernetes-int-or-string"]) return { anyOf: [{ type: "integer" }, { type: "string" }] };
	if (s.nullable && o.type) o.type = [o.type, "null"];
	return o;
}

// Structural (apiextensions.k8s.io/v1): every node typed, unless it keeps
// unknown fields or is int-or-string; properties and additionalProperties
// not both; defaults valid against the node that holds them.
function structural(s, path, errs) {
	const typed = s.type || s["x-kubernetes-int-or-string"] ||
		s["x-kubernetes-preserve-unknown-fields"];
	if (!typed) errs.push(`${path}: no type`);
	if (s.properties && s.additionalProperties && s.additionalProperties !== false)
		errs.push(`${path}: both properties and additionalProperties`);
	if (s.type === "object" && !s.properties && !s.additionalProperties &&
	    !s["x-kubernetes-preserve-unknown-fields"] && path !== "")
		errs.push(`${path}: an object with no properties would drop every field`);
	if (s.default !== undefined) {
		const v = ajv.compile(toJsonSchema({ ...s, default: undefined }));
		if (!v(structuredClone(s.default)))
			errs.push(`${path}: default ${JSON.stringify(s.default)} fails its own schema`);
	}
	for (const [k, v] of Object.entries(s.properties || {})) structural(v, `${path}.${k}`, errs);
	if (s.items) structural(s.items, `${path}[]`, errs);
	if (typeof s.additionalProperties === "object") structural(s.additionalProperties, `${path}.*`, errs);
}

// x-kubernetes-list-type map: no two items with the same keys.
function duplicateKeys(s, v, path, errs) {
	if (!s || v === null || typeof v !== "object") return errs.length > 0;
	if (Array.isArray(v)) {
		if (s["x-kubernetes-list-type"] === "map") {
			const seen = new Set();
			for (const it of v) {
				const k = JSON.stringify((s["x-kubernetes-list-map-keys"] ?? []).map((m) => it?.[m]));
				if (seen.has(k)) errs.push(`${path}: duplicate entry ${k}`);
				seen.add(k);
			}
		}
		v.forEach((it, i) => duplicateKeys(s.items, it, `${path}[${i}]`, errs));
	} else {
		for (const [k, x] of Object.entries(v)) duplicateKeys(s.properties?.[k], x, `${path}.${k}`, errs);
	}
	return errs.length > 0;
}

// Does jsonPath (".a.b") name a field of the schema?
function hasPath(schema, jp) {
	let s = schema;
	for (const p of jp.replace(/^\./, "").split(".")) {
		if (p === "metadata") return true;
		s = s?.properties?.[p];
		if (!s) return false;
	}
	return true;
}

async function modelFor(apiVersion, kind) {
	const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
	const mod = group === "monitoring.coreos.com"
		? `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`
		: `kubernetes-models/${group ? `${group}/${version}` : version}/${kind}`;
	try {
		return (await import(mod))[kind];
	} catch {
		return null;
	}
}

async function validate({ file, o }) {
	const what = `${file}: ${o.kind} ${o.metadata?.namespace ? o.metadata.namespace + "/" : ""}${o.metadata?.name}`;
	const custom = crds.get(`${o.apiVersion}/${o.kind}`);
	if (custom) {
		const v = ajv.compile(toJsonSchema(custom.schema));
		const dup = [];
		const good = v(o) && !!o.metadata?.name && !duplicateKeys(custom.schema, o, "", dup);
		return { what, good, why: dup.length ? dup.join("\n") : ajv.errorsText(v.errors, { separator: "\n" }) };
	}
	const Model = await modelFor(o.apiVersion, o.kind);
	if (!Model) return { what, good: false, why: `no schema for ${o.apiVersion} ${o.kind}` };
	try {
		new Model(o).validate();
		return { what, good: !!o.metadata?.name, why: "no metadata.name" };
	} catch (e) {
		return { what, good: false, why: e.message };
	}
}

// What no schema checks: names that point at other objects.
function references(objs) {
	const have = new Set(objs.map(({ o }) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`));
	const has = (kind, ns, name) => have.has(`${kind}/${ns ?? ""}/${name}`);
	for (const { file, o } of objs) {
		const ns = o.metadata.namespace;
		const at = `${file}: ${o.kind} ${o.metadata.name}`;
		if (ns && !has("Namespace", "", ns) && ns !== "monitoring")
			ok(false, `${at}: namespace ${ns} is created here`, `no Namespace ${ns}`);
		const pod = o.spec?.template;
		if (pod) {
			const sel = o.spec.selector.matchLabels;
			ok(Object.entries(sel).every(([k, v]) => pod.metadata.labels[k] === v),
			   `${at}: its selector matches its pods' labels`, JSON.stringify(sel));
			const sa = pod.spec.serviceAccountName;
			ok(has("ServiceAccount", ns, sa), `${at}: ServiceAccount ${sa} exists`, "missing");
			for (const v of pod.spec.volumes ?? [])
				if (v.configMap)
					ok(has("ConfigMap", ns, v.configMap.name),
					   `${at}: ConfigMap ${v.configMap.name} exists`, "missing");
			for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
				const ports = new Set((c.ports ?? []).map((p) => p.name));
				for (const pr of [c.livenessProbe, c.readinessProbe].filter(Boolean)) {
					const port = pr.httpGet?.port;
					ok(typeof port === "number" || ports.has(port),
					   `${at}: ${c.name}'s probe port ${port} is one of its ports`, [...ports]);
				}
				const vols = new Set((pod.spec.volumes ?? []).map((v) => v.name));
				for (const m of c.volumeMounts ?? [])
					ok(vols.has(m.name), `${at}: ${c.name} mounts volume ${m.name}, which exists`, "missing");
			}
		}
		if (o.kind === "Service") {
			const pods = objs.filter(({ o: w }) => w.spec?.template && w.metadata.namespace === ns &&
				Object.entries(o.spec.selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v));
			ok(pods.length > 0, `${at}: selects a workload's pods`, JSON.stringify(o.spec.selector));
		}
		if (o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding") {
			ok(has(o.roleRef.kind, o.roleRef.kind === "Role" ? ns : "", o.roleRef.name),
			   `${at}: ${o.roleRef.kind} ${o.roleRef.name} exists`, "missing");
			for (const s of o.subjects)
				ok(has("ServiceAccount", s.namespace, s.name),
				   `${at}: ServiceAccount ${s.namespace}/${s.name} exists`, "missing");
		}
	}
}

const objs = [];
for (const f of files) {
	try {
		objs.push(...load(f));
	} catch (e) {
		ok(false, `${f} parses`, e.message);
	}
}
for (const x of objs) {
	const { what, good, why } = await validate(x);
	if (refuse)
		ok(!good, `${what}: refused`, "accepted");
	else
		ok(good, `${what}: valid ${x.o.apiVersion} ${x.o.kind}`, why);
	if (!refuse && x.o.kind === "CustomResourceDefinition") {
		for (const v of x.o.spec.versions) {
			const errs = [];
			structural(v.schema.openAPIV3Schema, "", errs);
			ok(!errs.length, `${what} ${v.name}: structural schema`, errs.join("\n"));
			const bad = (v.additionalPrinterColumns ?? []).filter((c) => !hasPath(v.schema.openAPIV3Schema, c.jsonPath));
			ok(!bad.length, `${what} ${v.name}: printer columns name schema fields`,
			   bad.map((c) => c.jsonPath).join(" "));
		}
	}
}
if (!refuse) references(objs.filter(({ o }) => o.metadata?.name));
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
