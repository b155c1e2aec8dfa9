// `oracle artifact FILE`: the facts the Go readers would act on. The control
// flow follows mender-artifact 3.9's areader/reader.go and handlers/ (the
// code the Mender 3.x client links), step for step where the outcome depends
// on it: which member names are accepted and how, which JSON decoder with
// which options reads which file into which struct, what is skipped
// silently. Signatures are not verified (artsig does that).
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The JSON shapes, as mender-artifact 3.9's artifact/metadata.go declares
// them (field names, types, tags and custom unmarshallers), since Go's
// decoder reads by those: keys match case-insensitively, the last duplicate
// wins, DisallowUnknownFields does not reach into a custom UnmarshalJSON.

type versionInfo struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
}

type updateType struct {
	Type *string `json:"type"`
}

type headerInfoV2 struct {
	ArtifactName      string       `json:"artifact_name"`
	Updates           []updateType `json:"updates"`
	CompatibleDevices []string     `json:"device_types_compatible"`
}

var errCompatibleDevices = errors.New("ArtifactDepends: Required field 'CompatibleDevices' not found")

func (h *headerInfoV2) UnmarshalJSON(b []byte) error {
	type alias headerInfoV2
	buf := &alias{}
	if err := json.Unmarshal(b, &buf); err != nil {
		return err
	}
	if len(buf.CompatibleDevices) == 0 {
		return errCompatibleDevices
	}
	*h = headerInfoV2(*buf)
	return nil
}

type headerInfoV3 struct {
	Updates          []updateType      `json:"payloads"`
	ArtifactProvides *artifactProvides `json:"artifact_provides"`
	ArtifactDepends  *artifactDepends  `json:"artifact_depends"`
}

type artifactDepends struct {
	ArtifactName      []string `json:"artifact_name,omitempty"`
	CompatibleDevices []string `json:"device_type,omitempty"`
	ArtifactGroup     []string `json:"artifact_group,omitempty"`
}

func (a *artifactDepends) UnmarshalJSON(b []byte) error {
	type alias artifactDepends
	buf := &alias{}
	if err := json.Unmarshal(b, buf); err != nil {
		return err
	}
	if len(buf.CompatibleDevices) == 0 {
		return errCompatibleDevices
	}
	*a = artifactDepends(*buf)
	return nil
}

type artifactProvides struct {
	ArtifactName  string `json:"artifact_name"`
	ArtifactGroup string `json:"artifact_group,omitempty"`
}

type typeInfoDepends map[string]interface{}

// Strings and lists of strings only; a list is kept as []string.
func (t *typeInfoDepends) UnmarshalJSON(b []byte) error {
	m := make(map[string]interface{})
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	out := make(typeInfoDepends)
	for k, v := range m {
		switch val := v.(type) {
		case string:
			out[k] = val
		case []interface{}:
			list := make([]string, len(val))
			for i, item := range val {
				s, ok := item.(string)
				if !ok {
					return fmt.Errorf("Invalid TypeInfo depends type: %T, with value %v", v, v)
				}
				list[i] = s
			}
			out[k] = list
		default:
			return fmt.Errorf("Invalid TypeInfo depends type: %T, with value %v", v, v)
		}
	}
	*t = out
	return nil
}

type typeInfoProvides map[string]string

func (t *typeInfoProvides) UnmarshalJSON(b []byte) error {
	m := make(map[string]interface{})
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	out := make(typeInfoProvides)
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("Invalid TypeInfo provides type: %T, with value %v", v, v)
		}
		out[k] = s
	}
	*t = out
	return nil
}

type typeInfoV3 struct {
	Type                   *string          `json:"type"`
	ArtifactDepends        typeInfoDepends  `json:"artifact_depends,omitempty"`
	ArtifactProvides       typeInfoProvides `json:"artifact_provides,omitempty"`
	ClearsArtifactProvides []string         `json:"clears_artifact_provides,omitempty"`
}

type filesV2 struct {
	FileList []string `json:"files"`
}

