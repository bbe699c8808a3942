package io.connectedregistry.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Durability helpers: what a 201 promises must survive a power cut. */
public final class Fsync {
  /** Tests only: told of every folder fsynced, to check that a commit made an entry durable. */
  static volatile java.util.function.Consumer<Path> folderSynced = p -> { };

  private Fsync() {}

  /**
   * Creates {@code dir} and its missing parents durably: each new folder's entry is fsynced into
   * its parent, from the top down, so a power cut never leaves a file in a folder that vanished
   * (e.g. {@code blobs/sha256/ab} with {@code blobs/sha256} itself never written to {@code blobs/}).
   */
  static void createDirectories(Path dir) throws IOException {
    java.util.Set<Path> parents = new java.util.LinkedHashSet<>();
    createDirectories(dir, parents);
    for (Path parent : parents) {
      directory(parent);
    }
  }

  /**
   * Creates {@code dir} and its missing parents, and adds to {@code toSync} the folders whose
   * entries changed, top down: the caller fsyncs each once (many new folders under one parent, one
   * fsync) before anything in them is made visible.
   */
  static void createDirectories(Path dir, java.util.Set<Path> toSync) throws IOException {
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
        // another thread created it: it fsyncs the parent too, but the parent is fsynced anyway
      }
      toSync.add(next.getParent());
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
      folderSynced.accept(dir);
    } catch (IOException e) {
      // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
      if (!String.valueOf(e.getMessage()).contains("Is a directory")) {
        throw e;
      }
    }
  }
}
