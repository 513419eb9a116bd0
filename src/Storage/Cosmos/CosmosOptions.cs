using System.ComponentModel.DataAnnotations;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Cosmos;

/// <summary>Where Enclave's Cosmos DB container lives and how to reach it (configuration section <c>Cosmos</c>).</summary>
public sealed class CosmosOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Cosmos";

    /// <summary>The account endpoint, e.g. <c>https://myaccount.documents.azure.com:443/</c>.</summary>
    [Required]
    public Uri? Endpoint { get; set; }

    /// <summary>
    /// The account key, for the local emulator only. Without it Enclave signs in with
    /// <c>DefaultAzureCredential</c> (managed identity in Azure).
    /// </summary>
    public string? Key { get; set; }

    /// <summary>The database name.</summary>
    [Required]
    public string DatabaseName { get; set; } = "enclave";

    /// <summary>The container holding every project's resources, partitioned by project.</summary>
    [Required]
    public string ContainerName { get; set; } = "resources";

    /// <summary>Direct (TCP, production default) or Gateway (HTTPS; the only mode the local emulator speaks).</summary>
    public ConnectionMode ConnectionMode { get; set; } = ConnectionMode.Direct;

    /// <summary>Talk only to <see cref="Endpoint"/>, never to the regional endpoints the account advertises (emulator).</summary>
    public bool LimitToEndpoint { get; set; }

    /// <summary>Create the database and container at start-up when they are missing (development).</summary>
    public bool CreateIfNotExists { get; set; }
}
