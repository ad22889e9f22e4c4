using System.Buffers.Binary;

namespace Kms.Client.Envelope.Internal;

/// <summary>Big-endian writes into a buffer sized in advance; overrunning it is a bug and throws.</summary>
internal ref struct SpanWriter(Span<byte> destination)
{
    private Span<byte> _remaining = destination;

    public void WriteByte(byte value)
    {
        _remaining[0] = value;
        _remaining = _remaining[1..];
    }

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_remaining, value);
        _remaining = _remaining[2..];
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_remaining, value);
        _remaining = _remaining[4..];
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_remaining);
        _remaining = _remaining[bytes.Length..];
    }
}
