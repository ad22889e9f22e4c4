namespace Kms.Client.AspNetCore;

/// <summary>Settings of <see cref="KmsRevocationPoller"/>.</summary>
public sealed class KmsRevocationPollingOptions
{
    /// <summary>
    /// Time between two polls of every watched key: a disabled or revoked version may be used from the caches for up to
    /// this long (plus one poll's duration). At least one second.
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Key ids (not aliases: an alias can be re-pointed) whose state is watched. At least one.</summary>
    public IList<string> KeyIds { get; } = [];

    /// <summary>Bound of one <see cref="IKmsKeyStateSource"/> call, so a hung call cannot stall the other keys.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
