// Key Vault for the token signing keys, with Azure RBAC authorization (no access policies).

@description('Azure region.')
param location string

@description('Globally unique vault name (3-24 characters).')
@minLength(3)
@maxLength(24)
param name string

@description('Purge protection: a deleted vault or key cannot be purged before its retention ends.')
param enablePurgeProtection bool = true

param tags object = {}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
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
    softDeleteRetentionInDays: 90
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri
