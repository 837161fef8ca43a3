using System.Security.Cryptography.X509Certificates;
using Broker.Core.Messages;
using Broker.Core.Storage;
using Broker.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Replication.Tests;

/// <summary>A slave's TLS link to its master checks the master's certificate like any TLS client, and a refused one is never a failover.</summary>
public sealed class MasterTlsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task UntrustedCertificate_IsRefused_LogsWhatWasExpectedAndPresented_SlaveWaits()
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        await using var master = await TlsMasterAsync(certificate);
        await using var slave = new TlsSlave($"ssl://localhost:{master.Port}");

        var line = await slave.WaitForRefusalAsync();

        Assert.Contains("trusted by the system store", line);
        Assert.Contains(TestCertificates.Sha256(certificate), line);
        Assert.Contains("not trusted", line);
        Assert.Equal(SlaveState.Connecting, slave.Link.State);
        Assert.Contains("certificate is refused", slave.Link.LastError);
        Assert.Null(master.Master.SlaveName);
    }

    [Theory]
    [InlineData("sha256")]
    [InlineData("sha1-with-colons")]
    public async Task PinnedThumbprint_IsAccepted_WithoutNameOrChainChecks(string form)
    {
        using var certificate = TestCertificates.SelfSigned("elsewhere.example");
        await using var master = await TlsMasterAsync(certificate);
        var pin = form == "sha256" ? TestCertificates.Sha256(certificate).ToLowerInvariant() : string.Join(":", certificate.Thumbprint.Chunk(2).Select(c => new string(c)));
        await using var slave = new TlsSlave($"ssl://127.0.0.1:{master.Port}", o => o.MasterCertificateThumbprint = pin);

        await slave.WaitForAsync(SlaveState.InSync);

        Assert.Equal(master.Journal.LastSequence, slave.Link.LastReceivedSequence);
    }

    [Fact]
    public async Task PinnedThumbprint_OfAnotherCertificate_IsRefused()
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        using var other = TestCertificates.SelfSigned("localhost");
        await using var master = await TlsMasterAsync(certificate);
        await using var slave = new TlsSlave($"ssl://localhost:{master.Port}", o => o.MasterCertificateThumbprint = TestCertificates.Sha256(other));

        var line = await slave.WaitForRefusalAsync();

        Assert.Contains($"SHA-256 thumbprint {TestCertificates.Sha256(other)}", line);
        Assert.Contains($"SHA-256 {TestCertificates.Sha256(certificate)}", line);
    }

    [Fact]
    public async Task CaFile_CertificateItIssued_IsAccepted()
    {
        using var authority = TestCertificates.Authority("pair CA");
        using var certificate = TestCertificates.IssuedBy(authority, "localhost");
        var caFile = TestCertificates.PemFile(authority);
        try
        {
            await using var master = await TlsMasterAsync(certificate);
            await using var slave = new TlsSlave($"ssl://localhost:{master.Port}", o => o.MasterCaFile = caFile);

            await slave.WaitForAsync(SlaveState.InSync);
        }
        finally
        {
            File.Delete(caFile);
        }
    }

    [Theory]
    [InlineData("another CA")]
    [InlineData("another host name")]
    public async Task CaFile_OtherIssuerOrHostName_IsRefused(string wrong)
    {
        using var authority = TestCertificates.Authority("pair CA");
        using var otherAuthority = TestCertificates.Authority("other CA");
        using var certificate = TestCertificates.IssuedBy(wrong == "another CA" ? otherAuthority : authority, "localhost");
        var caFile = TestCertificates.PemFile(authority);
        try
        {
            await using var master = await TlsMasterAsync(certificate);
            var host = wrong == "another CA" ? "localhost" : "127.0.0.1";
            await using var slave = new TlsSlave($"ssl://{host}:{master.Port}", o => o.MasterCaFile = caFile);

            var line = await slave.WaitForRefusalAsync();

            Assert.Contains($"issued by a CA of {caFile}", line);
            Assert.Contains(wrong == "another CA" ? $"not issued by a CA of {caFile}" : "not issued for this host name", line);
        }
        finally
        {
            File.Delete(caFile);
        }
    }

    [Fact]
    public async Task Reconnection_MeetsAnUntrustedCertificate_NotAFailover_FollowsAgainOnceTheMasterIsBack()
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        using var impostor = TestCertificates.SelfSigned("localhost");
        await using var master = await TlsMasterAsync(certificate);
        await using var slave = new TlsSlave($"ssl://localhost:{master.Port}", o => o.MasterCertificateThumbprint = TestCertificates.Sha256(certificate));
        await slave.WaitForAsync(SlaveState.InSync);

        master.Certificate = impostor;
        master.DropConnections();
        await slave.WaitForRefusalAsync();
        master.Certificate = certificate;

        await slave.WaitForAsync(SlaveState.InSync);
        Assert.False(slave.Run.IsCompleted, "the slave stopped following");
        Assert.DoesNotContain(SlaveState.MasterFailed, slave.States);
    }

    /// <summary>A master over TLS that holds one record, so a slave that follows it has something to receive.</summary>
    private static async Task<MasterEndpoint> TlsMasterAsync(X509Certificate2 certificate)
    {
        var master = new MasterEndpoint(certificate: certificate);
        await master.Journal.Append(new DestinationCreatedRecord(DestinationName.Queue("q"))).Durable;
        return master;
    }

    /// <summary>A real <see cref="SlaveLink"/> with its own journal in a temporary folder, following <paramref name="masterUri"/>.</summary>
    private sealed class TlsSlave : IAsyncDisposable
    {
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "repl-tests", Guid.NewGuid().ToString("N"));
        private readonly CancellationTokenSource _stop = new();
        private readonly Journal _journal;
        private readonly List<SlaveState> _states = [];

        public TlsSlave(string masterUri, Action<ReplicationOptions>? configure = null)
        {
            Directory.CreateDirectory(_folder);
            _journal = Journal.Open(_folder, "s1", new JournalOptions { SegmentSize = 1024 * 1024 }, NullLogger<Journal>.Instance);
            var standby = new RecoveryState(long.MaxValue);
            foreach (var (sequence, record) in _journal.Replay())
            {
                standby.Apply(sequence, record);
            }
            var options = new ReplicationOptions { MasterConnectorUri = masterUri };
            configure?.Invoke(options);
            Link = new SlaveLink("s1", _folder, _journal, standby, options, "replicator", "replicator", (_, _) => { },
                () => throw new InvalidOperationException("no takeover in this test"), Log);
            Link.StateChanged += (state, _) =>
            {
                lock (_states)
                {
                    _states.Add(state);
                }
            };
            Run = Link.RunAsync(long.MaxValue, _stop.Token);
        }

        public SlaveLink Link { get; }

        public Task<LinkEnd> Run { get; }

        public RecordingLogger Log { get; } = new();

        public IReadOnlyList<SlaveState> States
        {
            get { lock (_states) { return [.. _states]; } }
        }

        public async Task WaitForAsync(SlaveState state)
        {
            var deadline = DateTime.UtcNow + Timeout;
            while (Link.State != state)
            {
                Assert.False(Run.IsCompleted, $"the slave stopped following: {Run.Status}");
                Assert.True(DateTime.UtcNow < deadline, $"the slave is {Link.State} ({Link.LastError}), not {state}; log: {string.Join(" | ", Log.Lines)}");
                await Task.Delay(5);
            }
        }

        /// <summary>Waits for a certificate refusal in the log and returns its line.</summary>
        public async Task<string> WaitForRefusalAsync()
        {
            var deadline = DateTime.UtcNow + Timeout;
            while (Refusals().Count == 0)
            {
                Assert.False(Run.IsCompleted, $"the slave stopped following: {Run.Status}");
                Assert.True(DateTime.UtcNow < deadline, $"no certificate refusal; the slave is {Link.State}; log: {string.Join(" | ", Log.Lines)}");
                await Task.Delay(5);
            }
            return Refusals()[^1];
        }

        private List<string> Refusals() => [.. Log.Lines.Where(l => l.Contains("its TLS certificate is not the one expected"))];

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await ((Task)Run).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await _journal.DisposeAsync();
            _stop.Dispose();
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // Cleaned up with the temporary folder.
            }
        }
    }
}

