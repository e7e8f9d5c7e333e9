// Package understand turns a raw email into what the bot needs to know about
// it: who sent it, which conversation it belongs to, whether a machine sent
// it, and the words the person wrote. It is pure: no I/O, no clock, no
// database, so every rule here is tested on message bytes alone.
package understand
