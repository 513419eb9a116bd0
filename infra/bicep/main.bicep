// Enclave on Azure: Function App (.NET 10 isolated worker), Cosmos DB, Storage, Key Vault, monitoring, and the managed
// identity's data-plane roles. Deploy into a resource group:
//   az deployment group create -g <rg> -f infra/bicep/main.bicep -p infra/bicep/main.<env>.bicepparam
targetScope = 'resourceGroup'

@description('Environment name, part of every resource name.')
@allowed([
  'dev'
  'prod'
])
param environmentName string

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Short product prefix of resource names.')
@minLength(2)
@maxLength(10)
param prefix string = 'enclave'

@description('Cosmos DB capacity: Serverless or Autoscale.')
@allowed([
  'Serverless'
  'Autoscale'
])
param cosmosCapacityMode string = 'Serverless'

@description('Autoscale maximum RU/s (Autoscale only).')
@minValue(1000)
param cosmosAutoscaleMaxThroughput int = 4000

@description('Disable key-based Cosmos DB data access (Entra ID only). True in production.')
param cosmosDisableLocalAuth bool = true

@description('FlexConsumption (default) or ElasticPremium for steady latency.')
@allowed([
  'FlexConsumption'
  'ElasticPremium'
])
param hostingPlan string = 'FlexConsumption'

@description('Elastic Premium SKU (ElasticPremium only).')
@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param elasticPremiumSku string = 'EP1'

@description('Most Function App instances.')
@minValue(1)
param maximumInstanceCount int = 100

@description('Key Vault purge protection. True in production.')
param keyVaultPurgeProtection bool = true

@description('Days a Bulk Data export\'s manifest and files stay downloadable (Export__Retention); the files are deleted a day later.')
@minValue(1)
@maxValue(30)
param exportRetentionDays int = 1

@description('Tags on every resource.')
param tags object = {}

var namePrefix = '${prefix}-${environmentName}'
// Storage accounts, vaults and Cosmos accounts need globally unique names.
var suffix = substring(uniqueString(resourceGroup().id, prefix, environmentName), 0, 8)
var compactPrefix = toLower(replace(prefix, '-', ''))
var databaseName = 'enclave'
var containerName = 'resources'
var exportContainerName = 'exports'
var exportQueueName = 'export-jobs'
var deploymentContainerName = 'app-package'
var allTags = union(tags, { application: 'enclave', environment: environmentName })

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    namePrefix: namePrefix
    tags: allTags
  }
}

module hostStorage 'modules/storage.bicep' = {
  name: 'host-storage'
  params: {
    location: location
    name: take('${compactPrefix}host${suffix}', 24)
    containerNames: [deploymentContainerName]
    allowSharedKeyAccess: hostingPlan == 'ElasticPremium'
    tags: allTags
  }
}

module dataStorage 'modules/storage.bicep' = {
  name: 'data-storage'
  params: {
    location: location
    name: take('${compactPrefix}data${suffix}', 24)
    containerNames: [exportContainerName]
    queueNames: [exportQueueName, '${exportQueueName}-poison']
    expiringContainerName: exportContainerName
    deleteAfterDays: exportRetentionDays + 1
    tags: allTags
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    location: location
    name: '${namePrefix}-cosmos-${suffix}'
    capacityMode: cosmosCapacityMode
    autoscaleMaxThroughput: cosmosAutoscaleMaxThroughput
    disableLocalAuth: cosmosDisableLocalAuth
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
    databaseName: databaseName
    containerName: containerName
    tags: allTags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'key-vault'
  params: {
    location: location
    name: take('${compactPrefix}kv${suffix}', 24)
    enablePurgeProtection: keyVaultPurgeProtection
    tags: allTags
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'function-app'
  params: {
    location: location
    namePrefix: namePrefix
    hostingPlan: hostingPlan
    elasticPremiumSku: elasticPremiumSku
    maximumInstanceCount: maximumInstanceCount
    hostStorageAccountName: hostStorage.outputs.name
    hostStorageBlobEndpoint: hostStorage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    // Enclave's own settings: endpoints only, never keys. The app signs in with its managed identity.
    enclaveSettings: {
      Cosmos__Endpoint: cosmos.outputs.endpoint
      Cosmos__DatabaseName: databaseName
      Cosmos__ContainerName: containerName
      Storage__BlobServiceUri: dataStorage.outputs.blobEndpoint
      Storage__QueueServiceUri: dataStorage.outputs.queueEndpoint
      Storage__ExportContainerName: exportContainerName
      Storage__ExportQueueName: exportQueueName
      Export__Retention: '${exportRetentionDays}.00:00:00'
      // The queue trigger's identity-based connection ([QueueTrigger(Connection = "EnclaveStorage")] in ExportJobFunctions).
      EnclaveStorage__queueServiceUri: dataStorage.outputs.queueEndpoint
      SigningKeys__KeyVaultUri: keyVault.outputs.uri
    }
    tags: allTags
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: functionApp.outputs.principalId
    hostStorageAccountName: hostStorage.outputs.name
    dataStorageAccountName: dataStorage.outputs.name
    cosmosAccountName: cosmos.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

@description('Base URL of Enclave\'s API (FHIR base is <apiBaseUrl>/fhir/R4).')
output apiBaseUrl string = 'https://${functionApp.outputs.defaultHostName}/api'
output functionAppName string = functionApp.outputs.name
output cosmosAccountName string = cosmos.outputs.name
output cosmosEndpoint string = cosmos.outputs.endpoint
output hostStorageAccountName string = hostStorage.outputs.name
output dataStorageAccountName string = dataStorage.outputs.name
output deploymentContainerName string = deploymentContainerName
output keyVaultName string = keyVault.outputs.name
output keyVaultUri string = keyVault.outputs.uri
output appInsightsName string = monitoring.outputs.appInsightsName
output logAnalyticsWorkspaceName string = monitoring.outputs.workspaceName
