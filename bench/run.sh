#!/usr/bin/env bash
# Benchmarks: each of mailbench's scenarios beside the anchor that says what
# this machine can do at best, in one run, on loopback.
#
#   bench/run.sh           the full run; rewrites bench/RESULTS.md
#   bench/run.sh --smoke   small sizes, checks everything still works, writes nothing
#
# The anchors:
#   SMTP   Postfix's smtp-source into smtp-sink: the raw loopback SMTP rate at
#          the outbox's number of connections and the size of a newsletter
#          copy (SIZE bytes), the better of a run before and one after ours.
#   IMAP   mailbench imapfetch: a plain go-imap/v2 client fetching the same
#          messages from the same Dovecot, in the bot's batches, no processing.
# Ours:
#   inbound  the backlog through the real inbox → understand → handle → outbox,
#            from that Dovecot, replies into that smtp-sink
#   latency  SMTP 250 to the reply in the sender's mailbox, embedded server
#   newsletter  a ~4 KB Markdown issue to N_NEWSLETTER confirmed subscribers
#            through the real outbox, into that smtp-sink, throttling off
#   smtponly  the newsletter's floor: the bot's SMTP sender alone, the same
#            size and connections, no database, into that smtp-sink
#
# Dovecot runs from a configuration written here, on a free loopback port,
# with its state in a temporary directory; IMAP is plain (no TLS) on
# loopback, as for the anchor, so both measure mail handling, not crypto.
# Installs what it lacks from Debian (postfix for smtp-source/smtp-sink,
# dovecot-imapd) and so, like .ci/integration, wants root.
#
# Settings: N_INBOUND, N_LATENCY, N_NEWSLETTER, N_SMTP, SIZE, SMTP_CONNS override the sizes;
# PROFILE_DIR=dir writes CPU profiles of the timed parts there; KEEP=1 keeps
# the temporary directory (Dovecot's mail and log, the bot's database).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin"
export DEBIAN_FRONTEND=noninteractive

smoke=0
for a in "$@"; do
	case "$a" in
	--smoke) smoke=1 ;;
	*) echo "usage: bench/run.sh [--smoke]" >&2; exit 2 ;;
	esac
done
if ((smoke)); then
	: "${N_INBOUND:=200}" "${N_LATENCY:=20}" "${N_SMTP:=1000}" "${N_NEWSLETTER:=2000}"
else
	: "${N_INBOUND:=10000}" "${N_LATENCY:=200}" "${N_SMTP:=20000}" "${N_NEWSLETTER:=100000}"
fi
# The bot's own settings, read from its source so the record matches the commit.
setting() { sed -n "s/.*$2[^0-9]*\([0-9][0-9]*\).*/\1/p" "$1" | head -1; }
: "${SMTP_CONNS:=${MAILBOT_SMTP_CONNECTIONS:-$(setting mailbot/config.go '"MAILBOT_SMTP_CONNECTIONS", "')}}"

work=$(mktemp -d /tmp/mailbench-run.XXXXXX)
chmod 755 "$work"
pids=()
source bench/install.sh
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if ((made_policy)); then rm -f /usr/sbin/policy-rc.d; fi
	if [ "${KEEP:-0}" = 1 ]; then echo "bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# --- what the run needs -------------------------------------------------------
need=()
command -v gcc >/dev/null || need+=(gcc libc6-dev) # cgo, for mattn/go-sqlite3
[ -x /usr/sbin/smtp-source ] && [ -x /usr/sbin/smtp-sink ] || need+=(postfix)
[ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/imap ] || need+=(dovecot-imapd)
if ((${#need[@]})); then
	[ "$(id -u)" = 0 ] || { echo "bench: need ${need[*]}; run as root to install them" >&2; exit 1; }
	install_programs "${need[@]}"
fi
[ "$(id -u)" = 0 ] || { echo "bench: run as root (Dovecot starts as root and drops to the mail user)" >&2; exit 1; }
command -v go >/dev/null || { echo "bench: no Go toolchain on PATH" >&2; exit 1; }

go build -o "$work/mailbench" ./cmd/mailbench

# free_port prints a loopback port nothing listens on, not one already given.
# It is below the kernel's ephemeral range: a port there can be held by a
# client's connection, which no connect sees but which makes the server's
# bind fail ("Address already in use").
given=" "
ephemeral=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % (ephemeral > 21000 ? ephemeral - 20000 : 1000)))
		[[ $given == *" $p "* ]] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			given+="$p "
			echo "$p"
			return
		fi
	done
}
wait_port() {
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench: nothing listening on 127.0.0.1:$1 after 10s" >&2
	return 1
}

