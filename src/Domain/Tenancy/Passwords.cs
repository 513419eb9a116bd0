using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Enclave.Domain.Tenancy;

/// <summary>
/// Password hashes: PBKDF2-HMAC-SHA256 (the BCL's implementation) with a 128-bit salt and OWASP's 600,000
/// iterations, stored as <c>pbkdf2-sha256$iterations$salt$hash</c> so the work factor can rise later.
/// </summary>
public static class Passwords
{
    private const int Iterations = 600_000;
    private const string Scheme = "pbkdf2-sha256";

    /// <summary>The minimum length Enclave accepts.</summary>
    public const int MinimumLength = 12;

    /// <summary>Hashes a password for storage.</summary>
    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 32);
        return string.Join('$', Scheme, Iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    /// <summary>Whether <paramref name="password"/> matches <paramref name="stored"/>, in constant time.</summary>
    public static bool Verify(string password, string? stored)
    {
        var parts = stored?.Split('$');
        if (parts is not [Scheme, var iterationText, var saltText, var hashText]
            || !int.TryParse(iterationText, NumberStyles.None, CultureInfo.InvariantCulture, out var iterations))
        {
            return false;
        }

        var expected = Convert.FromBase64String(hashText);
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(saltText), iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
