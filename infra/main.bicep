// backup-remediator: everything `azd up` provisions. Subscription scope (azd convention): it
// creates the resource group, the app and its plumbing there, the custom roles, and one role
// assignment per target subscription.
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('azd environment name; part of every resource name.')
param environmentName string

@minLength(1)
@description('Region of the resource group and its resources.')
param location string

@description('Resource group name; empty = rg-<environmentName>.')
param resourceGroupName string = ''

@allowed([ 'dry-run', 'apply' ])
@description('dry-run assigns the read-only role and plans only; apply assigns the operator role and writes.')
param mode string = 'dry-run'

@description('Subscriptions to remediate, as an array (merged with targetSubscriptionIdsCsv). Empty both = this subscription.')
param targetSubscriptionIds array = []

@description('Subscriptions to remediate, comma-separated (what azd passes from REMEDIATION_SUBSCRIPTIONS).')
param targetSubscriptionIdsCsv string = ''

@description('Optional allow-list of <subscriptionId>/<resourceGroup>, comma-separated; empty = all.')
param resourceGroups string = ''

@description('Timer NCRONTAB (six fields).')
param schedule string = '0 */30 * * * *'

@description('Look-back window for failed jobs (90m, 24h, 2d, PT24H).')
param lookback string = '24h'

@description('Comma-separated action kinds the engine may perform.')
param allowedActions string = 'remove-snapshot-extension,delete-restore-point-collection,run-guest-fix,trigger-backup'

@description('Cap on VMs acted on per run.')
param maxVmsPerRun string = '50'

@description('Cap on writes of each kind per run.')
param maxWritesPerKind string = '25'

@description('Automated attempts per VM per attempt window, then escalate.')
param maxAttempts string = '3'

param attemptWindow string = '24h'
param cooldown string = '2h'
param concurrency string = '4'

@description('true stops every write (also switchable at run time in the ledger).')
param killSwitch string = 'false'

param backupRetentionDays string = '30'
param inlineMaxVms string = '10'
param verifyTimeout string = '10m'

@description('Comma-separated error codes of opt-in catalogue entries the engine may act on.')
param optInCodes string = ''

param ledgerPrefix string = 'remediator'

@description('Guest fixes: reviewed scripts run inside VMs through Run Command, approval required. true creates the Run Command role (assigned in apply mode) and lets guestFixCodes through; false leaves REMEDIATION_GUEST_FIX_CODES empty.')
@allowed([ 'true', 'false' ])
param guestFixesEnabled string = 'false'

@description('Comma-separated error codes whose guest fix may be proposed (REMEDIATION_GUEST_FIX_CODES); used only when guestFixesEnabled.')
param guestFixCodes string = ''
@description('Action kinds that wait for a human approval besides those whose module requires it (REMEDIATION_REQUIRE_APPROVAL).')
param requireApproval string = ''

@description('How long a proposal may be approved and executed (REMEDIATION_APPROVAL_TTL).')
param approvalTtl string = '24h'

@description('ARM endpoint the engine calls; empty = the Resource Manager of the cloud this is deployed to.')
param armEndpoint string = ''

@description('Flex Consumption instance size.')
@allowed([ 512, 2048, 4096 ])
param instanceMemoryMB int = 2048

@description('Flex Consumption scale-out ceiling.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Create the Event Grid subscription to eventGridIntake (needs the code deployed: set by the postdeploy hook).')
@allowed([ 'true', 'false' ])
param enableEventSubscription string = 'false'

@description('Also route Azure Backup "Backup Health" metric alerts of the target subscriptions to the app (docs/design.md).')
param routeBackupHealthMetricAlerts bool = false

@description('Comma-separated e-mail addresses told when a VM is escalated or work is dead-lettered (REMEDIATION_ALERT_EMAILS).')
param alertEmails string = ''

// The work queue name is fixed: the queue trigger binds to it at build time.
var queueName = 'remediate-vm'

