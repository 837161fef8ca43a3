using System.Net.Http.Json;
using Broker.Core.Connections;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Broker.Server;

/// <summary>Fencing through the partner's HTTP address (<c>Peer</c>): at start-up and, while master, every second.</summary>
public sealed partial class BrokerLifecycle
{
    /// <summary>
    /// Asks the partner's HTTP address who is master there, before this broker opens its connectors. The
    /// higher (epoch, sequence) is master: a partner that is ahead is returned (as its client connector's URI).
    /// An unreachable partner is waited for up to <see cref="ReplicationOptions.PeerTimeout"/>, then this broker
    /// starts as master with a warning.
    /// </summary>
    private async Task<string?> FindNewerMasterAsync(string peer)
    {
        using var http = PeerClient(peer);
        var deadline = DateTime.UtcNow + Definition.Replication.PeerTimeout;
        while (true)
        {
            try
            {
                return await AskPeerAsync(http, peer, _stopping.Token);
            }
            catch (HttpRequestException e) when (e.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
            {
                // Not an unreachable peer but a wrong setting: fencing would silently never work.
                throw new InvalidOperationException(
                    $"broker {Name}: its Peer {peer} refused the replication credentials ({(int)e.StatusCode}); check Replication:UserName and Replication:Password, and that the user holds the replication role there", e);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                if (DateTime.UtcNow > deadline)
                {
                    LifecycleLog.PeerUnreachable(_logger, Name, peer, e.Message);
                    return null;
                }
                await Task.Delay(500, _stopping.Token);
            }
        }
    }

    /// <summary>
    /// While this broker is master, asks its peer every second whether it became master at a later epoch (it
    /// was promoted while a network cut hid this broker); if so this broker stops serving and rejoins it.
    /// </summary>
    private async Task WatchPeerAsync(string peer, CancellationToken cancellationToken)
    {
        using var http = PeerClient(peer);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var refusedLogged = false;
        try
        {
            while (Status.Role == LifecycleRole.Master && await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    if (Endpoints.IsOpen && await AskPeerAsync(http, peer, cancellationToken) is { } newer)
                    {
                        await FencedByPartnerAsync(newer, "the partner is master at a later epoch");
                        return;
                    }
                }
                catch (HttpRequestException e) when (e.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
                {
                    if (!refusedLogged)
                    {
                        refusedLogged = true;
                        LifecycleLog.PeerRefusedCredentials(_logger, Name, peer, (int)e.StatusCode);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException
                                             or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    // Unreachable peer: nothing learned; ask again.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping, or a new watch replaced this one.
        }
    }

    private HttpClient PeerClient(string peer)
    {
        var http = new HttpClient { BaseAddress = new Uri(peer), Timeout = TimeSpan.FromSeconds(2) };
        var token = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{Definition.ReplicationUser}:{Definition.ReplicationPassword}"));
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", token);
        return http;
    }

    /// <summary>The partner's client URI when it serves as master ahead of this broker (higher epoch, then sequence), else null.</summary>
    private async Task<string?> AskPeerAsync(HttpClient http, string peer, CancellationToken cancellationToken)
    {
        var peers = await http.GetFromJsonAsync<List<PeerStatus>>("/api/replication/peers", cancellationToken) ?? [];
        var ours = (_journal!.Epoch, _journal.LastSequence);
        var newer = peers.Where(p => p.Role == "master" && p.Serving && (p.Epoch, p.LastSequence).CompareTo(ours) > 0)
            .OrderByDescending(p => (p.Epoch, p.LastSequence)).FirstOrDefault();
        return newer is null ? null : $"{(newer.Tls ? "ssl" : "tcp")}://{new Uri(peer).Host}:{newer.Port}";
    }

    /// <summary>Whether a broker serves clients at <paramref name="uri"/> (a slave's connectors are closed: only a master accepts).</summary>
    private static async Task<bool> IsServingAsync(string uri)
    {
        if (!ConnectorUri.TryParse(uri, out var parsed, out _))
        {
            return false;
        }
        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await tcp.ConnectAsync(parsed.Host, parsed.Port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary>What <c>GET /api/replication/peers</c> says of each broker of a host: a peer asks it before serving (fencing).</summary>
public sealed record PeerStatus(string Name, string Role, bool Serving, long Epoch, long LastSequence, int Port, bool Tls = false)
{
    public static PeerStatus Of(BrokerLifecycle broker) => new(
        broker.Name,
        broker.Status.Role == LifecycleRole.Master ? "master" : "slave",
        broker.Endpoints.IsOpen,
        broker.Epoch,
        broker.LastSequence,
        broker.Endpoints.ClientPort,
        broker.Endpoints.ClientTls);
}
