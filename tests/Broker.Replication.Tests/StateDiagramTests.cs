using System.Text.RegularExpressions;
using Broker.Server;

namespace Broker.Replication.Tests;

/// <summary>The README's state diagram is the transition table drawn: every arrow legal, every legal move drawn.</summary>
public sealed partial class StateDiagramTests
{
    [Fact]
    public void TheReadmesDiagram_DrawsExactlyTheLegalTransitions()
    {
        var names = Enum.GetValues<LifecycleState>().ToDictionary(s => LifecycleTransitions.Name(s).Replace(' ', '_'));
        var drawn = Arrow().Matches(Diagram())
            .Where(m => m.Groups["from"].Value != "[*]")
            .Select(m => (From: names[m.Groups["from"].Value], To: names[m.Groups["to"].Value]))
            .ToHashSet();
        // The README says once that every state may also stop or fail, and that failed goes to stopped.
        var legal = Enum.GetValues<LifecycleState>()
            .Where(from => from != LifecycleState.Failed)
            .SelectMany(from => LifecycleTransitions.From(from).Select(to => (From: from, To: to)))
            .Where(move => move.To is not (LifecycleState.Stopped or LifecycleState.Failed))
            .ToHashSet();

        Assert.DoesNotContain(drawn, move => !LifecycleTransitions.IsLegal(move.From, move.To));
        var undrawn = string.Join(", ", legal.Except(drawn).Select(move => $"{move.From} -> {move.To}").Order());
        Assert.True(undrawn.Length == 0, $"legal but not drawn: {undrawn}");
    }

    private static string Diagram()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "BrokerConsole.sln")))
        {
            folder = folder.Parent;
        }
        var readme = File.ReadAllText(Path.Combine(folder!.FullName, "README.md"));
        var start = readme.IndexOf("```mermaid\nstateDiagram-v2", StringComparison.Ordinal);
        return readme[start..readme.IndexOf("```\n", start + 10, StringComparison.Ordinal)];
    }

    [GeneratedRegex(@"^\s*(?<from>\[\*\]|[a-z_]+)\s*-->\s*(?<to>[a-z_]+)", RegexOptions.Multiline)]
    private static partial Regex Arrow();
}
