using Broker.Stomp.Protocol;
using BrokerConsole.Hosting;

namespace BrokerConsole.Tests.Host;

public sealed class ConfigurationTests
{
    private static async Task<BrokerConfigurationException> StartFails(params string[] settings) =>
        await Assert.ThrowsAsync<BrokerConfigurationException>(() => TestHost.StartAsync(settings));

    [Fact]
    public async Task BadNumber_StopsStartupNamingKeyAndValue()
    {
        var error = await StartFails("--Brokers:b1:Connectors:0=tcp://127.0.0.1:0", "--Brokers:b1:DataDirectory={root}/b1", "--Brokers:b1:MaxRedeliveries=lots");

        Assert.Contains("Brokers:b1:MaxRedeliveries", error.Message);
        Assert.Contains("lots", error.Message);
    }

    [Fact]
    public async Task BadConnectorUri_NamesKeyAndValue()
    {
        var error = await StartFails("--Brokers:b1:Connectors:0=http://127.0.0.1:1", "--Brokers:b1:DataDirectory={root}/b1");

        Assert.Contains("Brokers:b1:Connectors:0", error.Message);
        Assert.Contains("http://127.0.0.1:1", error.Message);
    }

    [Fact]
    public async Task UnknownSetting_IsAnErrorNotIgnored()
    {
        var error = await StartFails("--Brokers:b1:Connectors:0=tcp://127.0.0.1:0", "--Brokers:b1:DataDirectory={root}/b1", "--Brokers:b1:MaxRedelivery=3");

        Assert.Contains("Brokers:b1:MaxRedelivery", error.Message);
    }

    [Fact]
    public async Task MissingDataDirectoryAndNegativeLimit_BothReported()
    {
        var error = await StartFails("--Brokers:b1:Connectors:0=tcp://127.0.0.1:0", "--Brokers:b1:MaxConnections=-1");

        Assert.Contains("Brokers:b1:DataDirectory", error.Message);
        Assert.Contains("Brokers:b1:MaxConnections", error.Message);
    }

    [Fact]
    public async Task MasterCertificateSettings_NotAThumbprint_MissingCaFile_NameTheirKeys()
    {
        var error = await StartFails(
            "--Brokers:b1:Connectors:0=tcp://127.0.0.1:0", "--Brokers:b1:DataDirectory={root}/b1", "--Brokers:b1:MasterCertificateThumbprint=not-a-thumbprint",
            "--Brokers:b2:Connectors:0=tcp://127.0.0.1:0", "--Brokers:b2:DataDirectory={root}/b2", "--Brokers:b2:MasterCaFile={root}/missing-ca.pem");

        Assert.Contains("Brokers:b1:MasterCertificateThumbprint: 'not-a-thumbprint'", error.Message);
        Assert.Contains("Brokers:b2:MasterCaFile", error.Message);
        Assert.Contains("missing-ca.pem", error.Message);
    }

    [Fact]
    public async Task DatabaseAndWitness_MissingOrMalformedConnectionStrings_NameTheirKeys_NeverThePassword()
    {
        var error = await StartFails(
            "--Brokers:b1:Connectors:0=tcp://127.0.0.1:0", "--Brokers:b1:DataDirectory={root}/b1", "--Brokers:b1:HaMode=Database",
            "--Brokers:b2:Connectors:0=tcp://127.0.0.1:0", "--Brokers:b2:DataDirectory={root}/b2", "--Brokers:b2:Witness=w",
            "--ConnectionStrings:w=Host=;Password=hunter2-secret",
            "--Brokers:b3:Connectors:0=tcp://127.0.0.1:0", "--Brokers:b3:DataDirectory={root}/b3", "--Brokers:b3:HaMode=Database",
            "--Brokers:b3:Witness=w", "--ConnectionStrings:b3=Host=db;Database=x", "--Brokers:b3:LeaseRenewal=00:00:02");

        Assert.Contains("ConnectionStrings:b1: is missing", error.Message);
        Assert.Contains("ConnectionStrings:w (the Witness of Brokers:b2): names no Host", error.Message);
        Assert.Contains("Brokers:b3:Witness: only a pure pair", error.Message);
        Assert.Contains("Brokers:b3:LeaseRenewal", error.Message);
        Assert.DoesNotContain("hunter2-secret", error.Message);
    }

    [Fact]
    public async Task UnknownRole_NamesTheUser()
    {
        var error = await StartFails("--Security:Users:eve:Password=x", "--Security:Users:eve:Roles:0=root");

        Assert.Contains("Security:Users:eve:Roles:0", error.Message);
    }

