// Log Analytics workspace and workspace-based Application Insights for the Function App.

@description('Azure region.')
param location string

@description('Prefix of every resource name, e.g. enclave-dev.')
param namePrefix string

@description('Days Log Analytics keeps data.')
@minValue(30)
param retentionInDays int = 30

param tags object = {}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-insights'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    // Telemetry is accepted only from identities with Monitoring Metrics Publisher.
    DisableLocalAuth: true
  }
}

output appInsightsName string = appInsights.name
output appInsightsId string = appInsights.id
output appInsightsConnectionString string = appInsights.properties.ConnectionString
output workspaceName string = workspace.name
output workspaceId string = workspace.id