// artifact.decode: the first JSON value only, unknown fields refused (at the
// top level), an empty file leaves the target as it was.
func decodeStrict(p []byte, v interface{}) error {
	if len(p) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// The facts, printed as JSON (encoding/json sorts map keys, so the text is
// canonical).
type Facts struct {
	Format           string              `json:"format"`
	Version          int                 `json:"version"`
	Members          []string            `json:"members"`
	Signed           bool                `json:"signed"`
	ArtifactName     string              `json:"artifact_name"`
	ArtifactGroup    string              `json:"artifact_group"`
	DeviceTypes      []string            `json:"device_types"`
	ArtifactProvides map[string]string   `json:"artifact_provides"`
	ArtifactDepends  map[string][]string `json:"artifact_depends"`
	Scripts          []Digested          `json:"scripts"`
	Payloads         []*Payload          `json:"payloads"`
	Manifest         []ManifestEntry     `json:"manifest"`
}

type Digested struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

type ManifestEntry struct {
	Name      string `json:"name"`
	SHA256    string `json:"sha256"`
	Augmented bool   `json:"augmented"`
}

type File struct {
	Name      string `json:"name"`
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	Augmented bool   `json:"augmented"`
}

type Payload struct {
	Type     *string                `json:"type"`
	Files    []*File                `json:"files"`
	MetaData map[string]interface{} `json:"meta_data"`
	Provides typeInfoProvides       `json:"provides"`
	Depends  typeInfoDepends        `json:"depends"`
	Clears   []string               `json:"clears_artifact_provides"`
	Augment  *Augment               `json:"augment"`

	kind     string // "rootfs", "module" or "bootstrap": the 3.9 handler
	typeInfo *typeInfoV3
}

type Augment struct {
	MetaData map[string]interface{} `json:"meta_data"`
	Provides typeInfoProvides       `json:"provides"`
	Depends  typeInfoDepends        `json:"depends"`
	Clears   []string               `json:"clears_artifact_provides"`

	typeInfo *typeInfoV3
}

type reader struct {
	facts    Facts
	outer    *tar.Reader
	sums     map[string]string // the manifests' checksum store
	marked   map[string]bool
	files    []string // manifest names, then manifest-augment names
	augFiles []string
	payloads []*Payload
}

func runArtifact(path string) int {
	facts, err := readArtifactFile(path)
	if err != nil {
		fmt.Println("error: " + err.Error())
		return 1
	}
	out, err := json.MarshalIndent(facts, "", "  ")
	if err != nil {
		fmt.Println("error: " + err.Error())
		return 1
	}
	fmt.Println(string(out))
	return 0
}

func readArtifactFile(path string) (facts *Facts, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// A nil dereference in the reference is a refusal too (a crash of the
	// client), not a crash of the test.
	defer func() {
		if p := recover(); p != nil {
			facts, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	ar := &reader{outer: tar.NewReader(f), sums: map[string]string{}, marked: map[string]bool{}}
	if err := ar.read(); err != nil {
		return nil, err
	}
	return &ar.facts, nil
}

// nextMember: the outer tar's next header, its name recorded.
func (ar *reader) nextMember() (*tar.Header, error) {
	hdr, err := ar.outer.Next()
	if err == nil {
		ar.facts.Members = append(ar.facts.Members, hdr.Name)
	}
	return hdr, err
}

// readNext: areader.readNext, the whole member in memory; the name need only
// start with what is expected.
func readNext(next func() (*tar.Header, error), r io.Reader, elem string) ([]byte, error) {
	hdr, err := next()
	if err != nil {
		return nil, fmt.Errorf("readNext: %w", err)
	}
	if !strings.HasPrefix(hdr.Name, elem) {
		return nil, fmt.Errorf("readNext: %q is not %q", hdr.Name, elem)
	}
	return io.ReadAll(r)
}

func (ar *reader) read() error {
	raw, err := readNext(ar.nextMember, ar.outer, "version")
	if err != nil {
		return fmt.Errorf("can not read version file: %w", err)
	}
	var ver versionInfo
	if err := decodeStrict(raw, &ver); err != nil {
		return fmt.Errorf("version: %w", err)
	}
	ar.facts.Format, ar.facts.Version = ver.Format, ver.Version
	switch ver.Version {
	case 2:
		err = ar.readHeaderV2(raw)
	case 3:
		err = ar.readHeaderV3(raw)
	default:
		return fmt.Errorf("unsupported version: %d", ver.Version)
	}
	if err != nil {
		return err
	}
	if err := ar.readData(); err != nil {
		return err
	}
	var notMarked []string
	for name := range ar.sums {
		if !ar.marked[name] {
			notMarked = append(notMarked, name)
		}
	}
	if len(notMarked) > 0 {
		sort.Strings(notMarked)
		return fmt.Errorf("files in manifest(s) not part of the artifact: %s", strings.Join(notMarked, ", "))
	}
	ar.facts.Payloads = ar.payloads
	for _, p := range ar.payloads {
		sort.Slice(p.Files, func(i, j int) bool { return p.Files[i].Name < p.Files[j].Name })
	}
	return nil
}

// ChecksumStore.ReadRaw: a last line without its newline is dropped,
// surrounding white space trimmed, a name twice (in either manifest) refused.
func (ar *reader) readManifest(data []byte, augmented bool) ([]string, error) {
	rest := data
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSpace(string(rest[:i]))
		rest = rest[i+1:]
		if line == "" {
			continue
		}
		chunks := strings.Split(line, "  ")
		if len(chunks) != 2 {
			return nil, fmt.Errorf("checksum: malformed checksum line: %q", line)
		}
		if _, dup := ar.sums[chunks[1]]; dup {
			return nil, fmt.Errorf("checksum: %q listed twice", chunks[1])
		}
		ar.sums[chunks[1]] = chunks[0]
		ar.facts.Manifest = append(ar.facts.Manifest,
			ManifestEntry{Name: chunks[1], SHA256: chunks[0], Augmented: augmented})
	}
	// readManifestHeader's own split of the same text, for the file lists.
	var names []string
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		split := bytes.SplitN(line, []byte("  "), 2)
		if len(split) != 2 {
			return nil, fmt.Errorf("garbled entry in manifest: %q", line)
		}
		names = append(names, string(split[1]))
	}
	return names, nil
}

func (ar *reader) getAndMark(name string) (string, error) {
	sum, ok := ar.sums[name]
	if !ok {
		return "", fmt.Errorf("checksum missing for file: %q", name)
	}
	ar.marked[name] = true
	return sum, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// verifyVersion, and every other digest check: the manifest's text against
// lowercase hex, byte for byte.
func (ar *reader) verify(name string, content []byte) error {
	want, err := ar.getAndMark(name)
	if err != nil {
		return err
	}
	if got := sha256Hex(content); got != want {
		return fmt.Errorf("invalid checksum of %s; expected: [%s]; actual: [%s]", name, want, got)
	}
	return nil
}

var v3Grammar = [][]string{
	{"manifest", "header.tar"},
	{"manifest", "manifest.sig", "header.tar"},
	{"manifest", "manifest-augment", "header.tar", "header-augment.tar"},
	{"manifest", "manifest.sig", "manifest-augment", "header.tar", "header-augment.tar"},
	{"manifest", "header.tar.gz"},
	{"manifest", "manifest.sig", "header.tar.gz"},
	{"manifest", "manifest-augment", "header.tar.gz", "header-augment.tar.gz"},
	{"manifest", "manifest.sig", "manifest-augment", "header.tar.gz", "header-augment.tar.gz"},
	{"manifest", "header.tar.xz"},
	{"manifest", "manifest.sig", "header.tar.xz"},
	{"manifest", "manifest-augment", "header.tar.xz", "header-augment.tar.xz"},
	{"manifest", "manifest.sig", "manifest-augment", "header.tar.xz", "header-augment.tar.xz"},
}

// verifyParseOrder: whether the names so far are a prefix of an allowed
// path, and whether they are all of it.
func verifyParseOrder(order []string) (complete bool, err error) {
	for _, path := range v3Grammar {
		if len(order) > len(path) {
			continue
		}
		prefix := true
		for i := range order {
			if path[i] != order[i] {
				prefix = false
				break
			}
		}
		if prefix {
			return len(order) == len(path), nil
		}
	}
	return false, fmt.Errorf("invalid structure: %v", order)
}

func (ar *reader) readHeaderV3(version []byte) error {
	var order []string
	for {
		hdr, err := ar.nextMember()
		if err == io.EOF {
			return errors.New("the artifact does not contain all required fields")
		}
		if err != nil {
			return fmt.Errorf("readHeaderV3: %w", err)
		}
		order = append(order, hdr.Name)
		complete, err := verifyParseOrder(order)
		if err != nil {
			return err
		}
		if err := ar.headerMember(hdr.Name, version); err != nil {
			return err
		}
		if complete {
			break
		}
	}
	return ar.assignUpdateFiles()
}

func (ar *reader) headerMember(name string, version []byte) error {
	switch name {
	case "manifest":
		data, err := io.ReadAll(ar.outer)
		if err != nil {
			return err
		}
		if ar.files, err = ar.readManifest(data, false); err != nil {
			return err
		}
		return ar.verify("version", version)
	case "manifest.sig":
		ar.facts.Signed = true
		return nil
	case "manifest-augment":
		data, err := io.ReadAll(ar.outer)
		if err != nil {
			return err
		}
		ar.augFiles, err = ar.readManifest(data, true)
		return err
	case "header.tar", "header.tar.gz", "header.tar.xz":
		return ar.readHeader(name, false)
	case "header-augment.tar", "header-augment.tar.gz", "header-augment.tar.xz":
		return ar.readHeader(name, true)
	}
	return fmt.Errorf("found unexpected file in artifact: %v", name)
}

// The v2 flow: manifest, optional manifest.sig, header.tar*; the version's
// digest is checked after the signature.
func (ar *reader) readHeaderV2(version []byte) error {
	data, err := readNext(ar.nextMember, ar.outer, "manifest")
	if err != nil {
		return fmt.Errorf("can not buffer manifest: %w", err)
	}
	if _, err := ar.readManifest(data, false); err != nil {
		return err
	}
	hdr, err := ar.nextMember()
	if err != nil {
		return fmt.Errorf("error reading file after manifest: %w", err)
	}
	name := filepath.Base(hdr.Name)
	if name == "manifest.sig" {
		ar.facts.Signed = true
		if err := ar.verify("version", version); err != nil {
			return err
		}
		if hdr, err = ar.nextMember(); err != nil {
			return errors.New("error reading header")
		}
		name = filepath.Base(hdr.Name)
		if !strings.HasPrefix(name, "header.tar") {
			return fmt.Errorf("invalid header element: %v", hdr.Name)
		}
	} else if !strings.HasPrefix(name, "header.tar") {
		return fmt.Errorf("found unexpected file in artifact: %v", name)
	}
	if err := ar.verify("version", version); err != nil {
		return err
	}
	return ar.readHeader(name, false)
}

// decompress: by the name's suffix (NewCompressorFromFileName); lzma by the
// xz program, since Go's standard library has none (3.9 links
// github.com/ulikunitz/xz); anything else, .zst included (3.9 has no zstd),
// is read as it is.
func decompress(name string, data []byte) ([]byte, error) {
	switch {
	case strings.HasSuffix(name, ".gz"):
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	case strings.HasSuffix(name, ".xz"):
		cmd := exec.Command("xz", "-dc")
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("xz: %w", err)
		}
		return out, nil
	}
	return data, nil
}

// readHeader and readAugmentedHeader. The member's digest is checked after
// its content has been read and acted on, as 3.9 does; the order of errors
// does not change what is accepted.
func (ar *reader) readHeader(name string, augmented bool) error {
	sum, err := ar.getAndMark(name)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(ar.outer)
	if err != nil {
		return err
	}
	plain, err := decompress(name, data)
	if err != nil {
		return fmt.Errorf("opening %s: %w", name, err)
	}
	tr := tar.NewReader(bytes.NewReader(plain))
	if augmented {
		err = ar.readAugmentedHeaderTar(tr)
	} else {
		err = ar.readHeaderTar(tr)
	}
	if err != nil {
		return err
	}
	if got := sha256Hex(data); got != sum {
		return fmt.Errorf("invalid checksum of %s", name)
	}
	return nil
}

func (ar *reader) readHeaderTar(tr *tar.Reader) error {
	raw, err := readNext(tr.Next, tr, "header-info")
	if err != nil {
		return err
	}
	var updates []updateType
	if ar.facts.Version == 2 {
		var hi headerInfoV2
		if err := decodeStrict(raw, &hi); err != nil {
			return fmt.Errorf("header-info: %w", err)
		}
		ar.facts.ArtifactName, ar.facts.DeviceTypes, updates = hi.ArtifactName, hi.CompatibleDevices, hi.Updates
	} else {
		var hi headerInfoV3
		if err := decodeStrict(raw, &hi); err != nil {
			return fmt.Errorf("header-info: %w", err)
		}
		updates = hi.Updates
		ar.facts.ArtifactProvides = map[string]string{}
		if p := hi.ArtifactProvides; p != nil {
			ar.facts.ArtifactName, ar.facts.ArtifactGroup = p.ArtifactName, p.ArtifactGroup
			ar.facts.ArtifactProvides["artifact_name"] = p.ArtifactName
			if p.ArtifactGroup != "" {
				ar.facts.ArtifactProvides["artifact_group"] = p.ArtifactGroup
			}
		}
		ar.facts.ArtifactDepends = map[string][]string{}
		if d := hi.ArtifactDepends; d != nil {
			ar.facts.DeviceTypes = d.CompatibleDevices
			for key, list := range map[string][]string{"artifact_name": d.ArtifactName,
				"device_type": d.CompatibleDevices, "artifact_group": d.ArtifactGroup} {
				if len(list) > 0 {
					ar.facts.ArtifactDepends[key] = list
				}
			}
		}
	}

	// State scripts: every member whose directory is "scripts".
	var hdr *tar.Header
	for {
		hdr, err = tr.Next()
		if err == io.EOF {
			hdr = &tar.Header{}
			break
		}
		if err != nil {
			return fmt.Errorf("error reading artifact header file: %w", err)
		}
		if filepath.Dir(hdr.Name) != "scripts" {
			break
		}
		content, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		ar.facts.Scripts = append(ar.facts.Scripts, Digested{Name: hdr.Name, SHA256: sha256Hex(content)})
	}

	for _, u := range updates {
		p := &Payload{Type: u.Type, kind: "module"}
		switch {
		case u.Type == nil:
			p.kind = "bootstrap"
		case *u.Type == "":
			return errors.New("unexpected empty Payload type")
		case *u.Type == "rootfs-image":
			p.kind = "rootfs"
		}
		ar.payloads = append(ar.payloads, p)
	}
	return ar.readHeaderUpdate(tr, hdr, false)
}

func (ar *reader) readAugmentedHeaderTar(tr *tar.Reader) error {
	raw, err := readNext(tr.Next, tr, "header-info")
	if err != nil {
		return err
	}
	var hi headerInfoV3
	if err := decodeStrict(raw, &hi); err != nil {
		return fmt.Errorf("augmented header-info: %w", err)
	}
	hdr, err := tr.Next()
	if err != nil {
		return fmt.Errorf("readAugmentedHeader: %w", err)
	}
	for i, u := range hi.Updates {
		if u.Type != nil && *u.Type == "" {
			continue // no augment override
		}
		if i >= len(ar.payloads) {
			return fmt.Errorf("augmented Payload %d has no original", i)
		}
		if u.Type == nil || ar.payloads[i].kind == "bootstrap" {
			return errors.New("empty payload can not have augmented header")
		}
		ar.payloads[i].Augment = &Augment{}
	}
	return ar.readHeaderUpdate(tr, hdr, true)
}

// readHeaderUpdate: headers/NNNN/<file> for every member but directories;
// only the second path element and the base name count.
func (ar *reader) readHeaderUpdate(tr *tar.Reader, hdr *tar.Header, augmented bool) error {
	for {
		if hdr.Typeflag != tar.TypeDir {
			split := strings.Split(hdr.Name, "/")
			if len(split) < 3 {
				return errors.New("can not get Payload order from tar path")
			}
			no, err := strconv.Atoi(split[1])
			if err != nil {
				return fmt.Errorf("error getting header Payload number: %w", err)
			}
			if no < 0 || no >= len(ar.payloads) || (augmented && ar.payloads[no].Augment == nil) {
				return fmt.Errorf("can not find parser for Payload: %v", hdr.Name)
			}
			if err := ar.payloads[no].readHeaderFile(tr, hdr.Name, ar.facts.Version, augmented); err != nil {
				return fmt.Errorf("can not read header: %w", err)
			}
		}
		var err error
		hdr, err = tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("can not read artifact header file: %w", err)
		}
	}
}

