package templates

// The data each message kind is rendered with. Fields are plain strings and
// flags: formatting (dates, sizes) is done by the caller, so the words here
// stay readable.

// Help is the data for "help": what one can do by email.
type Help struct {
	Name          string // the person's name, if they gave one
	NotUnderstood bool   // true when the bot could not read a request
}

// TooLarge is the data for "too-large": a message over the size limit.
type TooLarge struct {
	Name  string
	Size  string // e.g. "12 MB"
	Limit string
}
