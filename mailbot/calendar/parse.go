package calendar

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Limits on what Parse accepts. A booking reply is a few kilobytes.
const (
	MaxSize   = 1 << 20 // octets
	MaxEvents = 1000    // VEVENTs
	maxDepth  = 8       // nested components; VCALENDAR > VEVENT > VALARM is 3
)

// ErrTooLarge is wrapped by Parse's error for an object beyond MaxSize or
// MaxEvents.
var ErrTooLarge = errors.New("calendar object too large")

// Object is a calendar object as read.
type Object struct {
	Method    Method // upper-case; "" when there is no METHOD
	ProdID    string
	Events    []ParsedEvent
	TimeZones []*TimeZone
}

// ParsedEvent is what the bot reads from a VEVENT.
type ParsedEvent struct {
	UID         string
	Sequence    int
	Summary     string
	Description string
	Location    string
	URL         string
	Status      string // upper-case STATUS: TENTATIVE, CONFIRMED, CANCELLED; "" when absent

	// Start and End are in the zone of their TZID: a Go location of that
	// name, or, for a TZID Go does not know, a fixed zone of that name
	// with the offset the object's VTIMEZONE gives at that instant. A UTC
	// value is in time.UTC. End is DTEND, or DTSTART plus DURATION, or
	// DTSTART (a day later for a DATE). Start is zero when there is no
	// DTSTART, as a REPLY may omit it.
	Start, End time.Time
	TZID       string // DTSTART's TZID parameter; "" for UTC, floating and DATE values
	AllDay     bool   // DTSTART is a DATE: Start and End are midnights in time.UTC
	Floating   bool   // DTSTART has no zone: its wall clock is returned in time.UTC

	Stamp     time.Time // DTSTAMP
	Organizer Person
	Attendees []Attendee
}

// Attendee is an ATTENDEE and their answer.
type Attendee struct {
	Person
	PartStat string // upper-case PARTSTAT: ACCEPTED, DECLINED, TENTATIVE, NEEDS-ACTION, ...; "" when absent
}

// component is a BEGIN/END block.
type component struct {
	name     string // upper-case
	num      int    // line of its BEGIN
	props    []contentLine
	children []*component
}

// Parse reads one calendar object (RFC 5545 §3.4): CRLF or LF line endings,
// folded lines, quoted parameters, escaped TEXT. It refuses objects beyond
// MaxSize octets or MaxEvents events, and a time with a TZID that neither
// Go's tz database nor a usable VTIMEZONE in the object defines.
func Parse(r io.Reader) (*Object, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("calendar: reading: %w", err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("calendar: %w: over %d bytes", ErrTooLarge, MaxSize)
	}
	root, err := buildTree(strings.TrimPrefix(string(data), "\uFEFF"))
	if err != nil {
		return nil, err
	}
	obj, err := interpret(root)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	return obj, nil
}

// buildTree reads the content lines into the VCALENDAR component.
func buildTree(data string) (*component, error) {
	var root *component
	var stack []*component
	events := 0
	for _, raw := range unfold(data) {
		l, err := parseContentLine(raw.value, raw.num)
		if err != nil {
			return nil, fmt.Errorf("calendar: line %d: %w", raw.num, err)
		}
		switch {
		case root != nil && len(stack) == 0:
			return nil, fmt.Errorf("calendar: line %d: content after END:VCALENDAR", l.num)
		case l.name == "BEGIN":
			c := &component{name: strings.ToUpper(strings.TrimSpace(l.value)), num: l.num}
			switch {
			case len(stack) == 0 && c.name != "VCALENDAR":
				return nil, fmt.Errorf("calendar: line %d: BEGIN:%s where BEGIN:VCALENDAR should be", l.num, c.name)
			case len(stack) >= maxDepth:
				return nil, fmt.Errorf("calendar: line %d: components nested too deep", l.num)
			case c.name == "VEVENT":
				if events++; events > MaxEvents {
					return nil, fmt.Errorf("calendar: %w: over %d events", ErrTooLarge, MaxEvents)
				}
			}
			if len(stack) == 0 {
				root = c
			} else {
				top := stack[len(stack)-1]
				top.children = append(top.children, c)
			}
			stack = append(stack, c)
		case len(stack) == 0:
			return nil, fmt.Errorf("calendar: line %d: %s before BEGIN:VCALENDAR", l.num, l.name)
		case l.name == "END":
			top := stack[len(stack)-1]
			if name := strings.ToUpper(strings.TrimSpace(l.value)); name != top.name {
				return nil, fmt.Errorf("calendar: line %d: END:%s closes BEGIN:%s of line %d", l.num, name, top.name, top.num)
			}
			stack = stack[:len(stack)-1]
		default:
			top := stack[len(stack)-1]
			top.props = append(top.props, l)
		}
	}
	switch {
	case root == nil:
		return nil, errors.New("calendar: no BEGIN:VCALENDAR")
	case len(stack) > 0:
		top := stack[len(stack)-1]
		return nil, fmt.Errorf("calendar: BEGIN:%s of line %d is never ended", top.name, top.num)
	}
	return root, nil
}