var csvTargets = empty(trim(targetSubscriptionIdsCsv)) ? [] : map(split(targetSubscriptionIdsCsv, ','), id => trim(id))
var requestedTargets = union(targetSubscriptionIds, filter(csvTargets, id => !empty(id)))
var targets = empty(requestedTargets) ? [ subscription().subscriptionId ] : requestedTargets

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName, application: 'backup-remediator' }
var deploymentContainerName = 'app-package-${take(resourceToken, 7)}'
var identityName = 'id-remediator-${resourceToken}'
var functionAppName = 'func-remediator-${resourceToken}'
var appInsightsName = 'appi-remediator-${resourceToken}'
// Known at deployment start (not a module output), so What-If can predict the resources named from it.
var storageAccountName = 'stremed${resourceToken}'

// Role definition names (GUIDs) are computed here, not read from the roles module's outputs, so
// every resource name below is known when the deployment starts (what-if can predict them).
var readerRoleDefinitionName = guid(tenant().tenantId, 'backup-remediator-reader', environmentName)
var operatorRoleDefinitionName = guid(tenant().tenantId, 'backup-remediator-operator', environmentName)
var guestRoleDefinitionName = guid(tenant().tenantId, 'backup-remediator-guest', environmentName)
var guestFixes = guestFixesEnabled == 'true'

// Ledger tables (lib/ledger/table-ledger.ts names them <prefix><Suffix>); it creates missing ones too.
var ledgerTableSuffixes = [ 'Runs', 'Decisions', 'Writes', 'Attempts', 'Leases', 'Control', 'Events', 'Failures' ]

// Every setting lib/config.ts reads (SETTING_NAMES), always set explicitly so the portal
// shows the effective configuration. test/infra.test.ts checks this list against the code.
var remediationSettings = {
  REMEDIATION_MODE: mode
  REMEDIATION_SUBSCRIPTIONS: join(targets, ',')
  REMEDIATION_RESOURCE_GROUPS: resourceGroups
  REMEDIATION_SCHEDULE: schedule
  REMEDIATION_LOOKBACK: lookback
  REMEDIATION_ALLOWED_ACTIONS: allowedActions
  REMEDIATION_MAX_VMS_PER_RUN: maxVmsPerRun
  REMEDIATION_MAX_WRITES_PER_KIND: maxWritesPerKind
  REMEDIATION_MAX_ATTEMPTS: maxAttempts
  REMEDIATION_ATTEMPT_WINDOW: attemptWindow
  REMEDIATION_COOLDOWN: cooldown
  REMEDIATION_CONCURRENCY: concurrency
  REMEDIATION_KILL_SWITCH: killSwitch
  REMEDIATION_BACKUP_RETENTION_DAYS: backupRetentionDays
  REMEDIATION_INLINE_MAX_VMS: inlineMaxVms
  REMEDIATION_QUEUE: queueName
  REMEDIATION_VERIFY_TIMEOUT: verifyTimeout
  REMEDIATION_OPT_IN_CODES: optInCodes
  // Never set without the role that lets the app run them.
  REMEDIATION_GUEST_FIX_CODES: guestFixes ? guestFixCodes : ''
  REMEDIATION_LEDGER_PREFIX: ledgerPrefix
  REMEDIATION_REQUIRE_APPROVAL: requireApproval
  REMEDIATION_APPROVAL_TTL: approvalTtl
  ARM_ENDPOINT: empty(armEndpoint) ? environment().resourceManager : armEndpoint
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: identityName
    location: location
    tags: tags
  }
}

// The same identity by name: its resource id is known at deployment start, so role assignment
// names derived from it are too (its principal id is only known once it exists).
resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  scope: rg
  name: identityName
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: storageAccountName
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    queueName: queueName
    tableNames: [for s in ledgerTableSuffixes: '${ledgerPrefix}${s}']
    appPrincipalId: identity.outputs.principalId
    appIdentityId: appIdentity.id
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-remediator-${resourceToken}'
    appInsightsName: appInsightsName
    location: location
    tags: tags
    appPrincipalId: identity.outputs.principalId
    appIdentityId: appIdentity.id
  }
}

