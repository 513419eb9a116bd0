using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Enclave.Api.Tests.Auth;

/// <summary>
/// The app with small sign-in limits, a clock the tests move, and every request arriving from a loopback peer as
/// behind the Functions host, so that <c>X-Forwarded-For</c> names the client's address (see <c>AddressRules</c>).
/// </summary>
public sealed class ThrottledApiFixture : EnclaveApiFixture
{
    /// <summary>The app's clock.</summary>
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    /// <inheritdoc />
    protected override void Customize(Dictionary<string, string?> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings["Auth:Throttle:Window"] = "00:10:00";
        settings["Auth:Throttle:FailuresPerIdentityAndAddress"] = "3";
        settings["Auth:Throttle:FailureWeight"] = "10";
        settings["Auth:Throttle:AttemptsPerAddress"] = "60";
        // High, so that the fixture's own set-up (many tokens of one client from one address) is never throttled.
        settings["Auth:Throttle:SuccessesPerIdentity"] = "10000";
        settings["Auth:Throttle:FailuresPerIdentityBeforeSlowDown"] = "10000";
    }

    /// <inheritdoc />
    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton<TimeProvider>(Clock);
        services.AddSingleton<IStartupFilter, LoopbackPeer>();
    }

    private sealed class LoopbackPeer : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, proceed) =>
            {
                http.Connection.RemoteIpAddress ??= IPAddress.Loopback;
                return proceed(http);
            });
            next(app);
        };
    }
}
