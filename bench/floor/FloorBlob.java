import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * FloorBlob - the least Java 17 program that does what a sync of one large layer must do
 * (bench/floor/README.md): a floor for issue #13 target 5, not product code. One file, JDK only
 * (no Vert.x, no Netty, no io.connectedregistry class): the lowest a registry on the platform
 * could get.
 *
 * <p>usage: java [JVM options] FloorBlob URL DIGEST DATA MODE RUNS
 *
 * <p>URL is the blob's http://127.0.0.1:PORT/v2/NAME/blobs/DIGEST; MODE is {@code buffered} (the
 * registry's way: through the page cache, an fsync started in the background every 16 MiB so the
 * last one has only the tail, Uploads.FLUSH_EVERY_BYTES) or {@code direct} (O_DIRECT: 1 MiB
 * block-aligned writes that bypass the page cache, the tail written through it). Each run, one
 * after another in this JVM (the first is cold, as the registry's one sync is): one plain HTTP/1.1
 * GET on a fresh connection, blocking reads of up to 256 KiB (the registry's read size), each
 * hashed (SHA-256) and written on the same thread; at the end the digest compared, the file
 * fsynced, renamed into DATA/blobs/sha256/HEX and that folder fsynced: nothing counts before it
 * is on disk. Prints one line per run, {@code done mode=M run=N ms=T bytes=B}, and exits 0; any
 * failure (status, length, digest) prints why and exits 1.
 *
 * <p>Less than the registry does: no event loop or hand-over between threads, no HTTP library
 * (the head is parsed by hand, Content-Length only), no auth, TLS, redirects, retries or resume,
 * no database, no disk-space floor, no bandwidth limit, no back-pressure to bound (one buffer).
 */
public final class FloorBlob {
  static final int READ = 256 * 1024;
  static final long FLUSH_EVERY = 16L << 20;
  static final int DIRECT_BLOCK = 1 << 20;

  public static void main(String[] args) throws Exception {
    if (args.length != 5) {
      System.err.println("usage: FloorBlob URL DIGEST DATA buffered|direct RUNS");
      System.exit(2);
    }
    URI url = URI.create(args[0]);
    String digest = args[1];
    Path data = Path.of(args[2]);
    boolean direct = args[3].equals("direct");
    int runs = Integer.parseInt(args[4]);
    Path blobs = data.resolve("blobs/sha256");
    Files.createDirectories(blobs);
    ExecutorService flusher = Executors.newSingleThreadExecutor();
    try {
      for (int run = 1; run <= runs; run++) {
        long t0 = System.nanoTime();
        Path tmp = data.resolve("upload-" + run);
        long bytes = download(url, digest, tmp, direct, flusher);
        Path target = blobs.resolve(digest.substring("sha256:".length()));
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel folder = FileChannel.open(blobs, StandardOpenOption.READ)) {
          folder.force(true);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("done mode=" + args[3] + " run=" + run + " ms=" + ms + " bytes=" + bytes);
        Files.delete(target); // the next run writes it again
      }
    } catch (Exception e) {
      System.out.println("FloorBlob failed: " + e);
      System.exit(1);
    } finally {
      flusher.shutdown();
    }
  }

  /** One GET into {@code file}, hashed and fsynced; returns the body's length. */
  static long download(URI url, String digest, Path file, boolean direct, ExecutorService flusher) throws Exception {
    try (SocketChannel socket = SocketChannel.open(new InetSocketAddress(url.getHost(), url.getPort()))) {
      String request = "GET " + url.getRawPath() + " HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort()
          + "\r\nConnection: close\r\n\r\n";
      socket.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1)));
      ByteBuffer buffer = ByteBuffer.allocateDirect(DIRECT_BLOCK + 4096).alignedSlice(4096);
      long length = readHead(socket, buffer); // leaves the body's first bytes in buffer, flipped
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      long got = direct ? writeDirect(socket, buffer, file, length, sha) : writeBuffered(socket, buffer, file, length, sha, flusher);
      String actual = "sha256:" + HexFormat.of().formatHex(sha.digest());
      if (got != length || !actual.equals(digest)) {
        throw new IOException("got " + got + " of " + length + " bytes, " + actual + " instead of " + digest);
      }
      return length;
    }
  }

  static long writeBuffered(SocketChannel socket, ByteBuffer buffer, Path file, long length, MessageDigest sha,
      ExecutorService flusher) throws Exception {
    long got = 0;
    long unflushed = 0;
    Future<?> flushing = null;
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      while (true) {
        got += buffer.remaining();
        unflushed += buffer.remaining();
        sha.update(buffer.duplicate());
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        if (unflushed >= FLUSH_EVERY && (flushing == null || flushing.isDone())) {
          unflushed = 0;
          flushing = flusher.submit(() -> {
            out.force(false);
            return null;
          });
        }
        if (got >= length) {
          break;
        }
        buffer.clear().limit((int) Math.min(READ, length - got));
        if (socket.read(buffer) < 0) {
          throw new IOException("the parent closed the connection after " + got + " bytes");
        }
        buffer.flip();
      }
      if (flushing != null) {
        flushing.get();
      }
      out.force(false);
    }
    return got;
  }

  static long writeDirect(SocketChannel socket, ByteBuffer block, Path file, long length, MessageDigest sha)
      throws Exception {
    // The head's leftover is at the buffer's start: keep filling the block from there.
    block.position(block.limit()).limit(block.capacity());
    long got = block.position();
    long written = 0;
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
        ExtendedOpenOption.DIRECT)) {
      while (true) {
        if (!block.hasRemaining()) {
          block.flip();
          sha.update(block.duplicate());
          while (block.hasRemaining()) {
            written += out.write(block, written);
          }
          block.clear();
        }
        if (got >= length) {
          break;
        }
        int n = socket.read(block.limit((int) Math.min(block.capacity(), block.position() + (length - got))));
        if (n < 0) {
          throw new IOException("the parent closed the connection after " + got + " bytes");
        }
        got += n;
        block.limit(block.capacity());
      }
      out.force(false); // the file's size and blocks: O_DIRECT writes the data, not the metadata
    }
    block.flip(); // the tail, shorter than a block: through the page cache
    sha.update(block.duplicate());
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE)) {
      while (block.hasRemaining()) {
        written += out.write(block, written);
      }
      out.force(false);
    }
    return written;
  }

  /** Reads the response head; returns Content-Length. The body's first bytes stay in buffer, flipped. */
  static long readHead(SocketChannel socket, ByteBuffer buffer) throws IOException {
    buffer.clear();
    while (true) {
      if (socket.read(buffer) < 0 || !buffer.hasRemaining()) {
        throw new IOException("no complete response head");
      }
      int end = indexOf(buffer, "\r\n\r\n");
      if (end < 0) {
        continue;
      }
      byte[] head = new byte[end];
      buffer.get(0, head);
      String[] lines = new String(head, StandardCharsets.ISO_8859_1).split("\r\n");
      if (!lines[0].startsWith("HTTP/1.1 200")) {
        throw new IOException("the parent answered " + lines[0]);
      }
      long length = -1;
      for (String line : lines) {
        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
          length = Long.parseLong(line.substring("content-length:".length()).trim());
        }
      }
      if (length < 0) {
        throw new IOException("no Content-Length");
      }
      buffer.limit(buffer.position()).position(end + 4);
      buffer.compact().flip(); // the body's first bytes at the buffer's start (alignment for O_DIRECT)
      return length;
    }
  }

  static int indexOf(ByteBuffer buffer, String what) {
    byte[] w = what.getBytes(StandardCharsets.ISO_8859_1);
    outer:
    for (int i = 0; i + w.length <= buffer.position(); i++) {
      for (int j = 0; j < w.length; j++) {
        if (buffer.get(i + j) != w[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
