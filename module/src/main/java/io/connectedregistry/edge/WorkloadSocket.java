package io.connectedregistry.edge;

import com.microsoft.azure.sdk.iot.device.hsm.UnixDomainSocketChannel;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The SDK's unix-socket hook, on JDK 17's own unix domain sockets (no native library). The SDK
 * opens it per workload API request (token signing, trust bundle), writes the whole request,
 * reads until the server closes, then closes it. Synchronized so a close from another thread
 * (shutdown) never races a read.
 */
final class WorkloadSocket implements UnixDomainSocketChannel {
  private SocketChannel channel;

  @Override
  public synchronized void open(String address) throws IOException {
    close();
    channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      channel.connect(UnixDomainSocketAddress.of(address));
    } catch (IOException e) {
      close();
      throw e;
    }
  }

  @Override
  public synchronized void write(byte[] output) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(output);
    while (buffer.hasRemaining()) {
      open().write(buffer);
    }
  }

  @Override
  public synchronized int read(byte[] input) throws IOException {
    // Blocking channel: at least one byte, or -1 once the server closed (the SDK reads until then).
    return open().read(ByteBuffer.wrap(input));
  }

  @Override
  public synchronized void close() throws IOException {
    if (channel != null) {
      SocketChannel c = channel;
      channel = null;
      c.close();
    }
  }

  private SocketChannel open() throws IOException {
    if (channel == null) {
      throw new IOException("workload socket not open");
    }
    return channel;
  }
}
