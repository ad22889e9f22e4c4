using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;
using Kms.Core.Audit;

namespace Kms.Storage.Tables.Internal;

/// <summary>
/// The stored form of audit records: one <b>block</b> entity per group commit, holding the batch's records as UTF-8
/// JSON, instead of one entity per record.
/// <para>
/// Why: a Table transaction costs the store a fixed amount plus an amount per entity, and on Azurite the per-entity
/// part dominates (measured: 16 records as 16 entities took 4x the wall time and 2x the Azurite CPU of the same 16 in
/// one entity; see docs/performance.md). The chain, its hashes and the checkpoints are unchanged: a block is only
/// packaging, so verification reads the same records in the same order.
/// </para>
/// <para>
/// Layout: RowKey "b" + first sequence (19 digits). Properties: FirstSequence, LastSequence, Count, FirstTicks,
/// LastTicks (time range, for coarse server-side time filters), LastHash (the retry check), and the JSON array in
/// binary chunks R00, R01, … of at most 64 KiB each (the Table limit per property). A batch whose JSON is larger than
/// <see cref="SplitAtBytes"/> is split into several blocks of the same transaction.
/// </para>
/// Rows written before blocks ("r" + sequence, one record each) are still read: <see cref="ToRecords"/> takes both.
/// </summary>
internal static class AuditBlocks
{
    public const string BlockPrefix = "b";

    /// <summary>The first row key after every block ("c…", checkpoints): blocks are the row keys from "b" up to this.</summary>
    public const string BlockEnd = "c";
    public const string LegacyRowPrefix = "r";

    /// <summary>A block is closed once its JSON passes this size: half the 1 MiB entity limit, leaving room for one more record.</summary>
    public const int SplitAtBytes = 512 * 1024;

    private const int ChunkBytes = 64 * 1024;
    private const string FirstSequence = "FirstSequence", LastSequence = "LastSequence", Count = "Count", FirstTicks = "FirstTicks",
        LastTicks = "LastTicks", LastHash = "LastHash";

    /// <summary>Both kinds of record row in one partition: "b…" blocks and legacy "r…" rows (they sort apart; a chain has one kind).</summary>
    public static string RecordRowsFilter =>
        $"((RowKey ge '{BlockPrefix}' and RowKey lt '{BlockEnd}') or (RowKey ge '{LegacyRowPrefix}' and RowKey lt 's'))";

    public static string BlockKey(long firstSequence) => BlockPrefix + Seq(firstSequence);

    public static string LegacyRowKey(long sequence) => LegacyRowPrefix + Seq(sequence);

    /// <summary>The rows holding records <paramref name="first"/>..<paramref name="last"/> of a chain whose batches start at
    /// those numbers (the outbox names batches by first and last sequence): blocks, or legacy one-record rows.</summary>
    public static string BatchRangeFilter(string chainId, long first, long last) => TableClient.CreateQueryFilter(
        $"PartitionKey eq {chainId} and ((RowKey ge {BlockKey(first)} and RowKey le {BlockKey(last)}) or (RowKey ge {LegacyRowKey(first)} and RowKey le {LegacyRowKey(last)}))");

