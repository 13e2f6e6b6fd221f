// render: `helm template` for the tests, where Helm cannot be installed
// (it is not in Debian 12, and no registry but Debian's and npm's is
// reachable). It renders a chart as Helm 3 does for what charts use:
// text/template with Sprig's functions (Debian's golang-github-masterminds-sprig)
// plus Helm's include, tpl, required, toYaml, fromYaml and toJson; values
// from values.yaml deep-merged with each -f file; .Release, .Chart,
// .Capabilities.KubeVersion; crds/ first, then templates/ in name order,
// partials (_*.tpl) not rendered, empty output dropped.
//
//	render [-f VALUES]... [-n NAMESPACE] [-name RELEASE] CHART
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(v string) error { *f = append(*f, v); return nil }

func readYAML(path string) (map[string]interface{}, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]interface{}{}
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return m, nil
}

// merge: Helm's coalescing, src over dst, maps merged key by key.
func merge(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				dst[k] = merge(dm, sm)
				continue
			}
		}
		if v == nil {
			delete(dst, k)
			continue
		}
		dst[k] = v
	}
	return dst
}

func toYAML(v interface{}) string {
	var b bytes.Buffer
	e := yaml.NewEncoder(&b)
	e.SetIndent(2)
	if err := e.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func main() {
	var vf files
	flag.Var(&vf, "f", "values file (repeatable)")
	ns := flag.String("n", "default", "release namespace")
	name := flag.String("name", "release-name", "release name")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: render [-f VALUES]... [-n NS] [-name NAME] CHART")
		os.Exit(2)
	}
	dir := flag.Arg(0)
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
	chart, err := readYAML(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		fail(err)
	}
	values, err := readYAML(filepath.Join(dir, "values.yaml"))
	if err != nil {
		fail(err)
	}
	for _, f := range vf {
		m, err := readYAML(f)
		if err != nil {
			fail(err)
		}
		values = merge(values, m)
	}
	top := map[string]interface{}{
		"Values":  values,
		"Release": map[string]interface{}{"Name": *name, "Namespace": *ns, "Service": "Helm", "IsInstall": true},
		"Chart": map[string]interface{}{"Name": chart["name"], "Version": chart["version"],
			"AppVersion": chart["appVersion"]},
		"Capabilities": map[string]interface{}{"KubeVersion": map[string]interface{}{"Version": "v1.28.0"}},
	}

	t := template.New("chart").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	funcs["toYaml"] = toYAML
	funcs["toJson"] = sprig.TxtFuncMap()["toJson"]
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		_ = yaml.Unmarshal([]byte(s), &m)
		return m
	}
	funcs["include"] = func(n string, data interface{}) (string, error) {
		var b bytes.Buffer
		err := t.ExecuteTemplate(&b, n, data)
		return b.String(), err
	}
	funcs["tpl"] = func(s string, data interface{}) (string, error) {
		x, err := t.Clone()
		if err != nil {
			return "", err
		}
		if x, err = x.New("tpl").Parse(s); err != nil {
			return "", err
		}
		var b bytes.Buffer
		err = x.Execute(&b, data)
		return b.String(), err
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, fmt.Errorf("%s", msg)
		}
		return v, nil
	}
	t.Funcs(funcs)

	crds, _ := filepath.Glob(filepath.Join(dir, "crds", "*.yaml"))
	sort.Strings(crds)
	for _, c := range crds {
		b, err := os.ReadFile(c)
		if err != nil {
			fail(err)
		}
		fmt.Printf("---\n# Source: %s\n%s", strings.TrimPrefix(c, dir+"/"), b)
	}
	tpls, _ := filepath.Glob(filepath.Join(dir, "templates", "*"))
	sort.Strings(tpls)
	for _, p := range tpls {
		b, err := os.ReadFile(p)
		if err != nil {
			fail(err)
		}
		if _, err := t.New(filepath.Base(p)).Parse(string(b)); err != nil {
			fail(err)
		}
	}
	for _, p := range tpls {
		base := filepath.Base(p)
		if strings.HasPrefix(base, "_") {
			continue
		}
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, base, top); err != nil {
			fail(err)
		}
		if strings.TrimSpace(b.String()) == "" {
			continue
		}
		fmt.Printf("---\n# Source: templates/%s\n%s\n", base, strings.TrimLeft(b.String(), "\n"))
	}
}
