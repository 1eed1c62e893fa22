# backup-remediator-script: linux-guest-diagnose@1
# Read-only diagnosis of a Linux VM: the state of the Azure Linux agent service (walinuxagent on
# Debian/Ubuntu, waagent elsewhere), which the backup extension needs. Changes nothing. Prints ONE
# line of compact JSON on stdout. Takes no parameters.
services=''
for unit in walinuxagent waagent; do
  state='unknown'
  if command -v systemctl >/dev/null 2>&1; then
    state=$(systemctl is-active "$unit" 2>/dev/null | head -n 1)
    case "$state" in
      active|inactive|failed|activating|deactivating|reloading) ;;
      *) state='unknown' ;;
    esac
  fi
  services="$services${services:+,}\"$unit\":\"$state\""
done
printf '{"script":"linux-guest-diagnose@1","services":{%s}}\n' "$services"
