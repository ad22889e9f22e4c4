namespace Kms.KubernetesPlugin.Tests;

/// <summary>Polls until a condition holds. The bound is a safety net, never a measured duration.</summary>
internal static class Eventually
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(150);

    public static async Task<T> ReturnsAsync<T>(Func<Task<T>> read, Func<T, bool> condition, string whatDidNotHappen)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var value = await read();
            if (condition(value))
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{whatDidNotHappen} within {Patience.TotalSeconds} s; last seen: {value}");
            await Task.Delay(200);
        }
    }
}
