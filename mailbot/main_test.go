package mailbot

import (
	"flag"
	"os"
	"testing"

	"github.com/betterdays/mailbot/mailbot/mailtest"
)

func TestMain(m *testing.M) {
	flag.Parse()
	// The end-to-end tests mostly wait on servers and timers: four at a
	// time take this package from 52 s to 37 s on a 2-core machine, for
	// the same CPU time.
	mailtest.ParallelAtLeast(4)
	mailtest.TempInMemory()
	os.Exit(runMailSystem(m))
}
