using Kms.KubernetesPlugin;

var app = KubernetesPluginApp.Build(args);
await app.RunAsync();
