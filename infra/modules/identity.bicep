// The one identity the app uses for everything: storage (host, ledger, queues), App Insights
// and ARM. User-assigned so its roles can be granted before the app exists.
param name string
param location string
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
