# backup-remediator-script: vss-restart-writer-services@1
# Fix for ExtensionFailedVssWriterInBadState, as the Azure Backup troubleshooting article documents it:
# run `vssadmin list writers` and, for every writer whose state is not [1] Stable, restart that
# writer's service. Only services of the fixed map below are ever restarted (a writer not in it is
# reported as skipped, for a human). Restart-Service -Force also restarts the services that depend on
# it and were running. Prints ONE line of compact JSON on stdout. Takes no parameters.
$ErrorActionPreference = 'Continue'

$writerServices = @{
  'SqlServerWriter' = 'SQLWriter'; 'System Writer' = 'CryptSvc'; 'WMI Writer' = 'Winmgmt'
  'IIS Config Writer' = 'AppHostSvc'; 'IIS Metabase Writer' = 'IISADMIN'; 'BITS Writer' = 'BITS'
  'MSSearch Service Writer' = 'WSearch'; 'DFS Replication service writer' = 'DFSR'; 'WIDWriter' = 'WIDWriter'
  'Registry Writer' = 'VSS'; 'COM+ REGDB Writer' = 'VSS'; 'ASR Writer' = 'VSS'
  'Shadow Copy Optimization Writer' = 'VSS'; 'VSS Metadata Store Writer' = 'VSS'; 'Performance Counters Writer' = 'VSS'
}

function Get-UnstableWriters {
  $unstable = @()
  $name = $null
  foreach ($line in (& vssadmin list writers 2>&1 | ForEach-Object { "$_" })) {
    if ($line -match "^\s*Writer name:\s*'(.+)'\s*$") { $name = $Matches[1] }
    elseif ($name -and $line -match '^\s*State:\s*\[(\d+)\]') {
      if ($Matches[1] -ne '1') { $unstable += $name }
      $name = $null
    }
  }
  return ,$unstable
}

$changed = @()
$skipped = @()
$failed = @()
$services = @()
foreach ($writer in (Get-UnstableWriters)) {
  $service = $writerServices[$writer]
  if (-not $service) { $skipped += $writer; continue }
  if ($services -notcontains $service) { $services += $service }
}
foreach ($service in $services) {
  try {
    Restart-Service -Name $service -Force -ErrorAction Stop
    $changed += "restarted $service"
  } catch {
    $failed += "$service"
  }
}
$result = [ordered]@{ script = 'vss-restart-writer-services@1'; changed = @($changed); skipped = @($skipped); failed = @($failed) }
Write-Output (ConvertTo-Json -InputObject $result -Compress -Depth 4)
