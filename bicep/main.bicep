// The KMS in an Azure subscription: one resource group holds the Functions app (Linux, Elastic Premium, custom
// container with the HSM's PKCS#11 client library), its storage account (Tables, Durable Task hub, SIEM queue),
// the Event Grid topic with its subscriptions, Key Vault, Application Insights + Log Analytics, the managed
// identities with their role assignments, and the SLO alerts. Deploy: docs/deploy-azure.md.
//
//   az deployment group create -g <rg> -f bicep/main.bicep -p bicep/main.dev.bicepparam

targetScope = 'resourceGroup'

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Short environment name (dev, test, prod): part of every resource name.')
@minLength(2)
@maxLength(8)
param environmentName string

@description('Base name of the resources.')
@minLength(2)
@maxLength(10)
param baseName string = 'kms'

param tags object = {}

// --- hosting ----------------------------------------------------------------------------------------------------

@description('Elastic Premium plan SKU.')
@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param planSku string = 'EP1'

@description('Instances kept warm (and the minimum count).')
@minValue(1)
@maxValue(10)
param minimumInstances int = 1

@description('Most instances the plan scales out to.')
@minValue(1)
@maxValue(100)
param maximumInstances int = 10

@description('Repository and tag of the image in the registry, e.g. kms-functions:1.0.0 (built with az acr build).')
param imageName string = 'kms-functions:latest'

@description('SKU of the container registry.')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param registrySku string = 'Basic'

@description('Storage redundancy (ZRS or GZRS in production).')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGZRS'
])
param storageSku string = 'Standard_ZRS'

// --- identity (Entra ID) ----------------------------------------------------------------------------------------

@description('Entra ID tenant whose tokens the API accepts.')
param tenantId string = subscription().tenantId

@description('''Audience of API tokens: the Application (client) ID of the KMS app registration. The API accepts Entra ID
v2.0 tokens only (issuer {login}/{tenant}/v2.0), and their aud is the client ID even when the caller asked for the
App ID URI's scope (api://kms-prod/.default).''')
param audience string

// --- HSM --------------------------------------------------------------------------------------------------------

@description('Path of the HSM vendor\'s PKCS#11 library inside the image (the Dockerfile\'s HSM_LIBRARY_PATH).')
param hsmLibraryPath string

@description('Label of the HSM token (partition) holding the root key.')
param hsmTokenLabel string

@description('Label of the current root wrapping key in the token.')
param hsmRootKeyLabel string = 'kms-root-1'

@description('Name of the Key Vault secret holding the token\'s user PIN.')
param hsmPinSecretName string = 'kms-hsm-user-pin'

@description('The HSM user PIN, stored in Key Vault when given. Leave empty and set the secret with az keyvault secret set (recommended).')
@secure()
param hsmUserPin string = ''

// --- KMS behaviour ----------------------------------------------------------------------------------------------

@description('Prefix of the KMS tables.')
param tablePrefix string = 'kms'

@description('Distinct approvers a destructive operation needs (Kms:RequiredApprovals).')
@minValue(1)
param requiredApprovals int = 2

@description('Shortest deletion waiting period in days (Kms:MinDeletionWaitingDays).')
@minValue(0)
@maxValue(30)
param minDeletionWaitingDays int = 7

@description('Publish every audit record as an event (SIEM feed), not only key lifecycle events.')
param publishAuditRecords bool = true

@description('Extra app settings (name → string), e.g. {"Kms__Hsm__MaxSessions": "16"}; they win over the generated ones.')
param extraAppSettings object = {}

// --- events -----------------------------------------------------------------------------------------------------

@description('''Revocation webhook subscribers: { subscribers: [{ name, endpointUrl, eventTypes: [...] (empty = all),
entraTenantId?, entraAppIdOrUri? }] }. Secure because a webhook URL may carry a key; prefer entraAppIdOrUri (Event
Grid then sends an Entra ID token). The endpoint must answer the CloudEvents validation handshake
(docs/revocation-subscribers.md).''')
@secure()
param revocationWebhooks object = {}

@description('Event types the SIEM queue receives; empty = all.')
param siemEventTypes array = []

@description('Delivery attempts before an event is dead-lettered.')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@description('Minutes an event is retried before it is dead-lettered.')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

// --- operations -------------------------------------------------------------------------------------------------

