// How failures reach the app between timer runs. Built-in Azure Backup alerts (job failures)
// are routed by an alert processing rule to an action group whose Azure Function receiver
// calls `alertWebhook`; other publishers post to an Event Grid custom topic delivered to
// `eventGridIntake`. Both are hints: the app re-reads the job from ARM before acting.
param location string
param tags object = {}
param actionGroupName string
param alertRuleName string
param topicName string

param functionAppId string
param functionAppName string
param functionAppHostName string

@description('Subscriptions whose Azure Backup alerts are routed to the app.')
param targetSubscriptionIds array

@description('The app\'s storage account (same resource group): undeliverable events are dead-lettered to a container there.')
param storageAccountName string

@description('Action group that hears about dead-lettered events (operators); empty = the alert fires without notifying.')
param operatorActionGroupId string = ''

@description('Also route Azure Backup "Backup Health" metric alerts (vault platform metrics) to the app\'s action group.')
param routeBackupHealthMetricAlerts bool = false

@description('Event Grid validates that the target function exists, so the subscription is created after the code is deployed (azure.yaml postdeploy hook).')
@allowed([ 'true', 'false' ])
param enableEventSubscription string = 'false'

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'bkremediate'
    enabled: true
    azureFunctionReceivers: [
      {
        name: 'remediator-alert-intake'
        functionAppResourceId: functionAppId
        functionName: 'alertWebhook'
        // No key in the URL: the action group fetches the function key through the app's
        // resource id when it calls the receiver.
        httpTriggerUrl: 'https://${functionAppHostName}/api/alerts'
        useCommonAlertSchema: true
      }
    ]
  }
}

resource backupFailureRouting 'Microsoft.AlertsManagement/actionRules@2021-08-08' = {
  name: alertRuleName
  location: 'Global'
  tags: tags
  properties: {
    description: 'Routes Azure Backup "Backup Failure" alerts of the target subscriptions to the backup remediator.'
    enabled: true
    scopes: [for id in targetSubscriptionIds: '/subscriptions/${id}']
    conditions: [
      {
        field: 'MonitorService'
        operator: 'Equals'
        values: [ 'Azure Backup' ]
      }
      {
        field: 'AlertRuleName'
        operator: 'Equals'
        values: [ 'Backup Failure' ]
      }
    ]
    actions: [
      {
        actionType: 'AddActionGroups'
        actionGroupIds: [ actionGroup.id ]
      }
    ]
  }
}

// Metric alert rules on a vault's Backup Health Events metric (monitoringService "Platform") name the
// VM in their dataSourceURL dimension; the app understands them (docs/design.md, alert shapes).
resource backupHealthRouting 'Microsoft.AlertsManagement/actionRules@2021-08-08' = if (routeBackupHealthMetricAlerts) {
  name: '${alertRuleName}-health'
  location: 'Global'
  tags: tags
  properties: {
    description: 'Routes Backup Health metric alerts of Recovery Services vaults of the target subscriptions to the backup remediator.'
    enabled: true
    scopes: [for id in targetSubscriptionIds: '/subscriptions/${id}']
    conditions: [
      {
        field: 'MonitorService'
        operator: 'Equals'
        values: [ 'Platform' ]
      }
      {
        field: 'TargetResourceType'
        operator: 'Equals'
        values: [ 'microsoft.recoveryservices/vaults' ]
      }
    ]
    actions: [
      {
        actionType: 'AddActionGroups'
        actionGroupIds: [ actionGroup.id ]
      }
    ]
  }
}

resource topic 'Microsoft.EventGrid/topics@2022-06-15' = {
  name: topicName
  location: location
  tags: tags
  // Its own identity writes dead-lettered events to blob storage (shared keys are off on the account).
  identity: { type: 'SystemAssigned' }
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    // Publishers authenticate with Entra (EventGrid Data Sender role), not topic keys.
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource functionAppSite 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource intakeFunction 'Microsoft.Web/sites/functions@2024-04-01' existing = {
  parent: functionAppSite
  name: 'eventGridIntake'
}

resource intake 'Microsoft.EventGrid/topics/eventSubscriptions@2022-06-15' = if (enableEventSubscription == 'true') {
  parent: topic
  name: 'remediator-intake'
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: intakeFunction.id
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    retryPolicy: {
      maxDeliveryAttempts: 10
      eventTimeToLiveInMinutes: 1440
    }
    // An event the app could not take (its own or Azure's fault: bad input is acknowledged and
    // recorded) is kept, not lost, once the retries are spent.
    deadLetterWithResourceIdentity: {
      identity: { type: 'SystemAssigned' }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storage.id
          blobContainerName: deadLetterContainer.name
        }
      }
    }
  }
  dependsOn: [ deadLetterWriter ]
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: 'eventgrid-deadletter'
  properties: { publicAccess: 'None' }
}

// Storage Blob Data Contributor for the topic's identity, on the dead-letter container only.
var blobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetterContainer.id, topic.id, blobDataContributor)
  scope: deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributor)
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// Anything dead-lettered means an event was not acted on: an operator should look.
resource deadLetterAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${topicName}-dead-lettered'
  location: 'global'
  tags: tags
  properties: {
    description: 'Events to the backup remediator were dead-lettered (see the eventgrid-deadletter container).'
    severity: 2
    enabled: true
    scopes: [ topic.id ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'dead-lettered'
          metricNamespace: 'Microsoft.EventGrid/topics'
          metricName: 'DeadLetteredCount'
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Total'
        }
      ]
    }
    actions: empty(operatorActionGroupId) ? [] : [ { actionGroupId: operatorActionGroupId } ]
  }
}

output actionGroupId string = actionGroup.id
output topicId string = topic.id
output topicEndpoint string = topic.properties.endpoint
