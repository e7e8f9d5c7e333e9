#!/usr/bin/env bash
# Benchmarks: each of mailbench's scenarios beside the anchor that says what
# this machine can do at best, in one run, on loopback.
#
#   bench/run.sh           the full run; rewrites bench/RESULTS.md
#   bench/run.sh --smoke   small sizes, checks everything still works, writes nothing
#
# The anchors:
#   SMTP   Postfix's smtp-source into smtp-sink: the raw loopback SMTP rate at
#          the outbox's number of connections and a message of SIZE bytes.
#   IMAP   mailbench imapfetch: a plain go-imap/v2 client fetching the same
#          messages from the same Dovecot, in the bot's batches, no processing.
# Ours:
#   inbound  the backlog through the real inbox → understand → handle → outbox,
#            from that Dovecot, replies into that smtp-sink
#   latency  SMTP 250 to the reply in the sender's mailbox, embedded server
#   (newsletter: see the marked place below)
#
# Dovecot runs from a configuration written here, on a free loopback port,
# with its state in a temporary directory; IMAP is plain (no TLS) on
# loopback, as for the anchor, so both measure mail handling, not crypto.
# Installs what it lacks from Debian (postfix for smtp-source/smtp-sink,
# dovecot-imapd) and so, like .ci/integration, wants root.
#
# Settings: N_INBOUND, N_LATENCY, N_SMTP, SIZE, SMTP_CONNS override the sizes;
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
	: "${N_INBOUND:=200}" "${N_LATENCY:=20}" "${N_SMTP:=1000}"
else
	: "${N_INBOUND:=10000}" "${N_LATENCY:=200}" "${N_SMTP:=20000}"
fi
# The bot's own settings, read from its source so the record matches the commit.
setting() { sed -n "s/.*$2[^0-9]*\([0-9][0-9]*\).*/\1/p" "$1" | head -1; }
: "${SIZE:=6000}" # bytes of payload: about a reply with its HTML part, or a newsletter copy
: "${SMTP_CONNS:=${MAILBOT_SMTP_CONNECTIONS:-$(setting mailbot/config.go '"MAILBOT_SMTP_CONNECTIONS", "')}}"

work=$(mktemp -d /tmp/mailbench-run.XXXXXX)
chmod 755 "$work"
pids=()
made_policy=0
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
	# Only the programs are wanted: keep the packages' services from starting.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
	echo "postfix postfix/mailname string localhost" | debconf-set-selections
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need[@]}"
	if ((made_policy)); then rm -f /usr/sbin/policy-rc.d; made_policy=0; fi
fi
[ "$(id -u)" = 0 ] || { echo "bench: run as root (Dovecot starts as root and drops to the mail user)" >&2; exit 1; }
command -v go >/dev/null || { echo "bench: no Go toolchain on PATH" >&2; exit 1; }

go build -o "$work/mailbench" ./cmd/mailbench

# free_port prints a loopback port nothing listens on, not one already given.
given=" "
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
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
wait_port "$sink_port"

export MAILBOT_IMAP_PASSWORD=$password
imap_url="imap://${bot/@/%40}@127.0.0.1:$imap_port"
profile() { if [ -n "${PROFILE_DIR:-}" ]; then echo "-cpuprofile=$PROFILE_DIR/$1.prof"; fi; }
if [ -n "${PROFILE_DIR:-}" ]; then mkdir -p "$PROFILE_DIR"; fi
# val KEY LINE prints KEY's value from a result line.
val() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" <<<"$2" | sed 's|/s$||'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
step() { echo "bench: $*" >&2; }

# --- the SMTP anchor ------------------------------------------------------------
step "smtp-source: $N_SMTP messages of $SIZE bytes over $SMTP_CONNS connections into smtp-sink"
t0=$(date +%s.%N)
smtp-source -d -s "$SMTP_CONNS" -m "$N_SMTP" -l "$SIZE" -f bench@example.test -t sink@example.test "127.0.0.1:$sink_port"
t1=$(date +%s.%N)
smtp_rate=$(awk -v n="$N_SMTP" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }')
step "smtp-source: $smtp_rate/s"

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

