module github.com/betterdays/mailbot

go 1.26.8

require (
	github.com/emersion/go-imap/v2 v2.0.0-beta.8
	github.com/emersion/go-message v0.18.2
	github.com/emersion/go-milter v0.5.0
	github.com/emersion/go-msgauth v0.7.0
	github.com/emersion/go-sasl v0.0.0-20241020182733-b788ff22d5a6
	github.com/emersion/go-smtp v0.26.0
	github.com/mattn/go-sqlite3 v1.14.53
	github.com/yuin/goldmark v1.8.7
	golang.org/x/net v0.62.0
)

require golang.org/x/text v0.43.0