# --- Dovecot: one mailbox, plain IMAP on loopback ----------------------------
imap_port=$(free_port)
sink_port=$(free_port)
bot=betterdays@example.test
password=bench-$RANDOM$RANDOM
mail_uid=$(id -u mail) mail_gid=$(id -g mail)
mkdir -p "$work/dovecot/run" "$work/dovecot/state" "$work/home/$bot"
chown -R mail:mail "$work/home"
cat >"$work/dovecot/dovecot.conf" <<EOF
# Written by bench/run.sh; everything lives under $work.
instance_name = mailbench-$$
base_dir = $work/dovecot/run
state_dir = $work/dovecot/state
protocols = imap
listen = 127.0.0.1
log_path = $work/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
mail_uid = $mail_uid
mail_gid = $mail_gid
first_valid_uid = $mail_uid
last_valid_uid = $mail_uid
first_valid_gid = $mail_gid
last_valid_gid = $mail_gid
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu $work/dovecot/users
}
userdb {
  driver = passwd-file
  args = username_format=%Lu $work/dovecot/users
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
EOF
echo "$bot:{PLAIN}$password::::$work/home/$bot::" >"$work/dovecot/users"
/usr/sbin/dovecot -F -c "$work/dovecot/dovecot.conf" &
pids+=($!)
wait_port "$imap_port"

# --- smtp-sink: takes every message and throws it away ------------------------
smtp-sink -u postfix "127.0.0.1:$sink_port" 1000 &
pids+=($!)
sink_pid=$!
wait_port "$sink_port"

export MAILBOT_IMAP_PASSWORD=$password
imap_url="imap://${bot/@/%40}@127.0.0.1:$imap_port"
profile() { if [ -n "${PROFILE_DIR:-}" ]; then echo "-cpuprofile=$PROFILE_DIR/$1.prof"; fi; }
if [ -n "${PROFILE_DIR:-}" ]; then mkdir -p "$PROFILE_DIR"; fi
# val KEY LINE prints KEY's value from a result line.
val() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" <<<"$2" | sed 's|/s$||'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
step() { echo "bench: $*" >&2; }
# sink_cpu prints the CPU time smtp-sink has used so far, in microseconds:
# with the sender's, what one message costs the machine.
sink_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", ($14 + $15) * 1e6 / hz }' "/proc/$sink_pid/stat"; }

# --- the SMTP anchor ------------------------------------------------------------
# The size of one newsletter copy, whole (headers and both parts), unless
# SIZE says otherwise; smtp-source adds a few headers of its own to it.
: "${SIZE:=$(val bytes "$("$work/mailbench" newsletter -n 1)")}"
# smtp_source prints a result line like ours: the rate, and the CPU time
# per message of smtp-source (from the shell's `times` for its children)
# and of smtp-sink. Run it in $(…): the children are smtp-source's alone.
smtp_source() {
	local t0 t1 s0 s1
	step "smtp-source: $N_SMTP messages of $SIZE bytes over $SMTP_CONNS connections into smtp-sink"
	s0=$(sink_cpu)
	t0=$(date +%s.%N)
	smtp-source -d -s "$SMTP_CONNS" -m "$N_SMTP" -l "$SIZE" -f bench@example.test -t sink@example.test "127.0.0.1:$sink_port" >&2
	t1=$(date +%s.%N)
	s1=$(sink_cpu)
	times >"$work/times"
	awk -v n="$N_SMTP" -v a="$t0" -v b="$t1" -v sink=$((s1 - s0)) -v size="$SIZE" -v conns="$SMTP_CONNS" '
		function secs(t) { split(t, p, /[ms]/); return p[1] * 60 + p[2] }
		NR == 2 { cpu = secs($1) + secs($2) }
		END { printf "sent=%d size=%d conns=%d rate=%.1f/s cpu_us=%.0f sink_cpu_us=%.0f\n", n, size, conns, n / (b - a), cpu * 1e6 / n, sink / n }' "$work/times"
}
source1=$(smtp_source)
step "smtp-source: $source1"

# --- the IMAP anchor, then inbound on the same messages, then the anchor again --
fetch1=$("$work/mailbench" imapfetch -n "$N_INBOUND" -imap "$imap_url" -address "$bot" $(profile imapfetch))
step "imapfetch: $fetch1"
inbound=$("$work/mailbench" inbound -n "$N_INBOUND" -imap "$imap_url" -smtp "127.0.0.1:$sink_port" -address "$bot" $(profile inbound))
step "inbound: $inbound"
fetch2=$("$work/mailbench" imapfetch -n "$N_INBOUND" -imap "$imap_url" -address "$bot")
step "imapfetch again: $fetch2"
# The anchor is the better of the two: the bar is the server at its best.
imap_rate=$(awk -v a="$(val rate "$fetch1")" -v b="$(val rate "$fetch2")" 'BEGIN { print (a > b ? a : b) }')
inbound_rate=$(val rate "$inbound")

# --- latency, on the embedded server ----------------------------------------------
latency=$("$work/mailbench" latency -n "$N_LATENCY" $(profile latency))
step "latency: $latency"

# --- newsletter, into the same smtp-sink, then the SMTP anchor again -------------
s0=$(sink_cpu)
newsletter=$("$work/mailbench" newsletter -n "$N_NEWSLETTER" -smtp "127.0.0.1:$sink_port" -conns "$SMTP_CONNS" $(profile newsletter))
newsletter_sink=$(( ($(sink_cpu) - s0) / $(val sent "$newsletter") ))
step "newsletter: $newsletter (smtp-sink: ${newsletter_sink} µs CPU per message)"
# The floor under the newsletter: the bot's SMTP sender alone, the same
# message size and connections, no database and no copies to make.
s0=$(sink_cpu)
floor=$("$work/mailbench" smtponly -n "$N_SMTP" -size "$SIZE" -smtp "127.0.0.1:$sink_port" -conns "$SMTP_CONNS" $(profile smtponly))
floor_sink=$(( ($(sink_cpu) - s0) / $(val sent "$floor") ))
step "smtponly: $floor (smtp-sink: ${floor_sink} µs CPU per message)"
source2=$(smtp_source)
step "smtp-source again: $source2"
# As for IMAP, the anchor is the better of the two.
if awk -v a="$(val rate "$source1")" -v b="$(val rate "$source2")" 'BEGIN { exit !(a >= b) }'; then
	source=$source1
else
	source=$source2
fi
smtp_rate=$(val rate "$source")
newsletter_rate=$(val rate "$newsletter")
newsletter_ratio=$(ratio "$newsletter_rate" "$smtp_rate")
floor_rate=$(val rate "$floor")
floor_ratio=$(ratio "$floor_rate" "$smtp_rate")

inbound_ratio=$(ratio "$inbound_rate" "$imap_rate")
cat <<EOF

                  ours                  anchor                   ratio   target
inbound           $(printf '%-21s' "$inbound_rate/s") $(printf '%-24s' "imapfetch $imap_rate/s") $(printf '%-7s' "$inbound_ratio") >= 0.50
latency p50/p99   $(printf '%-21s' "$(val p50_ms "$latency")/$(val p99_ms "$latency") ms") $(printf '%-24s' "-") $(printf '%-7s' "-") < 500 / < 2000 ms
newsletter        $(printf '%-21s' "$newsletter_rate/s") $(printf '%-24s' "smtp-source $smtp_rate/s") $(printf '%-7s' "$newsletter_ratio") >= 0.90, peak RSS $(val peak_rss_mb "$newsletter") MB (<= 100)
  its floor       $(printf '%-21s' "$floor_rate/s") $(printf '%-24s' "smtp-source $smtp_rate/s") $(printf '%-7s' "$floor_ratio") (the SMTP sender alone)
EOF

if ((smoke)); then
	echo "bench: smoke run done; RESULTS.md left as it is" >&2
	exit 0
fi

# --- bench/RESULTS.md -------------------------------------------------------------
date=$(date -u +%Y-%m-%d)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
# What was measured is the commit plus whatever the work tree adds to it.
[ -z "$(git status --porcelain -- . ':!bench/RESULTS.md' 2>/dev/null)" ] || commit="$commit+changes"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
ram=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
fs=$(df -T "${TMPDIR:-/tmp}" | awk 'NR == 2 { print $2 }')
row="| $date | $commit | $inbound_rate | $imap_rate | $inbound_ratio | $(val p50_ms "$latency") | $(val p99_ms "$latency") | $smtp_rate | $newsletter_rate | $newsletter_ratio |"
old_rows=$( (sed -n '/<!-- history -->/,$p' bench/RESULTS.md 2>/dev/null || true) | grep '^| 2' || true)
# Measurements made by hand (before/after a change, with their method) live
# between <!-- notes --> and the history, and are kept as they are.
notes=$( (sed -n '/^<!-- notes -->$/,/^## History$/p' bench/RESULTS.md 2>/dev/null || true) | sed '$d')
{
	cat <<EOF
# Benchmark results

Written by \`bench/run.sh\` (as root: it installs and starts Dovecot and
smtp-sink on loopback; \`--smoke\` runs small sizes and writes nothing). Each
of ours is measured beside its anchor in the same run, on the same machine:
a ratio is comparable across machines, a rate only on this one. See
\`cmd/mailbench\` for what each scenario does and checks.

## Latest run: $date, commit $commit

Machine: $(nproc) cores ($cpu), $ram RAM, $(uname -sr), database on $fs;
$(go version | cut -d' ' -f3), $(/usr/sbin/dovecot --version | cut -d' ' -f1 | sed 's/^/Dovecot /'), Postfix $(postconf -d -h mail_version 2>/dev/null || echo "?") smtp-source/smtp-sink.

Settings, as in the bot's code at this commit: SQLite in WAL mode with
\`synchronous=FULL\` (every commit survives power loss), one writer
connection, one transaction per fetched batch of inbound messages, with a
savepoint per message (its record, effects and replies together), one per
batch of \\Seen flags; while one batch is handled, the next is fetched, parsed and
read on the other core; the inbox fetches $(setting mailbot/inbox.go 'fetchBatch *=') messages per UID FETCH; the outbox
sends over up to $SMTP_CONNS SMTP connections, claiming $(setting mailbot/outbox.go 'batchPerConn *=') messages per connection
per look at the queue, and commits send outcomes with \`synchronous=FULL\` too,
one commit (one fsync) per round of the connections (a connection that
needs its outcome waits up to $(setting mailbot/recorder.go 'roundWait *=') ms for the rest of the round, so a round is
not split): a connection writes
all of its next message but the final "." while that fsync runs, and ends
it only once its previous outcome is durable, so a crash or a power cut
can send at most one message per connection twice (same Message-ID),
never lose one; each connection keeps $(setting store/store.go '_stmt_cache_size", "') prepared statements; a
newsletter's copies are made from the issue rendered and encoded once,
with each person's unsubscribe link filled in; sending limits off (\`MAILBOT_SEND_PER_MINUTE=0\`, \`MAILBOT_SEND_PER_DAY=0\`); IMAP and SMTP
plain on loopback. Messages are \\Seen only after their commit: checked
during the run (order_violations below), and all $N_INBOUND recorded, flagged
and answered afterwards.

Method: inbound is the daemon (\`mailbench inbound -mode run\`: inbox and
outbox side by side) on a fresh database, from the first fetch until every
letter is committed, flagged and answered; the anchor is the better of
two \`imapfetch\` runs, before and after, on the same mailbox. Latency
watches each sender's mailbox in IDLE and times the 250 after DATA to the
EXISTS announcing the reply; handled/sent in its line are the medians to
the bot's commit and to the 250 for its reply. The newsletter is
\`mailbench newsletter\`: a fresh database with $N_NEWSLETTER confirmed subscribers
and a ~4 KB Markdown issue, drafted and queued as \`mailbot newsletter send\`
does (not timed), then the outbox that command runs, from its first look
at the queue until every copy is recorded as sent; peak RSS is the
process's high-water mark over that time. Its anchor is smtp-source
(which reuses its connections, \`-d\`, as the outbox does, and does no
pipelining, as go-smtp does none) at the same connections with a payload
the size of one whole copy, the better of a run before and one after.
CPU per message is user plus system time over the messages sent: the
sender's (mailbench's own rusage, smtp-source's from the shell) and
smtp-sink's (from /proc) in the same stretch.

| | ours | anchor | ratio | target |
| --- | --- | --- | --- | --- |
| inbound, $N_INBOUND letters from Dovecot | $inbound_rate/s ($(val seconds "$inbound") s, peak RSS $(val peak_rss_mb "$inbound") MB) | imapfetch $imap_rate/s | $inbound_ratio | ≥ 0.50 |
| latency, $N_LATENCY letters, embedded server | p50 $(val p50_ms "$latency") ms, p90 $(val p90_ms "$latency") ms, p99 $(val p99_ms "$latency") ms, max $(val max_ms "$latency") ms | | | p50 < 500 ms, p99 < 2 s |
| newsletter, $N_NEWSLETTER copies of $(val bytes "$newsletter") B, $SMTP_CONNS connections | $newsletter_rate/s ($(val seconds "$newsletter") s, peak RSS $(val peak_rss_mb "$newsletter") MB) | smtp-source $smtp_rate/s ($N_SMTP × $SIZE B) | $newsletter_ratio | ≥ 0.90, ≤ 100 MB |
| its floor: the bot's SMTP sender alone, $N_SMTP × $(val bytes "$floor") B, $SMTP_CONNS connections, no database | $floor_rate/s | smtp-source $smtp_rate/s | $floor_ratio | |

CPU time per message, in µs (two cores in all, shared by sender and sink):

| | sender | smtp-sink | together |
| --- | --- | --- | --- |
| smtp-source | $(val cpu_us "$source") | $(val sink_cpu_us "$source") | $(( $(val cpu_us "$source") + $(val sink_cpu_us "$source") )) |
| mailbench newsletter | $(val cpu_us "$newsletter") | $newsletter_sink | $(( $(val cpu_us "$newsletter") + newsletter_sink )) |
| mailbench smtponly | $(val cpu_us "$floor") | $floor_sink | $(( $(val cpu_us "$floor") + floor_sink )) |

Where the cores are the limit, each rate is about the CPU time the run
gets divided by the "together" column, and the newsletter's ratio follows
theirs. smtp-source writes a fixed buffer; the bot, for each copy, checks
that the person is still on the list and not bouncing, makes their copy
(VERP sender, unsubscribe token and link, headers), speaks SMTP through
go-smtp (the data dot-stuffed by the bot a line at a time and written
straight to the connection, but for its last line and the final "."),
counts it in a log line per batch, and commits its outcome, one fsync per
round of the connections.
\`PROFILE_DIR=dir bench/run.sh\` writes the CPU profile that splits it up.
\`mailbench smtponly\` is the floor under all that: the bot's SMTP sender
(go-smtp, with the outbox's write batching) sending one fixed message over
the same connections, with nothing else. What it cannot reach, no change
to the bot can.

Result lines, as printed:

    smtp-source   $source1
    imapfetch     $fetch1
    inbound       $inbound
    imapfetch     $fetch2
    latency       $latency
    newsletter    $newsletter
    smtponly      $floor
    smtp-source   $source2

EOF
	if [ -n "$notes" ]; then printf '%s\n\n' "$notes"; fi
	cat <<EOF
## History

Newest first; one row per full run.

<!-- history -->
| date | commit | inbound /s | imapfetch /s | ratio | latency p50 ms | p99 ms | smtp-source /s | newsletter /s | ratio |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
$row
EOF
	if [ -n "$old_rows" ]; then printf '%s\n' "$old_rows"; fi
} >bench/RESULTS.md.new
mv bench/RESULTS.md.new bench/RESULTS.md
echo "bench: wrote bench/RESULTS.md" >&2
