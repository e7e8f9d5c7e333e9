package understand

// askForPerson is the wording of someone who wants a person rather than
// the bot: "speak to someone", "can someone ring me", "I'd rather talk to
// a real person". "Call me Bob" is a name, not a request, so a bare
// "call me" needs someone to do the calling or a "back". "A chat with
// someone" is a one-to-one, which the bot books itself.
var askForPerson = mustKeyed(`\b(?:` +
	`(?:speak|talk)(?:ing)? (?:to|with) (?:someone|somebody|anyone|a (?:real |actual )?(?:person|human)|a member of (?:the |your )?(?:staff|team)|(?:an|the) officer|one of (?:the|your) (?:team|staff))` +
	`|(?:someone|somebody|anyone|you|one of (?:the|your) (?:team|staff)) (?:to |could |can |please )*(?:ring|call|phone|telephone) me` +
	`|(?:ring|phone|telephone) me\b` +
	`|call me back` +
	`|give me a (?:call|ring|phone call)` +
	`|(?:a|the) (?:phone )?call (?:back )?(?:from|with) (?:someone|somebody|a person|one of)` +
	`)`)
