// `oracle diff ARTSIG FILE...`: the property of issue 15 for each file.
// Where both artsig and the oracle accept, their facts must be equal; where
// one refuses, it must be artsig.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

func runDiff(artsig string, files []string) int {
	failed := 0
	for _, file := range files {
		if verdict, ok := judge(artsig, file); ok {
			fmt.Printf("ok: %s: %s\n", file, verdict)
		} else {
			fmt.Printf("FAIL: %s: %s\n", file, verdict)
			failed++
		}
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// judge: the verdict on one file, and whether the property holds.
func judge(artsig, file string) (string, bool) {
	facts, oerr := readArtifactFile(file)
	cmd := exec.Command(artsig, "read", "--json", "--no-progress", file)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	aerr := cmd.Run()
	why := strings.TrimSpace(stderr.String())
	var exit *exec.ExitError
	switch {
	case errors.As(aerr, &exit) && exit.ExitCode() == 1:
		if oerr != nil {
			return "both refuse (artsig: " + why + ")", true
		}
		return "artsig refuses what Go accepts: " + why, true
	case aerr != nil:
		return fmt.Sprintf("artsig failed: %v: %s", aerr, why), false
	case oerr != nil:
		return "artsig accepts what Go refuses: " + oerr.Error(), false
	}
	diffs, err := compareFacts(stdout.Bytes(), facts)
	if err != nil {
		return err.Error(), false
	}
	if len(diffs) > 0 {
		return "both accept, facts differ: " + strings.Join(diffs, "; "), false
	}
	return "both accept, same facts", true
}

// compareFacts: artsig's `read --json` document against the oracle's facts,
// each brought to one shape first (view).
func compareFacts(artsigJSON []byte, facts *Facts) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(artsigJSON))
	dec.UseNumber()
	var ours map[string]interface{}
	if err := dec.Decode(&ours); err != nil {
		return nil, fmt.Errorf("artsig's JSON: %w", err)
	}
	// The oracle's numbers stay float64, the values Go acts on (the
	// shortest text json.Marshal prints reads back as the same float64).
	raw, err := json.Marshal(facts)
	if err != nil {
		return nil, err
	}
	var theirs map[string]interface{}
	if err := json.Unmarshal(raw, &theirs); err != nil {
		return nil, err
	}
	var diffs []string
	same(view(ours), view(theirs), "", &diffs)
	return diffs, nil
}

// view: the facts both sides state, in one shape. Each normalisation stands
// for a difference of representation only:
//   - artifact_group "" and absent: Go's struct (omitempty) cannot tell them
//     apart, and neither can any reader of what it writes back;
//   - artifact_depends without empty lists, for the same reason;
//   - provides/depends/clears absent and empty: the same for every getter;
//   - a depends value "v" and ["v"]: the client matches a list as any-of;
//   - version 2: artsig lists the payloads as "updates" and states the name
//     and device types as provides/depends, which version 2 does not have;
//   - scripts by name only (their digests are covered by the header's) and
//     sorted, files sorted by name: the client orders both by name.
func view(doc map[string]interface{}) map[string]interface{} {
	version := doc["version"]
	v := map[string]interface{}{
		"format":        doc["format"],
		"version":       version,
		"members":       doc["members"],
		"signed":        doc["signed"],
		"artifact_name": doc["artifact_name"],
		"artifact_group": func() interface{} {
			if doc["artifact_group"] == "" {
				return nil
			}
			return doc["artifact_group"]
		}(),
		"device_types": listOrEmpty(doc["device_types"]),
	}
	payloads := doc["payloads"]
	if isNumber(version, 2) {
		if updates, ok := doc["updates"]; ok {
			payloads = updates
		}
	} else {
		v["artifact_provides"] = mapOrEmpty(doc["artifact_provides"])
		depends := map[string]interface{}{}
		for k, list := range mapOrEmpty(doc["artifact_depends"]) {
			if l, ok := list.([]interface{}); ok && len(l) > 0 {
				depends[k] = l
			}
		}
		v["artifact_depends"] = depends
	}
	var scripts []string
	for _, s := range listOrEmpty(doc["scripts"]) {
		if obj, ok := s.(map[string]interface{}); ok {
			s = obj["name"]
		}
		scripts = append(scripts, fmt.Sprint(s))
	}
	sort.Strings(scripts)
	v["scripts"] = scripts
	var list []interface{}
	for _, p := range listOrEmpty(payloads) {
		obj, _ := p.(map[string]interface{})
		pv := payloadView(obj)
		pv["type"] = obj["type"]
		var files []map[string]interface{}
		for _, f := range listOrEmpty(obj["files"]) {
			fo, _ := f.(map[string]interface{})
			files = append(files, map[string]interface{}{"name": fo["name"], "sha256": fo["sha256"],
				"size": fo["size"], "augmented": fo["augmented"]})
		}
		sort.Slice(files, func(i, j int) bool { return fmt.Sprint(files[i]["name"]) < fmt.Sprint(files[j]["name"]) })
		fl := make([]interface{}, len(files))
		for i := range files {
			fl[i] = files[i]
		}
		pv["files"] = fl
		if aug, ok := obj["augment"].(map[string]interface{}); ok {
			pv["augment"] = payloadView(aug)
		} else {
			pv["augment"] = nil
		}
		list = append(list, pv)
	}
	v["payloads"] = listOrEmptyOf(list)
	return v
}

