package io.connectedregistry.natives;

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
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * One copy of a native library from a jar, kept in the data folder so that a start loads it
 * instead of unpacking it again: SQLite's ({@code sqlite.NativeLibrary}) and JNA's, which the
 * launcher uses for exec ({@code launcher.Exec}). Both libraries would otherwise be written into
 * the temporary folder on every start (and, after a crash, left there).
 *
 * <p>The copy is written once through a temporary file, fsync and an atomic rename, and checked
 * against the jar's copy before each use by the size and CRC-32 the jar's directory records for
 * the entry ({@link #packedChecksum}: reading the copy once, without inflating the jar's). Only the
 * JDK is used here: the launcher runs this before any logging is set up.
 */
public final class NativeLibraryCopy {
  /** Reads and writes of a library go in pieces of this size ({@link #sameContent}). */
  private static final int IO_CHUNK = 16 * 1024;

  private NativeLibraryCopy() {}

  /**
   * {@code folder/name}, equal to {@code resource} as {@code anchor}'s class loader finds it,
   * written if missing or different. Throws when the resource is missing or the copy cannot be
   * made (a read-only or full data folder): the library's own extraction is then the way.
   */
  public static Path ensure(Class<?> anchor, String resource, Path folder, String name) throws IOException {
    Path copy = folder.resolve(name);
    Optional<Checksum> packed = packedChecksum(anchor, resource);
    if (packed.isPresent() && packed.get().matches(copy)) {
      return copy;
    }
    byte[] expected;
    try (InputStream in = anchor.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("no " + resource + " beside " + anchor.getName());
      }
      expected = in.readAllBytes();
    }
    if (packed.isEmpty() && sameContent(copy, expected)) {
      return copy;
    }
    Files.createDirectories(folder);
    Path temporary = Files.createTempFile(folder, name, ".tmp");
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
    return copy;
  }

  /** A file's size and CRC-32, as the jar's directory records them for each entry. */
  public record Checksum(long size, long crc) {
    /** Whether {@code file} has this size and CRC-32, read a chunk at a time (see {@link #sameContent}). */
    public boolean matches(Path file) throws IOException {
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
   * The resource's size and CRC-32 from its jar's central directory, read without inflating it:
   * checking a copy against them reads the copy once, instead of inflating the jar's and comparing
   * (~25 ms of a start for SQLite's 1 MiB, bench/README.md, issue #13, tenth session). It finds a
   * damaged copy as surely; a copy made to match on purpose needs write access to the private data
   * folder, the boundary the class archive in {@code DATA/jvm} already has (docs/security.md).
   * Empty when the resource is not read from a jar (an exploded class path): then the copy is
   * compared byte for byte.
   */
  public static Optional<Checksum> packedChecksum(Class<?> anchor, String resource) throws IOException {
    URL url = anchor.getResource(resource);
    if (url == null || !(url.openConnection() instanceof JarURLConnection jar)) {
      return Optional.empty();
    }
    var entry = jar.getJarEntry();
    return entry.getSize() < 0 || entry.getCrc() < 0 ? Optional.empty()
        : Optional.of(new Checksum(entry.getSize(), entry.getCrc()));
  }

  /**
   * Whether {@code file} holds exactly {@code expected}, read a chunk at a time. A file channel
   * reads into or writes from a heap array through a temporary direct buffer of the same size,
   * which the JDK then keeps for the thread (sun.nio.ch.Util): reading or writing a 1 MiB library
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
}
