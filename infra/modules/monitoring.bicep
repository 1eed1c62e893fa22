// Application Insights over a Log Analytics workspace. Local (key) auth is disabled: the app
// sends telemetry with its managed identity (Monitoring Metrics Publisher below).
param logAnalyticsName string
param appInsightsName string
param location string
param tags object = {}

@description('Principal id of the app identity.')
param appPrincipalId string

@description('Resource id of the app identity: names its role assignments (known at deployment start).')
param appIdentityId string

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appIdentityId, monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
  }
}

output appInsightsId string = appInsights.id
output appInsightsName string = appInsights.name
// The connection string carries the instrumentation key and ingestion endpoint, not a secret:
// with DisableLocalAuth only Entra-authenticated telemetry is accepted.
output connectionString string = appInsights.properties.ConnectionString
output workspaceId string = workspace.id
