using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Kms.Client.Models;
using Kms.Client.Tests.Client;
using Kms.Samples.SecureNotes;
using Kms.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Kms.Client.Tests.Samples;

/// <summary>
/// The SecureNotes sample (samples/Kms.Samples.SecureNotes) on Kestrel, in process, against a real KMS (Kms.LocalHost on
/// SoftHSM2 + Azurite) whose local Event Grid stand-in delivers the KMS's events to the sample's MapKmsEvents webhook.
/// Each test gets its own KMS host (its own tables) and sample app. Waits poll a condition; no duration is asserted.
/// </summary>
public sealed class SecureNotesAppTests : IAsyncLifetime
{
    private const string Secret = "secure-notes-test-shared-secret-0123";
    private const string Tenant = "tenant-a";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private readonly DirectoryInfo _secrets = Directory.CreateTempSubdirectory("secure-notes-tests");
    private readonly ConcurrentQueue<string> _logs = new();
    private readonly string _table = LocalStack.UniqueName("securenotes");
    private KmsHostFixture _host = null!;
    private WebApplication? _app;
    private HttpClient _http = null!;
    private KmsClient _admin = null!;

    /// <summary>Roles of the sample's own KMS principal; a test may narrow them before <see cref="StartSampleAsync"/>.</summary>
    private string[] _sampleRoles = ["kms.admin", "kms.crypto"];
    private int _samplePort;

