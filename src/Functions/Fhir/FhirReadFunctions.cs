using System.Globalization;
using Enclave.Domain.Fhir;
using Enclave.Functions.Audit;
using Enclave.Functions.Invocation;
using Microsoft.Azure.Functions.Worker;

namespace Enclave.Functions.Fhir;

/// <summary>
/// FHIR read and vread in the caller's project (<c>If-None-Match</c> and <c>If-Modified-Since</c> answer 304).
/// </summary>
public sealed class FhirReadFunctions(FhirRepository repository)
{
    /// <summary><c>GET fhir/R4/{type}/{id}</c>.</summary>
    [Function("FhirRead")]
    [Audited("read", "R")]
    [NegotiatesFhirFormat]
    public async Task<IResult> ReadAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fhir/R4/{type}/{id}")] HttpRequest request, string type, string id,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if ((FhirHttp.UnknownType(type) ?? FhirHttp.UnknownId(type, id)) is { } unknown)
        {
            return unknown;
        }

        var http = request.HttpContext;
        var result = await repository.ReadAsync(type, id, cancellationToken);
        return result is { Status: StatusCodes.Status200OK, Resource: { } current } && FhirHttp.NotModified(request, current)
            ? FhirHttp.NotModifiedAnswer(http, current)
            : FhirHttp.Answer(http, result);
    }

    /// <summary><c>GET fhir/R4/{type}/{id}/_history/{vid}</c>.</summary>
    [Function("FhirVersionRead")]
    [Audited("vread", "R")]
    [NegotiatesFhirFormat]
    public async Task<IResult> VersionReadAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fhir/R4/{type}/{id}/_history/{vid}")] HttpRequest request, string type, string id,
        string vid, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if ((FhirHttp.UnknownType(type) ?? FhirHttp.UnknownId(type, id)) is { } unknown)
        {
            return unknown;
        }

        return int.TryParse(vid, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0
            ? FhirHttp.Answer(request.HttpContext, await repository.VersionReadAsync(type, id, version, cancellationToken))
            : ErrorMap.Answer(ErrorKind.NotFound, $"{type}/{id}/_history/{vid} is not known.");
    }
}
