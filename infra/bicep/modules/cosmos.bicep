// Cosmos DB (NoSQL): database `enclave`, container `resources` partitioned by project, with the indexing policy
// the app itself uses (src/Storage/Cosmos/indexing-policy.json is the one source of truth).

@description('Azure region.')
param location string

@description('Globally unique account name.')
param name string

@description('Serverless (pay per request) or Autoscale (provisioned, scales between 10% and the maximum).')
@allowed([
  'Serverless'
  'Autoscale'
])
param capacityMode string = 'Serverless'

@description('Autoscale maximum RU/s for the container (Autoscale only).')
@minValue(1000)
param autoscaleMaxThroughput int = 4000

@description('Disable key-based data access: only Entra ID identities with a data role can read or write.')
param disableLocalAuth bool = true

@description('Log Analytics workspace that receives per-partition-key storage and RU statistics.')
param logAnalyticsWorkspaceId string

param databaseName string = 'enclave'
param containerName string = 'resources'
param tags object = {}

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    capabilities: capacityMode == 'Serverless' ? [{ name: 'EnableServerless' }] : []
    disableLocalAuth: disableLocalAuth
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
  }
}

resource container 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = {
  parent: database
  name: containerName
  properties: {
    resource: {
      id: containerName
      partitionKey: {
        paths: [
          '/projectId'
        ]
        kind: 'Hash'
        version: 2
      }
      indexingPolicy: loadJsonContent('../../../src/Storage/Cosmos/indexing-policy.json')
      // TTL on, no default: only documents with their own ttl (logins) expire. Same as CosmosLayout.
      defaultTtl: -1
    }
    options: capacityMode == 'Autoscale' ? { autoscaleSettings: { maxThroughput: autoscaleMaxThroughput } } : {}
  }
}

// One project is one logical partition (20 GB, 10,000 RU/s): these logs show which projects approach the limits.
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: account
  name: 'partition-statistics'
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        category: 'PartitionKeyStatistics'
        enabled: true
      }
      {
        category: 'PartitionKeyRUConsumption'
        enabled: true
      }
      {
        category: 'ControlPlaneRequests'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'Requests'
        enabled: true
      }
    ]
  }
}

output name string = account.name
output id string = account.id
output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
output containerName string = container.name