    /// <summary>The block entities of one batch (consecutive records of one chain): one, or several when it is very large.</summary>
    public static IEnumerable<TableEntity> ToEntities(IReadOnlyList<AuditRecord> records)
    {
        var start = 0;
        while (start < records.Count)
        {
            var buffer = new ArrayBufferWriter<byte>(4096);
            var count = 0;
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartArray();
                // A record is never split; a block is closed once it passes the threshold. One record is far below the
                // headroom (its largest parts, context keys and roles, are bounded by the request and token limits).
                while (start + count < records.Count && json.BytesCommitted + json.BytesPending < SplitAtBytes)
                {
                    Write(json, records[start + count]);
                    count++;
                }

                json.WriteEndArray();
            }

            yield return Block(records, start, count, buffer.WrittenMemory);
            start += count;
        }
    }

    /// <summary>The records of a block or of a legacy one-record row.</summary>
    public static IEnumerable<AuditRecord> ToRecords(TableEntity row)
    {
        if (row.RowKey.StartsWith(LegacyRowPrefix, StringComparison.Ordinal))
        {
            return [LegacyRecord(row)];
        }

        var bytes = new ArrayBufferWriter<byte>();
        for (var i = 0; row.GetBinary(ChunkName(i)) is { } chunk; i++)
        {
            bytes.Write(chunk);
        }

        return Read(row.PartitionKey, bytes.WrittenMemory);
    }

    /// <summary>The hash a stored block ends with (the retry check), or null for a legacy row.</summary>
    public static string? LastHashOf(TableEntity row) => row.GetString(LastHash);

    /// <summary>
    /// A coarse server-side time filter: blocks whose time range meets [from, to), and legacy rows in it. Records are
    /// still filtered one by one afterwards.
    /// </summary>
    public static string? TimeFilter(DateTimeOffset? from, DateTimeOffset? to)
    {
        if (from is null && to is null)
        {
            return null;
        }

        var block = new List<string>();
        var legacy = new List<string>();
        if (from is { } f)
        {
            block.Add($"{LastTicks} ge {f.UtcTicks}L");
            legacy.Add($"TimeTicks ge {f.UtcTicks}L");
        }

        if (to is { } t)
        {
            block.Add($"{FirstTicks} lt {t.UtcTicks}L");
            legacy.Add($"TimeTicks lt {t.UtcTicks}L");
        }

        return $"(({string.Join(" and ", block)}) or ({string.Join(" and ", legacy)}))";
    }

    private static TableEntity Block(IReadOnlyList<AuditRecord> records, int start, int count, ReadOnlyMemory<byte> json)
    {
        var first = records[start];
        var last = records[start + count - 1];
        var entity = new TableEntity(first.ChainId, BlockKey(first.Sequence))
        {
            [FirstSequence] = first.Sequence,
            [LastSequence] = last.Sequence,
            [Count] = count,
            [FirstTicks] = first.Entry.Time.UtcTicks,
            [LastTicks] = last.Entry.Time.UtcTicks,
            [LastHash] = last.Hash,
        };
        for (var i = 0; i * ChunkBytes < json.Length; i++)
        {
            entity[ChunkName(i)] = json.Slice(i * ChunkBytes, Math.Min(ChunkBytes, json.Length - (i * ChunkBytes))).ToArray();
        }

        var batch = Enumerable.Range(start, count).Select(i => records[i].Entry).ToList();
        foreach (var field in FilterFields)
        {
            var values = batch.Select(field.Value).Distinct(StringComparer.Ordinal).Take(2).ToList();
            if (values.Count == 1 && values[0] is not null)
            {
                entity[field.Name] = values[0];
            }
            else
            {
                entity[field.Name + MixedSuffix] = true;
            }
        }

        return entity;
    }

    /// <summary>
    /// A server-side filter for the query filters that <see cref="Block"/> can answer: a block whose records all share
    /// the value carries it as a property (low traffic makes one-record blocks, which always do); a block with several
    /// values carries a "Mixed" flag and is read and filtered record by record. Legacy rows carry the plain columns.
    /// </summary>
    public static string? FieldsFilter(AuditQuery query)
    {
        var clauses = new List<string>();
        foreach (var field in FilterFields)
        {
            if (field.Wanted(query) is { } value)
            {
                // Property names are ours (constants); only the value is the caller's, so only it goes through the escaping formatter.
                clauses.Add($"({field.Name} eq {TableClient.CreateQueryFilter($"{value}")} or {field.Name}{MixedSuffix} eq true)");
            }
        }

        return clauses.Count == 0 ? null : string.Join(" and ", clauses);
    }

    private const string MixedSuffix = "Mixed";

    // The query filters of GET /api/audit other than time; names match the legacy columns, so one filter serves both.
    private static readonly FilterField[] FilterFields =
    [
        new("KeyId", e => e.KeyId, q => q.KeyId),
        new("Principal", e => e.Principal, q => q.Principal),
        new("Operation", e => e.Operation, q => q.Operation),
        new("Result", e => ResultOf(e.Status), q => q.Result),
    ];

    /// <summary>Success, denied (401/403) or failure: the result filter of GET /api/audit.</summary>
    public static string ResultOf(int status) => status switch
    {
        < 400 => "success",
        401 or 403 => "denied",
        _ => "failure",
    };

    private sealed record FilterField(string Name, Func<AuditEntry, string?> Value, Func<AuditQuery, string?> Wanted);

    private static string ChunkName(int index) => "R" + index.ToString("D2", CultureInfo.InvariantCulture);

    private static string Seq(long sequence) => sequence.ToString("D19", CultureInfo.InvariantCulture);

    // Short property names: a block holds up to 98 records and is written on every request's path.
    private static void Write(Utf8JsonWriter json, AuditRecord record)
    {
        var e = record.Entry;
        json.WriteStartObject();
        json.WriteNumber("s", record.Sequence);
        json.WriteNumber("t", e.Time.UtcTicks);
        WriteOptional(json, "p", e.Principal);
        WriteList(json, "ro", e.Roles);
        json.WriteString("o", e.Operation);
        WriteOptional(json, "k", e.KeyId);
        if (e.KeyVersion is { } version)
        {
            json.WriteNumber("v", version);
        }

        json.WriteNumber("st", e.Status);
        WriteOptional(json, "ec", e.ErrorCode);
        WriteOptional(json, "re", e.Reason);
        json.WriteString("id", e.RequestId);
        WriteOptional(json, "ca", e.CallerAddress);
        WriteList(json, "ck", e.ContextKeys);
        json.WriteString("ph", record.PreviousHash);
        json.WriteString("h", record.Hash);
        json.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteList(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    private static List<AuditRecord> Read(string chainId, ReadOnlyMemory<byte> bytes)
    {
        var records = new List<AuditRecord>();
        using var document = JsonDocument.Parse(bytes);
        foreach (var r in document.RootElement.EnumerateArray())
        {
            var entry = new AuditEntry(new DateTimeOffset(r.GetProperty("t").GetInt64(), TimeSpan.Zero), Optional(r, "p"), List(r, "ro"),
                r.GetProperty("o").GetString() ?? "", Optional(r, "k"), r.TryGetProperty("v", out var v) ? v.GetInt32() : null,
                r.GetProperty("st").GetInt32(), Optional(r, "ec"), Optional(r, "re"), r.GetProperty("id").GetString() ?? "", Optional(r, "ca"),
                List(r, "ck"));
            records.Add(new AuditRecord(chainId, r.GetProperty("s").GetInt64(), entry, r.GetProperty("ph").GetString() ?? "",
                r.GetProperty("h").GetString() ?? ""));
        }

        return records;
    }

    private static string? Optional(JsonElement record, string name) => record.TryGetProperty(name, out var value) ? value.GetString() : null;

    private static string[] List(JsonElement record, string name) =>
        record.TryGetProperty(name, out var value) ? value.EnumerateArray().Select(x => x.GetString() ?? "").ToArray() : [];

    /// <summary>A row written before blocks: one record, one entity.</summary>
    private static AuditRecord LegacyRecord(TableEntity row)
    {
        // Ticks, not the DateTime column, feed the hash: the service keeps DateTime to microsecond-ish precision only.
        var ticks = row.GetInt64("TimeTicks") ?? 0;
        var entry = new AuditEntry(new DateTimeOffset(ticks, TimeSpan.Zero), row.GetString("Principal"),
            JsonSerializer.Deserialize<string[]>(row.GetString("Roles") ?? "[]") ?? [], row.GetString("Operation") ?? "", row.GetString("KeyId"),
            row.GetInt32("KeyVersion"), row.GetInt32("Status") ?? 0, row.GetString("ErrorCode"), row.GetString("Reason"), row.GetString("RequestId") ?? "",
            row.GetString("CallerAddress"), JsonSerializer.Deserialize<string[]>(row.GetString("ContextKeys") ?? "[]") ?? []);
        return new AuditRecord(row.PartitionKey, row.GetInt64("Sequence") ?? 0, entry, row.GetString("PreviousHash") ?? "", row.GetString("Hash") ?? "");
    }
}
