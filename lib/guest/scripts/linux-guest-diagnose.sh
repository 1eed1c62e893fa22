# backup-remediator-script: linux-guest-diagnose@1
# Read-only diagnosis of a Linux VM: the state of the Azure Linux agent service (walinuxagent on
# Debian/Ubuntu, waagent elsewhere), which the backup extension needs. Changes nothing. Prints ONE
# line of compact JSON on stdout. Takes no parameters.
state() {
  if command -v systemctl >/dev/null 2>&1; then
    s=$(systemctl is-active "$1" 2>/dev/null | head -n 1)
    case "$s" in
      active|inactive|failed|activating|deactivating|reloading) printf '%s' "$s" ;;
      *) printf 'unknown' ;;
    esac
  else
    printf 'unknown'
  fi
}
printf '{"script":"linux-guest-diagnose@1","services":{"walinuxagent":"%s","waagent":"%s"}}\n' "$(state walinuxagent)" "$(state waagent)"
