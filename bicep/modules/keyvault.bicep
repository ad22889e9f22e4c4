// Key Vault for the HSM user PIN and other secrets of the app. RBAC mode (no access policies), soft delete and
// purge protection on: a deleted vault or secret can be recovered for softDeleteRetentionDays and cannot be purged
// before, so a mistaken or malicious delete cannot lock the KMS out of its HSM.

param location string

@minLength(3)
@maxLength(24)
param keyVaultName string

@description('Days a deleted vault or secret stays recoverable (and its name reserved). Cannot be changed later.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionDays int

@description('Name of the secret holding the PIN of the HSM token\'s user (CKU_USER).')
param hsmPinSecretName string

@description('The HSM user PIN. Leave empty to set the secret out of band (az keyvault secret set), which keeps the PIN out of deployment inputs.')
@secure()
param hsmUserPin string

param tags object

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionDays
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForTemplateDeployment: false
    enabledForDiskEncryption: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource hsmPin 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(hsmUserPin)) {
  parent: vault
  name: hsmPinSecretName
  properties: {
    value: hsmUserPin
    contentType: 'text/plain; HSM CKU_USER PIN'
  }
}

output keyVaultId string = vault.id
output keyVaultName string = vault.name
output vaultUri string = vault.properties.vaultUri
// The versionless secret URI: the app always resolves the newest version, so a PIN change needs only a restart.
output hsmPinSecretUri string = '${vault.properties.vaultUri}secrets/${hsmPinSecretName}'
