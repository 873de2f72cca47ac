#!/usr/bin/env bash
# make demo: a day of the one crontab line, replayed. Sample Sundew logs of two machines,
# then `pxStatsStartup --date` once per hour over them (collection, RRD archive, graphics,
# web pages, backups, cleaners, monitoring when due), then what the day produced.
#
#   scripts/demo.sh [ROOT]      ROOT: the demo root (default demo-root), rebuilt on every run
#   DEMO_HOURS=N                hours replayed, 1 to 48 (default 24)
#   DEMO_CLIENTS=N              tx clients per machine, 1 to 7 (default 4; 3 rx sources)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${1:-demo-root}
hours=${DEMO_HOURS:-24}
nclients=${DEMO_CLIENTS:-4}
if ! [[ $hours =~ ^[0-9]+$ ]] || ((hours < 1 || hours > 48)); then
  echo "demo.sh: error: DEMO_HOURS must be a whole number from 1 to 48 (got '$hours')" >&2
  exit 2
fi
if ! [[ $nclients =~ ^[0-9]+$ ]] || ((nclients < 1 || nclients > 7)); then
  echo "demo.sh: error: DEMO_CLIENTS must be a whole number from 1 to 7 (got '$nclients')" >&2
  exit 2
fi
if ! command -v pxStatsStartup >/dev/null || ! python3 -c "import pxstats" 2>/dev/null; then
  echo "demo.sh: error: pxStatsStartup and pxstats not found on PATH: run make demo" >&2
  exit 2
fi
mkdir -p "$root"
root=$(cd "$root" && pwd)
# The demo rebuilds its root: never wipe a folder that is not one (a marker file says it is).
if [ -n "$(ls -A "$root")" ] && [ ! -f "$root/.pxstats-demo" ]; then
  echo "demo.sh: error: $root is not empty and is not a demo root (no .pxstats-demo):" \
    "choose another DEMO_ROOT" >&2
  exit 2
fi
rm -rf "${root:?}/data" "${root:?}/etc"
touch "$root/.pxstats-demo"
export PXSTATS_ROOT=$root
machines=pxatx1,pxatx2
clients=$(echo satnet,weather,amis,nws-alerts,urp,wxo-b1,cmc-ops | cut -d, -f1-"$nclients")
iso() { date -u -d "@$1" +"%Y-%m-%d %H:%M:%S"; }
now=$(date -u +%s)
# cron starts the line at minute 2 of each hour: the last run replayed is the latest HH:02
# passed, the first one `hours` - 1 hours before it.
last=$(((now - 120) / 3600 * 3600 + 120))
first=$((last - (hours - 1) * 3600))

echo "== Sample Sundew logs of $machines ($((hours + 2)) hours) in $root/data/logFiles/"
generateSampleLogs --hours $((hours + 2)) --end "$(iso "$now")" --machines "$machines" \
  --clients "$clients" >/dev/null
