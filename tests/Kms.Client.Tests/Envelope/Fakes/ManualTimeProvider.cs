namespace Kms.Client.Tests.Envelope.Fakes;

/// <summary>
/// A clock that moves only when told. (Microsoft.Extensions.TimeProvider.Testing's FakeTimeProvider is not referenced
/// by this test project, and the project file is shared; the cache needs nothing but GetUtcNow.)
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
