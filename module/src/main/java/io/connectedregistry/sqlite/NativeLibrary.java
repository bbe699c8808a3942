package io.connectedregistry.sqlite;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.jar.JarEntry;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where sqlite-jdbc loads SQLite's native library from.
 *
 * <p>Left alone, the driver writes the library out of its jar into the temporary folder on every
 * start, reads it back to compare, and first runs {@code uname -o} (a process) to rule out
 * Android: a few hundred milliseconds of each start on a small or busy machine, and a stale copy
 * in {@code /tmp} after each crash. This keeps one copy per driver version in the data folder
 * ({@code DATA/native/}, private like the rest of it), written once through a temporary file and
 * an atomic rename, and checked against the jar's copy before each use (size and CRC-32 from the
 * jar's directory, {@link #packedChecksum}); the driver is then told to load that file ({@code
 * org.sqlite.lib.path}, {@code org.sqlite.lib.name}).
 *
 * <p>Only for glibc Linux on x86_64 and aarch64, the platforms whose folder in the driver's jar is
 * known without asking the system. Anywhere else, when the folder cannot be written (read-only
 * data), when the copy differs, or when a user set the driver's properties, nothing is set and the
 * driver does what it always does. If the copy cannot be loaded (a {@code noexec} mount), the
 * driver falls back to its own extraction by itself.
 */
final class NativeLibrary {
  private static final Logger LOG = LoggerFactory.getLogger(NativeLibrary.class);
  static final String PATH_PROPERTY = "org.sqlite.lib.path";
  static final String NAME_PROPERTY = "org.sqlite.lib.name";
  private static final String LIBRARY = "libsqlitejdbc.so";
  private static final AtomicBoolean DECIDED = new AtomicBoolean();
  /** Reads and writes of the library go in pieces of this size ({@link #sameContent}). */
  private static final int IO_CHUNK = 16 * 1024;

  private NativeLibrary() {}

  /** Once per JVM, before the first connection: points the driver at a cached copy in {@code dataFolder}. */
  static void useCachedCopy(Path dataFolder) {
    if (!DECIDED.compareAndSet(false, true)
        || System.getProperty(PATH_PROPERTY) != null || System.getProperty(NAME_PROPERTY) != null) {
      return;
    }
    resourcePath().flatMap(resource -> cachedCopy(dataFolder, resource)).ifPresent(copy -> {
      System.setProperty(PATH_PROPERTY, copy.getParent().toString());
      System.setProperty(NAME_PROPERTY, copy.getFileName().toString());
    });
  }

  /** The library's path inside the driver's jar, or empty where it is not known for certain. */
  static Optional<String> resourcePath() {
    String os = System.getProperty("os.name", "");
    String arch = switch (System.getProperty("os.arch", "").toLowerCase(Locale.ROOT)) {
      case "amd64", "x86_64" -> "x86_64";
      case "aarch64", "arm64" -> "aarch64";
      default -> null;
    };
    if (!os.equals("Linux") || arch == null || isMuslOrAndroid()) {
      return Optional.empty();
    }
    String resource = "/org/sqlite/native/Linux/" + arch + "/" + LIBRARY;
    return NativeLibrary.class.getResource(resource) == null ? Optional.empty() : Optional.of(resource);
  }

  /** musl (Alpine) and Android have folders of their own in the jar: the driver's own choice then. */
  private static boolean isMuslOrAndroid() {
    if (System.getProperty("java.runtime.name", "").toLowerCase(Locale.ROOT).contains("android")
        || Files.exists(Path.of("/system/build.prop"))) {
      return true;
    }
    try {
      return Files.readString(Path.of("/proc/self/maps")).contains("musl");
    } catch (IOException | RuntimeException e) {
      return true; // cannot tell: do not guess
    }
  }

