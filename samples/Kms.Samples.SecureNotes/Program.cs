using Kms.Samples.SecureNotes;

// SecureNotes: notes encrypted with KMS data keys (envelope encryption) in Azure Tables. See README.md.
//   dotnet run --project samples/Kms.Samples.SecureNotes
var app = SecureNotesApp.BuildApp(args);
await app.RunAsync();