// The handlers' ReadHeader: type-info by a plain json.Decoder (first value
// only, unknown fields ignored, decoded into the same struct again if it
// comes twice), meta-data as any JSON value that must be an object.
func (p *Payload) readHeaderFile(r io.Reader, path string, version int, augmented bool) error {
	base := filepath.Base(path)
	if p.kind == "bootstrap" {
		if version != 3 {
			return fmt.Errorf("version %d not supported for bootstrap artifacts", version)
		}
		if base != "type-info" {
			return fmt.Errorf("Payload: unsupported file: %v", path)
		}
		return json.NewDecoder(r).Decode(&p.typeInfo)
	}
	typeInfo, meta := &p.typeInfo, &p.MetaData
	if augmented {
		typeInfo, meta = &p.Augment.typeInfo, &p.Augment.MetaData
	}
	switch {
	case base == "type-info":
		if p.kind == "rootfs" && version < 3 {
			return nil // ignored before version 3
		}
		if err := json.NewDecoder(r).Decode(typeInfo); err != nil {
			return fmt.Errorf("error reading type-info: %w", err)
		}
	case base == "meta-data":
		var data interface{}
		err := json.NewDecoder(r).Decode(&data)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("error reading meta-data: %w", err)
		}
		obj, ok := data.(map[string]interface{})
		if !ok {
			return errors.New("top level object in meta-data must be a JSON object")
		}
		*meta = obj
	case p.kind == "rootfs" && base == "files":
		if version >= 3 {
			return errors.New("\"files\" entry found in version 3 artifact")
		}
		content, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		var files filesV2
		if err := decodeStrict(content, &files); err != nil {
			return err
		}
		if len(files.FileList) != 1 || files.FileList[0] == "" {
			return errors.New("rootfs image does not contain exactly one file")
		}
		p.Files = []*File{{Name: files.FileList[0]}}
	case p.kind == "rootfs" && (match("headers/*/signatures/*", path) || match("headers/*/scripts/*/*", path)):
		if augmented {
			return errors.New("signatures and scripts not allowed in augmented header")
		}
	case p.kind == "rootfs" && match("headers/*/checksums/*", path):
	default:
		return fmt.Errorf("Payload: unsupported file: %v", path)
	}
	return nil
}

