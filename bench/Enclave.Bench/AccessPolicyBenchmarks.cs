using System.Diagnostics;
using System.Text.Json;
using Enclave.Domain.Access;
using Enclave.Domain.Search;
using Enclave.Domain.Tenancy;
using Enclave.Testing;
using Hl7.Fhir.Model;

namespace Enclave.Bench;

/// <summary>
/// Policy decisions per second on one core, for a three-rule policy with criteria on the resource's type: the
/// compiled predicates over the extracted index (what a search filter or a stored index meets), and whole decisions
/// from a resource (extracting the parameters the criteria name, then the predicates), beside Medplum's own decision
/// (<c>satisfiedAccessPolicy</c> of @medplum/core, bench/medplum) on the same policy and patients in the same run.
/// </summary>
internal static class AccessPolicyBenchmarks
{
    private const string Group = "Access policies";

    public static async Task<List<BenchResult>> RunAsync()
    {
        var results = Run(out var decisions);
        try
        {
            var (medplum, version) = await MedplumAsync();
            results.Add(new(Group, "Medplum's decisions from a resource (satisfiedAccessPolicy)", medplum, "decisions/s",
                $"one core (node); @medplum/core {version} with its search parameter definitions, the same three rules (parameters substituted, as Medplum does at login; it parses each criteria string on every decision) and patients, half allowed by the last"));
            results.Add(new(Group, "decisions from a resource: Enclave ÷ Medplum", decisions / medplum, "×", "same run; target ≥ 3"));
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or JsonException or TimeoutException or KeyNotFoundException)
        {
            // Without node or its packages the other groups still run; the comparison is left out, not made up.
            Console.Error.WriteLine($"access bench: Medplum's decisions were not measured: {e.Message}");
        }

        return results;
    }

    /// <summary>
    /// Medplum's rate and version from bench/medplum/decisions.mjs (its last output line), which must allow half its
    /// decisions as Enclave's do.
    /// </summary>
    private static async Task<(double Rate, string Version)> MedplumAsync()
    {
        var answer = await NodeScript.RunAsync(Path.Combine(LocalEmulators.RepositoryRoot, "bench", "medplum"), "decisions.mjs", TimeSpan.FromMinutes(2));
        if (answer.GetProperty("allowed").GetDouble() * 2 != answer.GetProperty("decisions").GetDouble())
        {
            // Not one of the failures that leave the comparison out: a comparison of different decisions stops the run.
            throw new InvalidDataException($"Medplum allowed {answer.GetProperty("allowed")} of {answer.GetProperty("decisions")} decisions, not half: it decides something else.");
        }

        return (answer.GetProperty("rate").GetDouble(), answer.GetProperty("version").GetString()!);
    }

    private static List<BenchResult> Run(out double decisions)
    {
        var policy = JsonSerializer.Deserialize<AccessPolicy>("""
            {"resource":[
              {"resourceType":"Patient","criteria":"Patient?organization=%organization&active=true"},
              {"resourceType":"Patient","criteria":"Patient?general-practitioner=%profile"},
              {"resourceType":"Patient","criteria":"Patient?_compartment=%organization"}]}
            """)!;
        var membership = new ProjectMembership
        {
            Id = "m",
            Project = Reference.To("Project", "p"),
            User = Reference.To("User", "u"),
            Profile = Reference.To("Practitioner", "me"),
            Access = [new MembershipAccess(Reference.To("AccessPolicy", "mso"), [new AccessParameter("organization", ValueReference: new Reference("Organization/o1"))])],
        };
        var effective = EffectivePolicy.For(membership, _ => policy);
        var rules = effective.Rules!;

        // Half the patients are allowed, by the last rule, so every decision evaluates all three rules' criteria.
        var patients = Enumerable.Range(0, 1000).Select(i => new Patient
        {
            Id = $"p{i}",
            Active = true,
            ManagingOrganization = new ResourceReference($"Organization/o{2 + (i % 5)}"),
            GeneralPractitioner = [new ResourceReference($"Practitioner/other{i}")],
            Meta = new Meta { Extension = [new Extension(Accounts.ExtensionUrl, new ResourceReference(i % 2 == 0 ? "Organization/o1" : "Organization/o9"))] },
        }).ToList();
        var now = DateTimeOffset.UtcNow;
        var codes = rules.SelectMany(r => r.Codes).ToHashSet(StringComparer.Ordinal);
        var indexes = patients.Select(p => ResourceIndexer.Index(p, codes)).ToList();

        var allowed = 0;
        var predicates = PerSecond(i =>
        {
            var k = i % patients.Count;
            allowed += rules.Any(r => r.Matches(patients[k], now, now, indexes[k])) ? 1 : 0;
        });
        var (decided, decidedAllowed) = (0, 0);
        void Decide(int i)
        {
            decided++;
            decidedAllowed += effective.Decide("read", patients[i % patients.Count], now, now) is null ? 0 : 1;
        }

        decisions = PerSecond(Decide);
        var allocated = AllocatedPerCall(Decide);
        if (allowed == 0 || decidedAllowed * 2 != decided)
        {
            // Calls come in thousands over the thousand patients, half of whom the last rule allows (Medplum's side checks the same).
            throw new InvalidOperationException($"The benchmark policy allowed {decidedAllowed} of {decided} decisions, not half: it measures the wrong thing.");
        }

        return
        [
            new(Group, "instance decisions, compiled predicates over the index", predicates, "decisions/s",
                "one core; three Patient rules with criteria (reference+token, reference, _compartment), half allowed by the last; target ≥ 500,000"),
            new(Group, "instance decisions from a resource (parameters extracted, then predicates)", decisions, "decisions/s",
                "one core; the same policy, extracting the three parameters the criteria name with FHIRPath on every decision"),
            new(Group, "allocated per decision from a resource", allocated, "bytes", "GC.GetAllocatedBytesForCurrentThread over 10,000 decisions"),
        ];
    }

    /// <summary>Bytes <paramref name="operation"/> allocates per call on this thread (after the warm-up of <see cref="PerSecond"/>).</summary>
    private static double AllocatedPerCall(Action<int> operation)
    {
        const int Calls = 10_000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++)
        {
            operation(i);
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Calls;
    }

    /// <summary>Calls per second of <paramref name="operation"/> on this thread, after a warm-up, over about a second.</summary>
    private static double PerSecond(Action<int> operation)
    {
        for (var i = 0; i < 20_000; i++)
        {
            operation(i);
        }

        var clock = Stopwatch.StartNew();
        var count = 0;
        while (clock.ElapsedMilliseconds < 1000)
        {
            for (var j = 0; j < 1000; j++)
            {
                operation(count++);
            }
        }

        return count / clock.Elapsed.TotalSeconds;
    }
}
