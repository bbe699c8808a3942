package io.connectedregistry.iotedgedev;

import com.microsoft.azure.sdk.iot.device.hsm.UnixDomainSocketChannel;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** The SDK's UnixDomainSocketChannel on JDK 16+'s unix-domain SocketChannel (the tests' own copy). */
final class JdkUnixDomainSocketChannel implements UnixDomainSocketChannel {

  private SocketChannel channel;

  @Override
  public void open(String path) throws IOException {
    channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(path));
  }

  @Override
  public void write(byte[] bytes) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  @Override
  public int read(byte[] into) throws IOException {
    return channel.read(ByteBuffer.wrap(into));
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      channel.close();
    }
  }
}
