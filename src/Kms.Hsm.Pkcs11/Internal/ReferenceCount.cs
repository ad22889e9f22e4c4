namespace Kms.Hsm.Pkcs11.Internal;

/// <summary>
/// A thread-safe reference count for objects that are destroyed when the last user lets go: once it has
/// reached zero it never comes back, so nobody can acquire an object that is being destroyed.
/// </summary>
internal static class ReferenceCount
{
    /// <summary>Adds a reference unless the count has already reached zero.</summary>
    public static bool TryAdd(ref int references)
    {
        var current = Volatile.Read(ref references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Drops a reference; true when it was the last one and the object must be destroyed.</summary>
    public static bool Release(ref int references) => Interlocked.Decrement(ref references) == 0;
}
