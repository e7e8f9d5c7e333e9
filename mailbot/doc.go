// Package mailbot is the bot: it reads the project inbox over IMAP, works out
// what each message asks for, does it in one SQLite transaction together with
// the replies it owes, and sends those replies from an outbox over SMTP.
//
// Data flows one way: Inbox (inbox.go) → understand (package understand) →
// Bot.Handle (handle.go: store + outbox rows, one transaction) → Outbox
// (outbox.go). A message is flagged \Seen on the server only after its
// transaction commits, and an outbox row is marked sent only after the
// server's 250, so a crash at any point loses nothing; a redelivered message
// is recognised by its Message-ID or mailbox position and never answered
// twice.
package mailbot
