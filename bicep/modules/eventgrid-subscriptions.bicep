// Subscriptions of the KMS topic:
//  - one webhook subscription per revocation subscriber (services that must drop cached keys at once); webhooks
//    get the CloudEvents validation handshake (docs/revocation-subscribers.md) and, optionally, an Entra ID token;
//  - the SIEM feed: every event (or the types chosen) into a storage queue.
// Undeliverable events of both kinds land in the dead-letter container. Storage deliveries and dead-lettering use
// the delivery identity (roles: Queue Data Message Sender on the queue, Blob Data Contributor on the container).

param topicName string
param deliveryIdentityId string
param storageAccountId string
param siemQueueName string
param deadLetterContainerName string

@description('''Webhook subscribers: { subscribers: [{ name, endpointUrl, eventTypes (array, empty = all), entraTenantId?,
entraAppIdOrUri? }] }. Secure because a webhook URL may carry a key (e.g. ?code=); with entraAppIdOrUri Event Grid
sends an Entra ID token for that application instead, so the URL needs no secret.''')
@secure()
param webhooks object

@description('Event types the SIEM queue receives; empty = every event.')
param siemEventTypes array

@description('Attempts before an event is dead-lettered.')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int

@description('Minutes an event is retried before it is dead-lettered.')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int

resource topic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: topicName
}

var deliveryIdentity = {
  type: 'UserAssigned'
  userAssignedIdentity: deliveryIdentityId
}

var deadLetter = {
  identity: deliveryIdentity
  deadLetterDestination: {
    endpointType: 'StorageBlob'
    properties: {
      resourceId: storageAccountId
      blobContainerName: deadLetterContainerName
    }
  }
}

var retryPolicy = {
  maxDeliveryAttempts: maxDeliveryAttempts
  eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
}

module webhookSubscriptions 'eventgrid-webhook.bicep' = [
  for hook in webhooks.?subscribers ?? []: {
    name: 'eventGridWebhook-${hook.name}'
    params: {
      topicName: topic.name
      name: hook.name
      endpointUrl: hook.endpointUrl
      eventTypes: hook.?eventTypes ?? []
      entraTenantId: hook.?entraTenantId ?? ''
      entraAppIdOrUri: hook.?entraAppIdOrUri ?? ''
      retryPolicy: retryPolicy
      deadLetter: deadLetter
    }
  }
]

resource siemSubscription 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'siem-queue'
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    deliveryWithResourceIdentity: {
      identity: deliveryIdentity
      destination: {
        endpointType: 'StorageQueue'
        properties: {
          resourceId: storageAccountId
          queueName: siemQueueName
          // Messages stay until the SIEM collector takes them (-1 = no expiry).
          queueMessageTimeToLiveInSeconds: -1
        }
      }
    }
    filter: {
      includedEventTypes: empty(siemEventTypes) ? null : siemEventTypes
    }
    retryPolicy: retryPolicy
    deadLetterWithResourceIdentity: deadLetter
  }
}

output siemSubscriptionName string = siemSubscription.name
