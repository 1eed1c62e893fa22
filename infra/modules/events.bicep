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

resource topic 'Microsoft.EventGrid/topics@2022-06-15' = {
  name: topicName
  location: location
  tags: tags
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
  }
}

output actionGroupId string = actionGroup.id
output topicId string = topic.id
output topicEndpoint string = topic.properties.endpoint