func payloadView(obj map[string]interface{}) map[string]interface{} {
	depends := map[string]interface{}{}
	for k, d := range mapOrEmpty(obj["depends"]) {
		if s, ok := d.(string); ok {
			d = []interface{}{s}
		}
		depends[k] = d
	}
	return map[string]interface{}{
		"meta_data":                obj["meta_data"],
		"provides":                 mapOrEmpty(obj["provides"]),
		"depends":                  depends,
		"clears_artifact_provides": listOrEmpty(obj["clears_artifact_provides"]),
	}
}

func listOrEmpty(x interface{}) []interface{} {
	if l, ok := x.([]interface{}); ok {
		return l
	}
	return []interface{}{}
}

func listOrEmptyOf(l []interface{}) []interface{} {
	if l == nil {
		return []interface{}{}
	}
	return l
}

func mapOrEmpty(x interface{}) map[string]interface{} {
	if m, ok := x.(map[string]interface{}); ok {
		return m
	}
	return map[string]interface{}{}
}

func isNumber(x interface{}, want int64) bool {
	switch n := x.(type) {
	case json.Number:
		got, err := n.Int64()
		return err == nil && got == want
	case float64:
		return n == float64(want)
	}
	return false
}

var integerText = regexp.MustCompile(`^-?[0-9]+$`)

// sameNumber: artsig's number text against the float64 Go decoded. An
// integer must be the float's exact value (json-c keeps 64-bit integers
// exact where Go rounds them to 53 bits: two readings); any other number
// must parse to the same float64.
func sameNumber(text string, f float64) bool {
	if integerText.MatchString(text) {
		n, ok := new(big.Int).SetString(text, 10)
		exact := new(big.Rat).SetFloat64(f)
		return ok && exact != nil && exact.IsInt() && exact.Num().Cmp(n) == 0
	}
	g, err := strconv.ParseFloat(text, 64)
	return err == nil && g == f
}

// same: artsig's view (numbers as json.Number) against the oracle's
// (numbers as float64), the differences appended as "path: artsig X, Go Y".
func same(ours, theirs interface{}, path string, diffs *[]string) {
	differ := func() {
		a, _ := json.Marshal(ours)
		b, _ := json.Marshal(theirs)
		*diffs = append(*diffs, fmt.Sprintf("%s: artsig %s, Go %s", path, a, b))
	}
	switch t := theirs.(type) {
	case map[string]interface{}:
		o, ok := ours.(map[string]interface{})
		if !ok || len(o) != len(t) {
			differ()
			return
		}
		for k := range t {
			if _, ok := o[k]; !ok {
				differ()
				return
			}
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			same(o[k], t[k], path+"."+k, diffs)
		}
	case []interface{}:
		o, ok := ours.([]interface{})
		if !ok || len(o) != len(t) {
			differ()
			return
		}
		for i := range t {
			same(o[i], t[i], fmt.Sprintf("%s[%d]", path, i), diffs)
		}
	case []string:
		o, ok := ours.([]string)
		if !ok || strings.Join(o, "\x00") != strings.Join(t, "\x00") || len(o) != len(t) {
			differ()
		}
	case float64:
		n, ok := ours.(json.Number)
		if !ok || !sameNumber(string(n), t) {
			differ()
		}
	case json.Number:
		n, ok := ours.(json.Number)
		f, err := t.Float64()
		if !ok || err != nil || !sameNumber(string(n), f) {
			differ()
		}
	default:
		if ours != theirs {
			differ()
		}
	}
}
