// The KMS Functions app: Linux, Elastic Premium plan (pre-warmed instances, so the outbox dispatcher and the HSM
// sessions stay up, and VNet integration is available for a network-attached HSM), custom container image that
// carries the HSM vendor's PKCS#11 client library (src/Kms.Functions/Dockerfile).
// Every setting the code reads is here (the Kms__Section__Key spelling of Kms:Section:Key); secrets come from Key
// Vault references resolved with the app's user-assigned identity, and every Azure client authenticates with that
// identity (AZURE_CLIENT_ID names it to DefaultAzureCredential; the host's own storage uses the __credential form).

param location string
param planName string
param functionAppName string

@description('Plan SKU: EP1, EP2 or EP3 (Elastic Premium).')
@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param planSku string

@description('Instances kept warm (also the minimum instance count).')
@minValue(1)
@maxValue(10)
param minimumInstances int

@description('Most instances the plan scales out to.')
@minValue(1)
@maxValue(100)
param maximumInstances int

@description('Image reference, e.g. myregistry.azurecr.io/kms-functions:1.0.0.')
param image string

param appIdentityId string
param appClientId string
param storageAccountName string
param tableEndpoint string
param appInsightsConnectionString string
param topicEndpoint string
param hsmPinSecretUri string

@description('Settings of the KMS itself: see main.bicep (kms* parameters).')
param kms object

@description('Extra app settings (name → value), e.g. Kms__MaxBatchItems or Kms__Rewrap__Accounts__archive__TableEndpoint; they win over the ones here.')
param extraSettings object

param tags object

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'elastic'
  sku: {
    name: planSku
    tier: 'ElasticPremium'
  }
  properties: {
    reserved: true // Linux
    maximumElasticWorkerCount: maximumInstances
  }
}

var baseSettings = {
  // --- Functions host ---
  FUNCTIONS_EXTENSION_VERSION: '~4'
  FUNCTIONS_WORKER_RUNTIME: 'dotnet-isolated'
  // The image holds the app; no content share (which would need a storage key).
  WEBSITES_ENABLE_APP_SERVICE_STORAGE: 'false'
  // Host storage and the Durable Task hub (Azure Storage provider) with the managed identity, no connection string.
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: appClientId
  // Telemetry with Entra ID auth (the component has local auth off).
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${appClientId}'
  // DefaultAzureCredential (Tables, Blobs, Event Grid in the KMS code) picks the user-assigned identity by this id.
  AZURE_CLIENT_ID: appClientId

  // --- Kms: limits (Kms.Core KmsOptions) ---
  Kms__RequiredApprovals: string(kms.requiredApprovals)
  Kms__MinDeletionWaitingDays: string(kms.minDeletionWaitingDays)

  // --- Kms:Auth (Kms.Api KmsAuthOptions): Entra ID bearer tokens ---
  Kms__Auth__Mode: 'EntraId'
  Kms__Auth__Audience: kms.audience
  Kms__Auth__EntraId__TenantId: kms.tenantId
  Kms__Auth__EntraId__Instance: environment().authentication.loginEndpoint
  // oid: the object id of the user or service principal, stable and unique in the tenant.
  Kms__Auth__PrincipalClaim: 'oid'
  Kms__Auth__RolesClaim: 'roles'

  // --- Kms:Hsm (Kms.Hsm.Pkcs11 Pkcs11HsmOptions) ---
  Kms__Hsm__LibraryPath: kms.hsmLibraryPath
  Kms__Hsm__TokenLabel: kms.hsmTokenLabel
  Kms__Hsm__UserPin: '@Microsoft.KeyVault(SecretUri=${hsmPinSecretUri})'
  Kms__Hsm__RootKeyLabel: kms.hsmRootKeyLabel

  // --- Kms:Storage (Kms.Storage.Tables TableStorageOptions): endpoint + managed identity, no connection string ---
  Kms__Storage__TableEndpoint: tableEndpoint
  Kms__Storage__TablePrefix: kms.tablePrefix

  // --- Kms:Events (KmsEventOptions, Kms.Events.EventGrid EventGridOptions): no topic key, identity instead ---
  Kms__Events__Enabled: 'true'
  Kms__Events__TopicEndpoint: topicEndpoint
  Kms__Events__Source: kms.eventSource
  Kms__Events__PublishAuditRecords: string(kms.publishAuditRecords)
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: tags
  kind: 'functionapp,linux,container'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${appIdentityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    // Key Vault references resolve with the user-assigned identity (the default would be a system identity).
    keyVaultReferenceIdentity: appIdentityId
    siteConfig: {
      linuxFxVersion: 'DOCKER|${image}'
      acrUseManagedIdentityCreds: true
      acrUserManagedIdentityID: appClientId
      minimumElasticInstanceCount: minimumInstances
      preWarmedInstanceCount: minimumInstances
      functionsRuntimeScaleMonitoringEnabled: false
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      healthCheckPath: '/api/health'
      appSettings: [for setting in items(union(baseSettings, extraSettings)): {
        name: setting.key
        value: setting.value
      }]
    }
  }
}

resource basicPublishingFtp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource basicPublishingScm 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output functionAppId string = site.id
output functionAppName string = site.name
output defaultHostName string = site.properties.defaultHostName
