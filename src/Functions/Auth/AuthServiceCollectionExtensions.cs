using Enclave.Domain.Tenancy;
using Enclave.Functions.Invocation;
using Enclave.Storage.Tenancy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Enclave.Functions.Auth;

/// <summary>Composition of authentication: token issuing, and JWT bearer validation bound to one membership.</summary>
public static class AuthServiceCollectionExtensions
{
    /// <summary>Registers the tenancy store, token issuing and JWT bearer validation bound to one membership.</summary>
    public static IServiceCollection AddEnclaveAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>()
            .Bind(configuration.GetSection(AuthOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => string.IsNullOrEmpty(o.BootstrapClientId) == string.IsNullOrEmpty(o.BootstrapClientSecret),
                "Set both Auth:BootstrapClientId and Auth:BootstrapClientSecret, or neither.")
            .ValidateOnStart();
        services.AddOptions<ThrottleOptions>()
            .Bind(configuration.GetSection(ThrottleOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.AttemptsPerAddress >= o.FailureWeight,
                "Auth:Throttle:AttemptsPerAddress must be at least Auth:Throttle:FailureWeight, or one failed attempt would lock an address out.")
            .ValidateOnStart();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<ITenancyStore>(sp => new CosmosTenancyStore(sp.GetRequiredService<Container>()));
        services.AddSingleton<IIdentityStore>(sp => new CosmosIdentityStore(sp.GetRequiredService<Container>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<CallerResolver>();
        services.AddSingleton<ValidatedTokenCache>();
        services.AddHostedService<BootstrapAdmin>();

        // No default scheme and no authorization policy: InvocationPipeline authenticates each function that is not
        // anonymous, once, in both hosts. ASP.NET Core would make the one registered scheme the default, and
        // WebApplication's own authentication middleware would then validate every request's token a second time (and
        // anonymous functions' too), outside the edge: the switch Microsoft documents for that turns it off.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        services.AddAuthentication().AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<SigningKeys, IOptions<AuthOptions>, TimeProvider>((jwt, keys, auth, time) =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = auth.Value.Issuer,
                    ValidAudience = auth.Value.Audience,
                    ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
                    IssuerSigningKeyResolver = (_, _, _, _) => keys.All,
                    RequireSignedTokens = true,
                    RequireExpirationTime = true,
                    ClockSkew = TimeSpan.FromSeconds(30),
                    LifetimeValidator = (notBefore, expires, _, parameters) =>
                    {
                        var now = time.GetUtcNow().UtcDateTime;
                        return expires is { } end && end + parameters.ClockSkew > now
                            && (notBefore is not { } start || start - parameters.ClockSkew <= now);
                    },
                };
                jwt.Events = new JwtBearerEvents { OnTokenValidated = BindCallerAsync };
            });
        return services;
    }

    /// <summary>
    /// Authenticates the request's bearer token and binds its caller: a token validated moments ago (see
    /// <see cref="ValidatedTokenCache"/>) skips the JWT handler and its signature check, never the membership check.
    /// Null when the token is missing, invalid, or its membership no longer exists.
    /// </summary>
    public static async Task<System.Security.Claims.ClaimsPrincipal?> AuthenticateCallerAsync(this HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (BearerToken(http) is { } token && http.RequestServices.GetRequiredService<ValidatedTokenCache>().Find(token) is { } principal)
        {
            return await BindCallerAsync(http, principal) ? principal : null;
        }

        var authentication = await http.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        return authentication.Succeeded ? authentication.Principal : null;
    }

    /// <summary>The token is only as good as its membership: resolve it, or fail the authentication.</summary>
    private static async Task BindCallerAsync(TokenValidatedContext context)
    {
        if (context.Principal is null || !await BindCallerAsync(context.HttpContext, context.Principal))
        {
            context.Fail("The token's membership does not exist.");
            return;
        }

        if (BearerToken(context.HttpContext) is { } token)
        {
            context.HttpContext.RequestServices.GetRequiredService<ValidatedTokenCache>().Remember(token, context.Principal);
        }
    }

    private static async Task<bool> BindCallerAsync(HttpContext http, System.Security.Claims.ClaimsPrincipal principal)
    {
        var caller = TokenIssuer.Binding(principal) is { } b
            ? await http.RequestServices.GetRequiredService<CallerResolver>().ResolveAsync(b.ProjectId, b.MembershipId, http.RequestAborted)
            : null;
        if (caller is not null)
        {
            http.RequestServices.GetRequiredService<InvocationCaller>().Bind(caller);
        }

        return caller is not null;
    }

    private static string? BearerToken(HttpContext http) =>
        http.Request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? header[7..].Trim()
            : null;

    /// <summary>The authenticated caller of this invocation (see <see cref="InvocationCaller"/>).</summary>
    public static Caller Caller(this HttpContext context) =>
        (context ?? throw new ArgumentNullException(nameof(context))).RequestServices.GetRequiredService<InvocationCaller>().Caller;
}
