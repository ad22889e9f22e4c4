using Kms.Hsm.Pkcs11;
using Kms.LocalHost;

// `init-hsm` is the key ceremony: it creates the root wrapping key in the token if it is missing, then exits.
// Everything else runs the API.
if (args.FirstOrDefault() == "init-hsm")
{
    return HsmInitCommand.Run(args.Skip(1).ToArray());
}

// `init-dev-issuer` creates the local token issuer's signing key file (never used in Azure) if it is missing.
if (args.FirstOrDefault() == "init-dev-issuer")
{
    return DevIssuerInitCommand.Run(args.Skip(1).ToArray());
}

var app = KmsLocalHostApp.Build(args);
await KmsLocalHostApp.RunAsync(app);
return 0;
