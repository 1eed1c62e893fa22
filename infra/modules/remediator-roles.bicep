// Custom roles holding exactly the ARM operations the engine performs. test/permissions.test.ts
// maps the emulator's request log of real engine runs onto these lists, so a new ARM call
// without its permission here fails CI; test/infra.test.ts checks their shape.
targetScope = 'subscription'

@description('Suffix that keeps the role names unique in the tenant (role names are tenant-wide).')
param environmentName string

@description('Name (GUID) of the reader role definition; main.bicep derives it from the tenant and environment.')
param readerRoleDefinitionName string

@description('Name (GUID) of the operator role definition.')
param operatorRoleDefinitionName string

@description('Subscriptions the roles may be assigned in (assignable scopes).')
param targetSubscriptionIds array

@description('Create the guest-fix role (Run Command): only when guest fixes are enabled.')
param guestFixesEnabled bool = false

@description('Name (GUID) of the guest-fix role definition.')
param guestRoleDefinitionName string

// Everything a dry-run needs: discover failed jobs, read protected items, diagnose the VM.
var readerActions = [
  'Microsoft.RecoveryServices/Vaults/read'
  'Microsoft.RecoveryServices/Vaults/backupJobs/read'
  'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/read'
  'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/read'
  'Microsoft.RecoveryServices/Vaults/backupProtectedItems/read'
  'Microsoft.Compute/virtualMachines/read'
  'Microsoft.Compute/virtualMachines/instanceView/read'
  'Microsoft.Compute/virtualMachines/extensions/read'
  'Microsoft.Compute/restorePointCollections/read'
  'Microsoft.Compute/restorePointCollections/restorePoints/read'
  'Microsoft.Authorization/locks/read'
  'Microsoft.ResourceGraph/resources/read'
  'Microsoft.Resources/subscriptions/resourceGroups/read'
  // Confirmed network diagnosis: a NIC's effective security rules and routes (POSTs that only read)
  // and the status/result polls of those long-running operations.
  'Microsoft.Network/networkInterfaces/read'
  'Microsoft.Network/networkInterfaces/effectiveNetworkSecurityGroups/action'
  'Microsoft.Network/networkInterfaces/effectiveRouteTable/action'
  'Microsoft.Network/locations/operations/read'
  'Microsoft.Network/locations/operationResults/read'
]

// The three documented fixes: remove the VMSnapshot extension, clean up the restore point
// collection, Backup Now. Nothing else is ever written.
var remediationActions = [
  'Microsoft.Compute/virtualMachines/extensions/delete'
  'Microsoft.Compute/restorePointCollections/delete'
  'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/backup/action'
]

// Following the writes above to their end: compute LRO status, Backup Now operation status
// and result, then the backup job it started (backupJobs/read is already in the reader set).
var pollingActions = [
  'Microsoft.Compute/locations/operations/read'
  'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/operationResults/read'
  'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/operationsStatus/read'
]

// Guest fixes (run-guest-fix): a reviewed catalogue script run inside the VM through Run Command,
// approval required. Kept out of the operator role so the identity can run nothing in a guest unless
// guest fixes were enabled at deployment (its LRO polls compute operations, already in the operator role).
var guestFixActions = [
  'Microsoft.Compute/virtualMachines/runCommand/action'
]

var assignableScopes = [for id in targetSubscriptionIds: '/subscriptions/${id}']

resource readerRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: readerRoleDefinitionName
  properties: {
    roleName: 'Backup Remediator Reader (${environmentName})'
    description: 'Dry-run: reads failed backup jobs, protected items, VMs, extensions, restore point collections and locks.'
    type: 'CustomRole'
    assignableScopes: assignableScopes
    permissions: [
      {
        actions: readerActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource operatorRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: operatorRoleDefinitionName
  properties: {
    roleName: 'Backup Remediator Operator (${environmentName})'
    description: 'Apply: the reader role plus removing the VMSnapshot extension, deleting restore point collections and Backup Now.'
    type: 'CustomRole'
    assignableScopes: assignableScopes
    permissions: [
      {
        actions: concat(readerActions, remediationActions, pollingActions)
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource guestRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (guestFixesEnabled) {
  name: guestRoleDefinitionName
  properties: {
    roleName: 'Backup Remediator Guest Fixer (${environmentName})'
    description: 'Guest fixes: runs the remediator\'s reviewed scripts inside VMs through Run Command (assigned with the operator role).'
    type: 'CustomRole'
    assignableScopes: assignableScopes
    permissions: [
      {
        actions: guestFixActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

output readerRoleDefinitionName string = readerRole.name
output operatorRoleDefinitionName string = operatorRole.name
