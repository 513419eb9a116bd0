using Enclave.Domain.Tenancy;
using Enclave.Storage.Tenancy;
using Enclave.Testing;

namespace Enclave.Storage.Tests.Tenancy;

/// <summary>The identity store's contract against the emulator: one user per email, and no dangling email reservation.</summary>
public sealed class CosmosIdentityStoreTests(CosmosDatabaseFixture cosmos) : IClassFixture<CosmosDatabaseFixture>
{
    private readonly CosmosIdentityStore _store = new(cosmos.Container, TimeProvider.System);

    private static User NewUser(string email) => new() { Id = Guid.NewGuid().ToString("N"), Email = email };

    [Fact]
    public async Task The_second_user_for_an_email_is_refused_and_leaves_nothing_behind()
    {
        var email = $"{Guid.NewGuid():N}@example.org";
        var first = NewUser(email);
        var second = NewUser(email);

        Assert.True(await _store.CreateUserAsync(first, "hash-1", CancellationToken.None));
        Assert.False(await _store.CreateUserAsync(second, "hash-2", CancellationToken.None));

        var found = await _store.FindUserByEmailAsync(email.ToUpperInvariant(), CancellationToken.None);
        Assert.Equal(first.Id, found?.User.Id);
        Assert.Equal("hash-1", found?.PasswordHash);
        Assert.Null(await _store.GetUserAsync(second.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Concurrent_creators_of_one_email_agree_on_one_user_that_is_readable_at_once()
    {
        var email = $"{Guid.NewGuid():N}@example.org";
        var users = Enumerable.Range(0, 4).Select(_ => NewUser(email)).ToList();

        var created = await Task.WhenAll(users.Select(u => _store.CreateUserAsync(u, "hash", CancellationToken.None)));
        var found = await _store.FindUserByEmailAsync(email, CancellationToken.None);

        Assert.Single(created, c => c);
        Assert.Equal(users[Array.IndexOf(created, true)].Id, found?.User.Id);
    }
}
