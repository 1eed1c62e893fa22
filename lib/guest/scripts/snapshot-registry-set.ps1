# backup-remediator-script: snapshot-registry-set@1
# Fix for ExtensionFailedTimeoutVMNetworkUnresponsive, as the Azure Backup troubleshooting article
# documents it ("Create snapshot through Host"), the PowerShell equivalent of:
#   REG ADD "HKLM\SOFTWARE\Microsoft\BcdrAgentPersistentKeys" /v SnapshotMethod /t REG_SZ /d firstHostThenGuest /f
#   REG ADD "HKLM\SOFTWARE\Microsoft\BcdrAgentPersistentKeys" /v CalculateSnapshotTimeFromHost /t REG_SZ /d True /f
# plus the article's VSS-writer step that stops threads being created for blob snapshots:
#   REG ADD "HKLM\SOFTWARE\Microsoft\BcdrAgentPersistentKeys" /v SnapshotWithoutThreads /t REG_SZ /d True /f
# Only values that differ are written. Prints ONE line of compact JSON on stdout. Takes no parameters.
$ErrorActionPreference = 'Continue'

$key = 'HKLM:\SOFTWARE\Microsoft\BcdrAgentPersistentKeys'
$wanted = [ordered]@{ SnapshotMethod = 'firstHostThenGuest'; CalculateSnapshotTimeFromHost = 'True'; SnapshotWithoutThreads = 'True' }
$changed = @()
$failed = @()
try {
  if (-not (Test-Path -Path $key)) { New-Item -Path $key -Force -ErrorAction Stop | Out-Null }
  foreach ($name in $wanted.Keys) {
    $now = Get-ItemProperty -Path $key -Name $name -ErrorAction SilentlyContinue
    if ($now -and [string]$now.$name -ceq $wanted[$name]) { continue }
    try {
      New-ItemProperty -Path $key -Name $name -PropertyType String -Value $wanted[$name] -Force -ErrorAction Stop | Out-Null
      $changed += "$name=$($wanted[$name])"
    } catch {
      $failed += $name
    }
  }
} catch {
  $failed += 'BcdrAgentPersistentKeys'
}
$result = [ordered]@{ script = 'snapshot-registry-set@1'; changed = @($changed); failed = @($failed) }
Write-Output (ConvertTo-Json -InputObject $result -Compress -Depth 4)
