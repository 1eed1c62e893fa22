// Someone is told when the remediator gives up or waits for them: log alert rules over the app's
// Application Insights on escalated failed jobs, on messages parked in the poison queue and on
// proposals waiting for a human's approval (lib/approvals), sent to an action
// group that e-mails the operators given as a parameter. The queries read the log records of
// lib/telemetry.ts and lib/service.ts; test/workbook.test.ts checks them against the code.
param location string
param tags object = {}

@description('Resource id of the Application Insights component the rules query.')
param appInsightsId string

param actionGroupName string
param escalationRuleName string
param poisonRuleName string
param approvalsRuleName string

@description('E-mail addresses told about escalations and dead-lettered work; empty = the alerts fire into the portal only.')
param alertEmailAddresses array = []

resource operators 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'bkrem-ops'
    enabled: true
    emailReceivers: [for (address, i) in alertEmailAddresses: {
      name: 'operator-${i}'
      emailAddress: address
      useCommonAlertSchema: true
    }]
  }
}

resource escalations 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: escalationRuleName
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Backup remediation escalated a VM'
    description: 'A failed backup job the remediator could not fix (a write failed, or the verifying backup failed again): a human must look. One alert per VM, with its error code and next step.'
    severity: 2
    enabled: true
    scopes: [ appInsightsId ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: '''
traces
| where message == "item outcome"
| where tostring(customDimensions.outcome) == "escalated"
| extend vmId = tostring(customDimensions.vmId), errorCode = tostring(customDimensions.errorCode), nextStep = tostring(customDimensions.nextStep), runId = tostring(customDimensions.runId)
| project timestamp, vmId, errorCode, nextStep, runId
'''
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            {
              name: 'vmId'
              operator: 'Include'
              values: [ '*' ]
            }
          ]
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: false
    actions: {
      actionGroups: [ operators.id ]
    }
  }
}

resource poison 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: poisonRuleName
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Backup remediation dead-lettered work'
    description: 'A work item reached the poison queue (it kept failing, or was malformed): it will not be retried. The ledger holds the message.'
    severity: 2
    enabled: true
    scopes: [ appInsightsId ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: '''
traces
| where message == "poison message recorded"
'''
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: false
    actions: {
      actionGroups: [ operators.id ]
    }
  }
}

// Every run logs one "approval pending" record per proposal still waiting (lib/telemetry.ts), so the
// rule fires while a proposal waits, once per VM, until someone approves or rejects it or it expires.
resource approvals 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: approvalsRuleName
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Backup remediation waits for an approval'
    description: 'A fix that requires a human approval (a guest fix, or a kind in REMEDIATION_REQUIRE_APPROVAL) is proposed and waits: approve or reject it with `backup-remediator approvals approve|reject <id>` or POST /api/approvals/{id}. Unanswered, it expires (REMEDIATION_APPROVAL_TTL).'
    severity: 3
    enabled: true
    scopes: [ appInsightsId ]
    evaluationFrequency: 'PT30M'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: '''
traces
| where message == "approval pending"
| extend vmId = tostring(customDimensions.vmId), action = tostring(customDimensions.action), proposalId = tostring(customDimensions.proposalId), expiresAt = tostring(customDimensions.expiresAt)
| project timestamp, vmId, action, proposalId, expiresAt
'''
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            {
              name: 'vmId'
              operator: 'Include'
              values: [ '*' ]
            }
          ]
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: false
    actions: {
      actionGroups: [ operators.id ]
    }
  }
}

output actionGroupId string = operators.id
