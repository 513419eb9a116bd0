using FsCheck;

namespace Enclave.Domain.Tests.Fuzzing;

/// <summary>
/// How many cases each fuzzer runs: <c>ENCLAVE_FUZZ_CASES</c> (default <see cref="DefaultCases"/>, bounded for CI; a longer run is
/// documented in docs/limits.md). A failure prints its shrunk input and FsCheck's seed.
/// </summary>
internal static class FuzzConfig
{
    public const int DefaultCases = 400;

    public static int Cases => int.TryParse(Environment.GetEnvironmentVariable("ENCLAVE_FUZZ_CASES"), out var n) && n > 0 ? n : DefaultCases;

    /// <summary>Runs <paramref name="property"/> as a test: a failing case throws with its (shrunk) input.</summary>
    public static void Check(Property property, int? cases = null) =>
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(cases ?? Cases).WithQuietOnSuccess(true), property);
}
