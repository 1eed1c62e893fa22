# backup-remediator-script: complus-restart@1
# Fix for ExtensionSnapshotFailedCOM / ExtensionInstallationFailedCOM / ExtensionInstallationFailedMDTC,
# as the Azure Backup troubleshooting article documents it: (re)start the Distributed Transaction
# Coordinator (MSDTC), then start/restart the COM+ System Application (`net start COMSysApp`).
# It never changes a service account and never reinstalls MSDTC (`msdtc -uninstall` / `-install`):
# when MSDTC does not run as Network Service the output says so, for a human. Prints ONE line of
# compact JSON on stdout. Takes no parameters.
$ErrorActionPreference = 'Continue'

$changed = @()
$failed = @()
$notes = @()
foreach ($name in @('MSDTC', 'COMSysApp')) {
  try {
    $svc = Get-Service -Name $name -ErrorAction Stop
    if ($svc.Status -eq 'Running') {
      Restart-Service -Name $name -Force -ErrorAction Stop
      $changed += "restarted $name"
    } else {
      Start-Service -Name $name -ErrorAction Stop
      $changed += "started $name"
    }
  } catch {
    $failed += $name
  }
}
$dtc = Get-CimInstance -ClassName Win32_Service -Filter "Name='MSDTC'" -ErrorAction SilentlyContinue
if ($dtc -and $dtc.StartName -ne 'NT AUTHORITY\NetworkService') {
  $notes += "MSDTC runs as '$($dtc.StartName)', not NT AUTHORITY\NetworkService: change it by hand"
}
$result = [ordered]@{ script = 'complus-restart@1'; changed = @($changed); failed = @($failed); notes = @($notes) }
Write-Output (ConvertTo-Json -InputObject $result -Compress -Depth 4)
