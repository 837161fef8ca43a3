using System.Buffers;
using Broker.Stomp.Protocol;

namespace Broker.Stomp.Sessions;

/// <summary>
/// Writes the frames a broker sends: <see cref="StompFrameWriter"/>'s bytes followed by a line feed, so every frame
/// ends with NUL and a newline as ActiveMQ's do.
/// </summary>
/// <remarks>
/// STOMP allows any number of EOLs between frames (1.2 §Augmented BNF: <c>NULL *( EOL )</c>), and every
/// conforming reader skips them, but older readers count on this one: PHP's stomp extension reads the two bytes
/// after a <c>content-length</c> body as NUL and newline, so without the newline it swallows the first byte of
/// the next frame whenever two arrive in one read, and that frame is lost.
/// </remarks>
internal static class ServerFrameWriter
{
    public static void Write(IBufferWriter<byte> output, StompFrame frame, StompVersion version)
    {
        StompFrameWriter.Write(output, frame, version);
        output.GetSpan(1)[0] = (byte)'\n';
        output.Advance(1);
    }

    /// <summary>The whole frame rendered aside, for a reply that must be written whole or not at all.</summary>
    public static byte[] ToArray(StompFrame frame, StompVersion version)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + frame.Body.Length);
        Write(buffer, frame, version);
        return buffer.WrittenSpan.ToArray();
    }
}
