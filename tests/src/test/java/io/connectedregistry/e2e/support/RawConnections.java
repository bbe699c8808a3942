package io.connectedregistry.e2e.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Raw TCP connections to a registry on 127.0.0.1, for attacks an HTTP client will not make: send a
 * request's headers and then nothing, or send them one byte a second. One thread drives them all
 * (non-blocking sockets and a selector) and notes when the registry closes each one.
 *
 * <p>Not thread-safe: open, pump and read the results from one thread.
 */
public final class RawConnections implements AutoCloseable {

  /** One connection and what happened to it. */
  public static final class Connection {
    private final SocketChannel channel;
    private final byte[] request;
    private final boolean trickle;
    private final long openedAt;
    private int sent;
    private long closedAt = -1;
    private final StringBuilder received = new StringBuilder();

    private Connection(SocketChannel channel, byte[] request, boolean trickle) {
      this.channel = channel;
      this.request = request;
      this.trickle = trickle;
      this.openedAt = System.nanoTime();
    }

    public boolean isClosed() {
      return closedAt >= 0;
    }

    /** How long after it was opened the registry closed it; null while open. */
    public Duration closedAfter() {
      return closedAt < 0 ? null : Duration.ofNanos(closedAt - openedAt);
    }

    /** Bytes of the request sent so far. */
    public int sent() {
      return sent;
    }

    /** What the registry answered before closing (the start of it), as text. */
    public String received() {
      return received.toString();
    }

    private void closed() {
      if (closedAt < 0) {
        closedAt = System.nanoTime();
        try {
          channel.close();
        } catch (IOException e) {
          // closing a socket the peer closed: nothing to do
        }
      }
    }
  }

  private static final Duration TRICKLE_INTERVAL = Duration.ofSeconds(1);

  private final InetSocketAddress address;
  private final Selector selector;
  private final List<Connection> connections = new ArrayList<>();
  private final ByteBuffer readBuffer = ByteBuffer.allocate(4096);
  private long lastTrickle = System.nanoTime();

  public RawConnections(int port) {
    this.address = new InetSocketAddress("127.0.0.1", port);
    try {
      this.selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Opens {@code count} connections that each send {@code request} as fast as the registry reads
   * it (while {@link #pump} runs), then nothing.
   */
  public List<Connection> sendAndStall(int count, String request) {
    return open(count, request, false);
  }

  /** Opens {@code count} connections that send {@code request} one byte a second. */
  public List<Connection> trickle(int count, String request) {
    return open(count, request, true);
  }

  private List<Connection> open(int count, String request, boolean trickle) {
    byte[] bytes = request.getBytes(StandardCharsets.US_ASCII);
    List<Connection> opened = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      SocketChannel channel;
      try {
        channel = SocketChannel.open();
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        channel.socket().connect(address, 5000);
        channel.configureBlocking(false);
      } catch (IOException e) {
        throw new UncheckedIOException("connection " + (i + 1) + " of " + count + " to " + address, e);
      }
      Connection c = new Connection(channel, bytes, trickle);
      connections.add(c);
      opened.add(c);
      try {
        channel.register(selector, SelectionKey.OP_READ, c);
      } catch (IOException e) {
        c.closed();
        continue;
      }
      write(c, trickle ? 1 : bytes.length);
      // Notice closes as they happen: the registry may close a connection right after accepting it.
      pump(Duration.ZERO);
    }
    return Collections.unmodifiableList(opened);
  }

  /**
   * Reads (and discards) what the registry sends, notes closed connections, and sends the next
   * byte of each trickling request once a second, for {@code duration}.
   */
  public void pump(Duration duration) {
    long end = System.nanoTime() + duration.toNanos();
    do {
      try {
        long left = Math.max(0, end - System.nanoTime());
        if (left == 0) {
          selector.selectNow();
        } else {
          selector.select(Math.max(1, Math.min(100, left / 1_000_000)));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      for (SelectionKey key : selector.selectedKeys()) {
        read((Connection) key.attachment());
      }
      selector.selectedKeys().clear();
      for (Connection c : connections) {
        if (!c.trickle && !c.isClosed() && c.sent < c.request.length) {
          write(c, c.request.length);
        }
      }
      if (System.nanoTime() - lastTrickle >= TRICKLE_INTERVAL.toNanos()) {
        lastTrickle = System.nanoTime();
        for (Connection c : connections) {
          if (c.trickle && !c.isClosed() && c.sent < c.request.length) {
            write(c, 1);
          }
        }
      }
    } while (System.nanoTime() < end);
  }

  /** Pumps until every connection is closed or {@code timeout} passed; true if all are closed. */
  public boolean pumpUntilAllClosed(Duration timeout) {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      if (connections.stream().allMatch(Connection::isClosed)) {
        return true;
      }
      pump(Duration.ofMillis(200));
    }
    return connections.stream().allMatch(Connection::isClosed);
  }

  private void write(Connection c, int bytes) {
    int n = Math.min(bytes, c.request.length - c.sent);
    try {
      c.sent += c.channel.write(ByteBuffer.wrap(c.request, c.sent, n));
    } catch (IOException e) {
      c.closed();
    }
  }

  private void read(Connection c) {
    if (c.isClosed()) {
      return;
    }
    try {
      readBuffer.clear();
      int n = c.channel.read(readBuffer);
      if (n < 0) {
        c.closed();
      } else if (n > 0 && c.received.length() < 512) {
        c.received.append(new String(readBuffer.array(), 0, n, StandardCharsets.ISO_8859_1));
      }
    } catch (IOException e) {
      c.closed();
    }
  }

  /** Closes the connections still open (without counting them as closed by the registry). */
  @Override
  public void close() {
    for (Connection c : connections) {
      try {
        c.channel.close();
      } catch (IOException e) {
        // already gone
      }
    }
    try {
      selector.close();
    } catch (IOException e) {
      // nothing left to release
    }
  }
}
