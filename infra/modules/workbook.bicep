// The operators' dashboard: an Azure Monitor workbook over the app's Application Insights. Its
// panels (runs over time, failures by error code, fixes applied by kind, resolved vs escalated,
// VMs escalated with their next step, pending approvals) query the OpenTelemetry log records the
// app emits (lib/telemetry.ts); test/workbook.test.ts checks the queries against those names.
param location string
param tags object = {}

@description('Name of the Application Insights component (this resource group) the workbook reads.')
param appInsightsName string

@description('Display name shown in the portal.')
param displayName string = 'Backup remediation'

// Named, not taken from a module output: its id is then known at deployment start (What-If).
resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name must be a GUID; stable per component so redeploying updates it.
  name: guid(appInsights.id, 'backup-remediation-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: appInsights.id
    serializedData: loadTextContent('remediation-workbook.json')
    version: '1.0'
  }
}

output workbookId string = workbook.id
