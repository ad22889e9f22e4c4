namespace Kms.Core.Ports;

/// <summary>
/// Root-key administration in the HSM, for root-key rotation. Like <see cref="IHsm"/>, implementations raise only
/// <see cref="Errors.KmsException"/> and never let key material leave the HSM unwrapped.
/// </summary>
public interface IHsmRootKeys
{
    /// <summary>
    /// Label of the root key that wraps newly generated keys. It is recorded in the HSM itself, so every process
    /// using the token agrees on it at once, across restarts, without configuration changes.
    /// </summary>
    string GetCurrentRootKeyLabel();

    /// <summary>Labels of the roots of this deployment's family (the configured base label and its generations) on the token.</summary>
    IReadOnlyList<string> ListRootKeys();

    /// <summary>Creates a root key with <paramref name="label"/> unless one exists (idempotent); true when it created it.</summary>
    bool EnsureRootKey(string label);

    /// <summary>Makes <paramref name="label"/> the current root (it must exist); setting the current one again does nothing.</summary>
    void SetCurrentRootKey(string label);

    /// <summary>
    /// Unwraps <paramref name="key"/> with its own root into a temporary object inside the HSM, wraps that under
    /// <paramref name="newRootKeyLabel"/> and destroys the object. Null when the blob does not unwrap under its root
    /// (damaged blob, or that root is gone); HsmUnavailable when the device fails.
    /// </summary>
    byte[]? RewrapKey(HsmKeyRef key, string newRootKeyLabel);

    /// <summary>True when the blob unwraps under its root (tested in the HSM; the temporary object is destroyed at once).</summary>
    bool CanUnwrap(HsmKeyRef key);

    /// <summary>Destroys a root key that is not the current one; false when it was already gone.</summary>
    bool DestroyRootKey(string label);
}

/// <summary>Root key labels of one family: the configured label, then <c>{label}.gen2</c>, <c>{label}.gen3</c>, …</summary>
public static class RootKeyLabels
{
    private const string Generation = ".gen";

    /// <summary>The label of the generation after <paramref name="current"/>.</summary>
    public static string Next(string current)
    {
        ArgumentException.ThrowIfNullOrEmpty(current);
        var (baseLabel, generation) = Split(current);
        return $"{baseLabel}{Generation}{generation + 1}";
    }

    /// <summary>True when <paramref name="label"/> is <paramref name="baseLabel"/> or one of its generations.</summary>
    public static bool InFamily(string label, string baseLabel) =>
        string.Equals(Split(label).Base, baseLabel, StringComparison.Ordinal);

    private static (string Base, int Generation) Split(string label)
    {
        var at = label.LastIndexOf(Generation, StringComparison.Ordinal);
        if (at > 0 && int.TryParse(label.AsSpan(at + Generation.Length), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var generation) && generation >= 2
            && label[(at + Generation.Length)..] == generation.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            return (label[..at], generation);
        }

        return (label, 1);
    }
}