/// <summary>The settings a host validates at start-up (each problem names its key).</summary>
public sealed class MasterCertificateSettingsTests
{
    [Theory]
    [InlineData("AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01")]
    [InlineData("e550837d2f9a6e18854940d5f02e5db59340288c8a96233738d9b1cbf20d5ff2")]
    public void Thumbprint_Sha1OrSha256Hex_IsAccepted(string thumbprint)
    {
        Assert.Empty(MasterCertificatePolicy.Problems(new ReplicationOptions { MasterCertificateThumbprint = thumbprint }));
    }

    [Theory]
    [InlineData("E550837D2F9A6E18")]
    [InlineData("ZZ50837D2F9A6E18854940D5F02E5DB59340288C8A96233738D9B1CBF20D5FF2")]
    public void Thumbprint_WrongLengthOrNotHex_IsAProblemNamingTheKey(string thumbprint)
    {
        var problem = Assert.Single(MasterCertificatePolicy.Problems(new ReplicationOptions { MasterCertificateThumbprint = thumbprint }));

        Assert.StartsWith("MasterCertificateThumbprint:", problem);
        Assert.Contains(thumbprint, problem);
    }

    [Fact]
    public void CaFile_MissingOrWithoutACertificate_OrBesideAThumbprint_IsAProblem()
    {
        var empty = Path.GetTempFileName();
        try
        {
            File.WriteAllText(empty, "not a certificate");

            Assert.Contains("does not exist", Assert.Single(MasterCertificatePolicy.Problems(new ReplicationOptions { MasterCaFile = empty + ".missing" })));
            Assert.Contains("holds no PEM certificate", Assert.Single(MasterCertificatePolicy.Problems(new ReplicationOptions { MasterCaFile = empty })));
            Assert.Contains(MasterCertificatePolicy.Problems(new ReplicationOptions { MasterCaFile = empty, MasterCertificateThumbprint = new string('A', 40) }),
                p => p.Contains("not both"));
        }
        finally
        {
            File.Delete(empty);
        }
    }
}
