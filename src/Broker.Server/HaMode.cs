namespace Broker.Server;

/// <summary>How a broker becomes master (<c>Brokers:&lt;name&gt;:HaMode</c>).</summary>
public enum HaMode
{
    /// <summary>Pure master/slave: a slave follows its master over the replication link and takes over when it is lost.</summary>
    Replicated,

    /// <summary>
    /// Shared file system master/slave: every broker of the group points <c>DataDirectory</c> at one shared folder; the
    /// one holding its lock serves, the others wait for the lock and take over by recovering the shared journal.
    /// </summary>
    SharedFileSystem,

    /// <summary>
    /// JDBC master/slave: the store is a PostgreSQL database (<c>ConnectionStrings:&lt;name&gt;</c>); the broker holding
    /// its lease row serves, the others wait for the lease and take over by recovering the store from the database.
    /// </summary>
    Database,
}

/// <summary>How a broker becomes master, bound from <c>Brokers:&lt;name&gt;</c> beside its other options.</summary>
public sealed class HaSettings
{
    public HaMode HaMode { get; set; } = HaMode.Replicated;

    /// <summary>
    /// How often a broker waiting for a shared store's lock tries it again. ActiveMQ waits 10 s; one attempt is one
    /// open() on the shared volume, so trying every half second costs nothing and takes over within half a second of
    /// the holder's death (after the kernel or the NFS server releases its lock).
    /// </summary>
    public TimeSpan LockAcquireSleepInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often the holder checks its lock is still its own and renews its lease; a lost lock stops it serving within this period.</summary>
    public TimeSpan LockKeepAlivePeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a database lease lasts without renewal, by the database's clock. A holder whose process died is
    /// replaced sooner (its database session ends with it, see <c>LeaseRenewal</c>); the expiry is what frees the lease
    /// of a holder cut off from the database, and what a master that cannot renew has before it must stop.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How often the holder renews its lease. A holder that has not renewed for two of these and whose database session
    /// is gone is dead, and a waiting broker takes over (about half a second with the default); a holder that could
    /// not renew for LeaseDuration - LeaseRenewal stops serving.
    /// </summary>
    public TimeSpan LeaseRenewal { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// A pure pair's witness: the name of a <c>ConnectionStrings</c> entry (a PostgreSQL database both brokers of the
    /// pair name). The master holds its lease row to serve; a slave promotes only holding it.
    /// </summary>
    public string? Witness { get; set; }

    /// <summary>Refuse to start, instead of waiting, when another broker holds the shared store's lock.</summary>
    public bool FailIfLocked { get; set; }
}
