using System.Diagnostics;
using System.Text;

namespace Broker.Testing;

/// <summary>What a finished (or killed) child process left behind.</summary>
public sealed record ChildProcessResult(int ExitCode, string StandardOutput, string StandardError, bool TimedOut, TimeSpan Elapsed)
{
    /// <summary>Everything worth reading when an assertion about this run fails.</summary>
    public string Describe(string? command = null)
    {
        var text = new StringBuilder();
        if (command is not null)
        {
            text.Append("command: ").AppendLine(command);
        }
        text.Append("exit code ").Append(ExitCode).Append(" after ").Append(Elapsed.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)).Append(" s");
        if (TimedOut)
        {
            text.Append(" (timed out; process tree killed)");
        }
        text.AppendLine().AppendLine("--- stdout ---").AppendLine(StandardOutput.TrimEnd());
        text.AppendLine("--- stderr ---").Append(StandardError.TrimEnd());
        return text.ToString();
    }
}

/// <summary>
/// Runs a program with arguments (no shell), stdin closed, stdout and stderr captured. A run that outlives its
/// timeout, or a process still alive at <see cref="Dispose"/>, is killed with its whole process tree.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private ChildProcess(Process process)
    {
        _process = process;
    }

    public string CommandLine { get; private init; } = "";

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process) { CommandLine = string.Join(' ', info.ArgumentList.Prepend(fileName)) };
        process.OutputDataReceived += (_, e) => child.Append(child._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(child._stderr, e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new InvalidOperationException($"cannot start {fileName}: {e.Message}", e);
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Starts, waits at most <paramref name="timeout"/>, and kills the tree if it is still running.</summary>
    public static async Task<ChildProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout,
        string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var child = Start(fileName, arguments, workingDirectory, environment);
        return await child.WaitAsync(timeout);
    }

    public async Task<ChildProcessResult> WaitAsync(TimeSpan timeout)
    {
        var timedOut = false;
        using (var deadline = new CancellationTokenSource(timeout))
        {
            try
            {
                // Also waits for the end of stdout and stderr.
                await _process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
            }
        }
        if (timedOut || !_process.HasExited)
        {
            Kill();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                // A grandchild may still hold the pipes; the exit code is what we have.
            }
        }
        var exitCode = _process.HasExited ? _process.ExitCode : -1;
        return new ChildProcessResult(exitCode, Read(_stdout), Read(_stderr), timedOut, _clock.Elapsed);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile, or never started.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Exiting right now.
        }
    }

    private void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (target)
        {
            target.AppendLine(line);
        }
    }

    private static string Read(StringBuilder source)
    {
        lock (source)
        {
            return source.ToString();
        }
    }
}
