# backup-remediator-script: vss-restart-service@1
# Fix for ExtensionFailedVssServiceInBadState, as the Azure Backup troubleshooting article documents
# it: restart the Volume Shadow Copy service (`net stop VSS`, `net start VSS`). A stopped VSS service
# is started. Prints ONE line of compact JSON on stdout. Takes no parameters.
$ErrorActionPreference = 'Continue'

$changed = @()
$failed = @()
try {
  $svc = Get-Service -Name 'VSS' -ErrorAction Stop
  if ($svc.Status -eq 'Running') {
    Restart-Service -Name 'VSS' -Force -ErrorAction Stop
    $changed += 'restarted VSS'
  } else {
    Start-Service -Name 'VSS' -ErrorAction Stop
    $changed += 'started VSS'
  }
} catch {
  $failed += 'VSS'
}
$result = [ordered]@{ script = 'vss-restart-service@1'; changed = @($changed); failed = @($failed) }
Write-Output (ConvertTo-Json -InputObject $result -Compress -Depth 4)
