using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Edge;

/// <summary>Composition of the edge: limits bound from configuration, form and Kestrel limits set from them.</summary>
public static class EdgeServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="EdgeLimitsOptions"/> and applies them to form reading. Kestrel's own limits are set well above
    /// Enclave's, so that a request over an Enclave limit reaches <see cref="EdgeMiddleware"/> and gets an
    /// OperationOutcome instead of Kestrel's bodiless refusal.
    /// </summary>
    public static IServiceCollection AddEnclaveEdge(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EdgeLimitsOptions>()
            .Bind(configuration.GetSection(EdgeLimitsOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<EdgeLimitsOptions>>().Value.Parser);
        services.AddOptions<FormOptions>().Configure<IOptions<EdgeLimitsOptions>>((form, limits) =>
        {
            form.ValueCountLimit = limits.Value.MaxFormFields;
            form.ValueLengthLimit = limits.Value.MaxFormValueBytes;
            form.KeyLengthLimit = limits.Value.MaxFormKeyBytes;
            form.MultipartBodyLengthLimit = limits.Value.MaxBodyBytes;
            form.BufferBodyLengthLimit = limits.Value.MaxBodyBytes;
        });
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<EdgeLimitsOptions>>((kestrel, limits) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestLineSize = Math.Max(kestrel.Limits.MaxRequestLineSize, 2 * limits.Value.MaxUrlLength);
            kestrel.Limits.MaxRequestHeadersTotalSize = Math.Max(kestrel.Limits.MaxRequestHeadersTotalSize, 2 * limits.Value.MaxHeaderBytes);
        });
        return services;
    }
}
