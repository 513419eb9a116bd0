namespace Enclave.Bench;

/// <summary>One measured figure: what, how much, in which unit, and how it was measured.</summary>
internal sealed record BenchResult(string Group, string Name, double Value, string Unit, string Notes);
