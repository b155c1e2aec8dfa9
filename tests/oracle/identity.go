package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// `oracle identity`: the id_data the Mender 3.4 client sends for the output
// of an identity script read on stdin. Mender 3.4.0's
// device.IdentityDataRunner.Get, step for step: utils.KeyValParser (a
// bufio.Scanner's lines, empty ones skipped, split at the first '=', a line
// without '=' an error, a repeated key collecting a list), one value as a
// string and several as a list, then json.Marshal, whose escaping (<, >, &,
// U+2028, U+2029, control characters, each invalid UTF-8 byte as U+FFFD) is
// what artsig-update must reproduce byte for byte.
func runIdentity(in io.Reader) int {
	raw := map[string][]string{}
	scanner := bufio.NewScanner(in)
	for scanner.Scan() {
		line := scanner.Text()
		if len(line) == 0 {
			continue
		}
		val := strings.SplitN(line, "=", 2)
		if len(val) < 2 {
			fmt.Fprintf(os.Stderr, "incorrect line '%s'\n", line)
			return 1
		}
		raw[val[0]] = append(raw[val[0]], val[1])
	}
	// 3.4 checks scanner.Err() only inside the loop, where it is always nil:
	// a line over 64 KiB silently ends its reading. Said here, not copied.
	if err := scanner.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if len(raw) == 0 {
		fmt.Fprintln(os.Stderr, "no identity data colleted")
		return 1
	}
	data := map[string]interface{}{}
	for k, v := range raw {
		if len(v) == 1 {
			data[k] = v[0]
		} else {
			data[k] = v
		}
	}
	encoded, err := json.Marshal(data)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Stdout.Write(encoded)
	return 0
}
