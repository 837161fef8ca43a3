using System.Runtime.CompilerServices;

namespace BrokerConsole.Components.Tests;

/// <summary>
/// bUnit's synchronous WaitFor* calls block a pool thread each while the renderer needs another; with test
/// classes in parallel on a 2-core machine the pool starves and waits time out. More threads from the start.
/// </summary>
internal static class ThreadPoolSetup
{
    [ModuleInitializer]
    internal static void RaiseMinThreads()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), io);
    }
}
