using 'main.bicep'

// Development: serverless Cosmos DB, Flex Consumption, keys allowed on Cosmos for ad-hoc tooling.
param environmentName = 'dev'
param cosmosCapacityMode = 'Serverless'
param cosmosDisableLocalAuth = false
param hostingPlan = 'FlexConsumption'
param maximumInstanceCount = 40
param keyVaultPurgeProtection = false
