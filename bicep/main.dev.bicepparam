// Dev environment: smallest plan, one warm instance, LRS storage, alerts without e-mail. The HSM PIN is not here:
// set it in Key Vault after the first deployment (docs/deploy-azure.md).
using 'main.bicep'

param environmentName = 'dev'
param planSku = 'EP1'
param minimumInstances = 1
param maximumInstances = 3
param storageSku = 'Standard_LRS'
param imageName = 'kms-functions:dev'

// The Application (client) ID of the KMS app registration in the dev tenant (docs/deploy-azure.md: v2.0 tokens carry
// it as aud). Replace before deploying.
param audience = '00000000-0000-0000-0000-000000000000'

// Where the Dockerfile installs the vendor library (HSM_LIBRARY_PATH build argument) and the token to use.
param hsmLibraryPath = '/opt/hsm/lib/libpkcs11.so'
param hsmTokenLabel = 'kms-dev'
param hsmRootKeyLabel = 'kms-root-1'

// Dev keys may be deleted without the 7-day wait; two approvers still guard destruction.
param minDeletionWaitingDays = 0
param requiredApprovals = 2

// Revocation subscribers, e.g.
//   subscribers: [
//     {
//       name: 'orders-service'
//       endpointUrl: 'https://orders-dev.example.com/kms/revocations'
//       eventTypes: [ 'Kms.KeyVersionRevoked', 'Kms.KeyDisabled', 'Kms.KeyVersionDisabled', 'Kms.KeyDestroyed' ]
//       entraTenantId: '<tenant id>'
//       entraAppIdOrUri: 'api://orders-dev'
//     }
//   ]
param revocationWebhooks = {
  subscribers: []
}
param siemEventTypes = []

param logRetentionDays = 30
param keyVaultSoftDeleteDays = 7
param alertEmail = ''
param tags = {
  costCenter: 'platform-dev'
}
