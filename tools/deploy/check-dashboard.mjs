// check-dashboard.mjs DASHBOARD METRICS RULES_OUT: the Grafana dashboard
// is well formed (unique panel ids, a datasource input, every panel with a
// query), names only metrics in METRICS (one per line: what couchestord
// exports), and its queries written out as recording rules for promtool
// to parse. TAP on stdout.
import fs from "node:fs";

const [file, metricsFile, rulesOut] = process.argv.slice(2);
let n = 0, failed = 0;
const ok = (pass, what, why) => {
	n++;
	console.log(`${pass ? "ok" : "not ok"} ${n} - ${what}`);
	if (!pass) { failed++; console.log(`#   ${why}`); }
};

let d;
try {
	d = JSON.parse(fs.readFileSync(file, "utf8"));
	ok(true, `${file} is JSON`);
} catch (e) {
	ok(false, `${file} is JSON`, e.message);
	console.log(`1..${n}`);
	process.exit(1);
}
const known = new Set(fs.readFileSync(metricsFile, "utf8").split("\n").filter(Boolean));
const ids = d.panels.map((p) => p.id);
ok(new Set(ids).size === ids.length, "panel ids are unique", ids.join(" "));
ok(d.uid === "couchestor" && d.title, "it has a title and a stable uid", d.uid);
ok(d.__inputs?.some((i) => i.pluginId === "prometheus"), "it asks for a Prometheus datasource on import", "no __inputs");
const rules = [];
for (const p of d.panels) {
	ok(p.targets?.length > 0 && p.targets.every((t) => t.expr), `panel "${p.title}" has queries`, "none");
	for (const t of p.targets ?? []) {
		const names = (t.expr.match(/\b(couchestor|nutanix)_[a-z_]+/g) ?? [])
			.map((m) => m.replace(/_(bucket|sum|count)$/, ""));
		const unknown = names.filter((m) => !known.has(m));
		ok(names.length > 0 && !unknown.length, `panel "${p.title}" ${t.refId}: metrics couchestord exports`,
		   unknown.join(" ") || "no metric");
		rules.push(t.expr.replaceAll("$instance", ".*").replaceAll("$volume", ".*"));
	}
}
fs.writeFileSync(rulesOut, "groups:\n  - name: dashboard\n    rules:\n" +
	rules.map((e, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(e)}\n`).join(""));
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
