using System.Text.Json;

namespace BrokerCtl;

internal static class Output
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Writes <paramref name="json"/> as JSON when asked, else the text lines.</summary>
    public static void Write(TextWriter output, bool asJson, object json, IEnumerable<string> text)
    {
        if (asJson)
        {
            output.WriteLine(JsonSerializer.Serialize(json, Indented));
            return;
        }
        foreach (var line in text)
        {
            output.WriteLine(line);
        }
    }
}
