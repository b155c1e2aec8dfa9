// Crafted and mutated artifacts: a seed taken apart into its members (the
// header's and the payloads' tars opened), changed where two readers could
// read differently, and put back together with every manifest digest
// recomputed, so that the digests do not hide what the change does.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"
)

type entry struct {
	hdr  tar.Header
	body []byte
	raw  []byte // when set: written as they are, header blocks and all
}

type model struct {
	outer   []*entry
	version *entry
	inner   map[string][]*entry // the members of header.tar.gz, data/0000.tar.gz, ...
}

// readEntries: every member of a tar, content and all.
func readEntries(data []byte) ([]*entry, error) {
	var out []*entry
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		out = append(out, &entry{hdr: *hdr, body: body})
	}
}

// A seed must be gzip-compressed (or not compressed): the others are
// skipped.
func loadModel(path string) (*model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := &model{inner: map[string][]*entry{}}
	if m.outer, err = readEntries(data); err != nil {
		return nil, err
	}
	for _, e := range m.outer {
		name := e.hdr.Name
		if name == "version" {
			m.version = e
		}
		if strings.HasSuffix(name, ".xz") || strings.HasSuffix(name, ".zst") {
			return nil, fmt.Errorf("%s: not a gzip seed", path)
		}
		if !strings.Contains(name, ".tar") {
			continue
		}
		plain, err := decompress(name, e.body)
		if err != nil {
			return nil, err
		}
		if m.inner[name], err = readEntries(plain); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// find: the entry of member `member` (an outer member when inner is "")
// named `name`, or nil.
func (m *model) find(member, name string) *entry {
	list := m.outer
	if member != "" {
		list = m.inner[member]
	}
	for _, e := range list {
		if e.hdr.Name == name {
			return e
		}
	}
	return nil
}

func writeTar(entries []*entry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if e.raw != nil {
			if err := tw.Flush(); err != nil {
				return nil, err
			}
			buf.Write(e.raw)
			continue
		}
		h := e.hdr
		h.Size = int64(len(e.body))
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeXGlobalHeader {
			h.Size = 0
		}
		if err := tw.WriteHeader(&h); err != nil {
			return nil, fmt.Errorf("%s: %w", h.Name, err)
		}
		if h.Size > 0 {
			if _, err := tw.Write(e.body); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// rawMember: a member as its blocks, for what tar.Writer will not write (GNU
// long names, volume headers, a pax path beside another ustar name): a ustar
// header with the given typeflag, name and content, then the content.
func rawMember(typeflag byte, name string, body []byte) []byte {
	h := make([]byte, 512)
	copy(h[0:100], name)
	copy(h[100:108], "0000644\x00")
	copy(h[108:116], "0000000\x00")
	copy(h[116:124], "0000000\x00")
	copy(h[124:136], fmt.Sprintf("%011o\x00", len(body)))
	copy(h[136:148], "00000000000\x00")
	h[156] = typeflag
	copy(h[257:265], "ustar\x0000")
	for i := 148; i < 156; i++ {
		h[i] = ' '
	}
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
	out := append(h, body...)
	if pad := len(body) % 512; pad != 0 {
		out = append(out, make([]byte, 512-pad)...)
	}
	return out
}

// paxRecords: the text of a pax extended header.
func paxRecords(kv ...string) []byte {
	var out []byte
	for i := 0; i+1 < len(kv); i += 2 {
		rec := " " + kv[i] + "=" + kv[i+1] + "\n"
		n := len(rec)
		for len(fmt.Sprint(n))+len(rec) != n {
			n = len(fmt.Sprint(n)) + len(rec)
		}
		out = append(out, fmt.Sprintf("%d%s", n, rec)...)
	}
	return out
}

// bytes: the artifact, inner tars re-packed and every manifest line's digest
// recomputed from the content it names.
func (m *model) bytes() ([]byte, error) {
	digests := map[string]string{}
	if m.version != nil {
		digests["version"] = sha256Hex(m.version.body)
	}
	for _, e := range m.outer {
		entries, ok := m.inner[e.hdr.Name]
		if !ok {
			continue
		}
		plain, err := writeTar(entries)
		if err != nil {
			return nil, err
		}
		e.body = plain
		if strings.HasSuffix(e.hdr.Name, ".gz") {
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			zw.Write(plain)
			zw.Close()
			e.body = z.Bytes()
		}
		digests[e.hdr.Name] = sha256Hex(e.body)
		if no := strings.TrimPrefix(strings.SplitN(e.hdr.Name, ".", 2)[0], "data/"); strings.HasPrefix(e.hdr.Name, "data/") {
			for _, f := range entries {
				digests["data/"+no+"/"+f.hdr.Name] = sha256Hex(f.body)
			}
		}
	}
	for _, name := range []string{"manifest", "manifest-augment"} {
		e := m.find("", name)
		if e == nil {
			continue
		}
		lines := strings.SplitAfter(string(e.body), "\n")
		for i, line := range lines {
			parts := strings.SplitN(line, "  ", 2)
			if len(parts) != 2 {
				continue
			}
			if sum, ok := digests[strings.TrimSuffix(parts[1], "\n")]; ok {
				lines[i] = sum + "  " + parts[1]
			}
		}
		e.body = []byte(strings.Join(lines, ""))
	}
	return writeTar(m.outer)
}
