// `oracle fuzz ARTSIG SEED_DIR COUNT SECONDS`: random changes of the kinds
// craft.go makes by hand (keys folded, doubled and escaped, documents
// concatenated, numbers widened, tar typeflags changed, pax and GNU records
// inserted, members renamed or doubled) applied to the seeds, each mutant
// judged like `oracle diff` judges a file, until COUNT mutants or SECONDS
// have passed. ORACLE_FUZZ_SEED repeats a run; a mutant that breaks the
// property is kept in fuzz-failures/ of the working directory.
package main

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	jsonKey    = regexp.MustCompile(`"[A-Za-z_][A-Za-z0-9_.-]*":`)
	jsonNumber = regexp.MustCompile(`[0-9]+`)
	tails      = []string{"{}", `{"artifact_name":"evil"}`, " ", "\n", "x", "[]", "null", "\x00"}
	typeflags  = []byte("0123456789DKLMNSVgx")
	bigNumbers = []string{"9007199254740993", "18446744073709551616", "1e400", "-0", "1.0", "1E2"}
)

// jsonMembers: where the seed has JSON, as (member, name) pairs.
func jsonMembers(m *model) [][2]string {
	out := [][2]string{{"", "version"}}
	for member, entries := range m.inner {
		if strings.HasPrefix(member, "data/") {
			continue
		}
		for _, e := range entries {
			if e.hdr.Name == "header-info" || strings.HasSuffix(e.hdr.Name, "type-info") ||
				strings.HasSuffix(e.hdr.Name, "meta-data") {
				out = append(out, [2]string{member, e.hdr.Name})
			}
		}
	}
	return out
}

// randomJSONEdit: one edit of the text at a random place.
func randomJSONEdit(rng *rand.Rand) (string, func(string) string) {
	pick := func(re *regexp.Regexp, s string) []int {
		all := re.FindAllStringIndex(s, -1)
		if len(all) == 0 {
			return nil
		}
		return all[rng.Intn(len(all))]
	}
	switch rng.Intn(5) {
	case 0:
		return "fold a key", func(s string) string {
			at := pick(jsonKey, s)
			if at == nil {
				return s
			}
			key := []byte(s[at[0]:at[1]])
			i := 1 + rng.Intn(len(key)-3)
			key[i] ^= 0x20 * byte(boolInt(key[i] >= 'a' && key[i] <= 'z' || key[i] >= 'A' && key[i] <= 'Z'))
			return s[:at[0]] + string(key) + s[at[1]:]
		}
	case 1:
		return "double a key", func(s string) string {
			at := pick(jsonKey, s)
			if at == nil {
				return s
			}
			key := s[at[0]:at[1]]
			return s[:at[0]] + key + `"evil",` + s[at[0]:]
		}
	case 2:
		tail := tails[rng.Intn(len(tails))]
		return "append " + strconv.Quote(tail), func(s string) string { return s + tail }
	case 3:
		return "escape a key's letter", func(s string) string {
			at := pick(jsonKey, s)
			if at == nil {
				return s
			}
			i := at[0] + 1
			return s[:i] + fmt.Sprintf(`\u%04x`, s[i]) + s[i+1:]
		}
	}
	big := bigNumbers[rng.Intn(len(bigNumbers))]
	return "number " + big, func(s string) string {
		at := pick(jsonNumber, s)
		if at == nil {
			return s
		}
		return s[:at[0]] + big + s[at[1]:]
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// randomChange: one change of the model, described.
func randomChange(m *model, rng *rand.Rand) (string, change) {
	var tars []string
	for member := range m.inner {
		tars = append(tars, member)
	}
	member := tars[rng.Intn(len(tars))]
	entries := m.inner[member]
	var target string
	if len(entries) > 0 {
		target = entries[rng.Intn(len(entries))].hdr.Name
	}
	switch rng.Intn(6) {
	case 0, 1, 2:
		where := jsonMembers(m)
		w := where[rng.Intn(len(where))]
		what, edit := randomJSONEdit(rng)
		return what + " in " + w[0] + ":" + w[1], editJSON(w[0], w[1], edit)
	case 3:
		if target == "" {
			break
		}
		flag := typeflags[rng.Intn(len(typeflags))]
		return fmt.Sprintf("typeflag %c for %s:%s", flag, member, target),
			setTypeflag(member, target, flag, entries[0].hdr.Name)
	case 4:
		flag := []byte("xgLKV")[rng.Intn(5)]
		name := "x"
		if len(entries) > 0 {
			name = entries[rng.Intn(len(entries))].hdr.Name
		}
		body := []byte(name + "\x00")
		if flag == 'x' || flag == 'g' {
			body = paxRecords("path", name)
		}
		return fmt.Sprintf("%c record before %s:%s", flag, member, target),
			insertRaw(member, target, rawMember(flag, "././@LongLink", body))
	}
	if target == "" || rng.Intn(2) == 0 {
		outer := m.outer[rng.Intn(len(m.outer))].hdr.Name
		return "outer " + outer + " twice", appendMember("", outer, outer)
	}
	return fmt.Sprintf("%s:%s twice", member, target), appendMember(member, target, target)
}

func runFuzz(artsig, seedDir string, count, seconds int) int {
	seed := time.Now().UnixNano()
	if s, err := strconv.ParseInt(os.Getenv("ORACLE_FUZZ_SEED"), 10, 64); err == nil {
		seed = s
	}
	fmt.Printf("ORACLE_FUZZ_SEED=%d\n", seed)
	rng := rand.New(rand.NewSource(seed))
	seeds, _ := filepath.Glob(filepath.Join(seedDir, "*.mender"))
	var usable []string
	for _, s := range seeds {
		if _, err := loadModel(s); err == nil {
			usable = append(usable, s)
		}
	}
	if len(usable) == 0 {
		fmt.Fprintln(os.Stderr, "fuzz: no gzip seed artifact in "+seedDir)
		return 2
	}
	work, err := os.MkdirTemp("", "oracle-fuzz")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(work)
	deadline := time.Now().Add(time.Duration(seconds) * time.Second)
	passed, failed := 0, 0
	for i := 0; i < count && time.Now().Before(deadline); i++ {
		seedPath := usable[rng.Intn(len(usable))]
		m, _ := loadModel(seedPath)
		var what []string
		for n := 1 + rng.Intn(3); n > 0; n-- {
			desc, c := randomChange(m, rng)
			if c(m) == nil {
				what = append(what, desc)
			}
		}
		data, err := m.bytes()
		if err != nil {
			continue // a change tar.Writer refuses to write
		}
		mutant := filepath.Join(work, fmt.Sprintf("mutant-%d.mender", i))
		if err := os.WriteFile(mutant, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		verdict, ok := judge(artsig, mutant)
		if ok {
			passed++
			os.Remove(mutant)
			continue
		}
		failed++
		keep := filepath.Join("fuzz-failures", filepath.Base(mutant))
		os.MkdirAll("fuzz-failures", 0o755)
		os.WriteFile(keep, data, 0o644)
		fmt.Printf("FAIL: %s (%s from %s): %s\n", keep, strings.Join(what, ", "),
			filepath.Base(seedPath), verdict)
	}
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}
