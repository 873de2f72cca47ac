#!/usr/bin/env bash
# make demo: sample Sundew logs -> pickleUpdater (catching up a day) -> RRD archive -> graphics.
set -euo pipefail
root=${1:-demo-root}
mkdir -p "$root"
root=$(cd "$root" && pwd)
export PXSTATS_ROOT=$root
machines=pxatx1,pxatx2
end=$(date -u +"%Y-%m-%d %H:%M:%S")
day_ago=$(date -u -d "-24 hours" +"%Y-%m-%d %H:%M:%S")

echo "== Sample logs (48 hours, two machines) in $root/data/logFiles/"
rm -rf "$root/data"
generateSampleLogs --hours 48 --end "$end" --machines "$machines" >/dev/null
ls "$root/data/logFiles/"*

echo
echo "== pickleUpdater: first run a day ago, then a catch-up of 24 hours"
for machine in ${machines//,/ }; do
  for ft in tx rx; do
    pickleUpdater -f "$ft" -m "$machine" -d "$day_ago"
    started=$EPOCHREALTIME
    pickleUpdater -f "$ft" -m "$machine" -d "$end"
    awk -v a="$started" -v b="$EPOCHREALTIME" -v ft="$ft" -v m="$machine" \
      'BEGIN { printf "  %-3s %-7s caught up 24 hours in %.2f s\n", ft, m, b - a }'
  done
done

echo
python3 "$(dirname "$0")/demo_summary.py" "$root"

echo
echo "== transferPickleToRRD: the day's pickles into the ten-year RRD archive"
transferPickleToRRD -m "$machines" -e "$end"
echo "databases in $root/data/databases/currentDatabases/"
ls "$root/data/databases/currentDatabases/filecount/"

echo
echo "== generateRRDGraphics: daily and weekly graphics of satnet"
generateRRDGraphics -d -c satnet -f tx --machines "$machines" --date "$end" -t filecount,latency
generateRRDGraphics -w -c satnet -f tx --machines "$machines" --date "$end" -t filecount,latency

echo
echo "== generateGraphics: per-minute gnuplot graphics of the last 24 hours"
echo "   satnet (data of both machines merged):"
generateGraphics -c satnet -m "$machines" -s 24 -d "$end" | sed 's/^/   /'
echo "   group AllWeather = satnet + weather + amis, combined into one panel per type:"
generateGraphics -c satnet,weather,amis --combineClients -g AllWeather -m "$machines" -s 24 \
  -d "$end" | sed 's/^/   /'

echo
echo "== Web pages: generateWebPages writes them, pxStatsWeb serves them"
if [ ! -f "$root/etc/config" ]; then
  mkdir -p "$root/etc"
  sed -e "s/^sourceMachinesTags .*/sourceMachinesTags      = demo/" \
      -e "s/^picklingMachines .*/picklingMachines        = demo/" \
      -e "s/^machinesToBackupInDb .*/machinesToBackupInDb    = demo/" \
      -e "s|^statsRoot .*|statsRoot               = $root/|" \
      -e "s/^webPagesLanguages .*/webPagesLanguages       = en:en,fr:en/" \
      -e "/^\[specialGroups\]/,\$d" "$(dirname "$0")/../etc/config.sample" > "$root/etc/config"
  printf '[specialGroups]\nAllWeather = demo tx satnet,weather,amis *\n' >> "$root/etc/config"
  echo "demo ${machines} pds,pds" > "$root/etc/configForMachines"
fi
generateGraphics -c satnet -m "$machines" -s 24 -d "$end" --copy >/dev/null
generateRRDGraphics -w --copy --fixedCurrent -c satnet -f tx --machines "$machines" \
  --date "$end" -t filecount,latency >/dev/null
generateWebPages -d "$end"
echo "   serve them with:  PXSTATS_ROOT=$root pxStatsWeb --listen 127.0.0.1:8080"
echo "   then open:        http://127.0.0.1:8080/index.html"

echo
echo "== statsMonitor: the health report of the demo root (saved in data/monitoring/reports/)"
if [ ! -f "$root/etc/monitoringConf" ]; then
  mkdir -p "$root/etc" "$root/data/monitoring"
  cat > "$root/etc/monitoringConf" <<CONF
[statsMonitoring]
sender          = pxstats@localhost
smtpServer      = localhost
emails          = operator@localhost
machines        = demo
files           = $(cd "$(dirname "$0")/.." && pwd)/pxstats
folders         = $root/data;$root/data/pickles
maxUsages       = 95;95
errorsLogFile   = $root/data/monitoring/PX_Errors.txt
maxSettingsFile = $root/data/monitoring/maxSettings.conf
sshTimeout      = 3
CONF
  printf 'PX_CIRCUITS\nDEFAULT 30\nPX_TIMERS\nDEFAULT 60\nPX_GRAPHS\nDEFAULT 100\n' \
    > "$root/data/monitoring/maxSettings.conf"
fi
# The demo's machines are not real: ssh is pointed at a closed port of the loopback (no name
# lookup leaves this machine), so the reachability check fails at once.
if [ ! -f "$root/etc/ssh_config" ]; then
  printf 'Host pxatx1 pxatx2\n  HostName 127.0.0.1\n  Port 9\n' > "$root/etc/ssh_config"
fi
# A first report: every file is new, the pickles of the week before the demo are missing,
# and the demo's machines are not real ones ssh could reach.
status=0
report=$(statsMonitor --no-mail -v "$end") || status=$?
printf '%s\n' "$report" | sed 's/^/   /'
echo "   exit status $status (0 OK, 1 warnings, 2 errors, 3 could not run)"
