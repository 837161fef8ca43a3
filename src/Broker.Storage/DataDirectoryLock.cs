namespace Broker.Storage;

/// <summary>
/// Holds a broker's data directory: an exclusive OS lock (flock, taken by .NET for <see cref="FileShare.None"/>)
/// on <c>lock</c>, which the kernel drops when the process dies, so a SIGKILL never blocks a restart. The
/// holder's process id sits beside it in <c>broker.pid</c>, to name it when a second broker is refused.
/// </summary>
public sealed class DataDirectoryLock : IDisposable
{
    private readonly FileStream _lock;

    private DataDirectoryLock(FileStream @lock) => _lock = @lock;

    public static DataDirectoryLock Acquire(string directory, string brokerName)
    {
        Directory.CreateDirectory(directory);
        var lockPath = Path.Combine(directory, "lock");
        var pidPath = Path.Combine(directory, "broker.pid");
        FileStream stream;
        try
        {
            stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            var holder = File.Exists(pidPath) ? File.ReadAllText(pidPath).Trim() : "an unknown process";
            throw new StoreLockedException(
                $"data directory {Path.GetFullPath(directory)} is in use by {holder}; broker {brokerName} cannot start on it");
        }
        File.WriteAllText(pidPath, $"process {Environment.ProcessId} (broker {brokerName})");
        return new DataDirectoryLock(stream);
    }

    public void Dispose() => _lock.Dispose();
}

/// <summary>Another broker holds the data directory.</summary>
public sealed class StoreLockedException(string message) : Exception(message);
