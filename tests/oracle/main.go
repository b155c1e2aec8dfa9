// The differential oracle of issue 15: reads what artsig reads the way the Go
// references do (mender-artifact 3.x, the Mender 3.x client), with the Go
// standard library only, so that tests can hold artsig to "one reading or
// none". See tests/differential.sh.
package main

import (
	"fmt"
	"os"
	"strconv"
)

const usage = `usage: oracle artifact FILE
       oracle conf FILE
       oracle identity <SCRIPT_OUTPUT
       oracle diff ARTSIG FILE...
       oracle craft SEED_DIR OUT_DIR
       oracle fuzz ARTSIG SEED_DIR COUNT SECONDS`

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 1 && args[0] == "identity" {
		return runIdentity(os.Stdin)
	}
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		return 2
	}
	switch {
	case args[0] == "artifact" && len(args) == 2:
		return runArtifact(args[1])
	case args[0] == "conf" && len(args) == 2:
		return runConf(args[1])
	case args[0] == "diff" && len(args) >= 3:
		return runDiff(args[1], args[2:])
	case args[0] == "craft" && len(args) == 3:
		return runCraft(args[1], args[2])
	case args[0] == "fuzz" && len(args) == 5:
		count, err1 := strconv.Atoi(args[3])
		seconds, err2 := strconv.Atoi(args[4])
		if err1 != nil || err2 != nil {
			break
		}
		return runFuzz(args[1], args[2], count, seconds)
	}
	fmt.Fprintln(os.Stderr, usage)
	return 2
}