    [Fact]
    public async Task BadLoginFailureLimitsAndOrigin_NameTheirKeys()
    {
        var error = await StartFails(
            "--Security:LoginFailures:PerAddress=-1", "--Security:LoginFailures:Lockout=00:00:00",
            "--Security:LoginFailures:MaxLockout=00:00:01", "--Security:AllowedOrigins:0=https://proxy.example/console");

        Assert.Contains("Security:LoginFailures:PerAddress: '-1'", error.Message);
        Assert.Contains("Security:LoginFailures:Lockout: '00:00:00'", error.Message);
        Assert.Contains("Security:AllowedOrigins:0: 'https://proxy.example/console'", error.Message);
    }

    [Fact]
    public async Task UnknownLoginFailuresKey_Named()
    {
        var error = await StartFails("--Security:LoginFailures:PerUser=3");

        Assert.Contains("PerUser", error.Message);
    }

    [Fact]
    public async Task BadMetricsValues_NameTheirKeys()
    {
        var error = await StartFails("--Metrics:DestinationSeries=5000", "--Metrics:CacheFor=00:05:00");

        Assert.Contains("Metrics:DestinationSeries: '5000'", error.Message);
        Assert.Contains("Metrics:CacheFor: '00:05:00'", error.Message);
        Assert.Contains("DestinationsSeries", (await StartFails("--Metrics:DestinationsSeries=3")).Message);
    }

    [Fact]
    public async Task DisabledBroker_SkippedBeforeValidation()
    {
        await using var host = await TestHost.StartAsync(
            "--Brokers:b1:Connectors:0=tcp://127.0.0.1:0", "--Brokers:b1:DataDirectory={root}/b1",
            "--Brokers:off:Enabled=false", "--Brokers:off:Connectors:0=nonsense", "--Brokers:off:MaxRedeliveries=lots");

        Assert.Equal(["b1"], host.Registry.All.Select(b => b.Name));
    }

    [Fact]
    public async Task PortZero_BoundPortReported()
    {
        await using var host = await TestHost.StartAsync();

        Assert.NotEqual(0, host.StompPort());
    }

    [Fact]
    public async Task StompValueNotANumber_NamesKeyAndValue()
    {
        var error = await StartFails("--Stomp:HeartbeatSendMs=abc");

        Assert.Contains("Stomp:HeartbeatSendMs: 'abc' is not a whole number", error.Message);
    }

    [Fact]
    public async Task StompNegativeLimits_RefusedNamingEachKey()
    {
        var error = await StartFails("--Stomp:MaxPendingFrames=-1", "--Stomp:Limits:MaxBodyBytes=0", "--Stomp:ConnectTimeout=-00:00:01");

        Assert.Contains("Stomp:MaxPendingFrames: '-1' must be above zero", error.Message);
        Assert.Contains("Stomp:Limits:MaxBodyBytes: '0' must be above zero", error.Message);
        Assert.Contains("Stomp:ConnectTimeout: '-00:00:01' must be above zero", error.Message);
    }

    [Fact]
    public async Task AckFlushDelay_NegativeOrTooLong_RefusedNamingTheKey()
    {
        var negative = await StartFails("--Brokers:b1:AckFlushDelay=-00:00:01");
        var tooLong = await StartFails("--Brokers:b1:AckFlushDelay=00:01:00");

        Assert.Contains("Brokers:b1:AckFlushDelay: '-00:00:01' must be zero or more", negative.Message);
        Assert.Contains("Brokers:b1:AckFlushDelay: '00:01:00' is above 10 s", tooLong.Message);
    }

    [Fact]
    public async Task UnknownKeysInEverySection_AllReportedTogetherWithTheKnownKeys()
    {
        var error = await StartFails(
            "--Stomp:HeartbeatSend=100", "--Stomp:Limits:MaxBody=1", "--Replication:User=r", "--Security:Users:eve:Pasword=x",
            "--Brokrs:b1:DataDirectory=x");

        Assert.Contains("Stomp:HeartbeatSend: unknown setting (known: ConnectTimeout, HeartbeatGraceFactor, HeartbeatReceiveMs, HeartbeatSendMs, Limits, MaxPendingFrames, MaxUnauthenticatedPerAddress, ServerName)", error.Message);
        Assert.Contains("Stomp:Limits:MaxBody: unknown setting (known: MaxBodyBytes, MaxHeaderBlockBytes, MaxHeaderLineBytes, MaxHeaders)", error.Message);
        Assert.Contains("Replication:User: unknown setting (known: Password, UserName)", error.Message);
        Assert.Contains("Security:Users:eve:Pasword: unknown setting (known: Password, Roles)", error.Message);
        Assert.Contains("Security:Users:eve:Password: is required", error.Message);
        Assert.Contains("Brokrs: unknown top-level setting in the command line", error.Message);
        Assert.Equal(6, error.Errors.Count);
    }

