// Package integration runs the bot against a real Dovecot (IMAP, LMTP,
// Sieve) and a real Postfix, started for the test run on loopback with all
// their state in a temporary directory.
//
// The tests are behind the build tag integration, so a plain
// `go test ./...` does not run them:
//
//	go test -race -tags integration -count=1 ./integration/
//
// They need root (Postfix's master runs as root and drops privileges) and
// the Debian packages dovecot-imapd, dovecot-lmtpd, dovecot-sieve and
// postfix; .ci/integration installs them. Without them every test is
// skipped with the reason, unless MAILBOT_INTEGRATION_REQUIRED=1, when the
// run fails instead. MAILBOT_INTEGRATION_KEEP=1 keeps the temporary
// directory (configurations, logs, mailboxes) for a look afterwards.
//
// The servers, and the Authentication-Results filter Postfix runs, are
// package mailbot/mailtest/realmail's, which package mailbot's end-to-end
// tests also run against with MAILBOT_TEST_DOVECOT=1. servers.go, without
// the build tag so the ordinary build compiles and vets it, is how the
// tests play people's mail programs against them.
package integration
