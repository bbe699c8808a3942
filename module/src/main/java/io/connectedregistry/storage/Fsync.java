package io.connectedregistry.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Durability helpers: what a 201 promises must survive a power cut. */
final class Fsync {
  private Fsync() {}

  static void file(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  /** Makes a rename or create inside {@code dir} durable (Linux: fsync on the directory fd). */
  static void directory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
      if (!String.valueOf(e.getMessage()).contains("Is a directory")) {
        throw e;
      }
    }
  }
}
