using Kms.Samples.RevocationSubscriber;

// A webhook for KMS revocation events: subscribe it to the topic with event types Kms.KeyDisabled,
// Kms.KeyVersionDisabled, Kms.KeyVersionRevoked (and Kms.KeyEnabled, Kms.KeyDeletionScheduled).
//   dotnet run --project samples/Kms.Samples.RevocationSubscriber -- --urls http://127.0.0.1:7080
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSingleton<DataKeyCache>();
builder.Services.AddSingleton<RevocationWebhook>();
var app = builder.Build();
app.Services.GetRequiredService<RevocationWebhook>().Map(app, "/kms-events");
app.Run();
