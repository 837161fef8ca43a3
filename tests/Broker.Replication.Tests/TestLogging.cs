using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Replication.Tests;

/// <summary>
/// Loggers for in-process pairs: silent by default; with <c>LIFECYCLE_TEST_LOG</c> naming a folder, each pair writes
/// its brokers' log lines to a file of its own there (to read why a state walk went another way).
/// </summary>
internal static class TestLogging
{
    public static ILoggerFactory For(string pairName)
    {
        var folder = Environment.GetEnvironmentVariable("LIFECYCLE_TEST_LOG");
        return string.IsNullOrEmpty(folder) ? NullLoggerFactory.Instance : new FileLoggerFactory(Path.Combine(folder, pairName + ".log"));
    }

    private sealed class FileLoggerFactory(string path) : ILoggerFactory, ILogger
    {
        private static readonly ConcurrentDictionary<string, object> Locks = new();

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {eventId.Id} {formatter(state, exception)}{(exception is null ? "" : " " + exception)}{Environment.NewLine}";
            lock (Locks.GetOrAdd(path, _ => new object()))
            {
                File.AppendAllText(path, line);
            }
        }
    }
}
