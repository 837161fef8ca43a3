using Broker.Stomp.Protocol;
using Broker.Stomp.Sessions;

namespace BrokerConsole.Hosting;

/// <summary><c>Stomp:*</c> and <c>Stomp:Limits:*</c>: checked key by key, bound, then held to their ranges.</summary>
internal static class StompSettings
{
    public static StompServerOptions Load(IConfigurationSection section, List<string> errors)
    {
        if (!SettingsCheck.Section(section, [typeof(StompServerOptions)], errors))
        {
            return StompServerOptions.Default;
        }
        // Fresh instances: binding into the shared StompLimits.Default would change every other host's limits.
        var options = new StompServerOptions { Limits = new StompLimits() };
        section.Bind(options);
        Check(options.HeartbeatSendMs >= 0, "HeartbeatSendMs", "zero (no heart-beats) or more");
        Check(options.HeartbeatReceiveMs >= 0, "HeartbeatReceiveMs", "zero (no heart-beats) or more");
        Check(options.HeartbeatGraceFactor >= 1, "HeartbeatGraceFactor", "at least 1 (a peer beating on time must not be closed)");
        Check(options.ConnectTimeout > TimeSpan.Zero, "ConnectTimeout", "above zero");
        Check(options.MaxPendingFrames > 0, "MaxPendingFrames", "above zero");
        Check(options.MaxUnauthenticatedPerAddress >= 0, "MaxUnauthenticatedPerAddress", "zero (no bound) or more");
        Check(!string.IsNullOrWhiteSpace(options.ServerName) && !options.ServerName.Any(char.IsControl), "ServerName",
            "a non-empty header value without control characters");
        Check(options.Limits.MaxHeaderLineBytes > 0, "Limits:MaxHeaderLineBytes", "above zero");
        Check(options.Limits.MaxHeaderBlockBytes > 0, "Limits:MaxHeaderBlockBytes", "above zero");
        Check(options.Limits.MaxHeaders > 0, "Limits:MaxHeaders", "above zero");
        Check(options.Limits.MaxBodyBytes > 0, "Limits:MaxBodyBytes", "above zero");
        return options;

        void Check(bool valid, string key, string allowed)
        {
            if (!valid)
            {
                errors.Add($"{section.Path}:{key}: '{section[key]}' must be {allowed}");
            }
        }
    }
}