  /**
   * {@code DATA/native/sqlite-VERSION/libsqlitejdbc.so}, equal to the jar's copy, written if
   * missing or different; empty if it cannot be.
   */
  static Optional<Path> cachedCopy(Path dataFolder, String resource) {
    Path folder = dataFolder.resolve("native").resolve("sqlite-" + driverVersion());
    Path copy = folder.resolve(LIBRARY);
    try {
      Optional<Checksum> packed = packedChecksum(resource);
      if (packed.isPresent() && packed.get().matches(copy)) {
        return Optional.of(copy);
      }
      byte[] expected;
      try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
        if (in == null) {
          return Optional.empty();
        }
        expected = in.readAllBytes();
      }
      if (packed.isEmpty() && sameContent(copy, expected)) {
        return Optional.of(copy);
      }
      Files.createDirectories(folder);
      Path temporary = Files.createTempFile(folder, LIBRARY, ".tmp");
      try {
        try (OutputStream out = Files.newOutputStream(temporary, StandardOpenOption.WRITE)) {
          for (int at = 0; at < expected.length; at += IO_CHUNK) {
            out.write(expected, at, Math.min(IO_CHUNK, expected.length - at));
          }
        }
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
          channel.force(true);
        }
        try {
          Files.move(temporary, copy, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(temporary, copy, StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(temporary);
      }
      return Optional.of(copy);
    } catch (IOException | RuntimeException e) {
      LOG.debug("SQLite's native library is not cached in {} ({}); the driver extracts it", folder, e.toString());
      return Optional.empty();
    }
  }

  /** A file's size and CRC-32, as the jar's directory records them for each entry. */
  record Checksum(long size, long crc) {
    /** Whether {@code file} has this size and CRC-32, read a chunk at a time (see {@link #sameContent}). */
    boolean matches(Path file) throws IOException {
      if (!Files.isRegularFile(file) || Files.size(file) != size) {
        return false;
      }
      CRC32 crc32 = new CRC32();
      byte[] chunk = new byte[IO_CHUNK];
      long total = 0;
      try (InputStream in = Files.newInputStream(file)) {
        for (int read; (read = in.read(chunk)) > 0; total += read) {
          crc32.update(chunk, 0, read);
        }
      }
      return total == size && crc32.getValue() == crc;
    }
  }

  /**
   * The library's size and CRC-32 from the jar's central directory, read without inflating it:
   * checking a copy against them reads the copy once, instead of inflating the jar's 1 MiB and
   * comparing (~25 ms of a start on the way to its first query, bench/README.md, issue #13, tenth
   * session). It finds a damaged copy as surely; a copy made to match on purpose needs write access
   * to the private data folder, the boundary the class archive in {@code DATA/jvm} already has
   * (docs/security.md). Empty when the library is not read from a jar (an exploded class path):
   * then the copy is compared byte for byte.
   */
  static Optional<Checksum> packedChecksum(String resource) throws IOException {
    URL url = NativeLibrary.class.getResource(resource);
    if (url == null || !(url.openConnection() instanceof JarURLConnection jar)) {
      return Optional.empty();
    }
    JarEntry entry = jar.getJarEntry();
    return entry.getSize() < 0 || entry.getCrc() < 0 ? Optional.empty()
        : Optional.of(new Checksum(entry.getSize(), entry.getCrc()));
  }

  /**
   * Whether {@code file} holds exactly {@code expected}, read a chunk at a time. A file channel
   * reads into or writes from a heap array through a temporary direct buffer of the same size,
   * which the JDK then keeps for the thread (sun.nio.ch.Util): reading or writing the 1 MiB library
   * in one call left 1 MiB of native memory held by the main thread for the life of the process.
   */
  static boolean sameContent(Path file, byte[] expected) throws IOException {
    if (!Files.isRegularFile(file) || Files.size(file) != expected.length) {
      return false;
    }
    byte[] chunk = new byte[IO_CHUNK];
    try (InputStream in = Files.newInputStream(file)) {
      for (int at = 0; at < expected.length; ) {
        int read = in.read(chunk, 0, Math.min(IO_CHUNK, expected.length - at));
        if (read < 0 || !Arrays.equals(chunk, 0, read, expected, at, at + read)) {
          return false;
        }
        at += read;
      }
      return in.read() < 0;
    }
  }

  private static String driverVersion() {
    return org.sqlite.SQLiteJDBCLoader.getVersion().replaceAll("[^0-9A-Za-z.\\-]", "_");
  }
}
