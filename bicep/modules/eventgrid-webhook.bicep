// One webhook subscription of the KMS topic (see eventgrid-subscriptions.bicep), in its own module so the endpoint
// URL, which may carry a key, is a secure parameter and stays out of the deployment history.

param topicName string
param name string

@secure()
param endpointUrl string

@description('Event types delivered; empty = all.')
param eventTypes array

@description('Entra ID tenant of the token Event Grid sends; empty = no token.')
param entraTenantId string

@description('Application id or App ID URI the token is issued for; empty = no token.')
param entraAppIdOrUri string

param retryPolicy object
param deadLetter object

resource topic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: topicName
}

resource subscription 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: name
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: endpointUrl
        // One event per request: a subscriber drops one key per call and acknowledges it alone.
        maxEventsPerBatch: 1
        azureActiveDirectoryTenantId: empty(entraTenantId) ? null : entraTenantId
        azureActiveDirectoryApplicationIdOrUri: empty(entraAppIdOrUri) ? null : entraAppIdOrUri
      }
    }
    filter: {
      includedEventTypes: empty(eventTypes) ? null : eventTypes
    }
    retryPolicy: retryPolicy
    deadLetterWithResourceIdentity: deadLetter
  }
}

output name string = subscription.name
