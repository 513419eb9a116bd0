using 'main.bicep'

// Production: autoscale Cosmos DB, Entra ID-only data access, purge-protected Key Vault.
param environmentName = 'prod'
param cosmosCapacityMode = 'Autoscale'
param cosmosAutoscaleMaxThroughput = 10000
param cosmosDisableLocalAuth = true
param hostingPlan = 'FlexConsumption'
param maximumInstanceCount = 100
param keyVaultPurgeProtection = true
