using System.Net;

namespace BrokerConsole.Security;

/// <summary>The address a login is counted against: the IP without its port, an IPv6 client by its /64 (one machine's share).</summary>
internal static class ClientAddress
{
    public static string Of(string remote)
    {
        var ip = IPEndPoint.TryParse(remote, out var endPoint) ? endPoint.Address
            : IPAddress.TryParse(remote, out var address) ? address
            : null;
        if (ip is null)
        {
            return remote;
        }
        if (ip.IsIPv4MappedToIPv6)
        {
            return ip.MapToIPv4().ToString();
        }
        if (ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || IPAddress.IsLoopback(ip))
        {
            return ip.ToString();
        }
        // One IPv6 host is handed a whole /64: counting single addresses would give an attacker 2^64 fresh budgets.
        var bytes = ip.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
