using System.Text.Json;

namespace Broker.Storage;

/// <summary>
/// Who is master over a shared data directory (ActiveMQ's shared file system master/slave): an exclusive OS lock
/// on <c>master.lock</c> (flock, taken by .NET for <see cref="FileShare.None"/>; NFSv4 carries it to the server),
/// and a lease in <c>master.lease</c> that the holder rewrites every keep-alive with who it is and when. The kernel
/// (or the NFS server) drops the lock when the holder dies; the lease lets the holder notice that its lock was
/// lost or stolen (the file replaced or removed, the volume remounted, another holder's lease), and lets the
/// waiting brokers say who holds it.
/// </summary>
public sealed class SharedStoreLock : IDisposable
{
    public const string LockFile = "master.lock";
    public const string LeaseFile = "master.lease";

    private readonly FileStream _lock;
    private readonly string _lockPath;
    private readonly string _leasePath;

    private SharedStoreLock(FileStream @lock, string directory, StoreLease lease)
    {
        _lock = @lock;
        _lockPath = Path.Combine(directory, LockFile);
        _leasePath = Path.Combine(directory, LeaseFile);
        Lease = lease;
    }

    /// <summary>What this holder last wrote in the lease.</summary>
    public StoreLease Lease { get; private set; }

    /// <summary>Takes the lock, or returns null with the current holder's lease (null when it never wrote one).</summary>
    public static SharedStoreLock? TryAcquire(string directory, string brokerName, out StoreLease? holder)
    {
        Directory.CreateDirectory(directory);
        FileStream stream;
        try
        {
            stream = new FileStream(Path.Combine(directory, LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (!IsMissingVolume(directory))
        {
            holder = ReadLease(directory);
            return null;
        }
        var lease = new StoreLease(Guid.NewGuid().ToString("N"), brokerName, Environment.MachineName, Environment.ProcessId, DateTimeOffset.UtcNow);
        var held = new SharedStoreLock(stream, directory, lease);
        try
        {
            held.WriteLease(lease);
        }
        catch
        {
            held.Dispose();
            throw;
        }
        holder = lease;
        return held;
    }

    /// <summary>
    /// Renews the lease after checking the lock is still this holder's: the file at the lock's path is the one locked
    /// here (a second exclusive open fails), and the lease names this holder.
    /// </summary>
    /// <exception cref="StoreLockLostException">Why the lock is no longer held; stop serving at once.</exception>
    public void KeepAlive()
    {
        try
        {
            using (new FileStream(_lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
                // Locked at once by this probe: the file at the path is not the one this holder locked.
                throw new StoreLockLostException($"{_lockPath} was replaced (the file this broker locked is no longer there)");
            }
        }
        catch (FileNotFoundException)
        {
            throw new StoreLockLostException($"{_lockPath} was removed");
        }
        catch (DirectoryNotFoundException)
        {
            throw new StoreLockLostException($"the shared directory of {_lockPath} is gone (volume unmounted?)");
        }
        catch (IOException e) when (e is not StoreLockLostException)
        {
            // Locked by someone: this holder, or a new holder of a replaced file (its lease says so below).
        }
        if (ReadLease(Path.GetDirectoryName(_lockPath)!) is { } current && current.HolderId != Lease.HolderId)
        {
            throw new StoreLockLostException($"the lease in {_leasePath} names {current.Describe()}");
        }
        try
        {
            WriteLease(Lease with { Renewed = DateTimeOffset.UtcNow });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreLockLostException($"the lease {_leasePath} cannot be written: {e.Message}");
        }
    }

    /// <summary>
    /// Refuses a volume whose locks do not exclude: a second exclusive open of the lock file from this process must fail.
    /// </summary>
    /// <exception cref="SharedStoreUnsupportedException">Naming the check that failed.</exception>
    public static void CheckLocksWork(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "locks.check");
        using var first = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        try
        {
            using var second = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return;
        }
        throw new SharedStoreUnsupportedException(
            $"the volume holding {Path.GetFullPath(directory)} does not enforce file locks (a second exclusive lock on {path} " +
            "was granted); two brokers could both serve from it. Use a volume with working locks (local, NFSv4), or HaMode Replicated");
    }

    /// <summary>The lease in <paramref name="directory"/>, or null when there is none (or it cannot be read right now).</summary>
    public static StoreLease? ReadLease(string directory)
    {
        try
        {
            return JsonSerializer.Deserialize<StoreLease>(File.ReadAllText(Path.Combine(directory, LeaseFile)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _lock.Dispose();

    private void WriteLease(StoreLease lease)
    {
        // Written beside it, then renamed over it: a reader never sees half a lease.
        var next = _leasePath + "." + lease.HolderId;
        File.WriteAllText(next, JsonSerializer.Serialize(lease));
        File.Move(next, _leasePath, overwrite: true);
        Lease = lease;
    }

    private static bool IsMissingVolume(string directory) => !Directory.Exists(directory);
}

/// <summary>Who holds a shared store's lock: written by the holder, read by the brokers waiting for it.</summary>
public sealed record StoreLease(string HolderId, string Broker, string Host, int ProcessId, DateTimeOffset Renewed)
{
    public string Describe() => $"{Broker} on {Host} (pid {ProcessId})";
}

/// <summary>A master's lock on its shared store is gone: it must stop serving at once.</summary>
public sealed class StoreLockLostException(string message) : IOException(message);

/// <summary>The shared store's volume cannot be used for master election (its locks do not work).</summary>
public sealed class SharedStoreUnsupportedException(string message) : Exception(message);
