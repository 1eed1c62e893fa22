// Assigns one of the remediator roles to the app's identity in ONE target subscription.
// main.bicep deploys this once per target subscription with `scope: subscription(id)`: the
// identity never holds a role above the subscriptions the operator listed.
targetScope = 'subscription'

@description('Object (principal) id of the user-assigned managed identity.')
param principalId string

@description('Resource id of that identity: names the assignment (known at deployment start, unlike the principal id).')
param identityId string

@description('Name (GUID) of the custom role definition to assign.')
param roleDefinitionName string

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, identityId, roleDefinitionName)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionName)
  }
}

output roleAssignmentId string = assignment.id
