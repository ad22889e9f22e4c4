using Kms.Api;
using Kms.Events.EventGrid;
using Kms.Functions;
using Kms.Hsm.Pkcs11;
using Kms.Storage.Tables;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
// ASP.NET Core integration: triggers take HttpRequest and the IResult they return is executed as in Kestrel.
builder.ConfigureFunctionsWebApplication();

var kms = builder.Configuration.GetSection("Kms");
builder.Services.AddKmsApi(kms);
builder.Services.AddPkcs11Hsm(kms.GetSection("Hsm"));
builder.Services.AddTableStorage(kms.GetSection("Storage"));
builder.Services.AddRewrapSources(kms.GetSection("Rewrap"));
// Outbox dispatcher as a hosted service of the worker. In Azure it runs while the app has an instance up; the
// Flex Consumption / Premium plans keep one warm (see docs/events.md).
builder.Services.AddEventGridPublishing(kms.GetSection("Events"));
builder.Services.AddHostedService<StorageStartup>();

builder.Build().Run();
