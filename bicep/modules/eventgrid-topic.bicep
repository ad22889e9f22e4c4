// The Event Grid custom topic the KMS publishes its lifecycle, revocation and audit events to (CloudEvents 1.0).
// Local (key) auth is off: the app publishes with its managed identity (EventGrid Data Sender). The delivery
// identity is attached so subscriptions can deliver to storage and dead-letter with it (eventgrid-subscriptions.bicep).

param location string
param topicName string

@description('Resource id of the user-assigned identity Event Grid delivers with.')
param deliveryIdentityId string

param tags object

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: topicName
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${deliveryIdentityId}': {}
    }
  }
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    minimumTlsVersionAllowed: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

output topicId string = topic.id
output topicName string = topic.name
// Kms:Events:TopicEndpoint, e.g. https://{topic}.{region}-1.eventgrid.azure.net/api/events.
output endpoint string = topic.properties.endpoint