    public async Task InitializeAsync()
    {
        // The stand-in takes subscriptions from the host's settings only, so both ports are fixed before either starts.
        _samplePort = EventGridKmsHost.FreePort();
        _host = EventGridKmsHost.Create(
            new Uri($"http://127.0.0.1:{_samplePort}/kms/events?secret={Secret}"), EventGridKmsHost.FreePort(), "secure-notes");
        await _host.InitializeAsync();
        _admin = KmsTestClients.Create(_host, "notes-test-admin", KmsRoles.Admin, KmsRoles.Operator, KmsRoles.Crypto);
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_samplePort}") };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        await _host.DisposeAsync();
        _secrets.Delete(recursive: true);
    }

    [Fact]
    public async Task PostAndGetNote_KmsUp_RoundTripsAndStoresOnlyCiphertext()
    {
        await StartSampleAsync();
        var body = $"The safe code is {Guid.NewGuid():N}";

        var id = await CreateNoteAsync("door codes", body);

        using var read = await _http.GetAsync($"/notes/{id}");
        var note = await read.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(read.StatusCode == HttpStatusCode.OK, $"GET /notes/{id} -> {(int)read.StatusCode}: {note}");
        var key = (await _admin.GetKeyAsync("secure-notes")).Value;
        Assert.Equal(("door codes", body, key.KeyId, key.PrimaryVersion),
            (note.GetProperty("title").GetString(), note.GetProperty("body").GetString(), note.GetProperty("keyId").GetString(), note.GetProperty("keyVersion").GetInt32()));

        var list = await _http.GetFromJsonAsync<JsonElement>("/notes");
        Assert.Contains(list.EnumerateArray(), n => n.GetProperty("id").GetString() == id && n.GetProperty("title").GetString() == "door codes");

        // What is stored: the title in clear, the body only as an envelope message (format version 2) under the note's context.
        var table = new TableClient(LocalStack.Require("Kms:Storage:ConnectionString"), _table);
        var entity = (await table.GetEntityAsync<TableEntity>(Tenant, id)).Value;
        var plaintext = Encoding.UTF8.GetBytes(body);
        foreach (var (name, value) in entity)
        {
            switch (value)
            {
                case string s:
                    Assert.DoesNotContain(body, s, StringComparison.Ordinal);
                    Assert.DoesNotContain("safe code", s, StringComparison.Ordinal);
                    break;
                case byte[] bytes:
                    Assert.False(bytes.AsSpan().IndexOf(plaintext) >= 0, $"Property {name} holds the plaintext.");
                    Assert.False(bytes.AsSpan().IndexOf("safe code"u8) >= 0, $"Property {name} holds part of the plaintext.");
                    break;
            }
        }

        var message = entity.GetBinary(NoteStore.BodyProperty);
        Assert.NotNull(message);
        Assert.Equal((byte)0x02, message[0]);
        Assert.True(message.AsSpan().IndexOf(Encoding.UTF8.GetBytes(id)) > 0, "The note id is in the message's (clear, authenticated) context.");

        using var missing = await _http.GetAsync($"/notes/{Guid.NewGuid():N}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        AssertBodyNeverLogged(body);
    }

    [Fact]
    public async Task GetNote_KeyVersionRevokedThroughKmsApi_Answers409WithKmsCode()
    {
        // A cache that would keep the data key for an hour: only the revocation event reaching the webhook can end its use.
        await StartSampleAsync(cacheMaxAge: "01:00:00");
        var body = $"launch window {Guid.NewGuid():N}";
        var id = await CreateNoteAsync("launch", body);
        var before = await _http.GetFromJsonAsync<JsonElement>($"/notes/{id}");
        var keyId = before.GetProperty("keyId").GetString()!;
        var version = before.GetProperty("keyVersion").GetInt32();

        var revocation = (await _admin.RevokeKeyVersionsAsync(keyId, new RevocationOptions([version], "secure-notes sample test"))).Value;
        Assert.False(string.IsNullOrEmpty(revocation.OperationId));

        var deadline = DateTime.UtcNow + Patience;
        HttpStatusCode status;
        JsonElement answer;
        do
        {
            using var response = await _http.GetAsync($"/notes/{id}");
            status = response.StatusCode;
            answer = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (status != HttpStatusCode.OK)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The note was still readable {Patience.TotalSeconds} s after its key version was revoked.");
            await Task.Delay(200);
        }
        while (true);

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("KeyVersionRevoked", answer.GetProperty("code").GetString());
        Assert.Equal(409, answer.GetProperty("status").GetInt32());
        Assert.Equal(409, answer.GetProperty("kmsStatus").GetInt32());
        Assert.DoesNotContain(body, answer.GetRawText(), StringComparison.Ordinal);
        AssertBodyNeverLogged(body);
    }

    [Fact]
    public async Task GetNote_KmsStopped_Answers503()
    {
        await StartSampleAsync();
        var body = $"unreachable {Guid.NewGuid():N}";
        var id = await CreateNoteAsync("offline", body);

        await _host.StopAsync();

        // Never read before, so its data key is not cached: the read needs the KMS.
        using var read = await _http.GetAsync($"/notes/{id}");
        var answer = await read.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(read.StatusCode == HttpStatusCode.ServiceUnavailable, $"GET -> {(int)read.StatusCode}: {answer}");
        Assert.Equal(KmsProblems.KmsUnavailable, answer.GetProperty("code").GetString());

        using var create = await _http.PostAsJsonAsync("/notes", new { title = "later", body = "needs a data key" });
        var created = await create.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(create.StatusCode == HttpStatusCode.ServiceUnavailable, $"POST -> {(int)create.StatusCode}: {created}");
    }

    [Fact]
    public async Task PostNote_PrincipalWithoutCryptoRole_Answers403WithAccessDenied()
    {
        // kms.admin may create the key at start but not generate data keys under it.
        _sampleRoles = ["kms.admin"];
        await StartSampleAsync();

        using var create = await _http.PostAsJsonAsync("/notes", new { title = "denied", body = "never stored" });
        var answer = await create.Content.ReadFromJsonAsync<JsonElement>();

        Assert.True(create.StatusCode == HttpStatusCode.Forbidden, $"POST -> {(int)create.StatusCode}: {answer}");
        Assert.Equal("AccessDenied", answer.GetProperty("code").GetString());
        Assert.Empty(await _http.GetFromJsonAsync<JsonElement[]>("/notes") ?? []);
    }

    private async Task StartSampleAsync(string cacheMaxAge = "00:05:00")
    {
        var keyFile = Path.Combine(_secrets.FullName, "dev-issuer.pem");
        await File.WriteAllTextAsync(keyFile, KmsTestClients.IssuerKeyPem(_host));
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = $"http://127.0.0.1:{_samplePort}",
            ["SecureNotes:Tenant"] = Tenant,
            ["SecureNotes:Kms:Endpoint"] = _host.BaseAddress.ToString(),
            ["SecureNotes:Kms:Credential"] = "Dev",
            ["SecureNotes:Kms:DevIssuerKeyFile"] = keyFile,
            ["SecureNotes:Storage:ConnectionString"] = LocalStack.Require("Kms:Storage:ConnectionString"),
            ["SecureNotes:Storage:Table"] = _table,
            ["SecureNotes:Cache:MaxAge"] = cacheMaxAge,
            ["SecureNotes:Events:Secret"] = Secret,
            ["SecureNotes:Kms:DevRoles"] = string.Join(',', _sampleRoles),
        };
        _app = SecureNotesApp.BuildApp([], settings, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
            builder.Logging.AddProvider(new CapturingLoggerProvider(_logs));
        });
        await _app.StartAsync();
    }

    private async Task<string> CreateNoteAsync(string title, string body)
    {
        using var response = await _http.PostAsJsonAsync("/notes", new { title, body });
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /notes -> {(int)response.StatusCode}: {created}");
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal($"/notes/{id}", response.Headers.Location?.OriginalString);
        return id;
    }

    private void AssertBodyNeverLogged(string body)
    {
        Assert.NotEmpty(_logs);
        Assert.DoesNotContain(_logs, line => line.Contains(body, StringComparison.Ordinal));
        Assert.DoesNotContain(_logs, line => line.Contains(Secret, StringComparison.Ordinal));
    }
}
