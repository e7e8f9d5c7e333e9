package templates

// Forget is the data for "forget", the bot's answers to someone who asks
// it to erase their details, and for "forgotten", the one message that
// tells them it is done.
type Forget struct {
	Name string
	// Stage, for "forget": StageAsk (reply YES to erase), StageKept (they
	// said no, and nothing was erased) or StageUnsure (their answer was
	// not a plain yes or no: nothing erased, and staff will reply).
	Stage Stage
	// Booked are their places to come, which stay booked without their
	// name; Waiting the waiting lists they are taken off.
	Booked  []Event
	Waiting []Event
	// LeftList: they asked to leave the mailing list too, and are off it.
	LeftList bool
}
