using System.Buffers;

namespace Kms.Client.Tests.Envelope.Fakes;

/// <summary>Memory that MemoryMarshal.TryGetArray cannot see through, like native or pooled memory.</summary>
internal sealed class NonArrayMemory(byte[] bytes) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => bytes;

    public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