    [Fact]
    public async Task EnumValue_ListsTheAllowedValues_BareNumberForADurationRefused()
    {
        var error = await StartFails(
            "--Brokers:b1:Connectors:0=tcp://127.0.0.1:0", "--Brokers:b1:DataDirectory={root}/b1",
            "--Brokers:b1:ReplicationAck=Fast", "--Brokers:b1:MasterTimeout=5");

        Assert.Contains("Brokers:b1:ReplicationAck: 'Fast' is not one of Durable, Received, Local", error.Message);
        Assert.Contains("Brokers:b1:MasterTimeout: '5' is not a duration", error.Message);
    }

    [Fact]
    public async Task ReplicationLoginHalfSet_AndBadUrl_Refused()
    {
        var error = await StartFails("--Replication:UserName=replicator", "--urls=127.0.0.1:8161");

        Assert.Contains("Replication:Password: is required when Replication:UserName is set", error.Message);
        Assert.Contains("Urls: '127.0.0.1:8161' is not an address to listen on", error.Message);
    }

    [Fact]
    public async Task HostKeys_AreAcceptedAtTheTop()
    {
        await using var host = await TestHost.StartAsync(
            "--AllowedHosts=*", "--Serilog:MinimumLevel:Default=Information", "--ConnectionStrings:none=x",
            "--DOTNET_RUNNING_IN_CONTAINER=false", "--environment=Production", "--Logging:LogLevel:Default=Information");

        Assert.NotEqual(0, host.StompPort());
    }

    [Fact]
    public void TopLevelTypoInAppsettings_NamesKeyAndFile()
    {
        var root = Directory.CreateTempSubdirectory("broker-test-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(root, "appsettings.json"), """{ "Brokres": { "b1": { "DataDirectory": "data/b1" } } }""");

            var error = Assert.Throws<BrokerConfigurationException>(() => BrokerConsoleApp.Create(["--urls=http://127.0.0.1:0"], root));

            Assert.Contains("Brokres: unknown top-level setting in appsettings.json", error.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task StompLimits_BoundIntoThisHostOnly()
    {
        await using var host = await TestHost.StartAsync("--Stomp:Limits:MaxBodyBytes=1000");

        Assert.Equal(1000, host.Registry.Find("b1")!.StompOptions.Limits.MaxBodyBytes);
        Assert.Equal(64 * 1024 * 1024, StompLimits.Default.MaxBodyBytes);
    }

    [Fact]
    public async Task RelativePaths_ResolveAgainstTheContentRoot()
    {
        var name = $"relative-{Guid.NewGuid():N}";
        await using var host = await TestHost.StartAsync(
            "--Brokers:b1:Connectors:0=tcp://127.0.0.1:0", $"--Brokers:b1:DataDirectory=data/{name}", $"--Logging:Directory={name}-logs");

        var data = Path.Combine(host.Root, "data", name);
        Assert.Equal(data, host.Registry.Find("b1")!.Definition.Options.DataDirectory);
        Assert.NotEmpty(Directory.GetFiles(data));
        Assert.False(Directory.Exists(Path.Combine(Environment.CurrentDirectory, "data", name)), "data written under the working directory");
        var logs = Path.Combine(host.Root, $"{name}-logs");
        await Retry.UntilAsync("the log file is written in the content root", () => Directory.Exists(logs) && Directory.GetFiles(logs).Length > 0);
    }

    [Fact]
    public async Task TlsFiles_RelativeToTheContentRoot_MissingOrUnreadableNamed()
    {
        var garbage = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(garbage, "not a certificate");

            var missing = await StartFails("--Brokers:b1:Connectors:0=ssl://127.0.0.1:0", "--Brokers:b1:DataDirectory={root}/b1",
                "--Brokers:b1:Tls:CertificatePath=certs/broker.pfx");
            var unreadable = await StartFails("--Brokers:b1:Connectors:0=ssl://127.0.0.1:0", "--Brokers:b1:DataDirectory={root}/b1",
                $"--Brokers:b1:Tls:CertificatePath={garbage}", "--Brokers:b1:Tls:CertificatePassword=secret");

            Assert.Matches(@"Brokers:b1:Tls:CertificatePath: file '/.+/broker-test-[^/]+/certs/broker\.pfx' does not exist", missing.Message);
            Assert.Contains($"Brokers:b1:Tls:CertificatePath/CertificatePassword (PKCS#12): '{garbage}' cannot be opened", unreadable.Message);
        }
        finally
        {
            File.Delete(garbage);
        }
    }
}
