#!/usr/bin/env bash
# The newsletter beside a peer people would pick instead, on demand (not in
# CI): Debian's GNU Mailman 3 core with personalised delivery, our
# `mailbench newsletter`, and smtp-source as the raw limit, one after the
# other into one smtp-sink on loopback, the same issue to the same number
# of recipients. Rewrites the block between <!-- peers --> and
# <!-- /peers --> in bench/RESULTS.md (bench/run.sh keeps it as it is).
#
#   bench/peers.sh
#
# Settings: N (recipients, default 20000), N_MAILMAN (default N: at about
# 80 a second Mailman takes minutes, and subscribing them as long again),
# SMTP_CONNS (ours and smtp-source's, default 3; Mailman's out runner
# sends over one), KEEP=1 keeps the temporary directory.
#
# Mailman runs as the list user from a configuration written here (its
# own var directory, SQLite, ports picked free, incoming mail off), with
# every runner its master starts, as a site would have it; the list sends
# each member a personalised copy with a VERP envelope sender
# (personalize=individual, verp_personalized_deliveries), as the bot does,
# accepts posts from anyone and archives nothing. The message is injected
# into its in queue; the time runs from there until smtp-sink has counted
# every copy. CPU per copy is the user+system time of all Mailman's
# processes over that stretch; peak RSS is the sum of their high-water marks.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin"
export DEBIAN_FRONTEND=noninteractive
: "${N:=20000}" "${N_MAILMAN:=$N}" "${SMTP_CONNS:=3}"
[ "$(id -u)" = 0 ] || { echo "peers: run as root (it installs mailman3 and runs it as the list user)" >&2; exit 1; }

