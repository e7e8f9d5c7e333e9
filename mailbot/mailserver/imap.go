package mailserver

import (
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// imapCaps lists what imapmemserver actually implements. IMAP4rev1 clients
// only see the rev2 features that are listed individually; IDLE, UNSELECT,
// ENABLE, SASL-IR and LITERAL- are added by imapserver itself.
var imapCaps = imap.CapSet{
	imap.CapIMAP4rev1:    {},
	imap.CapIMAP4rev2:    {},
	imap.CapNamespace:    {},
	imap.CapUIDPlus:      {},
	imap.CapESearch:      {},
	imap.CapSearchRes:    {},
	imap.CapListExtended: {},
	imap.CapListStatus:   {},
	imap.CapMove:         {},
	imap.CapStatusSize:   {},
	imap.CapBinary:       {},
	imap.CapLiteralPlus:  {},
}

func (s *Server) newIMAPServer() *imapserver.Server {
	return imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &imapSession{srv: s}, nil, nil
		},
		Caps: imapCaps,
		// Plaintext LOGIN is the point: this server only listens for
		// loopback clients and has no TLS.
		InsecureAuth: true,
		Logger:       libLogger{log: s.log, lib: "go-imap"},
	})
}

// imapSession logs any name in with any password. Until Login the embedded
// UserSession is nil; imapserver refuses every command that would use it.
type imapSession struct {
	*imapmemserver.UserSession
	srv *Server
	acc *account
}

var (
	_ imapserver.SessionIMAP4rev2   = (*imapSession)(nil)
	_ imapserver.SessionAppendLimit = (*imapSession)(nil)
)

// Select, Status, Append and Copy add the server's UIDVALIDITY to
// imapmemserver's, which counts from 1 in every process (see
// Options.UIDValidity). The COPYUID of a MOVE and LIST-STATUS still carry
// imapmemserver's own number; the bot reads neither.
func (is *imapSession) Select(mailbox string, options *imap.SelectOptions) (*imap.SelectData, error) {
	data, err := is.UserSession.Select(mailbox, options)
	if data != nil {
		data.UIDValidity += is.srv.uidValidity
	}
	return data, err
}

func (is *imapSession) Status(mailbox string, options *imap.StatusOptions) (*imap.StatusData, error) {
	data, err := is.UserSession.Status(mailbox, options)
	if data != nil && data.UIDValidity != 0 {
		data.UIDValidity += is.srv.uidValidity
	}
	return data, err
}

func (is *imapSession) Login(username, _ string) error {
	is.acc = is.srv.account(loginKey(username))
	is.UserSession = imapmemserver.NewUserSession(is.acc.user)
	return nil
}

// AppendLimit matches the SMTP size limit so a message that can be sent can
// also be APPENDed (e.g. to a Sent folder).
func (is *imapSession) AppendLimit() uint32 { return maxMessageBytes }

// Idle replaces imapmemserver's, which can miss an update queued just as
// IDLE starts (see account). Polling after taking the change channel means
// whatever was queued before is written now and anything later wakes us.
func (is *imapSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	for {
		changed := is.acc.changes()
		if err := is.UserSession.Poll(w, true); err != nil {
			return err
		}
		select {
		case <-changed:
		case <-stop:
			return nil
		}
	}
}

// The commands below are every path by which imapmemserver queues tracker
// updates (EXISTS, EXPUNGE, FETCH FLAGS); each wakes the account's IDLEs
// once the update is queued.

func (is *imapSession) Append(mailbox string, r imap.LiteralReader, options *imap.AppendOptions) (*imap.AppendData, error) {
	defer is.acc.notify()
	data, err := is.UserSession.Append(mailbox, r, options)
	if data != nil {
		data.UIDValidity += is.srv.uidValidity
	}
	return data, err
}

func (is *imapSession) Copy(numSet imap.NumSet, dest string) (*imap.CopyData, error) {
	defer is.acc.notify()
	data, err := is.UserSession.Copy(numSet, dest)
	if data != nil {
		data.UIDValidity += is.srv.uidValidity
	}
	return data, err
}

func (is *imapSession) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	defer is.acc.notify()
	return is.UserSession.Move(w, numSet, dest)
}

func (is *imapSession) Expunge(w *imapserver.ExpungeWriter, uids *imap.UIDSet) error {
	defer is.acc.notify()
	return is.UserSession.Expunge(w, uids)
}

func (is *imapSession) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, options *imap.StoreOptions) error {
	defer is.acc.notify()
	return is.UserSession.Store(w, numSet, flags, options)
}

// Fetch can set \Seen, which other sessions hear about as FETCH FLAGS.
func (is *imapSession) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	defer is.acc.notify()
	return is.UserSession.Fetch(w, numSet, options)
}
