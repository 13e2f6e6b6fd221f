// same-objects.mjs A B: the objects of YAML file A are those of B (keyed by
// kind, namespace and name; compared as data, comments and order aside),
// but for the kinds named in $ONLY_IN_B. TAP on stdout.
import fs from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { parseAllDocuments } from "yaml";

const objs = (f) => new Map(parseAllDocuments(fs.readFileSync(f, "utf8")).map((d) => d.toJS()).filter(Boolean)
	.map((o) => [`${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`, o]));
const [a, b] = process.argv.slice(2).map(objs);
const onlyB = new Set((process.env.ONLY_IN_B ?? "").split(",").filter(Boolean));
let n = 0, failed = 0;
const ok = (pass, what, why) => {
	n++;
	console.log(`${pass ? "ok" : "not ok"} ${n} - ${what}`);
	if (!pass) { failed++; console.log(`#   ${why}`); }
};
for (const [k, o] of b) {
	if (onlyB.has(o.kind)) continue;
	ok(a.has(k), `${k}: rendered`, "missing");
	if (a.has(k))
		ok(isDeepStrictEqual(a.get(k), o), `${k}: the same object`,
		   `${JSON.stringify(a.get(k)).slice(0, 400)}\n#   vs ${JSON.stringify(o).slice(0, 400)}`);
}
for (const k of a.keys()) if (!b.has(k)) ok(false, `${k}: only in the first`, "extra");
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