need=()
[ -x /usr/sbin/smtp-source ] && [ -x /usr/sbin/smtp-sink ] || need+=(postfix)
command -v mailman >/dev/null || need+=(mailman3)
if ((${#need[@]})); then
	source bench/install.sh
	install_programs "${need[@]}"
fi

work=$(mktemp -d /tmp/mailbench-peers.XXXXXX)
chmod 755 "$work"
sink_pid=
mm=(su list -s /bin/sh -c)
mmcfg="$work/mailman/mailman.cfg"
cleanup() {
	[ -e "$work/mailman/var/master.pid" ] && "${mm[@]}" "mailman -C $mmcfg stop" >/dev/null 2>&1 || true
	[ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null || true
	if [ "${KEEP:-0}" = 1 ]; then echo "peers: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
step() { echo "peers: $*" >&2; }
val() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
hz=$(getconf CLK_TCK)
# cpu_of prints the user+system time of the given processes, in microseconds.
cpu_of() { for p in "$@"; do cat "/proc/$p/stat" 2>/dev/null; done | awk -v hz="$hz" '{ t += $14 + $15 } END { printf "%.0f", t * 1e6 / hz }'; }

go build -o "$work/mailbench" ./cmd/mailbench
sink_port=$(free_port)
# -c: counters on stdout, a line ending in \r for every message taken.
smtp-sink -c -u postfix "127.0.0.1:$sink_port" 1000 >"$work/sink.out" 2>&1 &
sink_pid=$!
sleep 0.5
sunk() { tr '\r' '\n' <"$work/sink.out" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1; }

# --- ours and the raw limit ---------------------------------------------------
step "mailbench newsletter: $N copies over $SMTP_CONNS connections"
s0=$(cpu_of "$sink_pid")
ours=$(MAILBOT_SMTP_CONNECTIONS=$SMTP_CONNS "$work/mailbench" newsletter -n "$N" -smtp "127.0.0.1:$sink_port" -conns "$SMTP_CONNS" 2>/dev/null | tail -1)
ours_sink=$((($(cpu_of "$sink_pid") - s0) / N))
size=$(val bytes "$ours")
step "ours: $ours"
step "smtp-source: $N × $size B over $SMTP_CONNS connections"
# In $(…), so that `times` counts smtp-source's CPU alone.
source=$(
	s0=$(cpu_of "$sink_pid")
	t0=$(date +%s.%N)
	smtp-source -d -s "$SMTP_CONNS" -m "$N" -l "$size" -f bench@example.test -t sink@example.test "127.0.0.1:$sink_port" >&2
	t1=$(date +%s.%N)
	s1=$(cpu_of "$sink_pid")
	times >"$work/times"
	awk -v n="$N" -v a="$t0" -v b="$t1" -v sink=$((s1 - s0)) '
		function secs(t) { split(t, p, /[ms]/); return p[1] * 60 + p[2] }
		NR == 2 { cpu = secs($1) + secs($2) }
		END { printf "rate=%.1f cpu_us=%.0f sink_cpu_us=%.0f", n / (b - a), cpu * 1e6 / n, sink / n }' "$work/times"
)
step "smtp-source: $source"

# --- Mailman 3 ------------------------------------------------------------------
mkdir -p "$work/mailman/var"
chown list:list "$work/mailman/var"
cat >"$mmcfg" <<EOF
[mailman]
layout: bench
site_owner: owner@example.test
[paths.bench]
var_dir: $work/mailman/var
bin_dir: /usr/lib/mailman3/bin
[database]
class: mailman.database.sqlite.SQLiteDatabase
url: sqlite:///\$DATA_DIR/mailman.db
[webservice]
port: $(free_port)
admin_user: restadmin
admin_pass: bench-$RANDOM$RANDOM
[mta]
incoming: mailman.mta.null.NullMTA
outgoing: mailman.mta.deliver.deliver
smtp_host: 127.0.0.1
smtp_port: $sink_port
lmtp_port: $(free_port)
verp_personalized_deliveries: yes
EOF
cp bench/mailman_list.py "$work/mailman/"
# The same issue as ours, as Markdown in plain text (Mailman makes no
# HTML part); its copies' size is reported beside ours.
{
	printf 'From: Better Days <betterdays@example.test>\nTo: news@example.test\n'
	printf 'Subject: Better Days: the summer conversations begin\nMessage-ID: <peers-%s@example.test>\n' "$RANDOM"
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n'
	cat cmd/mailbench/newsletter.md
} >"$work/mailman/issue.eml"
chmod -R a+rX "$work/mailman"
mmver=$(mailman --version 2>/dev/null | head -1)
step "$mmver: a list of $N_MAILMAN members"
"${mm[@]}" "mailman -C $mmcfg create --quiet news@example.test"
"${mm[@]}" "cd $work/mailman && PYTHONPATH=$work/mailman N=$N_MAILMAN mailman -C $mmcfg withlist -r mailman_list.setup -l news@example.test"
"${mm[@]}" "mailman -C $mmcfg start" >/dev/null 2>&1
for _ in $(seq 100); do [ -s "$work/mailman/var/master.pid" ] && break; sleep 0.1; done
sleep 5 # the runners start
master=$(cat "$work/mailman/var/master.pid")
# The master, its runners and theirs (the REST runner's workers).
procs=($(pgrep -f -- "-C $mmcfg"))
before=$(sunk)
before=${before:-0}
c0=$(cpu_of "${procs[@]}")
s0=$(cpu_of "$sink_pid")
t0=$(date +%s.%N)
"${mm[@]}" "mailman -C $mmcfg inject -f $work/mailman/issue.eml news@example.test"
want=$((before + N_MAILMAN))
while [ "$(sunk)" -lt "$want" ]; do
	sleep 0.2
	[ -e "/proc/$master" ] || { echo "peers: mailman stopped; see $work/mailman/var/logs" >&2; exit 1; }
done
t1=$(date +%s.%N)
c1=$(cpu_of "${procs[@]}")
mm_sink=$((($(cpu_of "$sink_pid") - s0) / N_MAILMAN))
mm_rss=$(for p in "${procs[@]}"; do awk '/VmHWM/ { print $2 }' "/proc/$p/status" 2>/dev/null; done | awk '{ t += $1 } END { printf "%.0f", t / 1024 }')
mm_rate=$(awk -v n="$N_MAILMAN" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }')
mm_cpu=$(((c1 - c0) / N_MAILMAN))
mm_size=$(($(wc -c <"$work/mailman/issue.eml") + 0))
step "mailman: rate=$mm_rate/s cpu_us=$mm_cpu peak_rss_mb=$mm_rss (${#procs[@]} processes)"

# --- the record -------------------------------------------------------------------
load=$(cut -d' ' -f1-3 /proc/loadavg)
src_rate=$(val rate "$source")
block=$(cat <<EOF
<!-- peers -->
### Beside a peer: \`bench/peers.sh\`, $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD)

One smtp-sink; load average at the end $load. Ours and smtp-source: $N
copies over $SMTP_CONNS connections. $mmver (Debian, Python
$(/usr/bin/python3 -c 'import sys; print(sys.version.split()[0])')): $N_MAILMAN members, personalised
delivery with VERP (\`personalize = individual\`,
\`verp_personalized_deliveries: yes\`), its out runner's one SMTP
connection, SQLite, every runner its master starts (${#procs[@]} processes),
nothing archived; the issue injected as plain text (${mm_size} B before
Mailman's own headers and footer; it makes no HTML part, so its copies
are smaller than ours). CPU is user+system per copy, all of a system's
processes; the sink's in the same stretch.

| system | rate | of smtp-source | CPU per copy | smtp-sink CPU | peak RSS | copy size |
| --- | --- | --- | --- | --- | --- | --- |
| smtp-source | $src_rate/s | 1.00 | $(val cpu_us "$source") µs | $(val sink_cpu_us "$source") µs | – | $size B |
| this bot, \`mailbench newsletter\` | $(val rate "$ours") | $(ratio "$(val rate "$ours")" "$src_rate") | $(val cpu_us "$ours") µs | $ours_sink µs | $(val peak_rss_mb "$ours") MB | $size B |
| GNU Mailman 3, one connection | $mm_rate/s | $(ratio "$mm_rate" "$src_rate") | $mm_cpu µs | $mm_sink µs | $mm_rss MB | ~$mm_size B |

    ours          $ours
    smtp-source   $source
<!-- /peers -->
EOF
)
if grep -q '^<!-- peers -->$' bench/RESULTS.md; then
	awk -v block="$block" '/^<!-- peers -->$/ { print block; skip = 1; next } /^<!-- \/peers -->$/ { skip = 0; next } !skip' bench/RESULTS.md >bench/RESULTS.md.new
else
	# The first time: at the top of the notes, which run.sh keeps.
	awk -v block="$block" '{ print } /^<!-- notes -->$/ { print block; print "" }' bench/RESULTS.md >bench/RESULTS.md.new
fi
mv bench/RESULTS.md.new bench/RESULTS.md
step "wrote the peers' block in bench/RESULTS.md"