for machine in ${machines//,/ }; do
  echo "   $machine: $(find "$root/data/logFiles/$machine" -name '*.log*' | wc -l) log files" \
    "($(du -sh "$root/data/logFiles/$machine" | cut -f1))"
done

echo
echo "== The demo's configuration in $root/etc/"
mkdir -p "$root/etc" "$root/data/monitoring" "$root/data/logs/demo"
# One source tag, a cluster of the two machines (its graphics merge them), pickled here:
# `localhost` in picklingMachines means this host; with --no-mirror pxStatsStartup reads the
# logs above as they are instead of copying them from the (fictional) machines.
cat >"$root/etc/configForMachines" <<CONF
demo  ${machines}  px,px
here  localhost,localhost  px,px
CONF
cat >"$root/etc/config" <<CONF
[generalConfig]
sourceMachinesTags      = demo
picklingMachines        = here
machinesToBackupInDb    = demo
graphicsUploadMachines  =
daysOfPicklesToKeep     = 21
nbDbBackupsToKeep       = 3
nbAutoUpdatesLogsToKeep = 50
mainApplicationLanguage = en
artifactsLanguages      = en
webPagesLanguages       = en:en,fr:en
statsRoot               = $root/

[timeConfig]
pxStatsFrequency        = 1/hours
monitoringFrequency     = 12/hours
dbBackupsFrequency      = 6/hours
pickleCleanerFrequency  = 24/hours
generalCleanerFrequency = 24/hours
dailyWebPageUpdatesFrequency   = "hourly"
weeklyWebPageUpdatesFrequency  = "daily"
monthlyWebPageUpdatesFrequency = "weekly"
yearlyWebPageUpdatesFrequency  = "monthly"
totalWebPagesUpdatesFrequency  = "daily"

[specialGroups]
AllWeather = demo tx satnet,weather,amis *
CONF
cat >"$root/etc/monitoringConf" <<CONF
[statsMonitoring]
sender          = pxstats@localhost
smtpServer      = localhost
emails          = operator@localhost
machines        = demo
files           = $(cd "$here/.." && pwd)/pxstats
folders         = $root/data;$root/data/pickles
maxUsages       = 95;95
errorsLogFile   = $root/data/monitoring/PX_Errors.txt
maxSettingsFile = $root/data/monitoring/maxSettings.conf
sshTimeout      = 3
CONF
printf 'PX_CIRCUITS\nDEFAULT 30\nPX_TIMERS\nDEFAULT 60\nPX_GRAPHS\nDEFAULT 100\n' \
  >"$root/data/monitoring/maxSettings.conf"
# The general cleaner's rule: the demo's saved outputs of failed runs, after a week.
cat >"$root/etc/clean_dir.conf" <<CONF
LOGFILE  cleaner.log
$root/data/logs/demo  run-*.txt  7:d  no
CONF
# The demo's machines are not real: ssh (the monitor's reachability check of the source and
# pickling machines) is pointed at a closed port of the loopback, so no name lookup or
# connection leaves this machine, and this host's own sshd is not bothered.
printf 'Host pxatx1 pxatx2 localhost\n  HostName 127.0.0.1\n  Port 9\n' >"$root/etc/ssh_config"
ls "$root/etc" | sed 's/^/   /'

echo
echo "== A day of the crontab line: pxStatsStartup --date <hour> --no-mirror --no-mail," \
  "$hours runs"
echo "   (per run: what it made, then the periodic tasks that were due; every step is in"
echo "   $root/data/logs/pxStatsStartup.log)"
out=$root/data/logs/demo
failed=0
for ((h = 0; h < hours; h++)); do
  when=$(iso $((first + h * 3600)))
  started=$EPOCHREALTIME
  status=0
  pxStatsStartup --date "$when" --no-mirror --no-mail -p 2 >"$out/run.txt" 2>&1 || status=$?
  python3 "$here/demo_summary.py" run-line "$root" "$when" "$status" \
    "$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')" \
    "$out/run.txt"
  if [ "$status" != 0 ]; then
    failed=$((failed + 1))
    cp "$out/run.txt" "$out/run-${when//[ :]/-}.txt"
  fi
done
echo
echo "== Steps of the last run ($(iso "$last"), also in data/monitoring/lastRun.json)"
python3 "$here/demo_summary.py" steps "$root"

echo
python3 "$here/demo_summary.py" summary "$root"

echo "   serve them with:  PXSTATS_ROOT=$root pxStatsWeb --listen 127.0.0.1:8080"
echo "   then open:        http://127.0.0.1:8080/index.html"

echo
echo "== The same by hand, one command at a time (what the line chains; for a one-off graphic)"
when=$(iso "$last")
show() {
  local arg line="   \$"
  for arg in "$@"; do
    if [[ $arg == *" "* ]]; then line+=" \"$arg\""; else line+=" $arg"; fi
  done
  echo "$line"
  "$@" 2>&1 | sed 's/^/     /'
}
show pickleUpdater -f tx -m pxatx1 -d "$when"
show transferPickleToRRD -m "$machines" -e "$when"
show generateGraphics -c satnet -m "$machines" -s 24 -d "$when"
show generateRRDGraphics -w -c satnet -f tx --machines "$machines" --date "$when" -t latency
echo "   (nothing new to collect or transfer: pxStatsStartup had done it)"

echo
echo "== statsMonitor: the verdict at the end of the day"
echo "   (the line ran it too, when due: 'monitoring' above; reports in data/monitoring/reports/)"
status=0
report=$(statsMonitor --no-mail --json "$(iso "$last")") || status=$?
printf '%s\n' "$report" | python3 "$here/demo_summary.py" verdict
echo "   exit status $status (0 OK, 1 warnings, 2 errors, 3 could not run). Expected in a demo:"
echo "   the machines are not real (ssh cannot reach them), the week before the demo has no"
echo "   pickles, the logs of the replay are stamped with the real time (not the hours replayed)"
echo "   and this host may have no crontab."

echo
if ((failed)); then
  echo "== $failed of $hours pxStatsStartup runs had a failing step (see $out/ and the log)"
  exit 1
fi
echo "== $hours of $hours pxStatsStartup runs ok"
