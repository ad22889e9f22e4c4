namespace Kms.Client.Tests.Shared;

/// <summary>Waits for something asynchronous (an event delivery, a poll) by polling a condition. The bound is a safety net,
/// never a measured duration.</summary>
internal static class Eventually
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    public static async Task HoldsAsync(Func<bool> condition, string whatDidNotHappen)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{whatDidNotHappen} within {Patience.TotalSeconds} s.");
            await Task.Delay(100);
        }
    }
}
