using System.Text.Json;
using Enclave.Functions.Auth;
using Enclave.Storage.Tenancy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Enclave.Api.Tests.Auth;

/// <summary>Regression: a <see cref="TenancyConflictException"/> from the store escaped every tenancy route as a 500.</summary>
public sealed class TenancyConflictTests
{
    [Fact]
    public async Task A_tenancy_conflict_answers_409_with_an_operation_outcome_and_no_store_text()
    {
        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        http.Response.Body = new MemoryStream();
        var context = EndpointFilterInvocationContext.Create(http);

        var result = await TenancyConflicts.Filter(context, _ => throw new TenancyConflictException("Could not create membership 123: it already exists."));
        await Assert.IsAssignableFrom<IResult>(result).ExecuteAsync(http);
        http.Response.Body.Position = 0;
        var body = await new StreamReader(http.Response.Body).ReadToEndAsync();

        Assert.Equal(StatusCodes.Status409Conflict, http.Response.StatusCode);
        Assert.Equal("OperationOutcome", JsonDocument.Parse(body).RootElement.GetProperty("resourceType").GetString());
        Assert.Contains("\"conflict\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("123", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Other_answers_pass_through_the_conflict_filter_unchanged()
    {
        var context = EndpointFilterInvocationContext.Create(new DefaultHttpContext());
        var answer = Results.Ok();

        Assert.Same(answer, await TenancyConflicts.Filter(context, _ => ValueTask.FromResult<object?>(answer)));
    }
}
