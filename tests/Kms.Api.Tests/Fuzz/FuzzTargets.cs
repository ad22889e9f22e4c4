namespace Kms.Api.Tests.Fuzz;

/// <summary>
/// What the generated requests aim at: throw-away keys and aliases (the only ones a state-changing route may name),
/// real ciphertexts to mutate, and tokens good and bad. The keys the test checks afterwards are never named here
/// except inside ciphertexts, which only the read-only decrypt and re-encrypt routes take.
/// </summary>
internal sealed record FuzzTargets(
    IReadOnlyList<string> KeyIds,
    IReadOnlyList<string> Aliases,
    IReadOnlyList<byte[]> Ciphertexts,
    FuzzTokens Tokens);

/// <summary>The admin token every well-formed request carries, and the bad ones that stand in for it.</summary>
internal sealed record FuzzTokens(
    string Admin,
    string CryptoOnly,
    string Expired,
    string NotYetValid,
    string Forged,
    string WrongAudience,
    string WrongIssuer);
