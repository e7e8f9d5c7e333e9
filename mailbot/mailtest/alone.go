package mailtest

import (
	"flag"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// aloneEnv names, in a child process of a test binary, the one test the
// child is there to run.
const aloneEnv = "MAILTEST_ALONE"

// Alone runs the calling top-level test by itself in a child process of
// the test binary, for a test that measures the whole process, as
// runtime.ReadMemStats does: in the child nothing else runs, so the test
// itself need not keep the others waiting, and it runs in parallel with
// them. Use it first in the test as
//
//	if !mailtest.Alone(t) {
//		return
//	}
//
// In the parent it reports false once the child has finished, failing
// the test with the child's output if the child failed; in the child it
// reports true, and the test goes on to do its work there. The child is
// given the parent's -test.timeout and -test.short.
func Alone(t *testing.T) bool {
	t.Helper()
	if os.Getenv(aloneEnv) == t.Name() {
		return true
	}
	t.Parallel()
	args := []string{"-test.run=^" + regexp.QuoteMeta(t.Name()) + "$", "-test.count=1", "-test.v"}
	for _, name := range []string{"test.timeout", "test.short"} {
		if f := flag.Lookup(name); f != nil {
			args = append(args, "-"+name+"="+f.Value.String())
		}
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], args...)
	cmd.Env = append(os.Environ(), aloneEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	switch {
	case err != nil:
		t.Fatalf("%s in a process of its own: %v; its output:\n%s", t.Name(), err, out)
	case !strings.Contains(string(out), "--- PASS: "+t.Name()+" "):
		// A -test.run that matched nothing also exits 0.
		t.Fatalf("%s in a process of its own did not pass; its output:\n%s", t.Name(), out)
	case testing.Verbose():
		t.Logf("%s in a process of its own:\n%s", t.Name(), out)
	}
	return false
}

// InAloneChild reports whether this process is a child started by Alone,
// for a TestMain to leave out what only the other tests need.
func InAloneChild() bool { return os.Getenv(aloneEnv) != "" }
