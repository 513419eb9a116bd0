// The Linux Function App that runs Enclave on the .NET 10 isolated worker: Flex Consumption by default, Elastic Premium
// for steady latency. System-assigned identity, HTTPS only, identity-based host storage.

@description('Azure region.')
param location string

@description('Prefix of every resource name, e.g. enclave-dev.')
param namePrefix string

@description('FlexConsumption (scale to zero, identity-only deployment) or ElasticPremium (pre-warmed instances).')
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

@description('Most instances the app scales out to.')
@minValue(1)
param maximumInstanceCount int = 100

@description('Memory per instance on Flex Consumption.')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Name of the Functions host storage account (AzureWebJobsStorage).')
param hostStorageAccountName string

@description('Blob endpoint of the host storage account.')
param hostStorageBlobEndpoint string

@description('Blob container the Flex Consumption deployment package is read from.')
param deploymentContainerName string

@description('Enclave settings (name → value) added to the app settings.')
param enclaveSettings object

@description('Application Insights connection string.')
param appInsightsConnectionString string

param tags object = {}

var isFlex = hostingPlan == 'FlexConsumption'

resource hostStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: hostStorageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${namePrefix}-plan'
  location: location
  tags: tags
  kind: isFlex ? 'functionapp' : 'elastic'
  sku: isFlex
    ? {
        name: 'FC1'
        tier: 'FlexConsumption'
      }
    : {
        name: elasticPremiumSku
        tier: 'ElasticPremium'
      }
  properties: {
    reserved: true
    maximumElasticWorkerCount: isFlex ? null : maximumInstanceCount
  }
}

// Settings every plan needs. Host storage is identity-based: no connection string, no key.
var commonSettings = {
  AzureWebJobsStorage__accountName: hostStorageAccountName
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
  ASPNETCORE_ENVIRONMENT: 'Production'
}

// Flex Consumption sets the runtime in functionAppConfig and refuses these as app settings. Elastic Premium
// still mounts its content from an Azure Files share, which only takes an account key.
var elasticPremiumSettings = isFlex
  ? {}
  : {
      FUNCTIONS_EXTENSION_VERSION: '~4'
      FUNCTIONS_WORKER_RUNTIME: 'dotnet-isolated'
      WEBSITE_CONTENTSHARE: toLower('${namePrefix}-content')
      WEBSITE_RUN_FROM_PACKAGE: '1'
    }

var settings = union(commonSettings, elasticPremiumSettings, enclaveSettings)

var settingList = [for setting in items(settings): { name: setting.key, value: string(setting.value) }]

// Computed at deployment time (listKeys), so kept out of the settings loop.
var contentShareSettings = isFlex
  ? []
  : [
      {
        name: 'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING'
        value: 'DefaultEndpointsProtocol=https;AccountName=${hostStorage.name};EndpointSuffix=${environment().suffixes.storage};AccountKey=${hostStorage.listKeys().keys[0].value}'
      }
    ]

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: '${namePrefix}-api'
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    functionAppConfig: isFlex
      ? {
          deployment: {
            storage: {
              type: 'blobContainer'
              value: '${hostStorageBlobEndpoint}${deploymentContainerName}'
              authentication: {
                type: 'SystemAssignedIdentity'
              }
            }
          }
          scaleAndConcurrency: {
            maximumInstanceCount: maximumInstanceCount
            instanceMemoryMB: instanceMemoryMB
          }
          runtime: {
            name: 'dotnet-isolated'
            version: '10.0'
          }
        }
      : null
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: concat(settingList, contentShareSettings)
    }
  }
}

output name string = site.name
output id string = site.id
output principalId string = site.identity.principalId
output defaultHostName string = site.properties.defaultHostName
