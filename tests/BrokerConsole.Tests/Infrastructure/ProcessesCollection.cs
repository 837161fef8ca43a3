namespace BrokerConsole.Tests.Infrastructure;

/// <summary>
/// Tests that start other programs (Python, Node, ...) run one at a time: on a small machine, parallel
/// interpreters plus in-process hosts starve each other into heart-beat and receipt timeouts.
/// </summary>
[CollectionDefinition("Processes", DisableParallelization = true)]
public sealed class ProcessesCollection
{
}
