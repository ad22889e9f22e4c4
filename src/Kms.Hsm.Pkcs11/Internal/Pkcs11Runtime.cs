using System.Reflection;
using System.Runtime.InteropServices;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Kms.Hsm.Pkcs11.Internal;

/// <summary>
/// The process-wide PKCS#11 modules. A module may be initialised (C_Initialize) only once per process and
/// C_Finalize would end every session of every user in it, so each module is loaded once and kept for the
/// life of the process; the OS releases it at exit.
/// </summary>
internal static class Pkcs11Runtime
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, IPkcs11Library> Libraries = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, SinglePartCalls?> SinglePart = new(StringComparer.Ordinal);
    private static int _resolverRegistered;

    public static Pkcs11InteropFactories Factories { get; } = new();

    /// <summary>The loaded module at <paramref name="libraryPath"/>; a failed load is not remembered, so the next call tries again.</summary>
    public static IPkcs11Library GetLibrary(string libraryPath)
    {
        lock (Gate)
        {
            if (!Libraries.TryGetValue(libraryPath, out var library))
            {
                EnsureResolver();
                library = Factories.Pkcs11LibraryFactory.LoadPkcs11Library(Factories, libraryPath, AppType.MultiThreaded);
                Libraries.Add(libraryPath, library);
            }

            return library;
        }
    }

    /// <summary>
    /// The single-part calls of the module at <paramref name="libraryPath"/> (null on platforms without them), through a
    /// second handle on the same loaded module; load it with <see cref="GetLibrary"/> first, which initialises it.
    /// </summary>
    public static SinglePartCalls? GetSinglePartCalls(string libraryPath)
    {
        lock (Gate)
        {
            if (!SinglePart.TryGetValue(libraryPath, out var calls))
            {
                EnsureResolver();
                calls = SinglePartCalls.TryLoad(libraryPath);
                SinglePart.Add(libraryPath, calls);
            }

            return calls;
        }
    }

    /// <summary>
    /// Pkcs11Interop 5.3.0 imports dlopen from "libdl", which Debian 12 ships only as libdl.so.2, so the
    /// default probing fails; point that one name at the versioned file.
    /// </summary>
    private static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref _resolverRegistered, 1) == 1)
        {
            return;
        }

        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // The host already installed a resolver for Pkcs11Interop; it owns the mapping then.
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName == "libdl" && OperatingSystem.IsLinux() && NativeLibrary.TryLoad("libdl.so.2", assembly, searchPath, out var handle))
        {
            return handle;
        }

        return IntPtr.Zero;
    }
}
