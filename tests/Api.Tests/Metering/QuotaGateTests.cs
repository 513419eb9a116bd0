using Enclave.Domain.Access;
using Enclave.Domain.Tenancy;
using Enclave.Functions.Auth;
using Enclave.Functions.Export;
using Enclave.Functions.Invocation;
using Enclave.Functions.Metering;
using Enclave.Storage.Metering;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Enclave.Api.Tests.Metering;

/// <summary>
/// Which of a membership's rate-quota refusals the audit trail records: the first of each minute, and, when that
/// one's record could not be stored, the next one instead (pure logic over a fake clock: no request reaches the store).
/// </summary>
public sealed class QuotaGateTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 12, 0, 10, TimeSpan.Zero));

    private readonly Caller _caller = new("p1", new ProjectMembership { Id = "m1", Project = Reference.To("Project", "p1"), User = Reference.To("ClientApplication", "c1") },
        false, [], EffectivePolicy.Unrestricted)
    {
        Settings = [new ProjectSetting("quotaRequestsPerSecond", ValueDecimal: 1)],
    };

    private static readonly FunctionEntry s_read = FunctionCatalog.App.Entries.First(e => e.Audited?.Interaction == "read");

    private QuotaGate Gate() => new(new UsageLedger(null!, _time, "test", TimeSpan.FromDays(1)), _time,
        Options.Create(new MeteringOptions { RequestsPerSecond = 100 }), Options.Create(new ExportOptions()));

    /// <summary>Sends one request through <paramref name="gate"/>: null when admitted, else whether its refusal is recorded.</summary>
    private bool? Send(QuotaGate gate, out HttpContext http)
    {
        http = new DefaultHttpContext();
        return gate.Refusal(http, _caller, s_read) is null ? null : !http.Items.ContainsKey(QuotaGate.Unrecorded);
    }

    [Fact]
    public void The_first_refusal_of_a_minute_is_recorded_and_the_rest_are_not()
    {
        var gate = Gate();
        Assert.Null(Send(gate, out _)); // the bucket's one token
        Assert.Equal([true, false, false], Enumerable.Range(0, 3).Select(_ => Send(gate, out var ignored)));

        _time.Advance(TimeSpan.FromMinutes(1)); // a new minute, and a token: one admitted, then a recorded refusal again
        Assert.Null(Send(gate, out _));
        Assert.Equal([true, false], Enumerable.Range(0, 2).Select(_ => Send(gate, out var ignored)));
    }

    [Fact]
    public void A_first_refusal_whose_record_failed_hands_the_minute_to_the_next()
    {
        var gate = Gate();
        Assert.Null(Send(gate, out _));
        Assert.True(Send(gate, out var first));
        gate.RecordFailed(first);
        Assert.True(Send(gate, out _));
        Assert.False(Send(gate, out _));

        gate.RecordFailed(new DefaultHttpContext()); // a request that took no record gives nothing back
        Assert.False(Send(gate, out _));
    }
}