// The operators' dashboard and the alerts that tell a human when the remediator gives up.
module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    location: location
    tags: tags
    appInsightsName: appInsightsName
  }
  // The component the workbook reads is created by the monitoring module.
  dependsOn: [ monitoring ]
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    appInsightsId: monitoring.outputs.appInsightsId
    actionGroupName: 'ag-remediator-ops-${resourceToken}'
    escalationRuleName: 'alert-remediation-escalated-${resourceToken}'
    poisonRuleName: 'alert-remediation-poison-${resourceToken}'
    approvalsRuleName: 'alert-remediation-approvals-${resourceToken}'
    alertEmailAddresses: filter(map(split(alertEmails, ','), address => trim(address)), address => !empty(address))
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    planName: 'plan-remediator-${resourceToken}'
    appName: functionAppName
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    appInsightsConnectionString: monitoring.outputs.connectionString
    remediationSettings: remediationSettings
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
  }
}

module events 'modules/events.bicep' = {
  name: 'events'
  scope: rg
  params: {
    location: location
    tags: tags
    actionGroupName: 'ag-remediator-${resourceToken}'
    alertRuleName: 'apr-backup-failures-${resourceToken}'
    topicName: 'evgt-remediator-${resourceToken}'
    functionAppId: functionApp.outputs.id
    functionAppName: functionAppName
    functionAppHostName: functionApp.outputs.defaultHostName
    targetSubscriptionIds: targets
    enableEventSubscription: enableEventSubscription
    // The account exists before this module runs: functionApp, whose outputs it takes, depends on storage.
    storageAccountName: storageAccountName
    routeBackupHealthMetricAlerts: routeBackupHealthMetricAlerts
  }
}

// Role definitions live in this subscription and are assignable only in the targets.
module roles 'modules/remediator-roles.bicep' = {
  name: 'remediator-roles'
  params: {
    environmentName: environmentName
    readerRoleDefinitionName: readerRoleDefinitionName
    operatorRoleDefinitionName: operatorRoleDefinitionName
    targetSubscriptionIds: targets
    guestFixesEnabled: guestFixes
    guestRoleDefinitionName: guestRoleDefinitionName
  }
}

// One assignment per target subscription, at that subscription: never a management group or
// the tenant. dry-run gets the reader role; apply the operator role.
module remediatorAccess 'modules/remediator-role-assignment.bicep' = [for subId in targets: {
  name: 'remediator-access-${uniqueString(subId, environmentName)}'
  scope: subscription(subId)
  dependsOn: [ roles ]
  params: {
    principalId: identity.outputs.principalId
    identityId: appIdentity.id
    roleDefinitionName: mode == 'apply' ? operatorRoleDefinitionName : readerRoleDefinitionName
  }
}]

// The Run Command role, beside the operator role, only when guest fixes are enabled and the app writes.
module remediatorGuestAccess 'modules/remediator-role-assignment.bicep' = [for subId in targets: if (guestFixes && mode == 'apply') {
  name: 'remediator-guest-access-${uniqueString(subId, environmentName)}'
  scope: subscription(subId)
  dependsOn: [ roles ]
  params: {
    principalId: identity.outputs.principalId
    identityId: appIdentity.id
    roleDefinitionName: guestRoleDefinitionName
  }
}]

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_HOST string = functionApp.outputs.defaultHostName
output AZURE_CLIENT_ID string = identity.outputs.clientId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output EVENTGRID_TOPIC_ENDPOINT string = events.outputs.topicEndpoint
output REMEDIATION_MODE string = mode
output REMEDIATION_TARGET_SUBSCRIPTIONS string = join(targets, ',')
