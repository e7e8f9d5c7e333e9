package store

import (
	"os"
	"testing"

	"github.com/betterdays/mailbot/mailbot/mailtest"
)

func TestMain(m *testing.M) {
	// Each test's database in memory: on a disk, its commits' fsyncs
	// were half the package's time.
	mailtest.TempInMemory()
	os.Exit(m.Run())
}
