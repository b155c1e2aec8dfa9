// `oracle craft SEED_DIR OUT_DIR`: the crafted inputs of the differential
// test, each a seed artifact with one change where Go and json-c, or Go's
// archive/tar and libarchive, could read the same bytes differently.
package main

import (
	"archive/tar"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// A change to a model; an error when the seed lacks what it changes.
type change func(m *model) error

// editJSON: the member's text through edit.
func editJSON(member, name string, edit func(string) string) change {
	return func(m *model) error {
		e := m.find(member, name)
		if e == nil {
			return fmt.Errorf("no %s in %s", name, member)
		}
		e.body = []byte(edit(string(e.body)))
		return nil
	}
}

// The JSON edits: key is the quoted key as it appears in the text.
func duplicateLast(key, value string) func(string) string {
	return func(s string) string {
		s = strings.TrimRight(s, "\n")
		return strings.TrimSuffix(s, "}") + "," + key + ":" + value + "}"
	}
}

func replaceFirst(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

func appendText(tail string) func(string) string {
	return func(s string) string { return s + tail }
}

// setTypeflag: the member becomes another kind of entry (its content kept
// where the kind has content).
func setTypeflag(member, name string, flag byte, linkname string) change {
	return func(m *model) error {
		e := m.find(member, name)
		if e == nil {
			return fmt.Errorf("no %s in %s", name, member)
		}
		e.hdr.Typeflag, e.hdr.Linkname = flag, linkname
		if flag != tar.TypeReg {
			e.body = nil
		}
		e.hdr.Format = tar.FormatUnknown
		return nil
	}
}

// insertRaw: raw blocks before the member called `before` ("" = at the end).
func insertRaw(member, before string, raw []byte) change {
	return func(m *model) error {
		list := m.inner[member]
		if member == "" {
			list = m.outer
		}
		at := len(list)
		for i, e := range list {
			if e.hdr.Name == before {
				at = i
			}
		}
		list = append(list[:at], append([]*entry{{raw: raw}}, list[at:]...)...)
		if member == "" {
			m.outer = list
		} else {
			m.inner[member] = list
		}
		return nil
	}
}

// appendMember: a copy of an existing member under another name.
func appendMember(member, from, to string) change {
	return func(m *model) error {
		e := m.find(member, from)
		if e == nil {
			return fmt.Errorf("no %s in %s", from, member)
		}
		c := *e
		c.hdr.Name = to
		if member == "" {
			m.outer = append(m.outer, &c)
			if list, ok := m.inner[from]; ok {
				m.inner[to] = list
			}
		} else {
			m.inner[member] = append(m.inner[member], &c)
		}
		return nil
	}
}

type craftCase struct {
	name, seed string
	change     change
}

const (
	rootfsSeed  = "rootfs-gzip-unsigned.mender"
	moduleSeed  = "module-multi-ecdsa.mender"
	augmentSeed = "module-augment-rsa.mender"
	v2Seed      = "rootfs-v2-rsa.mender"
	headerTar   = "header.tar.gz"
	dataTar     = "data/0000.tar.gz"
	typeInfo    = "headers/0000/type-info"
	metaData    = "headers/0000/meta-data"
)

var craftCases = []craftCase{
	// JSON: a key twice (Go keeps the last), a key in other letter case
	// (Go matches it to the field), a second document after the first
	// (Go's Decoder reads only the first), unknown keys, escapes, numbers.
	{"hi-dup-provides", moduleSeed, editJSON(headerTar, "header-info",
		duplicateLast(`"artifact_provides"`, `{"artifact_name":"evil"}`))},
	{"hi-dup-name", rootfsSeed, editJSON(headerTar, "header-info",
		replaceFirst(`"artifact_name":"`, `"artifact_name":"evil","artifact_name":"`))},
	{"hi-folded-key", rootfsSeed, editJSON(headerTar, "header-info",
		replaceFirst(`"artifact_provides"`, `"Artifact_Provides"`))},
	{"hi-folded-depends", moduleSeed, editJSON(headerTar, "header-info",
		replaceFirst(`"device_type"`, `"DEVICE_TYPE"`))},
	{"hi-concat", rootfsSeed, editJSON(headerTar, "header-info",
		appendText(`{"payloads":[{"type":"evil"}]}`))},
	{"hi-escaped-key", rootfsSeed, editJSON(headerTar, "header-info",
		replaceFirst(`"payloads"`, `"\u0070ayloads"`))},
	{"hi-unknown-key", rootfsSeed, editJSON(headerTar, "header-info",
		duplicateLast(`"extra"`, `1`))},
	{"hi-depends-unknown-key", moduleSeed, editJSON(headerTar, "header-info",
		replaceFirst(`"device_type"`, `"extra":1,"device_type"`))},
	{"hi-bad-utf8", rootfsSeed, editJSON(headerTar, "header-info",
		replaceFirst(`"artifact_name":"release`, "\"artifact_name\":\"\xffrelease"))},
	{"ti-dup-provides", moduleSeed, editJSON(headerTar, typeInfo,
		duplicateLast(`"artifact_provides"`, `{"app.version":"evil"}`))},
	{"ti-dup-provide", moduleSeed, editJSON(headerTar, typeInfo,
		replaceFirst(`"app.version":"`, `"app.version":"evil","app.version":"`))},
	{"ti-folded-key", moduleSeed, editJSON(headerTar, typeInfo,
		replaceFirst(`"artifact_provides"`, `"ARTIFACT_PROVIDES"`))},
	{"ti-folded-clears", rootfsSeed, editJSON(headerTar, typeInfo,
		replaceFirst(`"clears_artifact_provides"`, `"Clears_Artifact_Provides"`))},
	{"ti-concat", moduleSeed, editJSON(headerTar, typeInfo,
		appendText(`{"artifact_provides":{"app.version":"evil"}}`))},
	{"ti-trailing-garbage", moduleSeed, editJSON(headerTar, typeInfo, appendText(`xyz`))},
	{"ti-unknown-key", moduleSeed, editJSON(headerTar, typeInfo, duplicateLast(`"extra"`, `1`))},
	{"ti-depends-string", moduleSeed, editJSON(headerTar, typeInfo,
		replaceFirst(`"rootfs-image.version":"release-8.4.16"`, `"rootfs-image.version":["release-8.4.16","evil"]`))},
	{"ti-null", moduleSeed, editJSON(headerTar, typeInfo, func(string) string { return "null" })},
	{"md-dup-key", moduleSeed, editJSON(headerTar, metaData,
		replaceFirst(`"service":"app"`, `"service":"app","service":"evil"`))},
	{"md-folded-keys", moduleSeed, editJSON(headerTar, metaData,
		replaceFirst(`"service":"app"`, `"service":"app","Service":"evil"`))},
	{"md-concat", moduleSeed, editJSON(headerTar, metaData, appendText(`{"service":"evil"}`))},
	{"md-big-integer", moduleSeed, editJSON(headerTar, metaData,
		replaceFirst(`59386`, `9007199254740993`))},
	{"md-huge-integer", moduleSeed, editJSON(headerTar, metaData,
		replaceFirst(`59386`, `123456789012345678901234567890`))},
	{"md-float", moduleSeed, editJSON(headerTar, metaData, replaceFirst(`59386`, `0.1`))},
	{"md-escapes", moduleSeed, editJSON(headerTar, metaData,
		replaceFirst(`"app"`, `"a\u0000p\ud800p"`))},
	{"version-folded-keys", rootfsSeed, editJSON("", "version",
		func(string) string { return `{"FORMAT":"mender","Version":3}` })},
	{"version-concat", rootfsSeed, editJSON("", "version", appendText(`{"version":2}`))},
	{"version-dup", rootfsSeed, editJSON("", "version",
		func(string) string { return `{"format":"mender","version":2,"version":3}` })},
	{"version-dup-wrong-type", rootfsSeed, editJSON("", "version",
		func(string) string { return `{"format":"mender","version":"3","version":3}` })},
	{"version-other-format", rootfsSeed, editJSON("", "version",
		func(string) string { return `{"format":"evil","version":3}` })},
	{"v2-folded-key", v2Seed, editJSON(headerTar, "header-info",
		replaceFirst(`"artifact_name"`, `"Artifact_Name"`))},
	{"v2-unknown-key", v2Seed, editJSON(headerTar, "header-info", duplicateLast(`"extra"`, `1`))},
	{"aug-dup-key", augmentSeed, editJSON("header-augment.tar.gz", typeInfo,
		duplicateLast(`"artifact_provides"`, `{"x":"evil"}`))},

	// tar: kinds of entry Go returns to the reader or folds away (GNU long
	// names, pax headers) where libarchive may do otherwise.
	{"data-symlink", rootfsSeed, setTypeflag(dataTar, "core-image-qemux86-64.ext4", tar.TypeSymlink, "/etc/shadow")},
	{"data-hardlink", moduleSeed, setTypeflag(dataTar, "app-1.bin", tar.TypeLink, "app-0.bin")},
	{"data-fifo", moduleSeed, setTypeflag(dataTar, "app-1.bin", tar.TypeFifo, "")},
	{"data-dir", moduleSeed, setTypeflag(dataTar, "app-1.bin", tar.TypeDir, "")},
	{"data-contiguous", moduleSeed, setTypeflag(dataTar, "app-1.bin", tar.TypeCont, "")},
	{"header-volume-label", moduleSeed, insertRaw(headerTar, typeInfo, rawMember('V', "label", nil))},
	{"header-global-pax", moduleSeed, insertRaw(headerTar, typeInfo,
		rawMember('g', "pax_global_header", paxRecords("comment", "x")))},
	{"header-pax-path", moduleSeed, insertRaw(headerTar, typeInfo,
		rawMember('x', "paxheader", paxRecords("path", "headers/0000/meta-data")))},
	{"header-gnu-longname", moduleSeed, insertRaw(headerTar, typeInfo,
		rawMember('L', "././@LongLink", []byte("headers/0000/meta-data\x00")))},
	{"header-gnu-longlink", moduleSeed, insertRaw(headerTar, typeInfo,
		rawMember('K', "././@LongLink", []byte("x\x00")))},
	{"header-sparse", moduleSeed, insertRaw(headerTar, typeInfo,
		rawMember('S', "headers/0000/extra", nil))},
	{"header-dir", moduleSeed, insertRaw(headerTar, typeInfo, rawMember('5', "headers/0000/", nil))},
	{"header-second-type-info", moduleSeed, appendMember(headerTar, typeInfo, typeInfo)},
	{"header-other-prefix", moduleSeed, editName(headerTar, typeInfo, "evil/0000/type-info")},
	{"header-plus-index", moduleSeed, editName(headerTar, typeInfo, "headers/+000/type-info")},
	{"header-script-elsewhere", moduleSeed, editName(headerTar, "scripts/ArtifactCommit_Leave_50", "scripts/x")},
	{"outer-pax-path", rootfsSeed, insertRaw("", dataTar,
		rawMember('x', "paxheader", paxRecords("path", "data/0001.tar.gz")))},
	{"outer-global-pax", rootfsSeed, insertRaw("", "manifest",
		rawMember('g', "pax_global_header", paxRecords("comment", "x")))},
	{"outer-extra-data", moduleSeed, appendMember("", dataTar, "data/0001.tar.gz")},
	{"outer-plus-index", moduleSeed, editName("", dataTar, "data/+000.tar.gz")},
	{"outer-version-prefix", rootfsSeed, editName("", "version", "version.txt")},
}

func editName(member, from, to string) change {
	return func(m *model) error {
		e := m.find(member, from)
		if e == nil {
			return fmt.Errorf("no %s in %s", from, member)
		}
		e.hdr.Name = to
		return nil
	}
}

// craftOne: the seed with the change, written as OUT.
func craftOne(seedDir, seed string, c change, out string) error {
	m, err := loadModel(filepath.Join(seedDir, seed))
	if err != nil {
		return err
	}
	if err := c(m); err != nil {
		return err
	}
	data, err := m.bytes()
	if err != nil {
		return err
	}
	return os.WriteFile(out, data, 0o644)
}

func runCraft(seedDir, outDir string) int {
	status := 0
	for _, c := range craftCases {
		if err := craftOne(seedDir, c.seed, c.change, filepath.Join(outDir, c.name+".mender")); err != nil {
			fmt.Fprintf(os.Stderr, "craft %s: %v\n", c.name, err)
			status = 1
		}
	}
	return status
}
