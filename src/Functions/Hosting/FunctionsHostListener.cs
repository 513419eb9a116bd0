namespace Enclave.Functions.Hosting;

/// <summary>Where Kestrel listens: the port the Functions host hands a custom handler, else a local default.</summary>
public static class FunctionsHostListener
{
    /// <summary>The variable the Functions host sets to the port it will call the handler on.</summary>
    public const string PortVariable = "FUNCTIONS_CUSTOMHANDLER_PORT";

    /// <summary>The address <c>dotnet run</c> serves when neither the host nor <c>--urls</c> chooses one.</summary>
    public const string LocalDefaultUrl = "http://127.0.0.1:7071";

    /// <summary>
    /// Listens on loopback at <c>FUNCTIONS_CUSTOMHANDLER_PORT</c> when the Functions host set it (it always calls
    /// 127.0.0.1), otherwise on the configured URLs or <see cref="LocalDefaultUrl"/>.
    /// </summary>
    public static void ListenForFunctionsHost(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var hostPort = builder.Configuration[PortVariable];
        if (!string.IsNullOrEmpty(hostPort))
        {
            if (!int.TryParse(hostPort, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is <= 0 or > 65535)
            {
                throw new InvalidOperationException($"{PortVariable} must be a TCP port, not '{hostPort}'.");
            }

            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        }
        else if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(LocalDefaultUrl);
        }
    }
}
