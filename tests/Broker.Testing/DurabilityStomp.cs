using System.Text;
using Broker.Stomp.Protocol;

namespace Broker.Testing;

/// <summary>The few STOMP conversations the durability tests repeat.</summary>
public static class DurabilityStomp
{
    public static async Task<StompTestClient> ConnectAsync(int port)
    {
        var client = await StompTestClient.ConnectTcpAsync(port);
        var connected = await client.ConnectAsync("admin");
        if (connected.Command != "CONNECTED")
        {
            await client.DisposeAsync();
            throw new InvalidOperationException($"CONNECT answered {Describe(connected)}");
        }
        return client;
    }

    /// <summary>SUBSCRIBE with a receipt, and waits for it.</summary>
    public static async Task SubscribeAsync(StompTestClient client, string destination, string id, string ack, int prefetch = 1000)
    {
        await client.SendAsync("SUBSCRIBE", ("destination", destination), ("id", id), ("ack", ack),
            ("activemq.prefetchSize", prefetch.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("receipt", "sub-" + id));
        var reply = await client.ReceiveAsync();
        if (reply.Command != "RECEIPT" || reply["receipt-id"] != "sub-" + id)
        {
            throw new InvalidOperationException($"SUBSCRIBE answered {Describe(reply)}");
        }
    }

    public static Task SendPersistentAsync(StompTestClient client, string destination, string body, string receipt, params (string, string)[] extra) =>
        client.SendTextAsync(destination, body, [("persistent", "true"), ("receipt", receipt), .. extra]);

    /// <summary>Every MESSAGE body (auto ack) until none arrives for <paramref name="quiet"/>; any other frame fails.</summary>
    public static async Task<List<string>> DrainBodiesAsync(int port, string destination, TimeSpan quiet)
    {
        await using var client = await ConnectAsync(port);
        await SubscribeAsync(client, destination, "drain", "auto");
        var frames = await client.DrainAsync(quiet);
        var unexpected = frames.FirstOrDefault(f => f.Command != "MESSAGE");
        if (unexpected is not null)
        {
            throw new InvalidOperationException($"draining {destination} got {Describe(unexpected)}");
        }
        return [.. frames.Select(Body)];
    }

    public static string Body(StompFrame frame) => Encoding.UTF8.GetString(frame.Body.Span);

    /// <summary>Command, headers and the start of the body, for assertion messages.</summary>
    public static string Describe(StompFrame frame)
    {
        var body = Body(frame);
        return $"{frame.Command} {string.Join(", ", frame.Headers.Select(h => $"{h.Key}:{h.Value}"))} {(body.Length > 80 ? body[..80] + "..." : body)}";
    }
}