func match(pattern, name string) bool {
	ok, err := filepath.Match(pattern, name)
	return err == nil && ok
}

// The payload facts the handlers' getters give, once the header is read.
// A module or bootstrap payload without type-info makes 3.9's getters
// dereference nil: the reference crashes, which refuses the artifact.
func (p *Payload) settle() error {
	p.Provides, p.Depends = typeInfoProvides{}, typeInfoDepends{}
	if ti := p.typeInfo; ti != nil {
		p.Provides, p.Depends, p.Clears = ti.ArtifactProvides, ti.ArtifactDepends, ti.ClearsArtifactProvides
	} else if p.kind != "rootfs" {
		return errors.New("panic: nil type-info of a " + p.kind + " payload")
	}
	a := p.Augment
	if a == nil {
		return nil
	}
	if ti := a.typeInfo; ti != nil {
		a.Clears = ti.ClearsArtifactProvides
		// Rootfs ignores an augment's provides and depends.
		if p.kind == "module" {
			a.Provides, a.Depends = ti.ArtifactProvides, ti.ArtifactDepends
		}
	} else if p.kind == "module" {
		return errors.New("panic: nil augmented type-info of a module payload")
	}
	return nil
}

// assignUpdateFiles: manifest names under data/ name their payload by four
// characters that strconv.Atoi reads; a rootfs takes at most one file.
func (ar *reader) assignUpdateFiles() error {
	for _, p := range ar.payloads {
		if err := p.settle(); err != nil {
			return err
		}
	}
	for _, list := range []struct {
		names     []string
		augmented bool
	}{{ar.files, false}, {ar.augFiles, true}} {
		perPayload := make([][]string, len(ar.payloads))
		for _, name := range list.names {
			if !strings.HasPrefix(name, "data/") {
				continue
			}
			c := strings.Split(name, "/")
			if len(c) != 3 || c[0] != "data" {
				return fmt.Errorf("malformed manifest entry: %q", name)
			}
			if len(c[1]) != 4 {
				return fmt.Errorf("manifest entry does not contain four digits: %q", name)
			}
			no, err := strconv.Atoi(c[1])
			if err != nil {
				return fmt.Errorf("invalid index in manifest entry: %q", name)
			}
			if no < 0 || no >= len(ar.payloads) {
				return fmt.Errorf("file in manifest does not belong to any Payload: %s", name)
			}
			perPayload[no] = append(perPayload[no], c[2])
		}
		for no, names := range perPayload {
			p := ar.payloads[no]
			if p.kind == "bootstrap" {
				continue // a bootstrap installer keeps no files
			}
			if list.augmented && len(names) > 0 && p.Augment == nil {
				return errors.New("cannot add augmented files to non-augmented Payload")
			}
			if p.kind == "rootfs" && (len(names) > 1 || len(names) == 1 && len(p.Files) == 1) {
				return errors.New("Rootfs: Must provide exactly one update file")
			}
			for _, n := range names {
				p.Files = append(p.Files, &File{Name: n, Augmented: list.augmented})
			}
		}
	}
	return nil
}

