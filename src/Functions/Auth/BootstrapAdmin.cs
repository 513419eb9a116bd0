using Enclave.Domain.Tenancy;
using Enclave.Storage.Tenancy;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Auth;

/// <summary>
/// Creates, on first start, the system project (whose members are super admins) and the super-admin client
/// application named in configuration; on later starts it brings the stored secret in line with configuration, and a
/// newly configured client id joins the existing system project. A concurrent start that created them first is no error.
/// </summary>
internal sealed partial class BootstrapAdmin(ITenancyStore store, IOptions<AuthOptions> options, ILogger<BootstrapAdmin> logger) : IHostedService
{
    /// <summary>The id of the system project.</summary>
    public const string SystemProjectId = "system";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var (clientId, secret) = (options.Value.BootstrapClientId, options.Value.BootstrapClientSecret);
        if (string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(secret))
        {
            return;
        }

        var existing = await store.FindClientAsync(clientId, cancellationToken);
        if (existing is null)
        {
            var client = new ClientApplication { Id = clientId, Name = "Super admin", Description = "Created from Auth:BootstrapClientId." };
            var membership = new ProjectMembership
            {
                Id = Guid.NewGuid().ToString("N"),
                Project = Reference.To(nameof(Project), SystemProjectId),
                User = Reference.To(nameof(ClientApplication), clientId),
                Profile = Reference.To(nameof(ClientApplication), clientId),
                Admin = true,
            };
            var credentials = new ClientCredentials(SystemProjectId, client, membership.Id, ClientSecrets.Hash(secret));
            try
            {
                // A changed Auth:BootstrapClientId joins the existing system project instead of creating it again.
                if (await store.GetProjectAsync(SystemProjectId, cancellationToken) is null)
                {
                    var project = new Project { Id = SystemProjectId, Name = "System", SuperAdmin = true, Owner = membership.User };
                    await store.CreateProjectAsync(project, credentials, membership, cancellationToken);
                }
                else
                {
                    await store.CreateClientAsync(credentials, membership, cancellationToken);
                }

                LogCreated(logger, clientId);
            }
            catch (TenancyConflictException)
            {
                // Another instance starting at the same time created it first; the next start aligns the secret.
                LogCreatedElsewhere(logger, clientId);
            }
        }
        else if (!ClientSecrets.Matches(secret, existing.SecretHash))
        {
            await store.UpdateClientSecretAsync(existing with { SecretHash = ClientSecrets.Hash(secret) }, cancellationToken);
            LogSecretChanged(logger, clientId);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Created super-admin client {ClientId} in the system project.")]
    private static partial void LogCreated(ILogger logger, string clientId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Another instance created super-admin client {ClientId} at the same time.")]
    private static partial void LogCreatedElsewhere(ILogger logger, string clientId);

    [LoggerMessage(Level = LogLevel.Information, Message = "The configured secret of super-admin client {ClientId} changed; stored its hash.")]
    private static partial void LogSecretChanged(ILogger logger, string clientId);
}
