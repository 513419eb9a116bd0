using System.Net;
using Enclave.Functions.Auth;
using Enclave.Functions.Fhir;
using Hl7.Fhir.Model;

namespace Enclave.Functions.Access;

/// <summary>
/// Enforces the <c>ipAccessRule</c>s of the caller's access policies on every authenticated request (not only at
/// sign-in): a blocked address gets 403. Behind the Functions host the handler's peer is the host on loopback, so
/// the client's address is the last <c>X-Forwarded-For</c> entry — the one Azure's front end appended; a request
/// from any other peer is judged by the peer's own address.
/// </summary>
public static class AddressRules
{
    /// <summary>Adds the check; after authentication, before the endpoints.</summary>
    public static IApplicationBuilder UseAddressRules(this IApplicationBuilder app) =>
        app.Use(async (http, next) =>
        {
            if (http.Features.Get<Caller>() is { } caller && !caller.Policy.AllowsAddress(ClientAddress(http)))
            {
                await FhirJson.Outcome(OperationOutcome.IssueType.Forbidden, "Your access policy does not allow requests from this address.",
                    StatusCodes.Status403Forbidden).ExecuteAsync(http);
                return;
            }

            await next(http);
        });

    /// <summary>The client's address (see the type's remarks), or null when it cannot be told.</summary>
    public static IPAddress? ClientAddress(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var peer = http.Connection.RemoteIpAddress;
        if (peer is null || !IPAddress.IsLoopback(peer))
        {
            return peer;
        }

        var forwarded = http.Request.Headers["X-Forwarded-For"].ToString();
        if (forwarded.Length == 0)
        {
            return peer;
        }

        var last = forwarded.Split(',')[^1].Trim();
        return IPEndPoint.TryParse(last, out var endpoint) ? endpoint.Address : IPAddress.TryParse(last, out var address) ? address : null;
    }
}
