namespace Kms.Client.Envelope.Internal;

/// <summary>One message's share of a <see cref="ContentKey"/>: the key and the message number reserved under it.</summary>
internal readonly record struct ContentKeyLease(ContentKey Key, ulong MessageNumber);
