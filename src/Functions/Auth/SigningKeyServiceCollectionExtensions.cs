using Azure.Core;
using Azure.Security.KeyVault.Secrets;
using Enclave.Storage.Keys;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Auth;

/// <summary>Composition of the token signing keys.</summary>
public static class SigningKeyServiceCollectionExtensions
{
    /// <summary>
    /// Registers the signing keys from the <c>SigningKeys</c> section: Key Vault when <c>KeyVaultUri</c> is set,
    /// else the development key file; with neither the handler refuses to start.
    /// </summary>
    public static IServiceCollection AddEnclaveSigningKeys(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SigningKeyOptions>()
            .Bind(configuration.GetSection(SigningKeyOptions.SectionName))
            .Validate(o => o.KeyVaultUri is not null || !string.IsNullOrWhiteSpace(o.LocalKeyFile),
                "Set SigningKeys:KeyVaultUri (Azure) or SigningKeys:LocalKeyFile (development): Enclave cannot sign tokens without a key.")
            .Validate(o => o.RefreshInterval > TimeSpan.Zero, "SigningKeys:RefreshInterval must be positive.")
            .ValidateOnStart();
        services.AddSingleton<ISigningKeySource>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<SigningKeyOptions>>().Value;
            var time = sp.GetRequiredService<TimeProvider>();
            if (options.KeyVaultUri is not null)
            {
                return new KeyVaultSigningKeySource(new SecretClient(options.KeyVaultUri, sp.GetRequiredService<TokenCredential>()), options, time);
            }

            var path = Path.Combine(sp.GetRequiredService<IHostEnvironment>().ContentRootPath, options.LocalKeyFile!);
            return new LocalFileSigningKeySource(path, time);
        });
        services.AddSingleton<SigningKeys>();
        services.AddHostedService<SigningKeyRefresher>();
        return services;
    }
}
