using System.Net;

namespace Enclave.Functions.Access;

/// <summary>
/// The client's address, by which the <c>ipAccessRule</c>s of the caller's access policies judge every
/// authenticated request (not only sign-in; see <c>InvocationPipeline</c>) and the sign-in throttle counts. Behind the
/// Functions host the app's peer is the host on loopback, so the client's address is the last <c>X-Forwarded-For</c>
/// entry — the one Azure's front end appended; a request from any other peer is judged by the peer's own address.
/// </summary>
public static class AddressRules
{
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