func interpret(root *component) (*Object, error) {
	obj := &Object{}
	seen := map[string]bool{}
	for _, p := range root.props {
		if seen[p.name] {
			continue
		}
		seen[p.name] = true
		switch p.name {
		case "METHOD":
			obj.Method = Method(token(p.value))
		case "PRODID":
			obj.ProdID = unescapeText(p.value)
		}
	}
	// VTIMEZONEs may come after the events that use them.
	zones := &resolver{vtz: map[string]*TimeZone{}, cache: map[string]*zoneRef{}}
	for _, c := range root.children {
		if c.name == "VTIMEZONE" {
			z := readTimeZone(c)
			obj.TimeZones = append(obj.TimeZones, z)
			if _, dup := zones.vtz[z.TZID]; !dup {
				zones.vtz[z.TZID] = z
			}
		}
	}
	for _, c := range root.children {
		if c.name == "VEVENT" {
			ev, err := readEvent(c, zones)
			if err != nil {
				return nil, err
			}
			obj.Events = append(obj.Events, ev)
		}
	}
	return obj, nil
}

func readEvent(c *component, zones *resolver) (ParsedEvent, error) {
	var ev ParsedEvent
	var dtstart, dtend, duration *contentLine
	seen := map[string]bool{}
	for i := range c.props {
		p := &c.props[i]
		if p.name == "ATTENDEE" {
			ev.Attendees = append(ev.Attendees, Attendee{
				Person:   person(p),
				PartStat: token(p.param("PARTSTAT")),
			})
			continue
		}
		if seen[p.name] { // the first of a property that may appear once
			continue
		}
		seen[p.name] = true
		var err error
		switch p.name {
		case "UID":
			ev.UID = strings.TrimSpace(unescapeText(p.value))
		case "SEQUENCE":
			ev.Sequence, err = strconv.Atoi(strings.TrimSpace(p.value))
			if err != nil || ev.Sequence < 0 {
				err = fmt.Errorf("malformed SEQUENCE %q", p.value)
			}
		case "SUMMARY":
			ev.Summary = unescapeText(p.value)
		case "DESCRIPTION":
			ev.Description = unescapeText(p.value)
		case "LOCATION":
			ev.Location = unescapeText(p.value)
		case "URL":
			ev.URL = cleanText(strings.TrimSpace(p.value))
		case "STATUS":
			ev.Status = token(p.value)
		case "ORGANIZER":
			ev.Organizer = person(p)
		case "DTSTAMP":
			ev.Stamp, _, err = zones.time(p)
		case "DTSTART":
			dtstart = p
		case "DTEND":
			dtend = p
		case "DURATION":
			duration = p
		}
		if err != nil {
			return ev, fmt.Errorf("line %d: %s: %w", p.num, p.name, err)
		}
	}
	if ev.UID == "" {
		return ev, fmt.Errorf("line %d: VEVENT without UID", c.num)
	}
	if dtstart == nil {
		return ev, nil
	}
	var kind timeKind
	var err error
	if ev.Start, kind, err = zones.time(dtstart); err != nil {
		return ev, fmt.Errorf("line %d: DTSTART: %w", dtstart.num, err)
	}
	ev.AllDay, ev.Floating = kind == kindDate, kind == kindFloating
	if kind == kindZoned {
		ev.TZID = cleanParam(dtstart.param("TZID"))
	}
	switch {
	case dtend != nil:
		if ev.End, _, err = zones.time(dtend); err != nil {
			return ev, fmt.Errorf("line %d: DTEND: %w", dtend.num, err)
		}
	case duration != nil:
		d, err := parseDuration(duration.value)
		if err != nil {
			return ev, fmt.Errorf("line %d: DURATION: %w", duration.num, err)
		}
		ev.End = ev.Start.Add(d)
	case ev.AllDay: // RFC 5545 §3.6.1: a DATE start without an end lasts the day
		ev.End = ev.Start.AddDate(0, 0, 1)
	default:
		ev.End = ev.Start
	}
	return ev, nil
}

