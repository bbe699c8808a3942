package io.connectedregistry.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Durability helpers: what a 201 promises must survive a power cut. */
public final class Fsync {
  private Fsync() {}

  /**
   * Creates {@code dir} and its missing parents durably: each new folder's entry is fsynced into
   * its parent, from the top down, so a power cut never leaves a file in a folder that vanished
   * (e.g. {@code blobs/sha256/ab} with {@code blobs/sha256} itself never written to {@code blobs/}).
   */
  static void createDirectories(Path dir) throws IOException {
    Path missing = dir;
    java.util.ArrayDeque<Path> toCreate = new java.util.ArrayDeque<>();
    while (missing != null && !Files.isDirectory(missing)) {
      toCreate.push(missing);
      missing = missing.getParent();
    }
    for (Path next : toCreate) {
      try {
        Files.createDirectory(next);
      } catch (FileAlreadyExistsException e) {
        if (!Files.isDirectory(next)) {
          throw e;
        }
        // another thread created it: it fsyncs the parent too, but the parent is fsynced below anyway
      }
      directory(next.getParent());
    }
  }

  static void file(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  /** Makes a rename or create inside {@code dir} durable (Linux: fsync on the directory fd). */
  public static void directory(Path dir) throws IOException {
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
