// The operators' dashboard: an Azure Monitor workbook over the app's Application Insights. Its
// panels (runs over time, failures by error code, fixes applied by kind, resolved vs escalated,
// VMs escalated with their next step, pending approvals) query the OpenTelemetry log records the
// app emits (lib/telemetry.ts); test/workbook.test.ts checks the queries against those names.
param location string
param tags object = {}

@description('Resource id of the Application Insights component the workbook reads.')
param appInsightsId string

@description('Display name shown in the portal.')
param displayName string = 'Backup remediation'

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name must be a GUID; stable per component so redeploying updates it.
  name: guid(appInsightsId, 'backup-remediation-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: appInsightsId
    serializedData: loadTextContent('remediation-workbook.json')
    version: '1.0'
  }
}

output workbookId string = workbook.id
