// The user-assigned managed identities: one for the Functions app (storage, topic, Key Vault, App Insights, ACR),
// one for Event Grid's deliveries to the SIEM queue and its dead-letter container. Two identities keep each
// holder to its own roles: the app cannot write the dead-letter container, the topic cannot read key state.

@description('Azure region.')
param location string

@description('Name of the Functions app identity.')
param appIdentityName string

@description('Name of the Event Grid delivery identity.')
param deliveryIdentityName string

param tags object

resource app 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: appIdentityName
  location: location
  tags: tags
}

resource delivery 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: deliveryIdentityName
  location: location
  tags: tags
}

output appIdentityId string = app.id
output appClientId string = app.properties.clientId
output appPrincipalId string = app.properties.principalId
output deliveryIdentityId string = delivery.id
output deliveryPrincipalId string = delivery.properties.principalId
