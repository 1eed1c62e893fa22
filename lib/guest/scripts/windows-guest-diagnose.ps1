# backup-remediator-script: windows-guest-diagnose@1
# Read-only diagnosis for the Azure Backup VSS / COM+ / snapshot-timeout failures. Changes nothing.
# Reads: the VSS writers and their states (`vssadmin list writers`, as the troubleshooting article
# says), the VSS, COMSysApp and MSDTC services (and the service of each known writer), and the
# snapshot values under HKLM\SOFTWARE\Microsoft\BcdrAgentPersistentKeys. Prints ONE line of compact
# JSON on stdout (the remediator parses the last non-empty line). Takes no parameters.
$ErrorActionPreference = 'Continue'

# Fixed writer -> service map (the service to restart for a writer; writers not listed are never restarted).
$writerServices = @{
  'SqlServerWriter' = 'SQLWriter'; 'System Writer' = 'CryptSvc'; 'WMI Writer' = 'Winmgmt'
  'IIS Config Writer' = 'AppHostSvc'; 'IIS Metabase Writer' = 'IISADMIN'; 'BITS Writer' = 'BITS'
  'MSSearch Service Writer' = 'WSearch'; 'DFS Replication service writer' = 'DFSR'; 'WIDWriter' = 'WIDWriter'
  'Registry Writer' = 'VSS'; 'COM+ REGDB Writer' = 'VSS'; 'ASR Writer' = 'VSS'
  'Shadow Copy Optimization Writer' = 'VSS'; 'VSS Metadata Store Writer' = 'VSS'; 'Performance Counters Writer' = 'VSS'
}

function Get-VssWriters {
  $writers = @()
  $current = $null
  foreach ($line in (& vssadmin list writers 2>&1 | ForEach-Object { "$_" })) {
    if ($line -match "^\s*Writer name:\s*'(.+)'\s*$") {
      if ($current) { $writers += [pscustomobject]$current }
      $current = [ordered]@{ name = $Matches[1]; state = 'Unknown'; lastError = $null; service = $writerServices[$Matches[1]] }
    } elseif ($current -and $line -match '^\s*State:\s*\[\d+\]\s*(.+?)\s*$') {
      $current.state = $Matches[1]
    } elseif ($current -and $line -match '^\s*Last error:\s*(.+?)\s*$') {
      $current.lastError = $Matches[1]
    }
  }
  if ($current) { $writers += [pscustomobject]$current }
  return ,$writers
}

function Get-ServiceState([string]$name) {
  $svc = Get-Service -Name $name -ErrorAction SilentlyContinue
  if ($svc) { return $svc.Status.ToString() }
  return 'NotFound'
}

function Get-SnapshotValue([string]$name) {
  $item = Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\BcdrAgentPersistentKeys' -Name $name -ErrorAction SilentlyContinue
  if ($item) { return [string]$item.$name }
  return $null
}

$writers = Get-VssWriters
$services = [ordered]@{}
foreach ($name in @('VSS', 'COMSysApp', 'MSDTC')) { $services[$name] = Get-ServiceState $name }
foreach ($w in $writers) { if ($w.service -and -not $services.Contains($w.service)) { $services[$w.service] = Get-ServiceState $w.service } }
$registry = [ordered]@{
  SnapshotMethod = Get-SnapshotValue 'SnapshotMethod'
  CalculateSnapshotTimeFromHost = Get-SnapshotValue 'CalculateSnapshotTimeFromHost'
  SnapshotWithoutThreads = Get-SnapshotValue 'SnapshotWithoutThreads'
}
$result = [ordered]@{ script = 'windows-guest-diagnose@1'; writers = @($writers); services = $services; registry = $registry }
Write-Output (ConvertTo-Json -InputObject $result -Compress -Depth 5)
