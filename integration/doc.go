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
// Postfix plays an organisation's receiving server as the bot's README
// asks for one: a filter (milter.go, a milter in the test process) removes
// every incoming Authentication-Results whose authserv-id is authservID in
// any ASCII case, as real strip rules do, and adds its own on top. The
// public port stamps "auth=none" for everyone; a second public port (quiet)
// stamps nothing for a stranger, as OpenDKIM does by default, so a forged
// look-alike surviving the strip is the topmost; the submission port (TLS,
// then SASL AUTH through Dovecot, then any From) stamps "auth=pass
// smtp.auth=LOGIN", with SPF and DMARC passes for an envelope sender and a
// From in example.test, which is what a domain's own server concludes.
//
// The files without the build tag (servers.go, dovecot.go, postfix.go,
// milter.go, cert.go) are the harness: they are compiled and vetted by the
// ordinary build so they do not rot between integration runs.
package integration
