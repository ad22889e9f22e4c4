namespace Kms.Client.AspNetCore.Internal;

/// <summary>
/// The last N event ids handled, so a redelivered event reaches the app's handlers once. Bounded, oldest forgotten first:
/// it narrows duplicates, it cannot promise exactly once (a restart forgets everything).
/// </summary>
internal sealed class RecentEventIds(int capacity)
{
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly Lock _lock = new();

    public bool Contains(string id)
    {
        if (capacity == 0)
        {
            return false;
        }

        lock (_lock)
        {
            return _ids.Contains(id);
        }
    }

    public void Remember(string id)
    {
        if (capacity == 0)
        {
            return;
        }

        lock (_lock)
        {
            if (!_ids.Add(id))
            {
                return;
            }

            _order.Enqueue(id);
            if (_order.Count > capacity)
            {
                _ids.Remove(_order.Dequeue());
            }
        }
    }
}
