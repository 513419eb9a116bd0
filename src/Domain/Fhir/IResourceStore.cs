using System.Diagnostics.CodeAnalysis;

namespace Enclave.Domain.Fhir;

/// <summary>
/// Where FHIR resources live, one project apart from the next. The only way in is <see cref="For"/>: a view bound to
/// a caller's scope, whose methods take no project id, so no call can name a project its caller did not reach.
/// </summary>
public interface IResourceStore
{
    /// <summary>
    /// The resources <paramref name="scope"/> reaches: its project to read and write, and, for searches and counts, of
    /// each linked project the types it exports.
    /// </summary>
    [SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Justification = "Read as store.For(scope); no Visual Basic implements this port.")]
    IProjectResources For(ProjectScope scope);
}