// readData: each outer member in data/ goes to the payload its number names;
// one without a payload is skipped unread (3.9 wraps a nil error there).
func (ar *reader) readData() error {
	if ar.facts.Version == 2 {
		for _, p := range ar.payloads {
			if err := p.settle(); err != nil {
				return err
			}
		}
	}
	for {
		hdr, err := ar.nextMember()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("error reading Payload file: %w", err)
		}
		if filepath.Dir(hdr.Name) != "data" {
			return errors.New("invalid data file name: " + hdr.Name)
		}
		ext := ""
		for _, e := range []string{".gz", ".xz"} {
			if strings.HasSuffix(hdr.Name, e) {
				ext = e
			}
		}
		no, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(hdr.Name), ".tar"+ext))
		if err != nil {
			return fmt.Errorf("error getting data Payload number: %w", err)
		}
		if no < 0 || no >= len(ar.payloads) {
			continue
		}
		data, err := io.ReadAll(ar.outer)
		if err != nil {
			return err
		}
		plain, err := decompress(hdr.Name, data)
		if err != nil {
			return fmt.Errorf("Payload: can not open %s: %w", hdr.Name, err)
		}
		if err := ar.readDataFiles(tar.NewReader(bytes.NewReader(plain)), no); err != nil {
			return err
		}
	}
}

var dataFileName = regexp.MustCompile(`^[\w\-.,]+$`)

func (ar *reader) readDataFiles(tr *tar.Reader, no int) error {
	p := ar.payloads[no]
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("Payload: error reading Artifact file header: %w", err)
		}
		var df *File
		for _, f := range p.Files {
			if f.Name == hdr.Name {
				df = f
			}
		}
		if df == nil || p.kind == "bootstrap" {
			return fmt.Errorf("Payload: can not find data file: %s", hdr.Name)
		}
		if !dataFileName.MatchString(filepath.Base(hdr.Name)) {
			return fmt.Errorf("Payload: data file %s contains forbidden characters", hdr.Name)
		}
		info := hdr.FileInfo()
		df.Size = info.Size()
		sum, err := ar.getAndMark(fmt.Sprintf("data/%04d/%s", no, info.Name()))
		if err != nil {
			return fmt.Errorf("Payload: checksum missing: %w", err)
		}
		df.SHA256 = sum
		content, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if got := sha256Hex(content); got != df.SHA256 {
			return fmt.Errorf("invalid checksum of %s; expected: [%s]; actual: [%s]", hdr.Name, df.SHA256, got)
		}
	}
}
