package mailbot

import (
	"os"
	"testing"

	"github.com/betterdays/mailbot/mailbot/mailtest"
)

func TestMain(m *testing.M) {
	mailtest.TempInMemory()
	os.Exit(m.Run())
}