# --- newsletter -----------------------------------------------------------------
# NEWSLETTER: not run yet. When `mailbench newsletter` exists, run it here
# into the same smtp-sink, at the anchor's size and connections, e.g.
#   newsletter=$("$work/mailbench" newsletter -n "$N_NEWSLETTER" -smtp "127.0.0.1:$sink_port" -conns "$SMTP_CONNS")
# and report $(val rate "$newsletter") as a ratio to $smtp_rate below and in
# RESULTS.md (target: >= 0.90, peak_rss_mb <= 100).
newsletter=""

inbound_ratio=$(ratio "$inbound_rate" "$imap_rate")
cat <<EOF

                  ours                  anchor                   ratio   target
inbound           $(printf '%-21s' "$inbound_rate/s") $(printf '%-24s' "imapfetch $imap_rate/s") $(printf '%-7s' "$inbound_ratio") >= 0.50
latency p50/p99   $(printf '%-21s' "$(val p50_ms "$latency")/$(val p99_ms "$latency") ms") $(printf '%-24s' "-") $(printf '%-7s' "-") < 500 / < 2000 ms
smtp anchor       $(printf '%-21s' "-") $(printf '%-24s' "smtp-source $smtp_rate/s") $(printf '%-7s' "-") (the newsletter's bar: >= 0.90)
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
row="| $date | $commit | $inbound_rate | $imap_rate | $inbound_ratio | $(val p50_ms "$latency") | $(val p99_ms "$latency") | $smtp_rate | - | - |"
old_rows=$( (sed -n '/<!-- history -->/,$p' bench/RESULTS.md 2>/dev/null || true) | grep '^| 2' || true)
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
connection, one transaction per inbound message (its record, effects and
replies together), one per batch of \\Seen flags and one per batch of send
outcomes; the inbox fetches $(setting mailbot/inbox.go 'fetchBatch *=') messages per UID FETCH; the outbox
sends over up to $SMTP_CONNS SMTP connections, $(setting mailbot/outbox.go 'batchPerConn *=') messages per connection
per look at the queue; sending limits off (\`MAILBOT_SEND_PER_MINUTE=0\`, \`MAILBOT_SEND_PER_DAY=0\`); IMAP and SMTP
plain on loopback. Messages are \\Seen only after their commit: checked
during the run (order_violations below), and all $N_INBOUND recorded, flagged
and answered afterwards.

Method: inbound is the daemon (\`mailbench inbound -mode run\`: inbox and
outbox side by side) on a fresh database, from the first fetch until every
letter is committed, flagged and answered; the anchor is the better of
two \`imapfetch\` runs, before and after, on the same mailbox. Latency
watches each sender's mailbox in IDLE and times the 250 after DATA to the
EXISTS announcing the reply; handled/sent in its line are the medians to
the bot's commit and to the 250 for its reply. smtp-source reuses its
connections (\`-d\`), as the outbox does.

| | ours | anchor | ratio | target |
| --- | --- | --- | --- | --- |
| inbound, $N_INBOUND letters from Dovecot | $inbound_rate/s ($(val seconds "$inbound") s, peak RSS $(val peak_rss_mb "$inbound") MB) | imapfetch $imap_rate/s | $inbound_ratio | ≥ 0.50 |
| latency, $N_LATENCY letters, embedded server | p50 $(val p50_ms "$latency") ms, p90 $(val p90_ms "$latency") ms, p99 $(val p99_ms "$latency") ms, max $(val max_ms "$latency") ms | | | p50 < 500 ms, p99 < 2 s |
| newsletter | not measured yet | smtp-source $smtp_rate/s ($N_SMTP × $SIZE B, $SMTP_CONNS connections) | | ≥ 0.90 |

Result lines, as printed:

    smtp-source   sent=$N_SMTP size=$SIZE conns=$SMTP_CONNS rate=$smtp_rate/s
    imapfetch     $fetch1
    inbound       $inbound
    imapfetch     $fetch2
    latency       $latency

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
