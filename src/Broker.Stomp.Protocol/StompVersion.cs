namespace Broker.Stomp.Protocol;

/// <summary>The protocol versions we speak; they differ in header escaping and in ACK/NACK headers.</summary>
public enum StompVersion
{
    V1_0,
    V1_1,
    V1_2,
}

public static class StompVersions
{
    public static string ToWire(this StompVersion version) => version switch
    {
        StompVersion.V1_0 => "1.0",
        StompVersion.V1_1 => "1.1",
        _ => "1.2",
    };

    public static bool TryParse(string text, out StompVersion version)
    {
        switch (text.Trim())
        {
            case "1.0": version = StompVersion.V1_0; return true;
            case "1.1": version = StompVersion.V1_1; return true;
            case "1.2": version = StompVersion.V1_2; return true;
            default: version = default; return false;
        }
    }
}
