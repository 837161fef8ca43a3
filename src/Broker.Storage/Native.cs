using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Broker.Storage;

/// <summary>The few libc calls durability needs that .NET does not expose.</summary>
internal static partial class Native
{
    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(nint fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(nint fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(nint fd);

    /// <summary>Data (and the metadata needed to read it back) reach the disk; cheaper than fsync.</summary>
    public static void DataSync(SafeFileHandle file)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(file);
            return;
        }
        var added = false;
        file.DangerousAddRef(ref added);
        try
        {
            if (fdatasync(file.DangerousGetHandle()) != 0)
            {
                throw new IOException($"fdatasync failed: {Marshal.GetLastPInvokeErrorMessage()}");
            }
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>Makes a directory's entries durable: a new or renamed segment survives power loss.</summary>
    public static void SyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var fd = open(path, ORdOnly | ODirectory);
        if (fd < 0)
        {
            throw new IOException($"cannot open directory {path}: {Marshal.GetLastPInvokeErrorMessage()}");
        }
        try
        {
            if (fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory {path} failed: {Marshal.GetLastPInvokeErrorMessage()}");
            }
        }
        finally
        {
            close(fd);
        }
    }
}
