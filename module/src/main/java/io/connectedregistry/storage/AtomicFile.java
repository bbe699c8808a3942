package io.connectedregistry.storage;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Replaces a small file whole, so that a crash or a failed write leaves either the old content or
 * the new one, and a write that returned survives a power cut: the bytes go to {@code NAME.tmp} in
 * the same folder, which is fsynced, renamed over {@code NAME} (atomic on one file system), and
 * the folder is fsynced so the rename itself is durable.
 *
 * <p>On failure the temporary file is removed and the old file is untouched. The temporary file
 * has a fixed name, so one left by a crash is replaced by the next write; callers write one file
 * from one thread at a time. Blocking.
 */
public final class AtomicFile {
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  /** What goes into the file; tests use it to fail half-way. */
  @FunctionalInterface
  interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  private AtomicFile() {}

  /** Replaces {@code file}'s content with {@code bytes}; a new file gets the umask's mode. */
  public static void write(Path file, byte[] bytes) throws IOException {
    write(file, null, out -> out.write(bytes));
  }

  /**
   * Like {@link #write(Path, byte[])} for a secret: the file is 0600 from its creation, before any
   * byte is in it, so no other user can open it even for an instant (an open descriptor would
   * still read what is written after a later chmod).
   */
  public static void writePrivate(Path file, byte[] bytes) throws IOException {
    write(file, OWNER_ONLY, out -> out.write(bytes));
  }

  /** @param mode the file's permissions on a POSIX file system, or null for the umask's */
  static void write(Path file, Set<PosixFilePermission> mode, Content content) throws IOException {
    Path folder = file.toAbsolutePath().getParent();
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    if (!Files.isDirectory(temp, LinkOption.NOFOLLOW_LINKS)) {
      Files.deleteIfExists(temp); // left by a crash; a folder in its place is not ours: creating fails
    }
    boolean created = false;
    try {
      try (FileChannel channel = FileChannel.open(temp, Set.<OpenOption>of(StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE), attributes(folder, mode))) {
        created = true;
        if (mode != null && isPosix(folder)) {
          // The umask may have taken bits away: make it exactly `mode` (never more than it asked).
          Files.setPosixFilePermissions(temp, mode);
        }
        content.writeTo(Channels.newOutputStream(channel));
        channel.force(true);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      if (created) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException cleanup) {
          e.addSuppressed(cleanup);
        }
      }
      throw e;
    }
    Fsync.directory(folder);
  }

  private static FileAttribute<?>[] attributes(Path folder, Set<PosixFilePermission> mode) {
    if (mode == null || !isPosix(folder)) {
      return new FileAttribute<?>[0]; // elsewhere (Windows) the data folder's own ACL applies
    }
    return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(mode)};
  }

  private static boolean isPosix(Path folder) {
    return Files.getFileAttributeView(folder, PosixFileAttributeView.class) != null;
  }
}
