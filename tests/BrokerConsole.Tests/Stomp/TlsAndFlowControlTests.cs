using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Stomp;

public sealed class TlsAndFlowControlTests
{
    [Fact]
    public async Task Tls_ConnectorWithConfiguredCertificate_ServesStomp()
    {
        var root = Directory.CreateTempSubdirectory("brokerconsole-cert-").FullName;
        try
        {
            var pfx = Path.Combine(root, "broker.pfx");
            using (var key = RSA.Create(2048))
            {
                var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
                await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "secret"));
            }
            await using var host = await TestHost.StartAsync("--Brokers:b1:Connectors:0=ssl://127.0.0.1:0", "--Brokers:b1:DataDirectory={root}/b1",
                $"--Brokers:b1:Tls:CertificatePath={pfx}", "--Brokers:b1:Tls:CertificatePassword=secret");
            await using var client = await StompTestClient.ConnectTlsAsync(host.StompPort());

            Assert.Equal("CONNECTED", (await client.ConnectAsync()).Command);
            Assert.Equal("ping", Encoding.UTF8.GetString((await ConnectTests.RoundTrip(client)).Body.Span));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Tls_ConnectorWithoutCertificate_StopsStartupNamingTheKey()
    {
        var error = await Assert.ThrowsAsync<BrokerConsole.Hosting.BrokerConfigurationException>(() =>
            TestHost.StartAsync("--Brokers:b1:Connectors:0=ssl://127.0.0.1:0", "--Brokers:b1:DataDirectory={root}/b1"));

        Assert.Contains("Brokers:b1:Tls:CertificatePath", error.Message);
    }

    [Fact]
    public async Task ReadsPausedForFlowControl_NotTimedOutByHeartbeatCheck()
    {
        // 500 ms heart-beats (1 s with the grace): short against the 3 s we stay silent, long against a busy
        // machine's scheduling gaps while the sender is not blocked.
        await using var host = await TestHost.StartAsync("--Stomp:HeartbeatReceiveMs=500", "--Stomp:MaxPendingFrames=4");
        await using var client = await StompTestClient.ConnectTcpAsync(host.StompPort());
        await client.ConnectAsync(extra: ("heart-beat", "500,0"));
        var bigReceipt = new string('r', 60_000);

        // Receipts with 60 KB ids fill both socket buffers while we do not read, so the broker stops reading us;
        // we stay silent far longer than two heart-beat intervals.
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < 300; i++)
            {
                await client.SendTextAsync("/queue/throttled", "x", ("receipt", $"{i}-{bigReceipt}"));
            }
        });
        await Task.WhenAny(sending, Task.Delay(TimeSpan.FromSeconds(3)));
        var receipts = 0;
        while (receipts < 300)
        {
            Assert.Equal("RECEIPT", (await client.ReceiveAsync()).Command);
            receipts++;
        }
        await sending.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(300, receipts);
        Assert.Equal(300, host.Registry.Find("b1")!.Broker.GetDestination(Broker.Core.Messages.DestinationName.Queue("throttled"))!.Pending);
    }
}