// token is an enumerated value (METHOD, STATUS, PARTSTAT) in upper case,
// with no control characters.
func token(s string) string { return strings.ToUpper(cleanParam(s)) }

// person reads a cal-address property. Email is set only for a mailto: URI.
func person(p *contentLine) Person {
	v := strings.TrimSpace(p.value)
	var email string
	if len(v) > 7 && strings.EqualFold(v[:7], "mailto:") {
		email = cleanParam(v[7:])
	}
	return Person{Name: cleanParam(p.param("CN")), Email: email}
}

type timeKind int

const (
	kindUTC timeKind = iota
	kindZoned
	kindFloating
	kindDate
)

// resolver turns DATE and DATE-TIME values into instants, looking each
// TZID up once.
type resolver struct {
	vtz   map[string]*TimeZone
	cache map[string]*zoneRef
}

type zoneRef struct {
	loc *time.Location // from Go's tz database
	vtz *TimeZone      // or from the object
	err error
}

func (r *resolver) time(p *contentLine) (time.Time, timeKind, error) {
	v := strings.TrimSpace(p.value)
	if strings.EqualFold(p.param("VALUE"), "DATE") || (p.param("VALUE") == "" && len(v) == len(layoutDate)) {
		t, err := parseDate(v)
		return t, kindDate, err
	}
	wall, utc, err := parseDateTime(v)
	switch tzid := p.param("TZID"); {
	case err != nil:
		return time.Time{}, 0, err
	case utc: // a TZID on a UTC time has no effect (RFC 5545 §3.2.19)
		return wall, kindUTC, nil
	case tzid == "":
		return wall, kindFloating, nil
	default:
		t, err := r.zoned(tzid, wall)
		return t, kindZoned, err
	}
}

func (r *resolver) zoned(tzid string, wall time.Time) (time.Time, error) {
	z, ok := r.cache[tzid]
	if !ok {
		z = r.lookup(tzid)
		r.cache[tzid] = z
	}
	switch {
	case z.err != nil:
		return time.Time{}, z.err
	case z.loc != nil:
		return resolveWall(wall, goOffsets(z.loc)).In(z.loc), nil
	}
	offsetAt := func(t time.Time) int {
		off, _ := z.vtz.Offset(t) // z.vtz.err is nil: checked in lookup
		return off
	}
	t := resolveWall(wall, offsetAt)
	return t.In(time.FixedZone(cleanParam(tzid), offsetAt(t))), nil
}

func (r *resolver) lookup(tzid string) *zoneRef {
	if loc := loadLocation(tzid); loc != nil {
		return &zoneRef{loc: loc}
	}
	z, ok := r.vtz[tzid]
	if !ok {
		return &zoneRef{err: fmt.Errorf("unknown TZID %q and no VTIMEZONE for it", cleanParam(tzid))}
	}
	if z.err != nil {
		return &zoneRef{err: fmt.Errorf("TZID %q: %w", cleanParam(tzid), z.err)}
	}
	return &zoneRef{vtz: z}
}

// loadLocation looks tzid up in Go's tz database, but only when it looks
// like an IANA name: LoadLocation reads files named by its argument, and
// "Local" would mean whatever zone this machine is set to.
func loadLocation(tzid string) *time.Location {
	if tzid == "" || tzid == "Local" || len(tzid) > 64 || strings.Contains(tzid, "..") ||
		!isAlnum(tzid[0]) || strings.IndexFunc(tzid, func(r rune) bool {
		return !(r < 0x80 && (isAlnum(byte(r)) || strings.ContainsRune("/_+-", r)))
	}) >= 0 {
		return nil
	}
	loc, err := time.LoadLocation(tzid)
	if err != nil {
		return nil
	}
	return loc
}

func isAlnum(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}
