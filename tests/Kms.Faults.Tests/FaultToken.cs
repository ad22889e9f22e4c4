using Kms.Hsm.Pkcs11.Internal;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Kms.Faults.Tests;

/// <summary>
/// The fault token of the local stack (a second SoftHSM2 token of infra/local/test.sh), reached through the same loaded
/// PKCS#11 module as the host in this process: a PKCS#11 module is initialised once per process, and sessions and the
/// login state belong to the process, so this is the only place a fault can be injected under the host's feet.
/// </summary>
internal sealed class FaultToken
{
    public FaultToken(string libraryPath, string label, string userPin)
    {
        LibraryPath = libraryPath;
        Label = label;
        UserPin = userPin;
    }

    public string LibraryPath { get; }

    public string Label { get; }

    public string UserPin { get; }

    /// <summary>
    /// C_CloseAllSessions on the token's slot: what a token reset, a network HSM dropping its client or another component
    /// of the process does. Every session, the login and every unwrapped session object of the process are gone.
    /// </summary>
    public void CloseAllSessions() => Slot().CloseAllSessions();

    /// <summary>Changes the user PIN (C_SetPIN) in a read-write session of its own; the login is the process's, so it may exist already.</summary>
    public void ChangeUserPin(string from, string to)
    {
        using var session = Slot().OpenSession(SessionType.ReadWrite);
        TokenConnection.Login(session, from);
        session.SetPin(from, to);
    }

    private ISlot Slot() =>
        TokenConnection.FindSlot(Pkcs11Runtime.GetLibrary(LibraryPath), Label)
        ?? throw new InvalidOperationException($"Token '{Label}' not found: infra/local/test.sh creates it.");
}