@description('Days Log Analytics keeps logs.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 90

@description('Days a deleted Key Vault stays recoverable (fixed at creation).')
@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteDays int = 90

@description('E-mail of the on-call receiver of alerts; empty = no notification.')
param alertEmail string = ''

@description('Availability SLO as a fraction, e.g. 0.999.')
param availabilityTarget string = '0.999'

@description('Latency alert: average server response time in ms over 5 minutes.')
param responseTimeThresholdMs int = 500

@description('Failed (5xx) requests in 5 minutes that raise an alert.')
param failedRequestsThreshold int = 10

// --- names ------------------------------------------------------------------------------------------------------

var suffix = uniqueString(resourceGroup().id, baseName, environmentName)
var prefix = '${baseName}-${environmentName}'
var names = {
  appIdentity: 'id-${prefix}-app'
  deliveryIdentity: 'id-${prefix}-events'
  workspace: 'log-${prefix}'
  appInsights: 'appi-${prefix}'
  storage: take('st${baseName}${environmentName}${suffix}', 24)
  keyVault: take('kv-${prefix}-${suffix}', 24)
  registry: take('cr${baseName}${environmentName}${suffix}', 50)
  topic: 'evgt-${prefix}'
  plan: 'plan-${prefix}'
  functionApp: 'func-${prefix}-${take(suffix, 6)}'
  siemQueue: 'kms-siem'
  deadLetterContainer: 'eventgrid-deadletter'
}
var allTags = union(tags, {
  product: 'kms'
  environment: environmentName
})

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    location: location
    appIdentityName: names.appIdentity
    deliveryIdentityName: names.deliveryIdentity
    tags: allTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    retentionDays: logRetentionDays
    tags: allTags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    storageAccountName: names.storage
    skuName: storageSku
    siemQueueName: names.siemQueue
    deadLetterContainerName: names.deadLetterContainer
    tags: allTags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyVault'
  params: {
    location: location
    keyVaultName: names.keyVault
    softDeleteRetentionDays: keyVaultSoftDeleteDays
    hsmPinSecretName: hsmPinSecretName
    hsmUserPin: hsmUserPin
    tags: allTags
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  params: {
    location: location
    registryName: names.registry
    skuName: registrySku
    tags: allTags
  }
}

module topic 'modules/eventgrid-topic.bicep' = {
  name: 'eventGridTopic'
  params: {
    location: location
    topicName: names.topic
    deliveryIdentityId: identity.outputs.deliveryIdentityId
    tags: allTags
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    appPrincipalId: identity.outputs.appPrincipalId
    deliveryPrincipalId: identity.outputs.deliveryPrincipalId
    storageAccountName: storage.outputs.storageAccountName
    siemQueueName: storage.outputs.siemQueueName
    deadLetterContainerName: storage.outputs.deadLetterContainerName
    topicName: topic.outputs.topicName
    keyVaultName: keyVault.outputs.keyVaultName
    appInsightsName: monitoring.outputs.appInsightsName
    registryName: registry.outputs.registryName
  }
}

// After the role assignments: Event Grid checks the delivery identity can reach the queue and the container.
module subscriptions 'modules/eventgrid-subscriptions.bicep' = {
  name: 'eventGridSubscriptions'
  dependsOn: [
    roles
  ]
  params: {
    topicName: topic.outputs.topicName
    deliveryIdentityId: identity.outputs.deliveryIdentityId
    storageAccountId: storage.outputs.storageAccountId
    siemQueueName: storage.outputs.siemQueueName
    deadLetterContainerName: storage.outputs.deadLetterContainerName
    webhooks: revocationWebhooks
    siemEventTypes: siemEventTypes
    maxDeliveryAttempts: maxDeliveryAttempts
    eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
  }
}

// After the role assignments, so the first start can pull the image, read the PIN and reach storage.
module functionApp 'modules/functionapp.bicep' = {
  name: 'functionApp'
  dependsOn: [
    roles
  ]
  params: {
    location: location
    planName: names.plan
    functionAppName: names.functionApp
    planSku: planSku
    minimumInstances: minimumInstances
    maximumInstances: maximumInstances
    image: '${registry.outputs.loginServer}/${imageName}'
    appIdentityId: identity.outputs.appIdentityId
    appClientId: identity.outputs.appClientId
    storageAccountName: storage.outputs.storageAccountName
    tableEndpoint: storage.outputs.tableEndpoint
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    topicEndpoint: topic.outputs.endpoint
    hsmPinSecretUri: keyVault.outputs.hsmPinSecretUri
    kms: {
      audience: audience
      tenantId: tenantId
      hsmLibraryPath: hsmLibraryPath
      hsmTokenLabel: hsmTokenLabel
      hsmRootKeyLabel: hsmRootKeyLabel
      tablePrefix: tablePrefix
      requiredApprovals: requiredApprovals
      minDeletionWaitingDays: minDeletionWaitingDays
      publishAuditRecords: publishAuditRecords
      eventSource: '/kms/${environmentName}'
    }
    extraSettings: extraAppSettings
    tags: allTags
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    location: location
    appInsightsId: monitoring.outputs.appInsightsId
    namePrefix: prefix
    alertEmail: alertEmail
    availabilityTarget: availabilityTarget
    responseTimeThresholdMs: responseTimeThresholdMs
    failedRequestsThreshold: failedRequestsThreshold
    tags: allTags
  }
}

output functionAppName string = functionApp.outputs.functionAppName
output apiBaseUrl string = 'https://${functionApp.outputs.defaultHostName}/api'
output registryLoginServer string = registry.outputs.loginServer
output keyVaultName string = keyVault.outputs.keyVaultName
output hsmPinSecretName string = hsmPinSecretName
output topicName string = topic.outputs.topicName
output storageAccountName string = storage.outputs.storageAccountName
output siemQueueName string = storage.outputs.siemQueueName
output appClientId string = identity.outputs.appClientId
